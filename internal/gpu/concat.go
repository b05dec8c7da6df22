package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Concat joins along channels: x (N,Ca,H,W), y (N,Cb,H,W) → out
// (N,Ca+Cb,H,W), x's channels first: two buffer copies per image.
func (b *Backend) Concat(x, y backend.Tensor) backend.Tensor {
	xt, yt := tensorOf(x), tensorOf(y)
	sa, sb := xt.s, yt.s
	if sa.N != sb.N || sa.H != sb.H || sa.W != sb.W {
		panic(fmt.Sprintf("gpu: Concat of %v and %v", sa, sb))
	}
	out := b.newTensor(backend.Shape{N: sa.N, C: sa.C + sb.C, H: sa.H, W: sa.W})
	na, nb := sa.C*sa.H*sa.W, sb.C*sb.H*sb.W
	for n := range sa.N {
		b.copyFloats(out, n*(na+nb), xt, n*na, na)
		b.copyFloats(out, n*(na+nb)+na, yt, n*nb, nb)
	}
	return out
}
