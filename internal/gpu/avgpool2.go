package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// AvgPool2 returns 2×2 mean pooling with stride 2: x (N,C,H,W) → out
// (N,C,H/2,W/2). H and W must be even.
func (b *Backend) AvgPool2(x backend.Tensor) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	if s.H%2 != 0 || s.W%2 != 0 {
		panic(fmt.Sprintf("gpu: AvgPool2 of odd size %v", s))
	}
	out := b.newTensor(backend.Shape{N: s.N, C: s.C, H: s.H / 2, W: s.W / 2})
	n := out.s.Len()
	b.dispatch(b.kernel("avgpool2", Read, ReadWrite), b.grid1D(n),
		[]uint32{uint32(n), uint32(s.H), uint32(s.W)}, xt, out)
	return out
}
