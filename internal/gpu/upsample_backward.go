package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// UpsampleBilinearBackward is the transpose of UpsampleBilinear by factor f:
// dy (N,C,f·H,f·W) → dx (N,C,H,W), each input value gathering the output
// gradients that its interpolation weights reached (no atomics).
func (b *Backend) UpsampleBilinearBackward(dy backend.Tensor, factor int) backend.Tensor {
	dyt := tensorOf(dy)
	s := dyt.s
	if factor < 1 || s.H%factor != 0 || s.W%factor != 0 {
		panic(fmt.Sprintf("gpu: UpsampleBilinearBackward of %v by %d", s, factor))
	}
	dx := b.newTensor(backend.Shape{N: s.N, C: s.C, H: s.H / factor, W: s.W / factor})
	n := dx.s.Len()
	upsampleBackwardKernel.run(b, b.grid1D(n), upsampleParams{N: uint32(n), H: uint32(dx.s.H), W: uint32(dx.s.W), F: uint32(factor), Scale: float32(1 / float64(factor))}, dyt, dx)
	return dx
}

var upsampleBackwardKernel = defineKernel[upsampleParams]("upsample_bilinear_backward", Read, ReadWrite)
