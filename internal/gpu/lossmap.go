package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// tapRange locates the taps of one G_σ in Backend.tapBuf: its 2r+1 taps
// g_t from off, and from cum their 2r+2 prefix sums Σ_{t<k} g_t (summed in
// float64), which the transposed blurs' edge rows use.
type tapRange struct{ off, cum, r int }

// gaussTaps uploads backend.GaussianTaps for every σ of
// backend.MSSSIMSigmas, and their prefix sums, on first use and returns
// where each lies.
func (b *Backend) gaussTaps() []tapRange {
	if b.taps != nil {
		return b.taps
	}
	var all []float32
	for _, sigma := range backend.MSSSIMSigmas {
		t := backend.GaussianTaps(sigma)
		tr := tapRange{off: len(all), cum: len(all) + len(t), r: len(t) / 2}
		all = append(all, t...)
		sum := 0.0
		for _, g := range t {
			all = append(all, float32(sum))
			sum += float64(g)
		}
		all = append(all, float32(sum))
		b.taps = append(b.taps, tr)
	}
	b.tapBuf = tensorOf(b.Upload(backend.Shape{N: 1, C: len(all), H: 1, W: 1}, all))
	return b.taps
}

// LossMap returns the spec's α·(1 − MS-SSIM) + (1 − α)·G₈∗L1 map of x0 and
// xhat (N,3,H,W) in [−1,1]; out is (N,1,H,W). Per σ a horizontal pass
// blurs the five moments (lossmap_h8) and a vertical pass finishes them and
// multiplies the scale's cs (and at σ=8 the luminance) into a running
// product (lossmap_v); lossmap_l1h and lossmap_out blur the L1 map and
// combine: 2·len(σ)+2 dispatches. Each invocation computes a run of 8
// outputs along its blur's direction (1/8 of the grid of one per pixel).
func (b *Backend) LossMap(x0, xhat backend.Tensor, alpha float32) backend.Tensor {
	at, bt := tensorOf(x0), tensorOf(xhat)
	s := at.s
	mustSameShape("LossMap", s, bt.s)
	if s.C != 3 {
		panic(fmt.Sprintf("gpu: LossMap of %v: want 3 channels", s))
	}
	taps := b.gaussTaps()
	h, w := uint32(s.H), uint32(s.W)
	n := s.Len()
	moments := b.newTensor(backend.Shape{N: 5 * s.N, C: 3, H: s.H, W: s.W})
	acc := b.newTensor(s)
	last := len(taps) - 1
	for j, t := range taps {
		blur := blurParams{N: uint32(n), H: h, W: w, R: uint32(t.r), TapOff: uint32(t.off)}
		lossmapH8Kernel.run(b, b.grid1D(n/s.W*((s.W+7)/8)), blur, at, bt, b.tapBuf, moments)
		v := lossmapVParams{N: blur.N, H: h, W: w, R: blur.R, TapOff: blur.TapOff, First: boolWord(j == 0), Lum: boolWord(j == last)}
		lossmapVKernel.run(b, b.grid1D(n/s.H*((s.H+7)/8)), v, moments, b.tapBuf, acc)
	}
	b.Free(moments)
	out := b.lossMapOut(at, bt, acc, alpha)
	b.Free(acc)
	return out
}

// lossMapOut returns the loss map (N,1,H,W) from a and b (N,3,H,W) and
// acc, each channel's MS-SSIM product (N,3,H,W): the L1 term's blur
// (lossmap_l1h, lossmap_out) and the combination.
func (b *Backend) lossMapOut(at, bt, acc *Tensor, alpha float32) backend.Tensor {
	s := at.s
	h, w := uint32(s.H), uint32(s.W)
	taps := b.gaussTaps()
	t8 := taps[len(taps)-1]
	ps := backend.Shape{N: s.N, C: 1, H: s.H, W: s.W}
	np := ps.Len()
	d := b.newTensor(ps)
	blur8 := blurParams{N: uint32(np), H: h, W: w, R: uint32(t8.r), TapOff: uint32(t8.off)}
	lossmapL1HKernel.run(b, b.grid1D(np/s.W*((s.W+7)/8)), blur8, at, bt, b.tapBuf, d)
	out := b.newTensor(ps)
	p := lossmapOutParams{N: blur8.N, H: h, W: w, R: blur8.R, TapOff: blur8.TapOff, Alpha: alpha}
	lossmapOutKernel.run(b, b.grid1D(np/s.H*((s.H+7)/8)), p, acc, d, b.tapBuf, out)
	b.Free(d)
	return out
}

// blurParams is the Params of the loss map's plain blurs (lossmap_h8,
// lossmap_l1h): n values, H×W planes, the taps of radius r at tap_off.
type blurParams struct{ N, H, W, R, TapOff uint32 }

// lossmapVParams is lossmap_v.wgsl's Params.
type lossmapVParams struct{ N, H, W, R, TapOff, First, Lum uint32 }

// lossmapOutParams is lossmap_out.wgsl's Params.
type lossmapOutParams struct {
	N, H, W, R, TapOff uint32
	Alpha              float32
}

var (
	lossmapH8Kernel  = defineKernel[blurParams]("lossmap_h8", Read, Read, Read, ReadWrite)
	lossmapVKernel   = defineKernel[lossmapVParams]("lossmap_v", Read, Read, ReadWrite)
	lossmapL1HKernel = defineKernel[blurParams]("lossmap_l1h", Read, Read, Read, ReadWrite)
	lossmapOutKernel = defineKernel[lossmapOutParams]("lossmap_out", Read, Read, Read, ReadWrite)
)
