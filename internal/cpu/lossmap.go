package cpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// GaussianBlur convolves each (H,W) plane of x with the separable Gaussian
// G_σ (backend.GaussianTaps) with edge-replicate padding; out has x's shape.
// Accumulation is in float64.
func GaussianBlur(x *Tensor, sigma float64, threads int) *Tensor {
	out := NewTensor(x.S)
	s := x.S
	taps := backend.GaussianTaps(sigma)
	parallel(threads, s.N*s.C, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			p := nc * s.H * s.W
			blurPlane(x.Data[p:p+s.H*s.W], out.Data[p:p+s.H*s.W], s.H, s.W, taps)
		}
	})
	return out
}

// blurPlane blurs an h×w plane src into dst, rows then columns.
func blurPlane(src, dst []float32, h, w int, taps []float32) {
	r := len(taps) / 2
	tmp := make([]float64, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			acc := 0.0
			for t, k := range taps {
				acc += float64(k) * float64(src[y*w+clamp(x+t-r, w)])
			}
			tmp[y*w+x] = acc
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			acc := 0.0
			for t, k := range taps {
				acc += float64(k) * tmp[clamp(y+t-r, h)*w+x]
			}
			dst[y*w+x] = float32(acc)
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
		ma, mb := GaussianBlur(a, sigma, threads), GaussianBlur(b, sigma, threads)
		ea, eb, eab := GaussianBlur(aa, sigma, threads), GaussianBlur(bb, sigma, threads), GaussianBlur(ab, sigma, threads)
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
