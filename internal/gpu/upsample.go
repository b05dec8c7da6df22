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
	upsampleKernel.run(b, b.grid1D(runs), upsampleParams{N: uint32(n), H: uint32(s.H), W: uint32(s.W), F: uint32(factor), Scale: float32(1 / float64(factor))}, xt, out)
	return out
}

// upsampleParams is the Params of upsample_bilinear.wgsl and
// upsample_bilinear_backward.wgsl.
type upsampleParams struct {
	N, H, W, F uint32
	Scale      float32
}

var upsampleKernel = defineKernel[upsampleParams]("upsample_bilinear", Read, ReadWrite)
