package cpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// colsBudget bounds the floats of one block of the weight gradient's
// transposed im2col matrix (16 MiB).
const colsBudget = 1 << 22

// Conv2DBackward is the gradient of y = act(conv(x, w) + bias) for x
// (N,Cin,H,W), w (Cout,Cin,k,k), y and dy (N,Cout,H,W); act' is taken from y
// (ReLU: y > 0, Sigmoid: y(1−y)). With g = dy⊙act'(y):
//
//	db[co]            = Σ_{n,y,x} g[n,co,y,x]                        (1,Cout,1,1), only if hasBias
//	dx                = conv(g, w with ci↔co swapped and taps flipped) (N,Cin,H,W),  only if needDX
//	dw[co,ci,ky,kx]   = Σ_{n,y,x} g[n,co,y,x]·x[n,ci,y+ky−k/2,x+kx−k/2] (Cout,Cin,k,k), x zero outside
//
// Where the platform has a dot-product kernel (dotTile: AVX-512 or AVX2;
// dotBlock: WebAssembly SIMD),
// convBackwardDot (wgrad.go) computes all three from one zero-padded copy
// of g, dw as dot products without an im2col matrix. Elsewhere dx and dw
// are matrix products run by Conv2D: dx as a k×k convolution, dw as 1×1
// convolutions of g against blocks of the transposed im2col matrix of x
// (see weightGrad).
func (b *Backend) Conv2DBackward(x, w, y, dy backend.Tensor, act backend.Activation, hasBias, needDX bool) (dx, dw, db backend.Tensor) {
	xt, wt, yt, dyt := host(x), host(w), host(y), host(dy)
	xs, ws := xt.S, wt.S
	k := ws.H
	if ws.W != k || k%2 == 0 || ws.C != xs.C {
		panic(fmt.Sprintf("cpu: Conv2DBackward: input %v, weights %v", xs, ws))
	}
	ys := backend.Shape{N: xs.N, C: ws.N, H: xs.H, W: xs.W}
	mustSameShape("Conv2DBackward", yt.S, ys)
	mustSameShape("Conv2DBackward", dyt.S, ys)

	if dotPath(xs) {
		dxt, dwt, dbt := b.convBackwardDot(xt, wt, yt, dyt, act, hasBias, needDX)
		return tensorOrNil(dxt), dwt, tensorOrNil(dbt)
	}
	g := b.preActGrad(yt, dyt, act)
	if g != dyt {
		defer b.Free(g)
	}
	if hasBias {
		db = b.biasGrad(g)
	}
	if needDX {
		wT := b.flipTranspose(wt)
		dx = b.Conv2D(g, wT, nil, backend.Linear)
		b.Free(wT)
	}
	return dx, b.weightGrad(xt, g, k), db
}

// tensorOrNil returns t as a backend.Tensor, nil (not a typed nil) if t is.
func tensorOrNil(t *Tensor) backend.Tensor {
	if t == nil {
		return nil
	}
	return t
}

// preActGrad returns g = dy⊙act'(y) (y's shape), act' taken from the
// activation's output y; with no activation, g is dy itself.
func (b *Backend) preActGrad(y, dy *Tensor, act backend.Activation) *Tensor {
	if act == backend.Linear {
		return dy
	}
	g := b.alloc(y.S)
	parallel(b.Threads, len(g.Data), func(lo, hi int) {
		preActRow(g.Data[lo:hi], y.Data[lo:hi], dy.Data[lo:hi], act)
	})
	return g
}

// biasGrad returns Σ_{n,h,w} g (1,C,1,1) for g (N,C,H,W), summed in float64.
func (b *Backend) biasGrad(g *Tensor) *Tensor {
	s := g.S
	db := b.alloc(backend.Shape{N: 1, C: s.C, H: 1, W: 1})
	plane := s.H * s.W
	parallel(b.Threads, s.C, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			sum := 0.0
			for n := 0; n < s.N; n++ {
				for _, v := range g.Data[(n*s.C+c)*plane : (n*s.C+c+1)*plane] {
					sum += float64(v)
				}
			}
			db.Data[c] = float32(sum)
		}
	})
	return db
}

// flipTranspose returns wT (Cin,Cout,k,k) with wT[ci,co,ky,kx] =
// w[co,ci,k−1−ky,k−1−kx] for w (Cout,Cin,k,k): the weights whose
// convolution is the transpose of w's.
func (b *Backend) flipTranspose(w *Tensor) *Tensor {
	s := w.S
	k := s.H
	// wT is (Cin,Cout,k,k)
	wT := b.alloc(backend.Shape{N: s.C, C: s.N, H: k, W: k})
	for co := 0; co < s.N; co++ {
		for ci := 0; ci < s.C; ci++ {
			src := w.Data[(co*s.C+ci)*k*k:]
			dst := wT.Data[(ci*s.N+co)*k*k:]
			for t := 0; t < k*k; t++ {
				dst[t] = src[k*k-1-t]
			}
		}
	}
	return wT
}

// weightGrad returns dw (Cout,Cin,k,k) = Σ_{n,y,x} g[n,co,y,x] ·
// x[n,ci,y+ky−k/2,x+kx−k/2] for x (N,Cin,H,W) and g (N,Cout,H,W).
//
// The N·H image rows are cut into blocks of R rows (across images, so that
// small planes make few large products). With P = R·W pixels, a block's
// share of dw is the product G·X of G (Cout×P, g's rows) and X (P×k·k·Cin),
// the transposed im2col matrix of x: X[p, (ky,kx,ci)] is the input tap of
// pixel p. That product is the 1×1 convolution of the "image" X, shaped
// (1,P,k·k,Cin), with the weights G, shaped (Cout,P,1,1); its output
// (1,Cout,k·k,Cin) is dw with the taps before the input channels. X is
// copied from the zero-padded input in pixel-major (N,H+k−1,W+k−1,Cin)
// layout, where the k·Cin taps of one pixel in one kernel row are
// contiguous. R keeps X within colsBudget floats; the blocks' products are
// summed.
func (b *Backend) weightGrad(x, g *Tensor, k int) *Tensor {
	xs, cout := x.S, g.S.C
	cin, h, wd, r := xs.C, xs.H, xs.W, k/2
	kk := cin * k * k
	// dw is (Cout,Cin,k,k)
	dw := b.alloc(backend.Shape{N: cout, C: cin, H: k, W: k})
	if xs.Len() == 0 {
		clear(dw.Data)
		return dw
	}
	hp, wp := h+2*r, wd+2*r
	// xp is (N, H+2r, W+2r, Cin), zero outside the copied interior: the
	// border rows are cleared here, the border columns with each row.
	xp := b.scratch(xs.N * hp * wp * cin)
	defer b.release(xp)
	for n := 0; n < xs.N; n++ {
		clear(xp[n*hp*wp*cin : (n*hp+r)*wp*cin])
		clear(xp[(n*hp+r+h)*wp*cin : (n+1)*hp*wp*cin])
	}
	parallel(b.Threads, xs.N*h, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			n, y := j/h, j%h
			row := xp[(n*hp+y+r)*wp*cin : (n*hp+y+r+1)*wp*cin]
			clear(row[:r*cin])
			clear(row[(r+wd)*cin:])
			dst := xp[((n*hp+y+r)*wp+r)*cin:]
			for ci := 0; ci < cin; ci++ {
				for xx, v := range x.Data[((n*cin+ci)*h+y)*wd : ((n*cin+ci)*h+y+1)*wd] {
					dst[xx*cin+ci] = v
				}
			}
		}
	})
	// acc is (Cout, k·k, Cin)
	acc := b.scratch(len(dw.Data))
	defer b.release(acc)
	clear(acc)
	rows := max(1, min(xs.N*h, colsBudget/(wd*kk)))
	colsBuf, gBuf := b.scratch(rows*wd*kk), b.scratch(cout*rows*wd)
	defer b.release(colsBuf)
	defer b.release(gBuf)
	for j0 := 0; j0 < xs.N*h; j0 += rows {
		j1 := min(xs.N*h, j0+rows)
		p := (j1 - j0) * wd
		// cols is (1,P,k·k,Cin), gb (Cout,P,1,1)
		cols := &Tensor{S: backend.Shape{N: 1, C: p, H: k * k, W: cin}, Data: colsBuf[:p*kk]}
		gb := &Tensor{S: backend.Shape{N: cout, C: p, H: 1, W: 1}, Data: gBuf[:cout*p]}
		parallel(b.Threads, j1-j0, func(lo, hi int) {
			for j := j0 + lo; j < j0+hi; j++ {
				n, y := j/h, j%h
				for xx := 0; xx < wd; xx++ {
					dst := cols.Data[((j-j0)*wd+xx)*kk:]
					for ky := 0; ky < k; ky++ {
						src := xp[((n*hp+y+ky)*wp+xx)*cin:]
						copy(dst[ky*k*cin:(ky+1)*k*cin], src[:k*cin])
					}
				}
				for co := 0; co < cout; co++ {
					copy(gb.Data[co*p+(j-j0)*wd:co*p+(j-j0+1)*wd], g.Data[((n*cout+co)*h+y)*wd:])
				}
			}
		})
		part := host(b.Conv2D(cols, gb, nil, backend.Linear))
		for i, v := range part.Data {
			acc[i] += v
		}
		b.Free(part)
	}
	for co := 0; co < cout; co++ {
		for t := 0; t < k*k; t++ {
			for ci := 0; ci < cin; ci++ {
				dw.Data[(co*cin+ci)*k*k+t] = acc[(co*k*k+t)*cin+ci]
			}
		}
	}
	return dw
}
