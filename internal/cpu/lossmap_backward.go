package cpu

import (
	"fmt"
	"sync"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// LossMapBackward returns the gradient (N,3,H,W) with respect to xhat of
// scale·Σ LossMap(x0, xhat, alpha) for x0 and xhat (N,3,H,W), following
// SSIMMaps in float32 (lossMapBackward64 in the tests is the float64
// reference).
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
	// dxhat is (N,3,H,W), every element written by grad
	dxhat := b.alloc(s)
	plane := s.H * s.W
	if plane == 0 {
		return dxhat
	}
	sigmas := backend.MSSSIMSigmas
	taps := make([][]float32, len(sigmas))
	for j, sigma := range sigmas {
		taps[j] = backend.GaussianTaps(sigma)
	}
	u := -alpha * scale / float32(s.C)
	// l1w is (1−α)·scale/3 · G_8ᵀ∗1, the L1 term's weight per pixel (H,W).
	l1w := b.scratch(plane)
	defer b.release(l1w)
	{
		ones := b.scratch(plane)
		for i := range ones {
			ones[i] = 1
		}
		tmp := b.scratch(plane)
		newBlurScratch(tmp, s.H, s.W).blurT(ones, l1w, taps[len(taps)-1])
		b.release(tmp)
		b.release(ones)
		for i := range l1w {
			l1w[i] *= (1 - alpha) * scale / float32(s.C)
		}
	}
	var mu sync.Mutex
	var bufs [][]float32 // the workers' scratch, given back at the end
	dynamicParallel(b.Threads, s.N*s.C, func() func(int) {
		p, buf := b.newSSIMPlane(s.H, s.W, len(sigmas))
		mu.Lock()
		bufs = append(bufs, buf)
		mu.Unlock()
		return func(nc int) {
			off := nc * plane
			p.grad(xa.Data[off:off+plane], xb.Data[off:off+plane], dxhat.Data[off:off+plane], taps, u, l1w)
		}
	})
	for _, buf := range bufs {
		b.release(buf)
	}
	return dxhat
}

// ssimPlane is the scratch of one channel plane's loss-map gradient.
type ssimPlane struct {
	blur             *blurScratch
	a, b, aa, bb, ab []float32
	ea, eb, eab      []float32   // blurs of a², b², ab at the current σ
	ma, mb, cs, den  [][]float32 // μa, μb, cs_j, D_j per σ
	gmb, geb, geab   []float32   // ∂/∂μb, ∂/∂(G∗b²), ∂/∂(G∗ab) at the current σ
	tb               []float32   // a transposed blur of one of those
	gb               []float32   // ∂/∂b
}

// newSSIMPlane returns the scratch for h×w planes and the given number of
// scales, and the pool buffer its planes are cut from (to give back with
// release when the scratch is no longer used).
func (b *Backend) newSSIMPlane(h, w, scales int) (*ssimPlane, []float32) {
	n := h * w
	buf := b.scratch((14 + 4*scales) * n)
	rest := buf
	f := func() []float32 {
		v := rest[:n:n]
		rest = rest[n:]
		return v
	}
	fs := func() [][]float32 {
		v := make([][]float32, scales)
		for i := range v {
			v[i] = f()
		}
		return v
	}
	return &ssimPlane{blur: newBlurScratch(f(), h, w),
		a: f(), b: f(), aa: f(), bb: f(), ab: f(), ea: f(), eb: f(), eab: f(), tb: f(), gb: f(),
		ma: fs(), mb: fs(), cs: fs(), den: fs(), gmb: f(), geb: f(), geab: f()}, buf
}

// grad writes to dst the loss-map gradient with respect to xhat of one
// channel plane (x0p, xhatp): see LossMapBackward.
func (p *ssimPlane) grad(x0p, xhatp, dst []float32, taps [][]float32, u float32, l1w []float32) {
	const c1, c2 = float32(backend.SSIMC1), float32(backend.SSIMC2)
	for i := range p.a {
		av, bv := (x0p[i]+1)/2, (xhatp[i]+1)/2
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
			den[i] = va + vb + c2
			cs[i] = (2*cab + c2) / den[i]
		}
	}
	clear(p.gb)
	var c [8]float32
	cs := c[:len(taps)]
	for j, t := range taps {
		ma, mb := p.ma[j], p.mb[j]
		for i := range p.gb {
			for k := range cs {
				cs[k] = p.cs[k][i]
			}
			mal, mbl := p.ma[last][i], p.mb[last][i]
			dl := mal*mal + mbl*mbl + c1
			l := (2*mal*mbl + c1) / dl
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
		dst[i] = v / 2
	}
}
