package cpu

import (
	"math"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// dotTile, on platforms that have one (wgrad_amd64.go: AVX-512, or AVX2
// and FMA), computes a 4×6 tile of dot products of n floats (n a multiple
// of 16): row i < 4 of g starts at g[goffs[i]], column j < 6 of x at
// x[xoffs[j]], and out[(6i+j)·4 + l] (l < 4) receives one of four partial
// sums of their product, which the caller adds up as (l0 + l1) + (l2 + l3).
// How the elements fall into the four is the kernel's, fixed for it (the
// AVX-512 kernel: lanes l, l+4, l+8, l+12 of sixteen, as dotTileGo), so
// a machine always sums in the same order. With no kernel, Conv2DBackward
// runs the im2col product instead.
var dotTile func(n int, g []float32, goffs *[4]int, x []float32, xoffs *[6]int, out *[96]float32)

// dotBlock, where set (gemm_wasm.go: the WebAssembly SIMD kernel, on a
// platform without dotTile), computes a work item's dot products a chunk
// at a time, the whole block of rows by taps in one call.
var dotBlock *dotBlockKernel

// dotBlockKernel is a kernel for dotBlock.
type dotBlockKernel struct {
	// use reports whether Conv2DBackward of an input of shape x runs on
	// the kernel (loading it on first use); where not, it runs the im2col
	// product.
	use func(x backend.Shape) bool
	// run sets out[i·ldo + j] for i < rows, j < len(xByteOffs), or adds to
	// it with accumulate, the dot product of n floats of g from
	// g[gOff + i·gRow] and of x from x[xOff + xByteOffs[j]/4], each summed
	// in an order that depends on n alone.
	run func(out []float32, ldo int, g []float32, gOff, gRow, rows int, x []float32, xOff int, xByteOffs []int32, n int, accumulate bool)
}

// dotPath reports whether Conv2DBackward of an input of shape x takes the
// dot-product path (convBackwardDot): where dotTile exists, or dotBlock
// takes x.
func dotPath(x backend.Shape) bool { return dotTile != nil || dotBlock != nil && dotBlock.use(x) }

const (
	dotChunk     = 8192    // the most floats of a dot product per kernel call (fewer calls, fewer lane folds; measured best of 512–65536)
	dotSuperRun  = 8       // chunks summed into one partial gradient
	dotPartials  = 1 << 20 // the most floats of partial gradients held at once
	dotCoTiles   = 8       // 4-row tiles of Cout per work item
	dotTapTiles  = 8       // 6-column tiles of Cin·k·k per work item
	dotTileRows  = 4
	dotTileCols  = 6
	dotTileLanes = 4
	dotTail      = 16 // zeroed floats after the padded planes
)

// dotChunkOf is one stretch of the weight gradient's dot products: n
// floats from g offset gOff and x offset xOff (added to the row offsets).
type dotChunkOf struct{ gOff, xOff, n int }

// padGeom is the layout of the zero-padded planes of a k×k convolution's
// backward on the dot-product path: every (n, c) plane is plane floats,
// hp×wp rows of the image with r = k/2 zeros around it (then alignment
// padding, zero), at stride plane, as Conv2D pads its input; for k = 1 the
// plane is the image itself.
type padGeom struct {
	n, h, w, r, hp, wp, plane int
}

func newPadGeom(s backend.Shape, k int) padGeom {
	r := k / 2
	g := padGeom{n: s.N, h: s.H, w: s.W, r: r, hp: s.H + 2*r, wp: s.W + 2*r}
	g.plane = g.hp * g.wp
	if r > 0 {
		// an odd number of 64-byte lines, as in conv2D
		g.plane += (48 - g.plane%32) % 32
	}
	return g
}

// padPlanes copies the c planes of each image of src (N,c,H,W) into dst
// (N·c planes of geo), each through f (which maps a source row to its
// destination row and may read the same row of other tensors), zeroing the
// borders; the 2r floats after the last plane are zeroed too (a product's
// last rows run into them).
func (b *Backend) padPlanes(dst []float32, geo padGeom, c int, f func(nc, y int, dst []float32)) {
	r, wp := geo.r, geo.wp
	parallel(b.Threads, geo.n*c, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			d := dst[nc*geo.plane : (nc+1)*geo.plane]
			clear(d[:r*wp+r])
			for y := 0; y < geo.h; y++ {
				at := (y+r)*wp + r
				f(nc, y, d[at:at+geo.w])
				if y < geo.h-1 {
					clear(d[at+geo.w : at+geo.w+2*r])
				}
			}
			clear(d[(geo.h-1+r)*wp+r+geo.w:])
		}
	})
	clear(dst[geo.n*c*geo.plane:])
}

// convBackwardDot is Conv2DBackward where dotPath holds: g = dy⊙act'(y)
// is written once, zero-padded as Conv2D pads its input (with db's sums
// taken on the way), and both products read it: dx as the convolution of
// the padded g with the flipped, transposed weights (convPadded), dw as
// dot products of g's rows with x's shifted rows (weightGradPadded).
func (b *Backend) convBackwardDot(x, w, y, dy *Tensor, act backend.Activation, hasBias, needDX bool) (dx, dw, db *Tensor) {
	k, cout, cin := w.S.H, w.S.N, w.S.C
	geo := newPadGeom(x.S, k)
	// gp is (N,Cout) planes of geo
	gp := b.scratch(geo.n*cout*geo.plane + 2*geo.r + dotTail)
	defer b.release(gp)
	var sums []float64 // Σ g per (n, co) plane
	if hasBias {
		sums = make([]float64, geo.n*cout)
	}
	b.padPlanes(gp, geo, cout, func(nc, row int, dst []float32) {
		at := (nc*geo.h + row) * geo.w
		ys, ds := y.Data[at:at+geo.w], dy.Data[at:at+geo.w]
		preActRow(dst, ys, ds, act)
		if sums != nil {
			sums[nc] += sumF64(dst)
		}
	})
	if hasBias {
		db = b.alloc(backend.Shape{N: 1, C: cout, H: 1, W: 1})
		for co := range cout {
			sum := 0.0
			for n := 0; n < geo.n; n++ {
				sum += sums[n*cout+co]
			}
			db.Data[co] = float32(sum)
		}
	}
	if needDX {
		wT := b.flipTranspose(w)
		dx = b.alloc(x.S)
		if k == 1 {
			b.conv2D(dx, &Tensor{S: dy.S, Data: gp[:dy.S.Len()]}, wT, nil, backend.Linear)
		} else {
			b.convPadded(dx, gp, geo, wT)
		}
		b.Free(wT)
	}
	dw = b.alloc(w.S)
	b.weightGradPadded(dw.Data, x, gp, geo, cout, cin, k)
	return dx, dw, db
}

// preActRow writes dy⊙act'(y) for one row, or any run of elements (ReLU:
// dy where y > 0, Sigmoid: dy·y·(1−y), Linear: dy).
func preActRow(dst, ys, ds []float32, act backend.Activation) {
	ds, dst = ds[:len(ys)], dst[:len(ys)]
	switch act {
	case backend.ReLU:
		// without a branch that mispredicts on every other pixel: the mask
		// is all ones for the bits of a positive float (not ±0, not negative)
		for i, v := range ys {
			m := int32(math.Float32bits(v))
			mask := ^uint32((m-1)>>31) & ^uint32(m>>31)
			dst[i] = math.Float32frombits(math.Float32bits(ds[i]) & mask)
		}
	case backend.Sigmoid:
		for i, v := range ys {
			dst[i] = ds[i] * v * (1 - v)
		}
	default:
		copy(dst, ds)
	}
}

// convPadded writes to out (N,Cout',H,W) the k×k convolution (no bias, no
// activation) of the input whose Cin' planes per image are already padded
// in src as geo lays them out, by weights wt (Cout',Cin',k,k): conv2D's
// matrix product without its padding copy.
func (b *Backend) convPadded(out *Tensor, src []float32, geo padGeom, wt *Tensor) {
	ws := wt.S
	cin, cout, k := ws.C, ws.N, ws.H
	h, wd, wp, plane := geo.h, geo.w, geo.wp, geo.plane
	mpad := (cout + mr - 1) / mr * mr
	K := cin * k * k
	ap := b.scratch(mpad * K)
	defer b.release(ap)
	g := gemmJob{ap: packA(ap, wt.Data, cout, K), mpad: mpad, cols: h * wp,
		bias: make([]float32, mpad)}
	g.setTapOffsets(cin, k, plane, wp)
	jobs := make([]gemmJob, geo.n)
	for n := range jobs {
		jobs[n] = g
		jobs[n].b = src[n*cin*plane : (n+1)*cin*plane+2*geo.r]
	}
	b.runConvJobs(out, jobs, cout, h, wd, wp, false, backend.Linear)
}

// weightGradPadded writes to dw (Cout,Cin,k,k) Σ_{n,y,x} g[n,co,y,x] ·
// x[n,ci,y+ky−k/2,x+kx−k/2] for x (N,Cin,H,W) and g in gp, (N,Cout) planes
// laid out by geo, without an im2col matrix: every element of dw is a dot
// product of a row of g with a shifted row of x, which dotTile computes
// four output channels by six taps at a time.
//
// For k = 1 the rows are g's and x's planes, image by image. For k > 1, x
// is copied into zero-padded planes like g's; in both, g[n,co,y,x] sits at
// the same place relative to its plane's first interior element,
// (y·Wp + x), as x's tap (ci,ky,kx) relative to x's plane start shifted by
// ky·Wp+kx, and the columns between the rows are zero in g. So one dot
// product runs over the H·Wp floats of a plane from there.
//
// The rows are cut into chunks of dotChunk floats; runs of dotSuperRun
// chunks sum into partial gradients (as few as fit in dotPartials floats),
// which are added in order at the end. Work items are a run by a block of
// output channels by a block of taps; each element of dw is summed in the
// same order whichever goroutine computes it, so the result does not depend
// on the number of threads.
func (b *Backend) weightGradPadded(dw []float32, x *Tensor, gp []float32, geo padGeom, cout, cin, k int) {
	K := cin * k * k
	if x.S.Len() == 0 {
		clear(dw)
		return
	}
	xsrc := x.Data
	if k > 1 {
		// xp is (N,Cin) planes of geo
		xp := b.scratch(geo.n*cin*geo.plane + 2*geo.r + dotTail)
		defer b.release(xp)
		b.padPlanes(xp, geo, cin, func(nc, row int, dst []float32) {
			copy(dst, x.Data[(nc*geo.h+row)*geo.w:(nc*geo.h+row+1)*geo.w])
		})
		xsrc = xp
	}
	xOffs := tapOffsets(cin, k, geo.plane, geo.wp) // start of each tap's row in xsrc, relative to its image
	var chunks []dotChunkOf
	first := geo.r*geo.wp + geo.r // g's first interior element in its plane
	length := (geo.h-1)*geo.wp + geo.w
	// Up to 15 more floats, where g's plane has that many zeros left (its
	// bottom border), round the products to whole vectors: x's reads past
	// its plane run into the next one or the zeroed tail (dotTail), times
	// those zeros.
	if l := (length + 15) &^ 15; geo.r > 0 && first+l <= geo.plane {
		length = l
	}
	// chunks of at most dotChunk floats, of equal lengths in whole vectors
	// but for the last
	per := (length + dotChunk - 1) / dotChunk
	size := ((length+per-1)/per + 15) &^ 15
	for n := 0; n < geo.n; n++ {
		for q := 0; q < length; q += size {
			chunks = append(chunks, dotChunkOf{gOff: n*cout*geo.plane + first + q, xOff: n*cin*geo.plane + q, n: min(size, length-q)})
		}
	}
	b.dotProducts(dw, cout, K, gp, geo.plane, xsrc, xOffs, chunks)
}

// dotProducts writes dw[co·K + j] = Σ over chunks of the dot product of g's
// row co (gsrc[chunk.gOff + co·gRow:], chunk.n floats) with x's row j
// (xsrc[chunk.xOff + xOffs[j]:]); see weightGradPadded for the order.
func (b *Backend) dotProducts(dw []float32, cout, K int, gsrc []float32, gRow int, xsrc []float32, xOffs []int, chunks []dotChunkOf) {
	runs := (len(chunks) + dotSuperRun - 1) / dotSuperRun
	runs = max(1, min(runs, dotPartials/max(1, cout*K)))
	perRun := (len(chunks) + runs - 1) / runs
	runs = (len(chunks) + perRun - 1) / perRun
	parts := [][]float32{dw}
	if runs > 1 {
		buf := b.scratch(runs * cout * K)
		defer b.release(buf)
		parts = make([][]float32, runs)
		for s := range parts {
			parts[s] = buf[s*cout*K : (s+1)*cout*K]
		}
	}
	coTiles := (cout + dotTileRows - 1) / dotTileRows
	tapTiles := (K + dotTileCols - 1) / dotTileCols
	coBlocks := (coTiles + dotCoTiles - 1) / dotCoTiles
	tapBlocks := (tapTiles + dotTapTiles - 1) / dotTapTiles
	worker := func() func(int) {
		// one worker's tile buffers (passed to dotTile by pointer: made
		// once here, not once per call)
		var out [96]float32
		var xo [dotTileCols]int
		var gofs [dotTileRows]int
		return func(item int) {
			s, rest := item/(coBlocks*tapBlocks), item%(coBlocks*tapBlocks)
			cb, tb := rest/tapBlocks, rest%tapBlocks
			part := parts[s]
			for c := s * perRun; c < min(len(chunks), (s+1)*perRun); c++ {
				ch := chunks[c]
				first := c == s*perRun
				n16 := ch.n &^ 15
				for tt := tb * dotTapTiles; tt < min(tapTiles, (tb+1)*dotTapTiles); tt++ {
					for j := range xo {
						xo[j] = ch.xOff + xOffs[min(tt*dotTileCols+j, K-1)] // taps past K repeat the last
					}
					// rows past Cout repeat the last one; their sums are dropped
					for ct := cb * dotCoTiles; ct < min(coTiles, (cb+1)*dotCoTiles); ct++ {
						for i := range gofs {
							gofs[i] = ch.gOff + min(ct*dotTileRows+i, cout-1)*gRow
						}
						if n16 > 0 {
							dotTile(n16, gsrc, &gofs, xsrc, &xo, &out)
						} else {
							out = [96]float32{}
						}
						for i := 0; i < dotTileRows && ct*dotTileRows+i < cout; i++ {
							for j := 0; j < dotTileCols && tt*dotTileCols+j < K; j++ {
								o := out[(i*dotTileCols+j)*dotTileLanes:]
								v := (o[0] + o[1]) + (o[2] + o[3])
								if n16 < ch.n {
									gr, xr := gsrc[gofs[i]+n16:gofs[i]+ch.n], xsrc[xo[j]+n16:xo[j]+ch.n]
									for q, gv := range gr {
										v += gv * xr[q]
									}
								}
								at := (ct*dotTileRows+i)*K + tt*dotTileCols + j
								if first {
									part[at] = v
								} else {
									part[at] += v
								}
							}
						}
					}
				}
			}
		}
	}
	if dotBlock != nil {
		worker = dotBlockWorker(parts, cout, K, gsrc, gRow, xsrc, xOffs, chunks, perRun, coBlocks, tapBlocks)
	}
	dynamicParallel(b.Threads, runs*coBlocks*tapBlocks, worker)
	if runs > 1 {
		parallel(b.Threads, cout*K, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				v := parts[0][i]
				for _, p := range parts[1:] {
					v += p[i]
				}
				dw[i] = v
			}
		})
	}
}

// dotBlockWorker is dotProducts' worker on dotBlock: an item's block of
// dotCoTiles·4 rows by dotTapTiles·6 taps, one kernel call per chunk of its
// run (each element summed in the order dotTile's path sums it: chunk by
// chunk into the run's partial gradient).
func dotBlockWorker(parts [][]float32, cout, K int, gsrc []float32, gRow int, xsrc []float32, xOffs []int, chunks []dotChunkOf, perRun, coBlocks, tapBlocks int) func() func(int) {
	xByteOffs := make([]int32, K)
	for j, o := range xOffs {
		xByteOffs[j] = int32(4 * o)
	}
	return func() func(int) {
		return func(item int) {
			s, rest := item/(coBlocks*tapBlocks), item%(coBlocks*tapBlocks)
			cb, tb := rest/tapBlocks, rest%tapBlocks
			co0, co1 := cb*dotCoTiles*dotTileRows, min(cout, (cb+1)*dotCoTiles*dotTileRows)
			j0, j1 := tb*dotTapTiles*dotTileCols, min(K, (tb+1)*dotTapTiles*dotTileCols)
			for c := s * perRun; c < min(len(chunks), (s+1)*perRun); c++ {
				ch := chunks[c]
				dotBlock.run(parts[s][co0*K+j0:], K, gsrc, ch.gOff+co0*gRow, gRow, co1-co0,
					xsrc, ch.xOff, xByteOffs[j0:j1], ch.n, c != s*perRun)
			}
		}
	}
}

// dotTileGo is dotTile in plain Go, lane by lane as the assembly kernels
// sum (without their fused multiply-adds): the tests' stand-in where no
// kernel exists, and their reference for the kernels.
func dotTileGo(n int, g []float32, goffs *[4]int, x []float32, xoffs *[6]int, out *[96]float32) {
	for i, gof := range goffs {
		gr := g[gof : gof+n]
		for j, xof := range xoffs {
			xr := x[xof : xof+n]
			var lanes [16]float32
			for q, v := range gr {
				lanes[q%16] += v * xr[q]
			}
			o := out[(i*6+j)*4 : (i*6+j+1)*4]
			for l := range o {
				o[l] = (lanes[l] + lanes[l+8]) + (lanes[l+4] + lanes[l+12])
			}
		}
	}
}
