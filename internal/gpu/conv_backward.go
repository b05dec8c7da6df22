package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

var _ backend.Trainer = (*Backend)(nil)

// dwTaps is how many taps of k² one conv_dw workgroup computes.
const dwTaps = 9

// The chunked weight gradients (conv_dw3x3, conv_dw1x1, conv_dw_sum): the
// tiles of one work item, and the sizing of chunks, passes and dispatches.
const (
	dw3CI, dw3CO = 4, 8   // conv_dw3x3: input × output channels per item
	dw1CI, dw1CO = 16, 16 // conv_dw1x1: input × output channels per item
	dwWG         = 64     // work items per workgroup
	dw3Rows      = 32     // rows per band of conv_dw3x3, at most
	// dwChunkPixels is the pixels per chunk aimed at: large enough that
	// writing an item's partial tile costs little next to its sums.
	dwChunkPixels = 4096
	// dwMinItems is the work items below which chunks are made smaller
	// (down to a row of 8 pixels), so that the device has enough
	// invocations to run in parallel.
	dwMinItems = 2048
	// dwMaxPartial bounds the partial sums of one pass, in floats; images
	// beyond it go to further passes.
	dwMaxPartial = 1 << 24
	// dwDispatchMACs bounds the multiply-adds of one dispatch (of its work
	// items' tiles, summed), about 0.2 s on lavapipe, so that no dispatch
	// runs long.
	dwDispatchMACs = 1 << 31
)

// Conv2DBackward returns the gradients of out = act(conv(x, w) + bias) for x
// (N,Cin,H,W), w (Cout,Cin,k,k) with k odd, y = out and dy (N,Cout,H,W):
// with g = dy·act'(y) (act_backward; dy itself when act is Linear),
//
//	db (1,Cout,1,1)    = Σ_{n,y,x} g                      (conv_db; nil unless hasBias)
//	dw (Cout,Cin,k,k)  = Σ_{n,y,x} g[n,co,y,x]·x[n,ci,y+ky−k/2,x+kx−k/2]
//	                     (conv_dw3x3 or conv_dw1x1 per chunk of pixels,
//	                     then conv_dw_sum; conv_dw_fc for 1×1 on 1×1
//	                     planes; conv_dw for other k)
//	dx (N,Cin,H,W)     = Conv2D(g, wt), wt (Cin,Cout,k,k) the channel-swapped,
//	                     spatially flipped w (conv_flip; nil unless needDX),
//	                     cached per weight tensor with its repack until w
//	                     is written (flip.go).
func (b *Backend) Conv2DBackward(x, w, y, dy backend.Tensor, act backend.Activation, hasBias, needDX bool) (dx, dw, db backend.Tensor) {
	xt, wt, yt, dyt := tensorOf(x), tensorOf(w), tensorOf(y), tensorOf(dy)
	xs, ws := xt.s, wt.s
	k := ws.H
	if ws.W != k || k%2 == 0 || ws.C != xs.C {
		panic(fmt.Sprintf("gpu: Conv2DBackward: input %v, weights %v", xs, ws))
	}
	cin, cout := xs.C, ws.N
	ys := backend.Shape{N: xs.N, C: cout, H: xs.H, W: xs.W}
	mustSameShape("Conv2DBackward output", ys, yt.s)
	mustSameShape("Conv2DBackward output gradient", ys, dyt.s)

	g := dyt
	if act != backend.Linear {
		g = b.newTensor(ys)
		n := ys.Len()
		actBackwardKernel.run(b, b.grid1D(n), activateParams{N: uint32(n), Act: uint32(act)}, dyt, yt, g)
	}
	hw := xs.H * xs.W

	if hasBias {
		// db is (1,Cout,1,1)
		dbt := b.newTensor(backend.Shape{N: 1, C: cout, H: 1, W: 1})
		convDBKernel.run(b, b.groups(cout), convDBParams{Cout: uint32(cout), N: uint32(xs.N), HW: uint32(hw)}, g, dbt)
		db = dbt
	}

	// dw is (Cout,Cin,k,k)
	dwt := b.newTensor(ws)
	switch {
	case k == 1 && hw == 1:
		convDWFCKernel.run(b, b.grid1D(cout*cin), convDWFCParams{N: uint32(xs.N), Cin: uint32(cin), Cout: uint32(cout)}, g, xt, dwt)
	case k == 3 && !b.genericWeightGrad:
		b.weightGrad3x3(g, xt, dwt)
	case k == 1 && !b.genericWeightGrad:
		b.weightGrad1x1(g, xt, dwt)
	default:
		chunks := (k*k + dwTaps - 1) / dwTaps
		p := convDWParams{N: uint32(xs.N), Cin: uint32(cin), Cout: uint32(cout), H: uint32(xs.H), W: uint32(xs.W), K: uint32(k), Chunks: uint32(chunks)}
		convDWKernel.run(b, b.groups(cout*cin*chunks), p, g, xt, dwt)
	}
	dw = dwt

	if needDX {
		wf, owned := b.flippedWeights(wt) // (Cin,Cout,k,k), cached with its repack (flip.go)
		dx = b.conv2D(g, wf, nil, backend.Linear, !owned)
		if owned {
			b.Free(wf)
		}
	}
	if g != dyt {
		b.Free(g)
	}
	return dx, dw, db
}

// weightGrad3x3 records dw (Cout,Cin,3,3) = the weight gradient of a 3×3
// convolution from g (N,Cout,H,W) and x (N,Cin,H,W), chunked as
// conv_dw3x3.wgsl documents: bands of rb rows × groups of sq 8-pixel strips.
// Chunks of about dwChunkPixels pixels, smaller while there are fewer than
// dwMinItems work items, larger while one image's partials would pass
// dwMaxPartial floats.
func (b *Backend) weightGrad3x3(g, x, dw *Tensor) {
	s := x.s
	cig, cog := ceilDiv(s.C, dw3CI), ceilDiv(dw.s.N, dw3CO)
	qw := ceilDiv(s.W, 8)
	rb := min(s.H, dw3Rows)
	sq := max(1, min(qw, dwChunkPixels/(8*rb)))
	perImage := func() int { return ceilDiv(s.H, rb) * ceilDiv(qw, sq) }
	for cig*cog*s.N*perImage() < dwMinItems && (sq > 1 || rb > 1) {
		if sq > 1 {
			sq = ceilDiv(sq, 2)
		} else {
			rb = ceilDiv(rb, 2)
		}
	}
	for perImage()*dw.s.Len() > dwMaxPartial && (sq < qw || rb < s.H) {
		if sq < qw {
			sq = min(qw, 2*sq)
		} else {
			rb = min(s.H, 2*rb)
		}
	}
	bands, groups := ceilDiv(s.H, rb), ceilDiv(qw, sq)
	macs := rb * sq * 8 * 9 * dw3CI * dw3CO
	weightGradChunked(b, convDW3x3Kernel, g, x, dw, bands*groups, cig*cog, macs, func(n0, item0, count int) convDW3x3Params {
		return convDW3x3Params{Cin: uint32(s.C), Cout: uint32(dw.s.N), H: uint32(s.H), W: uint32(s.W), QW: uint32(qw), RB: uint32(rb), SQ: uint32(sq),
			Bands: uint32(bands), Groups: uint32(groups), CIG: uint32(cig), COG: uint32(cog), N0: uint32(n0), Item0: uint32(item0), Count: uint32(count)}
	})
}

// weightGrad1x1 records dw (Cout,Cin,1,1) = the weight gradient of a 1×1
// convolution from g (N,Cout,H,W) and x (N,Cin,H,W), chunked as
// conv_dw1x1.wgsl documents: runs of about dwChunkPixels pixels of a plane,
// fewer while there are fewer than dwMinItems work items, more while one
// image's partials would pass dwMaxPartial floats.
func (b *Backend) weightGrad1x1(g, x, dw *Tensor) {
	s := x.s
	hw := s.H * s.W
	cig, cog := ceilDiv(s.C, dw1CI), ceilDiv(dw.s.N, dw1CO)
	rpi := ceilDiv(hw, 8)
	runs := max(1, min(rpi, dwChunkPixels/8))
	for cig*cog*s.N*ceilDiv(rpi, runs) < dwMinItems && runs > 1 {
		runs = ceilDiv(runs, 2)
	}
	for ceilDiv(rpi, runs)*dw.s.Len() > dwMaxPartial && runs < rpi {
		runs = min(rpi, 2*runs)
	}
	cpi := ceilDiv(rpi, runs)
	macs := runs * 8 * dw1CI * dw1CO
	weightGradChunked(b, convDW1x1Kernel, g, x, dw, cpi, cig*cog, macs, func(n0, item0, count int) convDW1x1Params {
		return convDW1x1Params{Cin: uint32(s.C), Cout: uint32(dw.s.N), HW: uint32(hw), Runs: uint32(runs), RPI: uint32(rpi), CPI: uint32(cpi),
			CIG: uint32(cig), COG: uint32(cog), N0: uint32(n0), Item0: uint32(item0), Count: uint32(count)}
	})
}

// weightGradChunked records the kernel k (conv_dw3x3 or conv_dw1x1) over
// all images of x (N,Cin,H,W), with perImage chunks per image, tiles work
// items per chunk and about macs multiply-adds per item, then sums the
// chunks' partials into dw with conv_dw_sum. The images go in passes of as
// many as keep the partials (chunks, len(dw)) within dwMaxPartial floats
// (each pass after the first adds to dw); a pass's items go in dispatches
// of at most dwDispatchMACs multiply-adds. params(n0, item0, count) gives
// the kernel's parameters for the dispatch of items item0..item0+count−1
// of the pass starting at image n0. With one chunk in all, the kernel
// writes dw directly.
func weightGradChunked[P any](b *Backend, k kernelDef[P], g, x, dw *Tensor, perImage, tiles, macs int, params func(n0, item0, count int) P) {
	m := dw.s.Len()
	limit := min(dwMaxPartial, int(b.limits.MaxStorageBufferBindingSize/4))
	imgs := max(1, min(x.s.N, limit/(perImage*m)))
	perDispatch := max(dwWG, dwDispatchMACs/macs/dwWG*dwWG)
	for n0 := 0; n0 < x.s.N; n0 += imgs {
		chunks := min(imgs, x.s.N-n0) * perImage
		part := dw
		if chunks > 1 || x.s.N > imgs {
			part = b.newTensor(backend.Shape{N: 1, C: 1, H: chunks, W: m})
		}
		items := chunks * tiles
		for i0 := 0; i0 < items; i0 += perDispatch {
			count := min(perDispatch, items-i0)
			k.run(b, b.groups(ceilDiv(count, dwWG)), params(n0, i0, count), g, x, part)
		}
		if part != dw {
			convDWSumKernel.run(b, b.grid1D(m), convDWSumParams{M: uint32(m), Chunks: uint32(chunks), Acc: boolWord(n0 > 0)}, part, dw)
			b.Free(part)
		}
	}
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Params of the convolution backward kernels, as in their shaders
// (act_backward takes activateParams).
type (
	convDBParams    struct{ Cout, N, HW uint32 }
	convDWFCParams  struct{ N, Cin, Cout uint32 }
	convDWParams    struct{ N, Cin, Cout, H, W, K, Chunks uint32 }
	convFlipParams  struct{ N, Cout, Cin, KK uint32 }
	convDWSumParams struct{ M, Chunks, Acc uint32 }
	convDW3x3Params struct{ Cin, Cout, H, W, QW, RB, SQ, Bands, Groups, CIG, COG, N0, Item0, Count uint32 }
	convDW1x1Params struct{ Cin, Cout, HW, Runs, RPI, CPI, CIG, COG, N0, Item0, Count uint32 }
)

var (
	actBackwardKernel = defineKernel[activateParams]("act_backward", Read, Read, ReadWrite)
	convDBKernel      = defineKernel[convDBParams]("conv_db", Read, ReadWrite)
	convDWFCKernel    = defineKernel[convDWFCParams]("conv_dw_fc", Read, Read, ReadWrite)
	convDWKernel      = defineKernel[convDWParams]("conv_dw", Read, Read, ReadWrite)
	convFlipKernel    = defineKernel[convFlipParams]("conv_flip", Read, ReadWrite)
	convDWSumKernel   = defineKernel[convDWSumParams]("conv_dw_sum", Read, ReadWrite)
	convDW3x3Kernel   = defineKernel[convDW3x3Params]("conv_dw3x3", Read, Read, ReadWrite)
	convDW1x1Kernel   = defineKernel[convDW1x1Params]("conv_dw1x1", Read, Read, ReadWrite)
)
