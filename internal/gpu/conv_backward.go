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
//	                     spatially flipped w (conv_flip; nil unless needDX).
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
		b.dispatch(b.kernel("act_backward", Read, Read, ReadWrite), b.grid1D(n),
			[]uint32{uint32(n), uint32(act)}, dyt, yt, g)
	}
	hw := xs.H * xs.W

	if hasBias {
		// db is (1,Cout,1,1)
		dbt := b.newTensor(backend.Shape{N: 1, C: cout, H: 1, W: 1})
		b.dispatch(b.kernel("conv_db", Read, ReadWrite), b.groups(cout),
			[]uint32{uint32(cout), uint32(xs.N), uint32(hw)}, g, dbt)
		db = dbt
	}

	// dw is (Cout,Cin,k,k)
	dwt := b.newTensor(ws)
	switch {
	case k == 1 && hw == 1:
		b.dispatch(b.kernel("conv_dw_fc", Read, Read, ReadWrite), b.grid1D(cout*cin),
			[]uint32{uint32(xs.N), uint32(cin), uint32(cout)}, g, xt, dwt)
	case k == 3:
		b.weightGrad3x3(g, xt, dwt)
	case k == 1:
		b.weightGrad1x1(g, xt, dwt)
	default:
		chunks := (k*k + dwTaps - 1) / dwTaps
		p := []uint32{uint32(xs.N), uint32(cin), uint32(cout), uint32(xs.H), uint32(xs.W), uint32(k), uint32(chunks)}
		b.dispatch(b.kernel("conv_dw", Read, Read, ReadWrite), b.groups(cout*cin*chunks), p, g, xt, dwt)
	}
	dw = dwt

	if needDX {
		// wf is (Cin,Cout,k,k)
		wf := b.newTensor(backend.Shape{N: cin, C: cout, H: k, W: k})
		n := ws.Len()
		b.dispatch(b.kernel("conv_flip", Read, ReadWrite), b.grid1D(n),
			[]uint32{uint32(n), uint32(cout), uint32(cin), uint32(k * k)}, wt, wf)
		dx = b.Conv2D(g, wf, nil, backend.Linear)
		b.Free(wf)
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
	b.weightGradChunked("conv_dw3x3", g, x, dw, bands*groups, cig*cog, macs, func(n0 int) []uint32 {
		return []uint32{uint32(s.C), uint32(dw.s.N), uint32(s.H), uint32(s.W), uint32(qw), uint32(rb), uint32(sq),
			uint32(bands), uint32(groups), uint32(cig), uint32(cog), uint32(n0)}
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
	b.weightGradChunked("conv_dw1x1", g, x, dw, cpi, cig*cog, macs, func(n0 int) []uint32 {
		return []uint32{uint32(s.C), uint32(dw.s.N), uint32(hw), uint32(runs), uint32(rpi), uint32(cpi),
			uint32(cig), uint32(cog), uint32(n0)}
	})
}

// weightGradChunked records the kernel name (conv_dw3x3 or conv_dw1x1) over
// all images of x (N,Cin,H,W), with perImage chunks per image, tiles work
// items per chunk and about macs multiply-adds per item, then sums the
// chunks' partials into dw with conv_dw_sum. The images go in passes of as
// many as keep the partials (chunks, len(dw)) within dwMaxPartial floats
// (each pass after the first adds to dw); a pass's items go in dispatches
// of at most dwDispatchMACs multiply-adds. params(n0) gives the kernel's
// parameters for the pass starting at image n0, to which the dispatch's
// first item and item count are appended. With one chunk in all, the
// kernel writes dw directly.
func (b *Backend) weightGradChunked(name string, g, x, dw *Tensor, perImage, tiles, macs int, params func(n0 int) []uint32) {
	m := dw.s.Len()
	limit := min(dwMaxPartial, int(b.limits.MaxStorageBufferBindingSize/4))
	imgs := max(1, min(x.s.N, limit/(perImage*m)))
	perDispatch := max(dwWG, dwDispatchMACs/macs/dwWG*dwWG)
	k := b.kernel(name, Read, Read, ReadWrite)
	sum := b.kernel("conv_dw_sum", Read, ReadWrite)
	for n0 := 0; n0 < x.s.N; n0 += imgs {
		chunks := min(imgs, x.s.N-n0) * perImage
		part := dw
		if chunks > 1 || x.s.N > imgs {
			part = b.newTensor(backend.Shape{N: 1, C: 1, H: chunks, W: m})
		}
		p := params(n0)
		items := chunks * tiles
		for i0 := 0; i0 < items; i0 += perDispatch {
			count := min(perDispatch, items-i0)
			b.dispatch(k, b.groups(ceilDiv(count, dwWG)), append(p, uint32(i0), uint32(count)), g, x, part)
		}
		if part != dw {
			acc := uint32(0)
			if n0 > 0 {
				acc = 1
			}
			b.dispatch(sum, b.grid1D(m), []uint32{uint32(m), uint32(chunks), acc}, part, dw)
			b.Free(part)
		}
	}
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }
