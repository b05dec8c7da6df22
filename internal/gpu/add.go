package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Add returns a + b; both and out have the same shape.
func (b *Backend) Add(x, y backend.Tensor) backend.Tensor {
	xt, yt := tensorOf(x), tensorOf(y)
	mustSameShape("Add", xt.s, yt.s)
	out := b.newTensor(xt.s)
	n := xt.s.Len()
	addKernel.run(b, b.grid1D(n), addParams{N: uint32(n)}, xt, yt, out)
	return out
}

func mustSameShape(op string, a, b backend.Shape) {
	if a != b {
		panic(fmt.Sprintf("gpu: %s: shapes %v and %v differ", op, a, b))
	}
}

// addParams is add.wgsl's Params.
type addParams struct{ N uint32 }

var addKernel = defineKernel[addParams]("add", Read, Read, ReadWrite)
