package cpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// ncTiles is how many nr-pixel tiles a goroutine computes before it writes
// them out: the mpad×ncTiles·nr block of C it accumulates stays in L2.
const ncTiles = 10

// Conv2D computes out (N,Cout,H,W) = act(conv(x, w) + bias) for x (N,Cin,H,W),
// w (Cout,Cin,k,k) with k odd, bias (1,Cout,1,1) or nil; stride 1, zero
// padding k/2.
//
// Each image is one matrix product C = A·B (see gemm.go): A is w as a
// Cout×(Cin·k·k) matrix, and B's row (ci, ky, kx) is the zero-padded input
// plane ci shifted by (ky, kx). To make every row of B a contiguous window,
// the product is computed on the padded width Wp = W+k−1: column y·Wp+x of C
// is output pixel (y, x), and columns with x ≥ W are discarded. Goroutines
// split the columns; bias and act are applied as C is written out.
func (b *Backend) Conv2D(x, w, bias backend.Tensor, act backend.Activation) backend.Tensor {
	xt, wt := host(x), host(w)
	xs, ws := xt.S, wt.S
	k := ws.H
	if ws.W != k || k%2 == 0 || ws.C != xs.C {
		panic(fmt.Sprintf("cpu: Conv2D: input %v, weights %v", xs, ws))
	}
	cin, cout, h, wd, r := xs.C, ws.N, xs.H, xs.W, k/2
	mpad := (cout + mr - 1) / mr * mr
	bv := make([]float32, mpad)
	if bias != nil {
		bt := host(bias)
		if bt.S != (backend.Shape{N: 1, C: cout, H: 1, W: 1}) {
			panic(fmt.Sprintf("cpu: Conv2D: bias %v for weights %v", bt.S, ws))
		}
		copy(bv, bt.Data)
	}
	// out is (N,Cout,H,W)
	out := NewTensor(backend.Shape{N: xs.N, C: cout, H: h, W: wd})
	if out.S.Len() == 0 {
		return out
	}

	K := cin * k * k
	wp, hp := wd+2*r, h+2*r
	plane := hp * wp
	g := &gemmJob{ap: packA(wt.Data, cout, K), mpad: mpad, offs: make([]int, K), cols: h * wp,
		bias: bv, relu: act == backend.ReLU, tailOffs: make([]int, K)}
	for ci := 0; ci < cin; ci++ {
		for ky := 0; ky < k; ky++ {
			for kx := 0; kx < k; kx++ {
				g.offs[(ci*k+ky)*k+kx] = ci*plane + ky*wp + kx
			}
		}
	}
	g.maxOff = g.offs[K-1]
	for i := range g.tailOffs {
		g.tailOffs[i] = i * nr
	}
	var padded []float32
	if r > 0 {
		// The 2r extra floats cover the discarded columns of the last row.
		padded = make([]float32, cin*plane+2*r)
	}
	// Without padding (k = 1), C is the output image itself when it has no
	// rows beyond Cout.
	direct := r == 0 && mpad == cout
	tiles := (g.cols + nr - 1) / nr

	for n := 0; n < xs.N; n++ {
		img := xt.Data[n*cin*h*wd : (n+1)*cin*h*wd]
		g.b = img
		if r > 0 {
			parallel(b.Threads, cin, func(lo, hi int) {
				for ci := lo; ci < hi; ci++ {
					for y := 0; y < h; y++ {
						copy(padded[ci*plane+(y+r)*wp+r:], img[(ci*h+y)*wd:(ci*h+y+1)*wd])
					}
				}
			})
			g.b = padded
		}
		dst := out.Data[n*cout*h*wd : (n+1)*cout*h*wd]
		parallel(b.Threads, tiles, func(lo, hi int) {
			s := g.newScratch()
			var c []float32
			ldc := ncTiles * nr
			if !direct {
				c = make([]float32, mpad*ldc)
			}
			for t0 := lo; t0 < hi; t0 += ncTiles {
				t1 := min(hi, t0+ncTiles)
				p0, p1 := t0*nr, min(t1*nr, g.cols)
				if !direct {
					g.tiles(t0, t1, c, ldc, s)
					writeOut(dst, c, ldc, cout, h, wd, wp, p0, p1, act == backend.Sigmoid)
					continue
				}
				g.tiles(t0, t1, dst[p0:], g.cols, s)
				if act == backend.Sigmoid {
					for co := 0; co < cout; co++ {
						sigmoidInPlace(dst[co*g.cols+p0 : co*g.cols+p1])
					}
				}
			}
		})
	}
	return out
}

// sigmoidInPlace replaces each v in x by 1/(1+e^−v).
func sigmoidInPlace(x []float32) {
	for i, v := range x {
		x[i] = activate(v, backend.Sigmoid)
	}
}

// writeOut copies columns [p0, p1) of C (held in c from column p0 on, row
// stride ldc) to dst (Cout,H,W): column p is pixel (p/wp, p%wp), dropped when
// p%wp ≥ w. With sigmoid, each value goes through the logistic function.
func writeOut(dst, c []float32, ldc, cout, h, w, wp, p0, p1 int, sigmoid bool) {
	for co := 0; co < cout; co++ {
		row := c[co*ldc:]
		plane := dst[co*h*w : (co+1)*h*w]
		for p := p0; p < p1; {
			y, x := p/wp, p%wp
			seg := min(wp-x, p1-p)
			if x < w {
				from := row[p-p0 : p-p0+min(seg, w-x)]
				to := plane[y*w+x : y*w+x+len(from)]
				copy(to, from)
				if sigmoid {
					sigmoidInPlace(to)
				}
			}
			p += seg
		}
	}
}
