package cpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// GaussianBlur convolves each (H,W) plane of x with the separable Gaussian
// G_σ (backend.GaussianTaps) with edge-replicate padding; out has x's shape.
// Accumulation is in float64.
func GaussianBlur(x *Tensor, sigma float64, threads int) *Tensor {
	return blurAll([]*Tensor{x}, sigma, threads)[0]
}

// blurAll blurs every plane of every tensor of xs (all of one shape) with
// G_σ, spreading all planes over the threads at once.
func blurAll(xs []*Tensor, sigma float64, threads int) []*Tensor {
	s := xs[0].S
	plane, planes := s.H*s.W, s.N*s.C
	taps := backend.GaussianTaps(sigma)
	outs := make([]*Tensor, len(xs))
	for i := range xs {
		outs[i] = NewTensor(s)
	}
	parallel(threads, len(xs)*planes, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			i, p := j/planes, (j%planes)*plane
			blurPlane(xs[i].Data[p:p+plane], outs[i].Data[p:p+plane], s.H, s.W, taps)
		}
	})
	return outs
}

// blurPlane blurs an h×w plane src into dst, rows then columns, with
// edge-replicate padding. Both passes run along rows (the vertical one adds
// whole weighted rows), so the inner loops are contiguous; float64
// accumulation.
func blurPlane(src, dst []float32, h, w int, taps []float32) {
	r := len(taps) / 2
	tmp := make([]float64, h*w)
	for y := 0; y < h; y++ {
		row, out := src[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		for x := range out {
			acc := 0.0
			if x >= r && x+r < w { // interior: no clamping
				win := row[x-r : x+r+1]
				for t, k := range taps {
					acc += float64(k) * float64(win[t])
				}
			} else {
				for t, k := range taps {
					acc += float64(k) * float64(row[clamp(x+t-r, w)])
				}
			}
			out[x] = acc
		}
	}
	acc := make([]float64, w)
	for y := 0; y < h; y++ {
		clear(acc)
		for t, k := range taps {
			kk := float64(k)
			row := tmp[clamp(y+t-r, h)*w:][:w]
			for x, v := range row {
				acc[x] += kk * v
			}
		}
		out := dst[y*w : (y+1)*w]
		for x, v := range acc {
			out[x] = float32(v)
		}
	}
}

func clamp(i, n int) int { return min(max(i, 0), n-1) }

// SSIMMaps returns, for x0 and xhat (N,3,H,W) in [−1,1], the spec's
// per-pixel MS-SSIM (averaged over channels) and blurred L1 maps, each
// (N,1,H,W), comparing a = (x0+1)/2 with b = (xhat+1)/2.
func SSIMMaps(x0, xhat *Tensor, threads int) (msssim, l1 *Tensor) {
	s := x0.S
	mustSameShape("LossMap", s, xhat.S)
	if s.C != 3 {
		panic(fmt.Sprintf("cpu: LossMap of %v: want 3 channels", s))
	}
	a, b := NewTensor(s), NewTensor(s)
	aa, bb, ab := NewTensor(s), NewTensor(s), NewTensor(s)
	for i := range a.Data {
		av, bv := (x0.Data[i]+1)/2, (xhat.Data[i]+1)/2
		a.Data[i], b.Data[i] = av, bv
		aa.Data[i], bb.Data[i], ab.Data[i] = av*av, bv*bv, av*bv
	}
	ms := make([]float64, s.Len())
	for i := range ms {
		ms[i] = 1
	}
	for j, sigma := range backend.MSSSIMSigmas {
		blurred := blurAll([]*Tensor{a, b, aa, bb, ab}, sigma, threads)
		ma, mb, ea, eb, eab := blurred[0], blurred[1], blurred[2], blurred[3], blurred[4]
		last := j == len(backend.MSSSIMSigmas)-1
		for i := range ms {
			mua, mub := float64(ma.Data[i]), float64(mb.Data[i])
			va, vb := float64(ea.Data[i])-mua*mua, float64(eb.Data[i])-mub*mub
			cab := float64(eab.Data[i]) - mua*mub
			ms[i] *= (2*cab + backend.SSIMC2) / (va + vb + backend.SSIMC2)
			if last {
				ms[i] *= (2*mua*mub + backend.SSIMC1) / (mua*mua + mub*mub + backend.SSIMC1)
			}
		}
	}
	os := backend.Shape{N: s.N, C: 1, H: s.H, W: s.W}
	msssim, diff := NewTensor(os), NewTensor(os)
	plane := s.H * s.W
	for n := 0; n < s.N; n++ {
		for p := 0; p < plane; p++ {
			m, d := 0.0, 0.0
			for c := 0; c < s.C; c++ {
				i := (n*s.C+c)*plane + p
				m += ms[i]
				d += float64(abs32(a.Data[i] - b.Data[i]))
			}
			msssim.Data[n*plane+p] = float32(m / float64(s.C))
			diff.Data[n*plane+p] = float32(d / float64(s.C))
		}
	}
	return msssim, GaussianBlur(diff, backend.MSSSIMSigmas[len(backend.MSSSIMSigmas)-1], threads)
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
	ms, l1 := SSIMMaps(host(x0), host(xhat), b.Threads)
	for i := range ms.Data {
		ms.Data[i] = alpha*(1-ms.Data[i]) + (1-alpha)*l1.Data[i]
	}
	return ms
}
