package cpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// LossMapBackward returns the gradient (N,3,H,W) with respect to xhat of
// scale·Σ LossMap(x0, xhat, alpha) for x0 and xhat (N,3,H,W), following
// SSIMMaps in float64.
//
// With a = (x0+1)/2, b = (xhat+1)/2 and, per channel plane and scale σ_j,
// μa = G_j∗a, μb = G_j∗b, va = G_j∗a² − μa², vb = G_j∗b² − μb²,
// cab = G_j∗ab − μa·μb, cs_j = (2cab+C2)/D_j with D_j = va+vb+C2, and the
// luminance l = (2μaμb+C1)/(μa²+μb²+C1) at the last σ, the map is
// α(1 − mean_c l·Π_j cs_j) + (1−α)·G_8∗mean_c|a−b|. The chain rule gives,
// with u = −α·scale/3 and G = u·l·Π_{k≠j} cs_k,
//
//	∂/∂μb = G·(2μb·cs_j − 2μa)/D_j (+ u·Π cs·2(μa − l·μb)/(μa²+μb²+C1) at the last σ)
//	∂/∂(G_j∗b²) = −G·cs_j/D_j,  ∂/∂(G_j∗ab) = 2G/D_j
//
// pulled back through each blur by its transpose (edge replication makes the
// transpose scatter onto clamped positions), then through b², ab; the L1
// term adds −(1−α)·scale/3·sign(a−b)·G_8ᵀ∗1. Finally ∂/∂xhat = ½·∂/∂b.
func (b *Backend) LossMapBackward(x0, xhat backend.Tensor, alpha, scale float32) backend.Tensor {
	xa, xb := host(x0), host(xhat)
	s := xa.S
	mustSameShape("LossMapBackward", s, xb.S)
	if s.C != 3 {
		panic(fmt.Sprintf("cpu: LossMapBackward of %v: want 3 channels", s))
	}
	// dxhat is (N,3,H,W)
	dxhat := NewTensor(s)
	plane := s.H * s.W
	if plane == 0 {
		return dxhat
	}
	sigmas := backend.MSSSIMSigmas
	taps := make([][]float64, len(sigmas))
	for j, sigma := range sigmas {
		for _, t := range backend.GaussianTaps(sigma) {
			taps[j] = append(taps[j], float64(t))
		}
	}
	u := -float64(alpha) * float64(scale) / float64(s.C)
	// l1w is (1−α)·scale/3 · G_8ᵀ∗1, the L1 term's weight per pixel (H,W).
	l1w := make([]float64, plane)
	{
		sc := newBlurScratch(s.H, s.W)
		ones := make([]float64, plane)
		for i := range ones {
			ones[i] = 1
		}
		sc.blurT(ones, l1w, taps[len(taps)-1])
		for i := range l1w {
			l1w[i] *= (1 - float64(alpha)) * float64(scale) / float64(s.C)
		}
	}
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		p := newSSIMPlane(s.H, s.W, len(sigmas))
		for nc := lo; nc < hi; nc++ {
			off := nc * plane
			p.grad(xa.Data[off:off+plane], xb.Data[off:off+plane], dxhat.Data[off:off+plane], taps, u, l1w)
		}
	})
	return dxhat
}

// ssimPlane is the scratch of one channel plane's loss-map gradient.
type ssimPlane struct {
	blur             *blurScratch
	a, b, aa, bb, ab []float64
	ea, eb, eab      []float64   // blurs of a², b², ab at the current σ
	ma, mb, cs, den  [][]float64 // μa, μb, cs_j, D_j per σ
	gmb, geb, geab   []float64   // ∂/∂μb, ∂/∂(G∗b²), ∂/∂(G∗ab) at the current σ
	tb               []float64   // a transposed blur of one of those
	gb               []float64   // ∂/∂b
}

func newSSIMPlane(h, w, scales int) *ssimPlane {
	n := h * w
	f := func() []float64 { return make([]float64, n) }
	fs := func() [][]float64 {
		v := make([][]float64, scales)
		for i := range v {
			v[i] = f()
		}
		return v
	}
	return &ssimPlane{blur: newBlurScratch(h, w),
		a: f(), b: f(), aa: f(), bb: f(), ab: f(), ea: f(), eb: f(), eab: f(), tb: f(), gb: f(),
		ma: fs(), mb: fs(), cs: fs(), den: fs(), gmb: f(), geb: f(), geab: f()}
}

// grad writes to dst the loss-map gradient with respect to xhat of one
// channel plane (x0p, xhatp): see LossMapBackward.
func (p *ssimPlane) grad(x0p, xhatp, dst []float32, taps [][]float64, u float64, l1w []float64) {
	for i := range p.a {
		av, bv := (float64(x0p[i])+1)/2, (float64(xhatp[i])+1)/2
		p.a[i], p.b[i] = av, bv
		p.aa[i], p.bb[i], p.ab[i] = av*av, bv*bv, av*bv
	}
	last := len(taps) - 1
	for j, t := range taps {
		ma, mb, cs, den := p.ma[j], p.mb[j], p.cs[j], p.den[j]
		p.blur.blur(p.a, ma, t)
		p.blur.blur(p.b, mb, t)
		p.blur.blur(p.aa, p.ea, t)
		p.blur.blur(p.bb, p.eb, t)
		p.blur.blur(p.ab, p.eab, t)
		for i := range cs {
			va, vb := p.ea[i]-ma[i]*ma[i], p.eb[i]-mb[i]*mb[i]
			cab := p.eab[i] - ma[i]*mb[i]
			den[i] = va + vb + backend.SSIMC2
			cs[i] = (2*cab + backend.SSIMC2) / den[i]
		}
	}
	clear(p.gb)
	var c [8]float64
	cs := c[:len(taps)]
	for j, t := range taps {
		ma, mb := p.ma[j], p.mb[j]
		for i := range p.gb {
			for k := range cs {
				cs[k] = p.cs[k][i]
			}
			mal, mbl := p.ma[last][i], p.mb[last][i]
			dl := mal*mal + mbl*mbl + backend.SSIMC1
			l := (2*mal*mbl + backend.SSIMC1) / dl
			g, all := u*l, u
			for k, v := range cs {
				if k != j {
					g *= v
				}
				all *= v
			}
			d := p.den[j][i]
			p.gmb[i] = g * (2*mb[i]*cs[j] - 2*ma[i]) / d
			p.geb[i] = -g * cs[j] / d
			p.geab[i] = 2 * g / d
			if j == last {
				p.gmb[i] += all * 2 * (ma[i] - l*mb[i]) / dl
			}
		}
		p.blur.blurT(p.gmb, p.tb, t)
		for i, v := range p.tb {
			p.gb[i] += v
		}
		p.blur.blurT(p.geb, p.tb, t)
		for i, v := range p.tb {
			p.gb[i] += 2 * p.b[i] * v
		}
		p.blur.blurT(p.geab, p.tb, t)
		for i, v := range p.tb {
			p.gb[i] += p.a[i] * v
		}
	}
	for i, v := range p.gb {
		switch d := p.a[i] - p.b[i]; {
		case d > 0:
			v -= l1w[i]
		case d < 0:
			v += l1w[i]
		}
		dst[i] = float32(v / 2)
	}
}

// blurScratch holds the buffers of float64 Gaussian blurs of h×w planes
// with edge-replicate padding (the float64 twin of blurPlane) and of their
// transposes.
type blurScratch struct {
	h, w int
	tmp  []float64 // the plane between the two passes
	row  []float64 // one row padded by the largest radius on each side
}

// maxRadius is the largest radius of the MS-SSIM Gaussians.
func maxRadius() int {
	r := 0
	for _, sigma := range backend.MSSSIMSigmas {
		r = max(r, len(backend.GaussianTaps(sigma))/2)
	}
	return r
}

func newBlurScratch(h, w int) *blurScratch {
	return &blurScratch{h: h, w: w, tmp: make([]float64, h*w), row: make([]float64, w+2*maxRadius())}
}

// blur writes to dst the blur of src with the separable taps: rows, then
// columns, indices clamped to the plane.
func (s *blurScratch) blur(src, dst []float64, taps []float64) {
	h, w, r := s.h, s.w, len(taps)/2
	row := s.row[:w+2*r]
	for y := 0; y < h; y++ {
		in := src[y*w : (y+1)*w]
		for i := range row {
			row[i] = in[clamp(i-r, w)]
		}
		out := s.tmp[y*w : (y+1)*w]
		for x := range out {
			acc := 0.0
			for t, k := range taps {
				acc += k * row[x+t]
			}
			out[x] = acc
		}
	}
	for y := 0; y < h; y++ {
		out := dst[y*w : (y+1)*w]
		clear(out)
		for t, k := range taps {
			in := s.tmp[clamp(y+t-r, h)*w:]
			for x := range out {
				out[x] += k * in[x]
			}
		}
	}
}

// blurT writes to dst the transpose of blur applied to g: columns, then
// rows, each output value scattered onto the clamped positions it was
// gathered from.
func (s *blurScratch) blurT(g, dst []float64, taps []float64) {
	h, w, r := s.h, s.w, len(taps)/2
	clear(s.tmp)
	for y := 0; y < h; y++ {
		in := g[y*w : (y+1)*w]
		for t, k := range taps {
			out := s.tmp[clamp(y+t-r, h)*w:]
			for x, v := range in {
				out[x] += k * v
			}
		}
	}
	row := s.row[:w+2*r]
	for y := 0; y < h; y++ {
		clear(row)
		in := s.tmp[y*w : (y+1)*w]
		for x, v := range in {
			for t, k := range taps {
				row[x+t] += k * v
			}
		}
		out := dst[y*w : (y+1)*w]
		clear(out)
		for i, v := range row {
			out[clamp(i-r, w)] += v
		}
	}
}
