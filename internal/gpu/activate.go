package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// Activate returns act(x) elementwise; out has x's shape.
func (b *Backend) Activate(x backend.Tensor, act backend.Activation) backend.Tensor {
	xt := tensorOf(x)
	out := b.newTensor(xt.s)
	n := xt.s.Len()
	b.dispatch(b.kernel("activate", Read, ReadWrite), b.grid1D(n), []uint32{uint32(n), uint32(act)}, xt, out)
	return out
}
