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
	_, dxhat := b.lossMapGrad("LossMapBackward", x0, xhat, alpha, scale, false)
	return dxhat
}

// LossMapAndBackward returns LossMap(x0, xhat, alpha) (N,1,H,W) and
// LossMapBackward(x0, xhat, alpha, scale) (N,3,H,W) of x0 and xhat
// (N,3,H,W) in one pass: the map's MS-SSIM factors are the ones the
// gradient computes anyway, so only the L1 term's blur is added (per
// channel plane: G_8∗mean_c|a−b| = mean_c G_8∗|a−b|).
func (b *Backend) LossMapAndBackward(x0, xhat backend.Tensor, alpha, scale float32) (lossMap, dxhat backend.Tensor) {
	return b.lossMapGrad("LossMapAndBackward", x0, xhat, alpha, scale, true)
}

// lossMapGrad computes the loss map's gradient and, if withMap, the map
// (else lossMap is nil); op names the caller in panics.
func (b *Backend) lossMapGrad(op string, x0, xhat backend.Tensor, alpha, scale float32, withMap bool) (lossMap, dxhat backend.Tensor) {
	xa, xb := host(x0), host(xhat)
	s := xa.S
	mustSameShape(op, s, xb.S)
	if s.C != 3 {
		panic(fmt.Sprintf("cpu: %s of %v: want 3 channels", op, s))
	}
	// dx is (N,3,H,W), every element written by grad
	dx := b.alloc(s)
	// ms and l1 are (N,3,H,W), each plane's MS-SSIM and G_8∗|a−b|, written
	// by grad when the map is wanted
	var ms, l1 []float32
	var out *Tensor
	if withMap {
		ms, l1 = b.scratch(s.Len()), b.scratch(s.Len())
		defer b.release(ms)
		defer b.release(l1)
		out = b.alloc(backend.Shape{N: s.N, C: 1, H: s.H, W: s.W}) // every element written below
		lossMap = out
	}
	plane := s.H * s.W
	if plane == 0 {
		return lossMap, dx
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
			var msp, l1p []float32
			if withMap {
				msp, l1p = ms[off:off+plane], l1[off:off+plane]
			}
			p.grad(xa.Data[off:off+plane], xb.Data[off:off+plane], dx.Data[off:off+plane], taps, u, l1w, msp, l1p)
		}
	})
	for _, buf := range bufs {
		b.release(buf)
	}
	if withMap {
		// the map is α·(1 − mean_c ms) + (1−α)·mean_c l1, as in LossMap
		parallel(b.Threads, s.N*plane, func(lo, hi int) {
			for q := lo; q < hi; q++ {
				nn, p := q/plane, q%plane
				var m, d float32
				for c := 0; c < s.C; c++ {
					i := (nn*s.C+c)*plane + p
					m += ms[i]
					d += l1[i]
				}
				out.Data[q] = alpha*(1-m/float32(s.C)) + (1-alpha)*(d/float32(s.C))
			}
		})
	}
	return lossMap, dx
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
// channel plane (x0p, xhatp): see LossMapBackward. If ms and l1 are not nil
// it also writes the plane's MS-SSIM l·Π_j cs_j to ms and G_8∗|a−b| (the
// last σ's blur) to l1.
func (p *ssimPlane) grad(x0p, xhatp, dst []float32, taps [][]float32, u float32, l1w, ms, l1 []float32) {
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
		ssimCS(p.ea, p.eb, p.eab, ma, mb, den, cs)
	}
	if ms != nil {
		for i := range p.aa { // a² is read no more: |a−b| takes its place
			p.aa[i] = abs32(p.a[i] - p.b[i])
		}
		p.blur.blur(p.aa, l1, taps[last])
		ml, mb := p.ma[last], p.mb[last]
		for i := range ms {
			v := float32(1)
			for _, c := range p.cs {
				v *= c[i]
			}
			ms[i] = v * (2*ml[i]*mb[i] + c1) / (ml[i]*ml[i] + mb[i]*mb[i] + c1)
		}
	}
	// a², b² and ab are read no more: the luminance l and its denominator
	// at the last σ take their place, once per pixel.
	lum, dl := p.ab, p.bb
	{
		ml, mbl := p.ma[last], p.mb[last]
		for i := range lum {
			d := ml[i]*ml[i] + mbl[i]*mbl[i] + c1
			dl[i] = d
			lum[i] = (2*ml[i]*mbl[i] + c1) / d
		}
	}
	clear(p.gb)
	others := make([][]float32, 0, len(taps))
	for j, t := range taps {
		ma, mb, csj, den := p.ma[j], p.mb[j], p.cs[j], p.den[j]
		gmb, geb, geab := p.gmb, p.geb, p.geab
		ma, mb, csj, den, lum = ma[:len(gmb)], mb[:len(gmb)], csj[:len(gmb)], den[:len(gmb)], lum[:len(gmb)]
		geb, geab = geb[:len(gmb)], geab[:len(gmb)]
		others = others[:0]
		for k, c := range p.cs {
			if k != j {
				others = append(others, c[:len(gmb)])
			}
		}
		// G = u·l·Π_{k≠j} cs_k
		i0 := 0
		if n := len(gmb) &^ 7; rowsAVX2 && len(others) == 4 && n > 0 {
			ssimFactorsAVX2(n, &lum[0], &others[0][0], &others[1][0], &others[2][0], &others[3][0],
				&den[0], &csj[0], &ma[0], &mb[0], &gmb[0], &geb[0], &geab[0], u)
			i0 = n
		}
		for i := i0; i < len(gmb); i++ {
			g := u * lum[i]
			for _, c := range others {
				g *= c[i]
			}
			inv := 1 / den[i]
			c := csj[i]
			gmb[i] = g * (2*mb[i]*c - 2*ma[i]) * inv
			geb[i] = -g * c * inv
			geab[i] = 2 * g * inv
		}
		if j == last {
			for i := range gmb {
				all := u
				for _, c := range p.cs {
					all *= c[i]
				}
				gmb[i] += all * 2 * (ma[i] - lum[i]*mb[i]) / dl[i]
			}
		}
		p.blur.blurT(gmb, p.tb, t)
		addScaled(p.gb, p.tb, 1)
		p.blur.blurT(geb, p.tb, t)
		addProduct(p.gb, p.b, p.tb, 2)
		p.blur.blurT(geab, p.tb, t)
		addProduct(p.gb, p.a, p.tb, 1)
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

// ssimCS writes, for each pixel of the blurred moments at one σ, D = va +
// vb + C2 to den and cs = (2cab + C2)/D to cs (va = G∗a² − μa², vb = G∗b²
// − μb², cab = G∗ab − μaμb); all slices have cs's length.
func ssimCS(ea, eb, eab, ma, mb, den, cs []float32) {
	const c2 = float32(backend.SSIMC2)
	ea, eb, eab, ma, mb, den = ea[:len(cs)], eb[:len(cs)], eab[:len(cs)], ma[:len(cs)], mb[:len(cs)], den[:len(cs)]
	i0 := 0
	if n := len(cs) &^ 7; rowsAVX2 && n > 0 {
		ssimCSAVX2(n, &ea[0], &eb[0], &eab[0], &ma[0], &mb[0], &den[0], &cs[0], c2)
		i0 = n
	}
	for i := i0; i < len(cs); i++ {
		va, vb := ea[i]-ma[i]*ma[i], eb[i]-mb[i]*mb[i]
		cab := eab[i] - ma[i]*mb[i]
		den[i] = va + vb + c2
		cs[i] = (2*cab + c2) / den[i]
	}
}
