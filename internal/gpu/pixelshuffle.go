package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// PixelUnshuffle ×2: x (N,C,H,W) → out (N,4C,H/2,W/2), out channel
// c·4 + dy·2 + dx (PyTorch order). H and W must be even. One invocation
// per 2×2 block.
func (b *Backend) PixelUnshuffle(x backend.Tensor) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	if s.H%2 != 0 || s.W%2 != 0 {
		panic(fmt.Sprintf("gpu: PixelUnshuffle of %v: odd H or W", s))
	}
	out := b.newTensor(backend.Shape{N: s.N, C: 4 * s.C, H: s.H / 2, W: s.W / 2})
	n := s.Len()
	b.dispatch(b.kernel("pixel_unshuffle", Read, ReadWrite), b.grid1D(n/4),
		[]uint32{uint32(n), uint32(s.C), uint32(s.H), uint32(s.W)}, xt, out)
	return out
}

// PixelShuffle ×2: x (N,4C,H,W) → out (N,C,2H,2W), the inverse of
// PixelUnshuffle. One invocation per 2×2 block of out.
func (b *Backend) PixelShuffle(x backend.Tensor) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	if s.C%4 != 0 {
		panic(fmt.Sprintf("gpu: PixelShuffle of %v: C not a multiple of 4", s))
	}
	out := b.newTensor(backend.Shape{N: s.N, C: s.C / 4, H: 2 * s.H, W: 2 * s.W})
	n := s.Len()
	b.dispatch(b.kernel("pixel_shuffle", Read, ReadWrite), b.grid1D(n/4),
		[]uint32{uint32(n), uint32(s.C / 4), uint32(s.H), uint32(s.W)}, xt, out)
	return out
}
