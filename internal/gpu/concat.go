package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// Concat joins along channels: x (N,Ca,H,W), y (N,Cb,H,W) → out
// (N,Ca+Cb,H,W), x's channels first: two buffer copies per image.
func (b *Backend) Concat(x, y backend.Tensor) backend.Tensor {
	xt, yt := tensorOf(x), tensorOf(y)
	sa, sb := xt.s, yt.s
	out := b.newTensor(backend.ConcatShape(sa, sb))
	na, nb := sa.C*sa.H*sa.W, sb.C*sb.H*sb.W
	for n := range sa.N {
		b.copyFloats(out, n*(na+nb), xt, n*na, na)
		b.copyFloats(out, n*(na+nb)+na, yt, n*nb, nb)
	}
	return out
}
