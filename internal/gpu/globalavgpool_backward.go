package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// GlobalAvgPoolBackward is the transpose of GlobalAvgPool: dy (N,C,1,1) →
// dx of shape s (N,C,H,W), dy[n,c]/(H·W) at every pixel of plane (n,c);
// 4 values per invocation.
func (b *Backend) GlobalAvgPoolBackward(dy backend.Tensor, s backend.Shape) backend.Tensor {
	dyt := tensorOf(dy)
	if dyt.s != (backend.Shape{N: s.N, C: s.C, H: 1, W: 1}) {
		panic(fmt.Sprintf("gpu: GlobalAvgPoolBackward of %v to %v", dyt.s, s))
	}
	dx := b.newTensor(s)
	n := s.Len()
	globalAvgPoolBackwardKernel.run(b, b.grid1D((n+3)/4), planesParams{N: uint32(n), HW: uint32(s.H * s.W)}, dyt, dx)
	return dx
}

var globalAvgPoolBackwardKernel = defineKernel[planesParams]("global_avg_pool_backward", Read, ReadWrite)
