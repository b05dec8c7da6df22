package synth

import (
	"math"
	"math/rand/v2"
)

// Arithmetic that gives the same bits on every architecture.
//
// Go may fuse a multiplication and an addition into one instruction with a
// single rounding (it does on arm64, ppc64, riscv64 and s390x, not on amd64,
// 386 or wasm), and the math package's Sin, Cos, Atan, Exp, Log, Hypot and
// Pow are themselves compiled with such fused instructions or written in
// assembly per architecture. This package therefore follows two rules in
// everything that reaches a pixel or a shape:
//
//   - every floating-point product is wrapped in an explicit conversion,
//     float32(a*b) or float64(a*b), which the Go specification says rounds,
//     so the compiler cannot fuse it with an addition;
//   - of the math package it calls only functions that are exactly rounded
//     or exact (Sqrt, Floor, Abs), and computes sines and cosines with
//     cosSin below.
//
// TestNoFusedMultiplyAdd checks the first rule on the compiled arm64 code.

// cosSin returns cos a and sin a to within a few units in the last place,
// from a reduction to [−π/4, π/4] and Taylor polynomials of degree 16 and
// 17, every product explicitly rounded. It is meant for the moderate angles
// a generator uses (|a| below about 10⁶).
func cosSin(a float64) (c, s float64) {
	k := math.Floor(a/(math.Pi/2) + 0.5)
	r := a - float64(k*(math.Pi/2))
	r2 := float64(r * r)
	// cos r = Σ (−1)ⁿ r²ⁿ/(2n)!, sin r = r·Σ (−1)ⁿ r²ⁿ/(2n+1)!, n ≤ 8.
	cp, sp := 0.0, 0.0
	cf, sf := 1.0, 1.0
	var cc, sc [9]float64
	for n := range 9 {
		cc[n], sc[n] = cf, sf
		cf = -cf / float64((2*n+1)*(2*n+2))
		sf = -sf / float64((2*n+2)*(2*n+3))
	}
	for n := 8; n >= 0; n-- {
		cp = cc[n] + float64(r2*cp)
		sp = sc[n] + float64(r2*sp)
	}
	sp = float64(r * sp)
	switch int64(k) & 3 {
	case 0:
		return cp, sp
	case 1:
		return -sp, cp
	case 2:
		return -cp, -sp
	default:
		return sp, -cp
	}
}

// cos32 is the cosine of a in float32, by cosSin.
func cos32(a float32) float32 {
	c, _ := cosSin(float64(a))
	return float32(c)
}

// sqrt32 is the square root of x in float32 (exactly rounded everywhere).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// lerp32 is a + t·(b − a).
func lerp32(a, b, t float32) float32 { return a + float32(t*(b-a)) }

// random is rng.Float64(), explicitly rounded: Float64 divides by 2⁵³,
// which the compiler turns into an (exact) multiplication that it could
// otherwise fuse with an addition that follows.
func random(rng *rand.Rand) float64 { return float64(rng.Float64()) }
