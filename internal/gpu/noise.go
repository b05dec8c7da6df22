package gpu

import "github.com/noise2norm/noise2norm/internal/backend"

// Noise returns (1−λ)·x0 + λ·ε, ε = 0.5 + 0.5·backend.NoiseNormal(i, seed)
// for flat index i; out has x0's shape.
func (b *Backend) Noise(x0 backend.Tensor, lambda float32, seed uint32) backend.Tensor {
	xt := tensorOf(x0)
	out := b.newTensor(xt.s)
	n := xt.s.Len()
	noiseKernel.run(b, b.grid1D(n), noiseParams{N: uint32(n), Key: backend.PCGHash(seed), Lambda: lambda}, xt, out)
	return out
}

// noiseParams is noise.wgsl's Params.
type noiseParams struct {
	N, Key uint32
	Lambda float32
}

var noiseKernel = defineKernel[noiseParams]("noise", Read, ReadWrite)
