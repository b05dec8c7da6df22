package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// PixelUnshuffle ×2: x (N,C,H,W) → out (N,4C,H/2,W/2), out channel
// c·4 + dy·2 + dx (PyTorch order). H and W must be even. One invocation
// per 2×2 block.
func (b *Backend) PixelUnshuffle(x backend.Tensor) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	out := b.newTensor(backend.UnshuffleShape(s))
	n := s.Len()
	pixelUnshuffleKernel.run(b, b.grid1D(n/4), shuffleParams{N: uint32(n), C: uint32(s.C), H: uint32(s.H), W: uint32(s.W)}, xt, out)
	return out
}

// PixelShuffle ×2: x (N,4C,H,W) → out (N,C,2H,2W), the inverse of
// PixelUnshuffle. One invocation per 2×2 block of out.
func (b *Backend) PixelShuffle(x backend.Tensor) backend.Tensor {
	xt := tensorOf(x)
	s := xt.s
	out := b.newTensor(backend.ShuffleShape(s))
	n := s.Len()
	pixelShuffleKernel.run(b, b.grid1D(n/4), shuffleParams{N: uint32(n), C: uint32(s.C / 4), H: uint32(s.H), W: uint32(s.W)}, xt, out)
	return out
}

// shuffleParams is the Params of pixel_shuffle.wgsl and pixel_unshuffle.wgsl.
type shuffleParams struct{ N, C, H, W uint32 }

var (
	pixelUnshuffleKernel = defineKernel[shuffleParams]("pixel_unshuffle", Read, ReadWrite)
	pixelShuffleKernel   = defineKernel[shuffleParams]("pixel_shuffle", Read, ReadWrite)
)
