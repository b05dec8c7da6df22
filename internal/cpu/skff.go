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
