package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// SliceChannels returns channels [c0, c1) of x (N,C,H,W); out is
// (N,c1−c0,H,W) (the backward of Concat).
func (b *Backend) SliceChannels(x backend.Tensor, c0, c1 int) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	if c0 < 0 || c1 <= c0 || c1 > s.C {
		panic(fmt.Sprintf("gpu: SliceChannels [%d,%d) of %v", c0, c1, s))
	}
	out := b.newTensor(backend.Shape{N: s.N, C: c1 - c0, H: s.H, W: s.W})
	n := out.s.Len()
	b.dispatch(b.kernel("slice_channels", Read, ReadWrite), b.grid1D(n),
		[]uint32{uint32(n), uint32(s.C), uint32(c0), uint32(c1 - c0), uint32(s.H * s.W)}, xt, out)
	return out
}
