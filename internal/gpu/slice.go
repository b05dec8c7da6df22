package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// SliceChannels returns channels [c0, c1) of x (N,C,H,W); out is
// (N,c1−c0,H,W) (the backward of Concat): one buffer copy per image, each
// image's channels being contiguous.
func (b *Backend) SliceChannels(x backend.Tensor, c0, c1 int) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	if c0 < 0 || c1 <= c0 || c1 > s.C {
		panic(fmt.Sprintf("gpu: SliceChannels [%d,%d) of %v", c0, c1, s))
	}
	out := b.newTensor(backend.Shape{N: s.N, C: c1 - c0, H: s.H, W: s.W})
	hw := s.H * s.W
	for n := range s.N {
		b.copyFloats(out, n*(c1-c0)*hw, xt, (n*s.C+c0)*hw, (c1-c0)*hw)
	}
	return out
}
