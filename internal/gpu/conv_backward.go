package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

var _ backend.Trainer = (*Backend)(nil)

// dwTaps is how many taps of k² one conv_dw workgroup computes.
const dwTaps = 9

// Conv2DBackward returns the gradients of out = act(conv(x, w) + bias) for x
// (N,Cin,H,W), w (Cout,Cin,k,k) with k odd, y = out and dy (N,Cout,H,W):
// with g = dy·act'(y) (act_backward; dy itself when act is Linear),
//
//	db (1,Cout,1,1)    = Σ_{n,y,x} g                      (conv_db; nil unless hasBias)
//	dw (Cout,Cin,k,k)  = Σ_{n,y,x} g[n,co,y,x]·x[n,ci,y+ky−k/2,x+kx−k/2]
//	                     (conv_dw; conv_dw_fc for 1×1 on 1×1 planes)
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
	if k == 1 && hw == 1 {
		b.dispatch(b.kernel("conv_dw_fc", Read, Read, ReadWrite), b.grid1D(cout*cin),
			[]uint32{uint32(xs.N), uint32(cin), uint32(cout)}, g, xt, dwt)
	} else {
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
