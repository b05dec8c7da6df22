package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// Noise returns (1−λ)·x0 + λ·ε, ε = 0.5 + 0.5·backend.NoiseNormal(i, seed)
// for flat index i; out has x0's shape.
func (b *Backend) Noise(x0 backend.Tensor, lambda float32, seed uint32) backend.Tensor {
	xt := tensorOf(x0)
	out := b.newTensor(xt.s)
	n := xt.s.Len()
	b.dispatch(b.kernel("noise", Read, ReadWrite), b.grid1D(n),
		[]uint32{uint32(n), backend.PCGHash(seed), f32bits(lambda)}, xt, out)
	return out
}
