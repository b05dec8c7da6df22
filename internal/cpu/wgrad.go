package cpu

import (
	"github.com/noise2norm/noise2norm/internal/backend"
)

// dotTile, on platforms that have one (wgrad_amd64.go: AVX-512), computes
// a 4×6 tile of dot products of n floats (n a multiple of 16): row i < 4
// of g starts at g[goffs[i]], column j < 6 of x at x[xoffs[j]], and
// out[(6i+j)·4 + l] (l < 4) receives the partial sum of lanes l, l+4, l+8
// and l+12 of their product (lane m covers the elements at m mod 16), which
// the caller adds up as (l0 + l1) + (l2 + l3). With no kernel, weightGrad
// runs the im2col product instead.
var dotTile func(n int, g []float32, goffs *[4]int, x []float32, xoffs *[6]int, out *[96]float32)

const (
	dotChunk     = 2048    // floats of a dot product per kernel call: 4 g rows and the x rows stay in L1/L2
	dotSuperRun  = 16      // chunks summed into one partial gradient
	dotPartials  = 1 << 20 // the most floats of partial gradients held at once
	dotCoTiles   = 8       // 4-row tiles of Cout per work item
	dotTapTiles  = 8       // 6-column tiles of Cin·k·k per work item
	dotTileRows  = 4
	dotTileCols  = 6
	dotTileLanes = 4
)

// dotChunkOf is one stretch of the weight gradient's dot products: n
// floats from g offset gOff and x offset xOff (added to the row offsets).
type dotChunkOf struct{ gOff, xOff, n int }

// weightGradDot returns dw (Cout,Cin,k,k) = Σ_{n,y,x} g[n,co,y,x] ·
// x[n,ci,y+ky−k/2,x+kx−k/2] for x (N,Cin,H,W) and g (N,Cout,H,W), as
// weightGrad does, without an im2col matrix: every element of dw is a dot
// product of a row of g with a shifted row of x, which dotTile computes
// four output channels by six taps at a time.
//
// For k = 1 the rows are g's and x's channel planes, image by image. For
// k > 1, x is copied into zero-padded planes of Hp×Wp (Hp = H+k−1,
// Wp = W+k−1) laid out channel-major, (Cin, N·Hp·Wp), and g into the same
// layout unpadded, (Cout, N·Hp·Wp) with g[n,co,y,x] at n·Hp·Wp + y·Wp + x and
// zeros elsewhere; tap (ci,ky,kx) is then x's row ci shifted by ky·Wp+kx,
// and one dot product runs over all images at once.
//
// The rows are cut into chunks of dotChunk floats; runs of dotSuperRun
// chunks sum into partial gradients (as few as fit in dotPartials floats),
// which are added in order at the end. Work items are a run by a block of
// output channels by a block of taps; each element of dw is summed in the
// same order whichever goroutine computes it, so the result does not depend
// on the number of threads.
func (b *Backend) weightGradDot(x, g *Tensor, k int) *Tensor {
	xs, cout := x.S, g.S.C
	cin, h, wd, r := xs.C, xs.H, xs.W, k/2
	K := cin * k * k
	// dw is (Cout,Cin,k,k), every element written below
	dw := b.alloc(backend.Shape{N: cout, C: cin, H: k, W: k})
	if xs.Len() == 0 {
		clear(dw.Data)
		return dw
	}
	var gsrc, xsrc []float32
	var gRow int            // distance between g's rows
	xOffs := make([]int, K) // start of each tap's row in xsrc
	var chunks []dotChunkOf
	if k == 1 {
		hw := h * wd
		gsrc, xsrc, gRow = g.Data, x.Data, hw
		for ci := range xOffs {
			xOffs[ci] = ci * hw
		}
		for n := 0; n < xs.N; n++ {
			for q := 0; q < hw; q += dotChunk {
				chunks = append(chunks, dotChunkOf{gOff: n*cout*hw + q, xOff: n*cin*hw + q, n: min(dotChunk, hw-q)})
			}
		}
	} else {
		hp, wp := h+2*r, wd+2*r
		plane := hp * wp
		L := (xs.N*plane + 15) &^ 15
		// gp is (Cout, L), xp (Cin, L) and a tail the last row's shifted
		// reads run into
		gp, xp := b.scratch(cout*L), b.scratch(cin*L+2*r*wp+2*r)
		defer b.release(gp)
		defer b.release(xp)
		parallel(b.Threads, cout*xs.N, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				co, n := j/xs.N, j%xs.N
				dst := gp[co*L+n*plane : co*L+(n+1)*plane]
				for y := 0; y < h; y++ {
					row := dst[y*wp : (y+1)*wp]
					copy(row, g.Data[((n*cout+co)*h+y)*wd:((n*cout+co)*h+y+1)*wd])
					clear(row[wd:])
				}
				clear(dst[h*wp:])
				if n == xs.N-1 {
					clear(gp[co*L+xs.N*plane : (co+1)*L])
				}
			}
		})
		parallel(b.Threads, cin*xs.N, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				ci, n := j/xs.N, j%xs.N
				dst := xp[ci*L+n*plane : ci*L+(n+1)*plane]
				clear(dst[:r*wp])
				for y := 0; y < h; y++ {
					row := dst[(y+r)*wp : (y+r+1)*wp]
					clear(row[:r])
					copy(row[r:], x.Data[((n*cin+ci)*h+y)*wd:((n*cin+ci)*h+y+1)*wd])
					clear(row[r+wd:])
				}
				clear(dst[(r+h)*wp:])
				if n == xs.N-1 {
					clear(xp[ci*L+xs.N*plane : (ci+1)*L])
				}
			}
		})
		clear(xp[cin*L:])
		gsrc, xsrc, gRow = gp, xp, L
		for ci := 0; ci < cin; ci++ {
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					xOffs[(ci*k+ky)*k+kx] = ci*L + ky*wp + kx
				}
			}
		}
		for q := 0; q < L; q += dotChunk {
			chunks = append(chunks, dotChunkOf{gOff: q, xOff: q, n: min(dotChunk, L-q)})
		}
	}
	runs := (len(chunks) + dotSuperRun - 1) / dotSuperRun
	runs = max(1, min(runs, dotPartials/max(1, cout*K)))
	perRun := (len(chunks) + runs - 1) / runs
	runs = (len(chunks) + perRun - 1) / perRun
	parts := [][]float32{dw.Data}
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
	dynamicParallel(b.Threads, runs*coBlocks*tapBlocks, func() func(int) {
		var out [96]float32
		return func(item int) {
			s, rest := item/(coBlocks*tapBlocks), item%(coBlocks*tapBlocks)
			cb, tb := rest/tapBlocks, rest%tapBlocks
			part := parts[s]
			for c := s * perRun; c < min(len(chunks), (s+1)*perRun); c++ {
				ch := chunks[c]
				first := c == s*perRun
				n16 := ch.n &^ 15
				for tt := tb * dotTapTiles; tt < min(tapTiles, (tb+1)*dotTapTiles); tt++ {
					var xo [dotTileCols]int
					for j := range xo {
						xo[j] = ch.xOff + xOffs[min(tt*dotTileCols+j, K-1)] // taps past K repeat the last
					}
					// rows past Cout repeat the last one; their sums are dropped
					for ct := cb * dotCoTiles; ct < min(coTiles, (cb+1)*dotCoTiles); ct++ {
						var gofs [dotTileRows]int
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
	})
	if runs > 1 {
		parallel(b.Threads, cout*K, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				v := parts[0][i]
				for _, p := range parts[1:] {
					v += p[i]
				}
				dw.Data[i] = v
			}
		})
	}
	return dw
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
