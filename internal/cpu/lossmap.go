package cpu

import (
	"fmt"
	"sync"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// The loss map and its gradient run in float32 (the float64 version they
// are tested against is in lossmap64_test.go). Every Gaussian blur is
// separable and runs along rows; the planes of a step are spread over the
// threads.

// GaussianBlur convolves each (H,W) plane of x with the separable Gaussian
// G_σ (backend.GaussianTaps) with edge-replicate padding; out has x's shape.
func GaussianBlur(x *Tensor, sigma float64, threads int) *Tensor {
	out := NewTensor(x.S)
	(&Backend{Threads: threads}).blurPlanes(x.S.H, x.S.W, backend.GaussianTaps(sigma), [][]float32{x.Data}, [][]float32{out.Data}, false)
	return out
}

// blurPlanes writes to dsts[i] the blur (or, with transpose, the transposed
// blur) of every h×w plane of srcs[i] with the separable taps, all planes of
// all srcs spread over the threads.
func (b *Backend) blurPlanes(h, w int, taps []float32, srcs, dsts [][]float32, transpose bool) {
	plane := h * w
	if plane == 0 || len(srcs) == 0 {
		return
	}
	per := len(srcs[0]) / plane
	var mu sync.Mutex
	var tmps [][]float32 // the goroutines' scratch planes, given back at the end
	defer func() {
		for _, t := range tmps {
			b.release(t)
		}
	}()
	dynamicParallel(b.Threads, len(srcs)*per, func() func(int) {
		tmp := b.scratch(plane)
		mu.Lock()
		tmps = append(tmps, tmp)
		mu.Unlock()
		sc := newBlurScratch(tmp, h, w)
		return func(j int) {
			i, p := j/per, j%per*plane
			src, dst := srcs[i][p:p+plane], dsts[i][p:p+plane]
			if transpose {
				sc.blurT(src, dst, taps)
			} else {
				sc.blur(src, dst, taps)
			}
		}
	})
}

// blurScratch holds one goroutine's buffers for Gaussian blurs of h×w planes
// with edge-replicate padding and for their transposes.
type blurScratch struct {
	h, w int
	tmp  []float32 // the plane between the two passes
	row  []float32 // one row padded by the largest radius on each side
}

// maxRadius is the largest radius of the MS-SSIM Gaussians.
func maxRadius() int {
	r := 0
	for _, sigma := range backend.MSSSIMSigmas {
		r = max(r, len(backend.GaussianTaps(sigma))/2)
	}
	return r
}

// newBlurScratch returns the scratch of blurs of h×w planes, using tmp (h·w
// floats, contents unspecified) between the passes.
func newBlurScratch(tmp []float32, h, w int) *blurScratch {
	return &blurScratch{h: h, w: w, tmp: tmp[:h*w], row: make([]float32, w+2*maxRadius())}
}

// blur writes to dst the blur of src with the separable taps (symmetric:
// taps[t] = taps[2r−t]): rows, from a copy of the row padded by edge
// replication, then columns, rows clamped to the plane. Both passes add
// whole shifted rows weighted by a tap pair, k·(u+v), so the inner loops
// are independent multiply-adds along a row.
func (s *blurScratch) blur(src, dst []float32, taps []float32) {
	if blurWhole != nil && blurWhole(s, src, dst, taps) { // WebAssembly SIMD (blur_whole.go)
		return
	}
	h, w, r := s.h, s.w, len(taps)/2
	row := s.row[:w+2*r]
	for y := 0; y < h; y++ {
		in := src[y*w : (y+1)*w]
		copy(row[r:], in)
		for i := 0; i < r; i++ {
			row[i], row[r+w+i] = in[0], in[w-1]
		}
		out := s.tmp[y*w : (y+1)*w]
		scaleTo(out, row[r:r+w], taps[r])
		for t := 0; t < r; t++ {
			addPair(out, row[t:t+w], row[2*r-t:2*r-t+w], taps[t])
		}
	}
	for y := 0; y < h; y++ {
		out := dst[y*w : (y+1)*w]
		scaleTo(out, s.tmp[y*w:(y+1)*w], taps[r])
		for t := 0; t < r; t++ {
			addPair(out, s.tmp[clamp(y+t-r, h)*w:][:w], s.tmp[clamp(y+r-t, h)*w:][:w], taps[t])
		}
	}
}

// blurT writes to dst the transpose of blur applied to g: columns, then
// rows, each output value scattered onto the clamped positions it was
// gathered from (a row's values scattered by tap t land on the padded row
// shifted by t, folded back onto the edge pixels at the end).
func (s *blurScratch) blurT(g, dst []float32, taps []float32) {
	if blurTWhole != nil && blurTWhole(s, g, dst, taps) { // WebAssembly SIMD (blur_whole.go)
		return
	}
	h, w, r := s.h, s.w, len(taps)/2
	clear(s.tmp)
	for y := 0; y < h; y++ {
		in := g[y*w : (y+1)*w]
		for t, k := range taps {
			addScaled(s.tmp[clamp(y+t-r, h)*w:][:w], in, k)
		}
	}
	row := s.row[:w+2*r]
	for y := 0; y < h; y++ {
		clear(row)
		in := s.tmp[y*w : (y+1)*w]
		for t, k := range taps {
			addScaled(row[t:t+w], in, k)
		}
		out := dst[y*w : (y+1)*w]
		copy(out, row[r:r+w])
		for i := 0; i < r; i++ {
			out[0] += row[i]
			out[w-1] += row[r+w+i]
		}
	}
}

func clamp(i, n int) int { return min(max(i, 0), n-1) }

// SSIMMaps returns, for x0 and xhat (N,3,H,W) in [−1,1], the spec's
// per-pixel MS-SSIM (averaged over channels) and blurred L1 maps, each
// (N,1,H,W), comparing a = (x0+1)/2 with b = (xhat+1)/2.
func SSIMMaps(x0, xhat *Tensor, threads int) (msssim, l1 *Tensor) {
	return (&Backend{Threads: threads}).ssimMaps(x0, xhat)
}

// ssimMaps is SSIMMaps with the backend's threads and memory pool.
func (b *Backend) ssimMaps(x0, xhat *Tensor) (msssim, l1 *Tensor) {
	s := x0.S
	mustSameShape("LossMap", s, xhat.S)
	if s.C != 3 {
		panic(fmt.Sprintf("cpu: LossMap of %v: want 3 channels", s))
	}
	n := s.Len()
	// in holds a, b, a², b², ab; blurred their blurs at the current σ; all
	// (N,3,H,W). ms is the running MS-SSIM product per channel.
	var in, blurred [5][]float32
	for i := range in {
		in[i], blurred[i] = b.scratch(n), b.scratch(n)
	}
	ms := b.scratch(n)
	defer func() {
		for i := range in {
			b.release(in[i])
			b.release(blurred[i])
		}
		b.release(ms)
	}()
	parallel(b.Threads, n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			av, bv := (x0.Data[i]+1)/2, (xhat.Data[i]+1)/2
			in[0][i], in[1][i] = av, bv
			in[2][i], in[3][i], in[4][i] = av*av, bv*bv, av*bv
			ms[i] = 1
		}
	})
	const c1, c2 = float32(backend.SSIMC1), float32(backend.SSIMC2)
	for j, sigma := range backend.MSSSIMSigmas {
		b.blurPlanes(s.H, s.W, backend.GaussianTaps(sigma), in[:], blurred[:], false)
		last := j == len(backend.MSSSIMSigmas)-1
		ma, mb, ea, eb, eab := blurred[0], blurred[1], blurred[2], blurred[3], blurred[4]
		parallel(b.Threads, n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				mua, mub := ma[i], mb[i]
				va, vb := ea[i]-mua*mua, eb[i]-mub*mub
				cab := eab[i] - mua*mub
				v := ms[i] * (2*cab + c2) / (va + vb + c2)
				if last {
					v *= (2*mua*mub + c1) / (mua*mua + mub*mub + c1)
				}
				ms[i] = v
			}
		})
	}
	os := backend.Shape{N: s.N, C: 1, H: s.H, W: s.W}
	msssim, l1 = b.alloc(os), b.alloc(os)
	diff := b.scratch(os.Len())
	defer b.release(diff)
	plane := s.H * s.W
	a, bv := in[0], in[1]
	parallel(b.Threads, s.N*plane, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			nn, p := q/plane, q%plane
			var m, d float32
			for c := 0; c < s.C; c++ {
				i := (nn*s.C+c)*plane + p
				m += ms[i]
				d += abs32(a[i] - bv[i])
			}
			msssim.Data[q] = m / float32(s.C)
			diff[q] = d / float32(s.C)
		}
	})
	sigmas := backend.MSSSIMSigmas
	b.blurPlanes(s.H, s.W, backend.GaussianTaps(sigmas[len(sigmas)-1]), [][]float32{diff}, [][]float32{l1.Data}, false)
	return msssim, l1
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// LossMap returns α·(1 − MS-SSIM) + (1 − α)·L1, (N,1,H,W), for x0 and xhat
// (N,3,H,W) in [−1,1] (spec "Loss map and anomaly map").
func (b *Backend) LossMap(x0, xhat backend.Tensor, alpha float32) backend.Tensor {
	ms, l1 := b.ssimMaps(host(x0), host(xhat))
	for i := range ms.Data {
		ms.Data[i] = alpha*(1-ms.Data[i]) + (1-alpha)*l1.Data[i]
	}
	b.Free(l1)
	return ms
}
