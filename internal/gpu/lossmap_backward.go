package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// LossMapBackward returns the gradient with respect to xhat (N,3,H,W) of
// scale·Σ LossMap(x0, xhat, alpha), the sum over every value of the
// (N,1,H,W) map; dx is (N,3,H,W).
//
// Each channel's MS-SSIM product l·Π_j cs_j enters the map with weight
// −α/3, each factor a function of blurred moments of a' = x0/2 and
// b' = xhat/2. A first sweep over the scales stores every factor and every
// scale's blurred moments (lossmap_h8, lossmap_cs); a second takes the
// gradient of the product with respect to the three moments that hold b'
// (lossmap_grad_v, pointwise),
// pushes it back through the transpose of the edge-replicating blur
// (lossmap_vt, lossmap_ht, gathers, no atomics) and accumulates
// T_μ + 2b'·T_bb + a'·T_ab into dx. The first lossmap_ht pass also adds the
// L1 term's gradient, (1 − α)·scale/6·sign(xhat − x0) times the sum of G_8's
// weights that reach the pixel. 5·len(σ) dispatches; the
// blurred moments of every scale take 25·N·3·H·W floats. Every blur and
// transposed blur computes a run of 8 outputs per invocation along its
// direction (as LossMap's do); lossmap_grad_v one per pixel.
func (b *Backend) LossMapBackward(x0, xhat backend.Tensor, alpha, scale float32) backend.Tensor {
	_, dx := b.lossMapGrad("LossMapBackward", x0, xhat, alpha, scale, false)
	return dx
}

// LossMapAndBackward returns LossMap(x0, xhat, alpha) (N,1,H,W) and
// LossMapBackward(x0, xhat, alpha, scale) (N,3,H,W) of x0 and xhat
// (N,3,H,W). The map's MS-SSIM factors are the ones the gradient's first
// sweep stores: lossmap_prod multiplies them per channel (in lossmap_v's
// order), and LossMap's lossmap_l1h and lossmap_out add the L1 term, 3
// dispatches instead of LossMap's 2·len(σ)+2.
func (b *Backend) LossMapAndBackward(x0, xhat backend.Tensor, alpha, scale float32) (lossMap, dxhat backend.Tensor) {
	return b.lossMapGrad("LossMapAndBackward", x0, xhat, alpha, scale, true)
}

// lossMapGrad computes the loss map's gradient and, if withMap, the map
// (else lossMap is nil); op names the caller in panics.
func (b *Backend) lossMapGrad(op string, x0, xhat backend.Tensor, alpha, scale float32, withMap bool) (lossMap, dxhat backend.Tensor) {
	at, bt := tensorOf(x0), tensorOf(xhat)
	s := at.s
	mustSameShape(op, s, bt.s)
	if s.C != 3 {
		panic(fmt.Sprintf("gpu: %s of %v: want 3 channels", op, s))
	}
	taps := b.gaussTaps()
	h, w := uint32(s.H), uint32(s.W)
	n := s.Len()
	grid := b.grid1D(n)
	scales := len(taps)
	last := scales - 1
	moments := b.newTensor(backend.Shape{N: 5 * s.N, C: 3, H: s.H, W: s.W})
	hgrid := b.grid1D(n / s.W * ((s.W + 7) / 8))
	vgrid := b.grid1D(n / s.H * ((s.H + 7) / 8))

	// cs is (scales+1,P,H,W): every cs_j, then l; mv[j] (5,P,H,W) holds
	// scale j's blurred moments
	cs := b.newTensor(backend.Shape{N: (scales + 1) * s.N, C: 3, H: s.H, W: s.W})
	mv := make([]*Tensor, scales)
	for j, t := range taps {
		mv[j] = b.newTensor(moments.s)
		blur := blurParams{N: uint32(n), H: h, W: w, R: uint32(t.r), TapOff: uint32(t.off)}
		lossmapH8Kernel.run(b, hgrid, blur, at, bt, b.tapBuf, moments)
		p := lossmapCSParams{N: blur.N, H: h, W: w, R: blur.R, TapOff: blur.TapOff, J: uint32(j), Lum: boolWord(j == last), Scales: uint32(scales)}
		lossmapCSKernel.run(b, vgrid, p, moments, b.tapBuf, cs, mv[j])
	}
	b.Free(moments)
	if withMap {
		// acc is (P,H,W), every channel's MS-SSIM product
		acc := b.newTensor(s)
		lossmapProdKernel.run(b, grid, lossmapProdParams{N: uint32(n), Scales: uint32(scales)}, cs, acc)
		lossMap = b.lossMapOut(at, bt, acc, alpha)
		b.Free(acc)
	}

	// gf and gt are (3,P,H,W)
	fs := backend.Shape{N: 3 * s.N, C: 3, H: s.H, W: s.W}
	gf, gt := b.newTensor(fs), b.newTensor(fs)
	dx := b.newTensor(s)
	g8 := backend.GaussianTaps(backend.MSSSIMSigmas[last])
	// cols is G_8's column sums along W, then along H
	cols := b.Upload(backend.Shape{N: 1, C: 1, H: 1, W: s.W + s.H}, append(colSums(g8, s.W), colSums(g8, s.H)...))
	u := -float64(scale) * float64(alpha) / 6
	cl1 := float64(scale) * (1 - float64(alpha)) / 6
	for j, t := range taps {
		gv := lossmapGradVParams{N: uint32(n), J: uint32(j), Lum: boolWord(j == last), Scales: uint32(scales), U: float32(u)}
		lossmapGradVKernel.run(b, grid, gv, mv[j], cs, gf)
		b.Free(mv[j])
		vt := lossmapVTParams{N: uint32(n), H: h, W: w, R: uint32(t.r), TapOff: uint32(t.off), CumOff: uint32(t.cum)}
		lossmapVTKernel.run(b, vgrid, vt, gf, b.tapBuf, gt)
		ht := lossmapHTParams{N: vt.N, H: h, W: w, R: vt.R, TapOff: vt.TapOff, CumOff: vt.CumOff, First: boolWord(j == 0), Cl1: float32(cl1)}
		lossmapHTKernel.run(b, hgrid, ht, gt, at, bt, b.tapBuf, tensorOf(cols), dx)
	}
	b.Free(cs)
	b.Free(cols)
	b.Free(gf)
	b.Free(gt)
	return lossMap, dx
}

// colSums returns, for each position q of a line of n values, the sum of
// column q of the edge-replicating blur matrix of the 2r+1 taps g (the
// transpose of the blur applied to ones): Σ_y Σ_k g_k·[clamp(y + k − r) = q],
// summed in float64.
func colSums(g []float32, n int) []float32 {
	r := len(g) / 2
	s := make([]float64, n)
	for y := range n {
		for k, gk := range g {
			s[min(max(y+k-r, 0), n-1)] += float64(gk)
		}
	}
	out := make([]float32, n)
	for q, v := range s {
		out[q] = float32(v)
	}
	return out
}

// Params of the loss map's backward kernels, as in their shaders.
type (
	lossmapCSParams    struct{ N, H, W, R, TapOff, J, Lum, Scales uint32 }
	lossmapProdParams  struct{ N, Scales uint32 }
	lossmapVTParams    struct{ N, H, W, R, TapOff, CumOff uint32 }
	lossmapGradVParams struct {
		N, J, Lum, Scales uint32
		U                 float32
	}
	lossmapHTParams struct {
		N, H, W, R, TapOff, CumOff, First uint32
		Cl1                               float32
	}
)

var (
	lossmapCSKernel    = defineKernel[lossmapCSParams]("lossmap_cs", Read, Read, ReadWrite, ReadWrite)
	lossmapProdKernel  = defineKernel[lossmapProdParams]("lossmap_prod", Read, ReadWrite)
	lossmapGradVKernel = defineKernel[lossmapGradVParams]("lossmap_grad_v", Read, Read, ReadWrite)
	lossmapVTKernel    = defineKernel[lossmapVTParams]("lossmap_vt", Read, Read, ReadWrite)
	lossmapHTKernel    = defineKernel[lossmapHTParams]("lossmap_ht", Read, Read, Read, Read, Read, ReadWrite)
)
