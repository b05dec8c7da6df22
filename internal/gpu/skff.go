package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// SKFFFuse returns Σ_i softmax_i(logits)⊙os[i] for m maps os[i] (N,C,H,W)
// and logits[i] (N,C,1,1), the softmax taken over i per (n,c); out is
// (N,C,H,W). The logits are stacked into one (m,N·C) buffer by copies, turned
// into weights in place by skff_softmax, and the maps are summed by m
// skff_accumulate passes: any m works with a fixed number of bindings.
func (b *Backend) SKFFFuse(os, logits []backend.Tensor) backend.Tensor {
	m := len(os)
	if m == 0 || len(logits) != m {
		panic(fmt.Sprintf("gpu: SKFFFuse of %d maps and %d logits", m, len(logits)))
	}
	s := tensorOf(os[0]).s
	ws := backend.Shape{N: s.N, C: s.C, H: 1, W: 1}
	nc := s.N * s.C
	a := b.newTensor(backend.Shape{N: m, C: nc, H: 1, W: 1})
	for i, l := range logits {
		lt := tensorOf(l)
		mustSameShape("SKFFFuse logits", ws, lt.s)
		b.copyTensor(a, i*nc, lt)
	}
	skffSoftmaxKernel.run(b, b.grid1D(nc), skffSoftmaxParams{NC: uint32(nc), M: uint32(m)}, a)

	out := b.newTensor(s)
	n := s.Len()
	for i, o := range os {
		ot := tensorOf(o)
		mustSameShape("SKFFFuse maps", s, ot.s)
		p := skffAccumulateParams{N: uint32(n), HW: uint32(s.H * s.W), Offset: uint32(i * nc), First: boolWord(i == 0)}
		skffAccumulateKernel.run(b, b.grid1D((n+3)/4), p, ot, a, out)
	}
	b.Free(a)
	return out
}

// skffSoftmaxParams is skff_softmax.wgsl's Params.
type skffSoftmaxParams struct{ NC, M uint32 }

// skffAccumulateParams is skff_accumulate.wgsl's Params.
type skffAccumulateParams struct{ N, HW, Offset, First uint32 }

var (
	skffSoftmaxKernel    = defineKernel[skffSoftmaxParams]("skff_softmax", ReadWrite)
	skffAccumulateKernel = defineKernel[skffAccumulateParams]("skff_accumulate", Read, Read, ReadWrite)
)
