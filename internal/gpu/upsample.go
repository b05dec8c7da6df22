package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// UpsampleBilinear resizes x (N,C,H,W) to out (N,C,f·H,f·W) like PyTorch's
// interpolate(scale_factor=f, mode="bilinear", align_corners=False).
func (b *Backend) UpsampleBilinear(x backend.Tensor, factor int) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	out := b.newTensor(backend.UpsampleShape(s, factor))
	n := out.s.Len()
	runs := n / out.s.W * ((out.s.W + 3) / 4) // 4-output runs of upsample_bilinear
	b.dispatch(b.kernel("upsample_bilinear", Read, ReadWrite), b.grid1D(runs),
		[]uint32{uint32(n), uint32(s.H), uint32(s.W), uint32(factor), f32bits(float32(1 / float64(factor)))}, xt, out)
	return out
}
