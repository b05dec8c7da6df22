package backend

import "fmt"

// Output shapes of the structural ops, shared by every backend so that the
// shape rules live in one place. Each panics, naming the op, on an input
// the op cannot take (a programming error, as the Backend contract says).

// ConcatShape: (N,Ca,H,W),(N,Cb,H,W) → (N,Ca+Cb,H,W).
func ConcatShape(a, b Shape) Shape {
	if a.N != b.N || a.H != b.H || a.W != b.W {
		panic(fmt.Sprintf("Concat of %v and %v: N, H and W must agree", a, b))
	}
	return Shape{N: a.N, C: a.C + b.C, H: a.H, W: a.W}
}

// HalfShape: (N,C,H,W) → (N,C,H/2,W/2) for AvgPool2; H and W must be even.
func HalfShape(op string, s Shape) Shape {
	if s.H%2 != 0 || s.W%2 != 0 {
		panic(fmt.Sprintf("%s of %v: H and W must be even", op, s))
	}
	return Shape{N: s.N, C: s.C, H: s.H / 2, W: s.W / 2}
}

// UnshuffleShape: (N,C,H,W) → (N,4C,H/2,W/2); H and W must be even.
func UnshuffleShape(s Shape) Shape {
	h := HalfShape("PixelUnshuffle", s)
	h.C *= 4
	return h
}

// ShuffleShape: (N,4C,H,W) → (N,C,2H,2W).
func ShuffleShape(s Shape) Shape {
	if s.C%4 != 0 {
		panic(fmt.Sprintf("PixelShuffle of %v: C must be a multiple of 4", s))
	}
	return Shape{N: s.N, C: s.C / 4, H: 2 * s.H, W: 2 * s.W}
}

// UpsampleShape: (N,C,H,W) → (N,C,f·H,f·W), f ≥ 1.
func UpsampleShape(s Shape, f int) Shape {
	if f < 1 {
		panic(fmt.Sprintf("UpsampleBilinear of %v by %d", s, f))
	}
	return Shape{N: s.N, C: s.C, H: f * s.H, W: f * s.W}
}
