package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// Activate returns act(x) elementwise; out has x's shape.
func (b *Backend) Activate(x backend.Tensor, act backend.Activation) backend.Tensor {
	xt := tensorOf(x)
	out := b.newTensor(xt.s)
	n := xt.s.Len()
	activateKernel.run(b, b.grid1D(n), activateParams{N: uint32(n), Act: uint32(act)}, xt, out)
	return out
}

// activateParams is activate.wgsl's Params.
type activateParams struct{ N, Act uint32 }

var activateKernel = defineKernel[activateParams]("activate", Read, ReadWrite)
