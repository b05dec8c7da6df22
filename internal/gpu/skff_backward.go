package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// SKFFFuseBackward returns the gradients of out = Σ_i s_i⊙os[i], s =
// softmax over i of logits (per (n,c)), for m maps os[i] (N,C,H,W), logits[i]
// (N,C,1,1) and dOut (N,C,H,W): dos[i] = s_i⊙dOut (N,C,H,W) and dlogits[i]
// = s_i·(ds_i − Σ_j s_j·ds_j) (N,C,1,1) with ds_i[n,c] = Σ_hw dOut·os[i].
// The softmax is recomputed as SKFFFuse computes it (stacked (m,N·C),
// skff_softmax); dos[i] is skff_accumulate's first pass over dOut.
func (b *Backend) SKFFFuseBackward(os, logits []backend.Tensor, dOut backend.Tensor) (dos, dlogits []backend.Tensor) {
	m := len(os)
	if m == 0 || len(logits) != m {
		panic(fmt.Sprintf("gpu: SKFFFuseBackward of %d maps and %d logits", m, len(logits)))
	}
	dt := tensorOf(dOut)
	s := dt.s
	ws := backend.Shape{N: s.N, C: s.C, H: 1, W: 1}
	nc := s.N * s.C
	// a and ds are (m, N·C)
	a := b.newTensor(backend.Shape{N: m, C: nc, H: 1, W: 1})
	for i, l := range logits {
		lt := tensorOf(l)
		mustSameShape("SKFFFuseBackward logits", ws, lt.s)
		b.copyTensor(a, i*nc, lt)
	}
	skffSoftmaxKernel.run(b, b.grid1D(nc), skffSoftmaxParams{NC: uint32(nc), M: uint32(m)}, a)

	ds := b.newTensor(a.s)
	n := s.Len()
	for i, o := range os {
		ot := tensorOf(o)
		mustSameShape("SKFFFuseBackward maps", s, ot.s)
		b.planeDot(dt, ot, ds, i*nc)
		d := b.newTensor(s)
		skffAccumulateKernel.run(b, b.grid1D((n+3)/4), skffAccumulateParams{N: uint32(n), HW: uint32(s.H * s.W), Offset: uint32(i * nc), First: 1}, dt, a, d)
		dos = append(dos, d)
	}
	for i := range m {
		dl := b.newTensor(ws)
		skffBackwardKernel.run(b, b.grid1D(nc), skffBackwardParams{NC: uint32(nc), M: uint32(m), I: uint32(i)}, a, ds, dl)
		dlogits = append(dlogits, dl)
	}
	b.Free(a)
	b.Free(ds)
	return dos, dlogits
}

// skffBackwardParams is skff_backward.wgsl's Params.
type skffBackwardParams struct{ NC, M, I uint32 }

var skffBackwardKernel = defineKernel[skffBackwardParams]("skff_backward", Read, Read, ReadWrite)
