package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// AvgPool2 returns 2×2 mean pooling with stride 2: x (N,C,H,W) → out
// (N,C,H/2,W/2). H and W must be even.
func (b *Backend) AvgPool2(x backend.Tensor) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	out := b.newTensor(backend.HalfShape("AvgPool2", s))
	n := out.s.Len()
	avgpool2Kernel.run(b, b.grid1D(n), poolParams{N: uint32(n), H: uint32(s.H), W: uint32(s.W)}, xt, out)
	return out
}

// poolParams is the Params of avgpool2.wgsl and avgpool2_backward.wgsl.
type poolParams struct{ N, H, W uint32 }

var avgpool2Kernel = defineKernel[poolParams]("avgpool2", Read, ReadWrite)
