package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Concat joins along channels: x (N,Ca,H,W), y (N,Cb,H,W) → out
// (N,Ca+Cb,H,W), x's channels first.
func (b *Backend) Concat(x, y backend.Tensor) backend.Tensor {
	xt, yt := tensorOf(x), tensorOf(y)
	sa, sb := xt.s, yt.s
	if sa.N != sb.N || sa.H != sb.H || sa.W != sb.W {
		panic(fmt.Sprintf("gpu: Concat of %v and %v", sa, sb))
	}
	out := b.newTensor(backend.Shape{N: sa.N, C: sa.C + sb.C, H: sa.H, W: sa.W})
	n := out.s.Len()
	b.dispatch(b.kernel("concat", Read, Read, ReadWrite), b.grid1D(n),
		[]uint32{uint32(n), uint32(sa.C), uint32(sb.C), uint32(sa.H * sa.W)}, xt, yt, out)
	return out
}
