package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// GlobalAvgPool returns the mean over H,W: x (N,C,H,W) → out (N,C,1,1).
// One workgroup reduces one plane.
func (b *Backend) GlobalAvgPool(x backend.Tensor) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	out := b.newTensor(backend.Shape{N: s.N, C: s.C, H: 1, W: 1})
	planes := s.N * s.C
	globalAvgPoolKernel.run(b, b.groups(planes), globalAvgPoolParams{Planes: uint32(planes), HW: uint32(s.H * s.W)}, xt, out)
	return out
}

// globalAvgPoolParams is global_avg_pool.wgsl's Params.
type globalAvgPoolParams struct{ Planes, HW uint32 }

var globalAvgPoolKernel = defineKernel[globalAvgPoolParams]("global_avg_pool", Read, ReadWrite)
