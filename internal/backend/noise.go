package backend

import "math"

// PCGHash is the PCG-RXS-M-XS 32-bit hash (Jarzynski & Olano, "Hash
// Functions for GPU Rendering", 2020). All arithmetic wraps mod 2^32.
func PCGHash(v uint32) uint32 {
	state := v*747796405 + 2891336453
	word := ((state >> ((state >> 28) + 4)) ^ state) * 277803737
	return (word >> 22) ^ word
}

// NoiseNormal is the counter-based standard normal draw for flat element
// index i under seed: the same function is written in WGSL
// (shaders/noise.wgsl) and in NumPy (testdata/make_reference.py).
//
//	k  = pcg(seed); h1 = pcg(pcg(2i) ^ k); h2 = pcg(pcg(2i+1) ^ k)
//	u1 = ((h1>>8)+1)·2⁻²⁴ ∈ (0,1];  u2 = (h2>>8)·2⁻²⁴ ∈ [0,1)
//	z  = sqrt(−2 ln u1)·cos(2π u2)
func NoiseNormal(i, seed uint32) float32 {
	k := PCGHash(seed)
	h1 := PCGHash(PCGHash(2*i) ^ k)
	h2 := PCGHash(PCGHash(2*i+1) ^ k)
	u1 := float64((h1>>8)+1) * (1.0 / (1 << 24))
	u2 := float64(h2>>8) * (1.0 / (1 << 24))
	return float32(math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2))
}
