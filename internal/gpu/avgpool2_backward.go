package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// AvgPool2Backward is the transpose of AvgPool2: dy (N,C,H/2,W/2) → dx
// (N,C,H,W), dy/4 at each value of the 2×2 cell it pooled.
func (b *Backend) AvgPool2Backward(dy backend.Tensor) backend.Tensor {
	dyt := tensorOf(dy)
	s := dyt.s
	// dx is (N,C,2·H,2·W) of dy's H, W
	dx := b.newTensor(backend.Shape{N: s.N, C: s.C, H: 2 * s.H, W: 2 * s.W})
	n := dx.s.Len()
	avgpool2BackwardKernel.run(b, b.grid1D(n), poolParams{N: uint32(n), H: uint32(dx.s.H), W: uint32(dx.s.W)}, dyt, dx)
	return dx
}

var avgpool2BackwardKernel = defineKernel[poolParams]("avgpool2_backward", Read, ReadWrite)
