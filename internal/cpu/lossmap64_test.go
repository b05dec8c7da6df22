package cpu

// The float64 loss map and its gradient: the reference the float32
// implementation (lossmap.go, lossmap_backward.go) is tested against. This
// is the implementation those files had before they moved to float32; it
// allocates freely.

import (
	"fmt"
	"math"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// gaussianBlur64 convolves each (H,W) plane of x with the separable Gaussian
// G_σ (backend.GaussianTaps) with edge-replicate padding; out has x's shape.
// Accumulation is in float64.
func gaussianBlur64(x *Tensor, sigma float64, threads int) *Tensor {
	return blurAll64([]*Tensor{x}, sigma, threads)[0]
}

// blurAll64 blurs every plane of every tensor of xs (all of one shape) with
// G_σ, spreading all planes over the threads at once.
func blurAll64(xs []*Tensor, sigma float64, threads int) []*Tensor {
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
			blurPlane64(xs[i].Data[p:p+plane], outs[i].Data[p:p+plane], s.H, s.W, taps)
		}
	})
	return outs
}

// blurPlane64 blurs an h×w plane src into dst, rows then columns, with
// edge-replicate padding. Both passes run along rows (the vertical one adds
// whole weighted rows), so the inner loops are contiguous; float64
// accumulation.
func blurPlane64(src, dst []float32, h, w int, taps []float32) {
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

// ssimMaps64 returns, for x0 and xhat (N,3,H,W) in [−1,1], the spec's
// per-pixel MS-SSIM (averaged over channels) and blurred L1 maps, each
// (N,1,H,W), comparing a = (x0+1)/2 with b = (xhat+1)/2.
func ssimMaps64(x0, xhat *Tensor, threads int) (msssim, l1 *Tensor) {
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
		blurred := blurAll64([]*Tensor{a, b, aa, bb, ab}, sigma, threads)
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
	return msssim, gaussianBlur64(diff, backend.MSSSIMSigmas[len(backend.MSSSIMSigmas)-1], threads)
}

// lossMapBackward64 returns the gradient (N,3,H,W) with respect to xhat of
// scale·Σ LossMap(x0, xhat, alpha) for x0 and xhat (N,3,H,W), following
// ssimMaps64 in float64.
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
func lossMapBackward64(b *Backend, x0, xhat backend.Tensor, alpha, scale float32) backend.Tensor {
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
		sc := newBlurScratch64(s.H, s.W)
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
		p := newSSIMPlane64(s.H, s.W, len(sigmas))
		for nc := lo; nc < hi; nc++ {
			off := nc * plane
			p.grad(xa.Data[off:off+plane], xb.Data[off:off+plane], dxhat.Data[off:off+plane], taps, u, l1w)
		}
	})
	return dxhat
}

// ssimPlane64 is the scratch of one channel plane's loss-map gradient.
type ssimPlane64 struct {
	blur             *blurScratch64
	a, b, aa, bb, ab []float64
	ea, eb, eab      []float64   // blurs of a², b², ab at the current σ
	ma, mb, cs, den  [][]float64 // μa, μb, cs_j, D_j per σ
	gmb, geb, geab   []float64   // ∂/∂μb, ∂/∂(G∗b²), ∂/∂(G∗ab) at the current σ
	tb               []float64   // a transposed blur of one of those
	gb               []float64   // ∂/∂b
}

func newSSIMPlane64(h, w, scales int) *ssimPlane64 {
	n := h * w
	f := func() []float64 { return make([]float64, n) }
	fs := func() [][]float64 {
		v := make([][]float64, scales)
		for i := range v {
			v[i] = f()
		}
		return v
	}
	return &ssimPlane64{blur: newBlurScratch64(h, w),
		a: f(), b: f(), aa: f(), bb: f(), ab: f(), ea: f(), eb: f(), eab: f(), tb: f(), gb: f(),
		ma: fs(), mb: fs(), cs: fs(), den: fs(), gmb: f(), geb: f(), geab: f()}
}

// grad writes to dst the loss-map gradient with respect to xhat of one
// channel plane (x0p, xhatp): see LossMapBackward.
func (p *ssimPlane64) grad(x0p, xhatp, dst []float32, taps [][]float64, u float64, l1w []float64) {
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

// blurScratch64 holds the buffers of float64 Gaussian blurs of h×w planes
// with edge-replicate padding (the float64 twin of blurPlane) and of their
// transposes.
type blurScratch64 struct {
	h, w int
	tmp  []float64 // the plane between the two passes
	row  []float64 // one row padded by the largest radius on each side
}

func newBlurScratch64(h, w int) *blurScratch64 {
	return &blurScratch64{h: h, w: w, tmp: make([]float64, h*w), row: make([]float64, w+2*maxRadius())}
}

// blur writes to dst the blur of src with the separable taps: rows, then
// columns, indices clamped to the plane.
func (s *blurScratch64) blur(src, dst []float64, taps []float64) {
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
func (s *blurScratch64) blurT(g, dst []float64, taps []float64) {
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

// maxErr returns the largest |got − want| and the largest |want|.
func maxErr(got []float32, want []float32) (err, scale float64) {
	for i, w := range want {
		err = max(err, math.Abs(float64(got[i])-float64(w)))
		scale = max(scale, math.Abs(float64(w)))
	}
	return err, scale
}

// Tolerances of the float32 loss map against the float64 reference, stated
// as the largest absolute error of each map (MS-SSIM and L1 lie in [0,1]) and
// of the gradient relative to its largest element. Measured: blurs 1e-7,
// maps 1e-7 on random inputs but up to 1.5e-5 on near-identical ones (the
// float32 cancellation in G∗a² − μa², as in PyTorch, whose ops are checked at
// 1e-5 + 1e-4·|v|), gradients 2e-5 of the largest element.
const (
	blur32Atol   = 1e-6
	map32Atol    = 5e-5
	grad32Relmax = 1e-4
)

// TestLossMap32Against64 checks the float32 blurs, SSIMMaps and
// LossMapBackward against the float64 reference, on random and
// near-identical inputs, with planes smaller and larger than the σ=8 radius.
func TestLossMap32Against64(t *testing.T) {
	be := New()
	for _, hw := range [][2]int{{7, 10}, {64, 61}} {
		h, w := hw[0], hw[1]
		x := testutil.Random(120, h*w, -1, 1)
		sc, sc64 := newBlurScratch(make([]float32, h*w), h, w), newBlurScratch64(h, w)
		out, out64 := make([]float32, h*w), make([]float64, h*w)
		for _, sigma := range backend.MSSSIMSigmas {
			taps := backend.GaussianTaps(sigma)
			taps64 := make([]float64, len(taps))
			for i, v := range taps {
				taps64[i] = float64(v)
			}
			for _, transpose := range []bool{false, true} {
				if transpose {
					sc.blurT(x, out, taps)
					sc64.blurT(to64(x), out64, taps64)
				} else {
					sc.blur(x, out, taps)
					sc64.blur(to64(x), out64, taps64)
				}
				want := make([]float32, len(out64))
				for i, v := range out64 {
					want[i] = float32(v)
				}
				if e, _ := maxErr(out, want); e > blur32Atol {
					t.Errorf("%d×%d σ=%g transpose %v: float32 blur off by %.3g", h, w, sigma, transpose, e)
				}
			}
		}
	}
	for i, s := range []backend.Shape{{N: 2, C: 3, H: 12, W: 13}, {N: 1, C: 3, H: 96, W: 80}} {
		for _, near := range []bool{false, true} {
			x0, xhat := lossInputs(uint64(400+10*i), s, near)
			what := fmt.Sprintf("%v near %v", s, near)
			ms, l1 := SSIMMaps(x0, xhat, 2)
			ms64, l164 := ssimMaps64(x0, xhat, 2)
			for _, c := range []struct {
				name      string
				got, want []float32
			}{{"MS-SSIM", ms.Data, ms64.Data}, {"L1", l1.Data, l164.Data}} {
				e, _ := maxErr(c.got, c.want)
				t.Logf("%s %s: largest error %.3g", what, c.name, e)
				if e > map32Atol {
					t.Errorf("%s %s: float32 off by %.3g", what, c.name, e)
				}
			}
			scale := 1 / float32(s.N*s.H*s.W)
			grad := host(be.LossMapBackward(x0, xhat, 0.84, scale)).Data
			grad64 := host(lossMapBackward64(be, x0, xhat, 0.84, scale)).Data
			e, m := maxErr(grad, grad64)
			t.Logf("%s gradient: largest error %.3g of largest element %.3g", what, e, m)
			if e > grad32Relmax*m {
				t.Errorf("%s gradient: float32 off by %.3g, largest element %.3g", what, e, m)
			}
		}
	}
}
