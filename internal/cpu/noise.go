package cpu

import "github.com/noise2norm/noise2norm/internal/backend"

// Noise returns (1−λ)·x0 + λ·(0.5 + 0.5·z_i), z_i = backend.NoiseNormal(i, seed)
// for the flat NCHW index i; out has x0's shape.
func (b *Backend) Noise(x0 backend.Tensor, lambda float32, seed uint32) backend.Tensor {
	in := host(x0)
	out := b.alloc(in.S)
	parallel(b.Threads, len(in.Data), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			eps := 0.5 + 0.5*backend.NoiseNormal(uint32(i), seed)
			out.Data[i] = (1-lambda)*in.Data[i] + lambda*eps
		}
	})
	return out
}
