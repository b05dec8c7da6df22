package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// AvgPool2 returns 2×2 mean pooling with stride 2: x (N,C,H,W) → out
// (N,C,H/2,W/2). H and W must be even.
func (b *Backend) AvgPool2(x backend.Tensor) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	out := b.newTensor(backend.HalfShape("AvgPool2", s))
	n := out.s.Len()
	b.dispatch(b.kernel("avgpool2", Read, ReadWrite), b.grid1D(n),
		[]uint32{uint32(n), uint32(s.H), uint32(s.W)}, xt, out)
	return out
}
