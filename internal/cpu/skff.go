package cpu

import (
	"fmt"
	"math"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// skffRun is the length of the runs SKFFFuse sums over the maps.
const skffRun = 2048

// SKFFFuse: os[i] (N,C,H,W), logits[i] (N,C,1,1) → (N,C,H,W),
// out = Σ_i softmax_i(logits)[n,c] · os[i] (softmax over i per channel).
func (b *Backend) SKFFFuse(os, logits []backend.Tensor) backend.Tensor {
	if len(os) == 0 || len(os) != len(logits) {
		panic(fmt.Sprintf("cpu: SKFFFuse of %d maps and %d logits", len(os), len(logits)))
	}
	s := os[0].Shape()
	for i := range os {
		mustSameShape("SKFFFuse", os[i].Shape(), s)
		mustSameShape("SKFFFuse", logits[i].Shape(), backend.Shape{N: s.N, C: s.C, H: 1, W: 1})
	}
	// out is (N,C,H,W), every element written by the first map's term
	out := b.alloc(s)
	plane := s.H * s.W
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		wts := make([]float32, len(os))
		for nc := lo; nc < hi; nc++ {
			softmaxAt(logits, nc, wts)
			// in runs of skffRun values, so that the run of out being
			// summed into stays in L1
			for p0 := nc * plane; p0 < (nc+1)*plane; p0 += skffRun {
				p1 := min(p0+skffRun, (nc+1)*plane)
				dst := out.Data[p0:p1]
				scaleTo(dst, host(os[0]).Data[p0:p1], wts[0])
				for i, o := range os[1:] {
					axpy(dst, host(o).Data[p0:p1], wts[i+1])
				}
			}
		}
	})
	return out
}

// softmaxAt writes into w the softmax over i of logits[i][nc].
func softmaxAt(logits []backend.Tensor, nc int, w []float32) {
	m := float32(math.Inf(-1))
	for _, l := range logits {
		m = max(m, host(l).Data[nc])
	}
	sum := 0.0
	for i, l := range logits {
		e := math.Exp(float64(host(l).Data[nc] - m))
		w[i] = float32(e)
		sum += e
	}
	for i := range w {
		w[i] = float32(float64(w[i]) / sum)
	}
}

// SKFFFuseUpsampled is SKFFFuse of the maps UpsampleBilinear(os[i], fs[i])
// without storing them (see backend.UpsampleFuser): for each channel, the
// first map's term is written into the output plane and every other map's
// plane, upsampled in scratch where it stays in cache, is added to it, the
// same operations on every element as SKFFFuse of the upsampled maps.
func (b *Backend) SKFFFuseUpsampled(os []backend.Tensor, fs []int, logits []backend.Tensor) backend.Tensor {
	if len(os) == 0 || len(os) != len(logits) || len(os) != len(fs) {
		panic(fmt.Sprintf("cpu: SKFFFuseUpsampled of %d maps, %d factors and %d logits", len(os), len(fs), len(logits)))
	}
	s := os[0].Shape()
	if fs[0] < 1 {
		panic(fmt.Sprintf("cpu: SKFFFuseUpsampled: factor %d", fs[0]))
	}
	s = backend.UpsampleShape(s, fs[0])
	taps := make([]*rowTaps, len(os))
	for i := range os {
		if fs[i] < 1 {
			panic(fmt.Sprintf("cpu: SKFFFuseUpsampled: factor %d", fs[i]))
		}
		mustSameShape("SKFFFuseUpsampled", backend.UpsampleShape(os[i].Shape(), fs[i]), s)
		mustSameShape("SKFFFuseUpsampled", logits[i].Shape(), backend.Shape{N: s.N, C: s.C, H: 1, W: 1})
		if fs[i] > 1 {
			taps[i] = newRowTaps(fs[i], s.W/fs[i])
		}
	}
	// out is (N,C,H,W), every element written by the first map's term
	out := b.alloc(s)
	plane := s.H * s.W
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		wts := make([]float32, len(os))
		rows, up := b.scratch(plane), b.scratch(plane)
		defer b.release(rows)
		defer b.release(up)
		// mapPlane returns plane nc of map i, upsampled into up if need be.
		mapPlane := func(i, nc int) []float32 {
			src := host(os[i])
			f := fs[i]
			if f == 1 {
				return src.Data[nc*plane : (nc+1)*plane]
			}
			h, w := s.H/f, s.W/f
			upsamplePlane(up, src.Data[nc*h*w:(nc+1)*h*w], rows, h, w, f, taps[i])
			return up
		}
		for nc := lo; nc < hi; nc++ {
			softmaxAt(logits, nc, wts)
			dst := out.Data[nc*plane : (nc+1)*plane]
			scaleTo(dst, mapPlane(0, nc), wts[0])
			for i := 1; i < len(os); i++ {
				axpy(dst, mapPlane(i, nc), wts[i])
			}
		}
	})
	return out
}
