//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

func init() {
	if !cpu.X86.HasAVX2 {
		return
	}
	// Each wrapper hands the vector loop a multiple of its block and does
	// the rest in Go; the slicing checks the lengths.
	scaleTo = func(dst, x []float32, a float32) {
		x = x[:len(dst)]
		if n := len(dst) &^ 7; n > 0 {
			scaleToAVX2(&dst[0], &x[0], n, a)
			dst, x = dst[n:], x[n:]
		}
		scaleToGo(dst, x, a)
	}
	axpy = func(dst, x []float32, a float32) {
		x = x[:len(dst)]
		if n := len(dst) &^ 7; n > 0 {
			axpyAVX2(&dst[0], &x[0], n, a)
			dst, x = dst[n:], x[n:]
		}
		axpyGo(dst, x, a)
	}
	lerp = func(dst, p, q []float32, a, b float32) {
		p, q = p[:len(dst)], q[:len(dst)]
		if n := len(dst) &^ 7; n > 0 {
			lerpAVX2(&dst[0], &p[0], &q[0], n, a, b)
			dst, p, q = dst[n:], p[n:], q[n:]
		}
		lerpGo(dst, p, q, a, b)
	}
	deinterleave = func(even, odd, src []float32) {
		odd, src = odd[:len(even)], src[:2*len(even)]
		if n := len(even) &^ 7; n > 0 {
			deinterleaveAVX2(&even[0], &odd[0], &src[0], n)
			even, odd, src = even[n:], odd[n:], src[2*n:]
		}
		deinterleaveGo(even, odd, src)
	}
	upsampleRow = func(dst, src []float32, tp *rowTaps) {
		dst = dst[:len(tp.lx)]
		if tp.k1 <= tp.k0 {
			upsampleCols(dst, src, tp, 0, len(dst))
			return
		}
		// block k reads src[k·step−1 : k·step+7] and writes dst[8k : 8k+8]
		_, _ = src[(tp.k1-1)*tp.step+6], dst[8*tp.k1-1]
		upsampleCols(dst, src, tp, 0, 8*tp.k0)
		upsampleRowAVX2(&dst[8*tp.k0], &src[tp.k0*tp.step-1], tp.k1-tp.k0, tp.step, &tp.idx0, &tp.idx1, &tp.a, &tp.b)
		upsampleCols(dst, src, tp, 8*tp.k1, len(dst))
	}
	sumFloat64x4 = func(x [4][]float32) (s [4]float64) {
		n := len(x[0])
		for _, xj := range x[1:] {
			if len(xj) != n {
				panic("cpu: sumFloat64x4 of slices of different lengths")
			}
		}
		var acc [16]float64
		if m := n &^ 3; m > 0 {
			sum4Float64AVX2(&acc, &x[0][0], &x[1][0], &x[2][0], &x[3][0], m)
		}
		for j := range x {
			s[j] = finishSum64(acc[4*j:4*j+4], x[j])
		}
		return s
	}
	interleave = func(dst, even, odd []float32) {
		odd, dst = odd[:len(even)], dst[:2*len(even)]
		if n := len(even) &^ 7; n > 0 {
			interleaveAVX2(&dst[0], &even[0], &odd[0], n)
			dst, even, odd = dst[2*n:], even[n:], odd[n:]
		}
		interleaveGo(dst, even, odd)
	}
}

// The AVX2 loops (vec_amd64.s); n is a positive multiple of 8, and every
// pointer addresses at least n floats (2n for the interleaved side).

//go:noescape
func scaleToAVX2(dst, x *float32, n int, a float32)

//go:noescape
func axpyAVX2(dst, x *float32, n int, a float32)

//go:noescape
func lerpAVX2(dst, p, q *float32, n int, a, b float32)

//go:noescape
func deinterleaveAVX2(even, odd, src *float32, n int)

//go:noescape
func interleaveAVX2(dst, even, odd *float32, n int)

// upsampleRowAVX2 computes blocks of 8 floats dst[8j : 8j+8], j < blocks:
// lane l is a[l]·s[idx0[l]] + b[l]·s[idx1[l]] with s the 8 floats at
// src + j·step.
//
//go:noescape
func upsampleRowAVX2(dst, src *float32, blocks, step int, idx0, idx1 *[8]int32, a, b *[8]float32)

// sum4Float64AVX2 adds float64(xj[i]) to acc[4j+i%4] for i < n, in order of
// i (n a positive multiple of 4; vec_amd64.s).
//
//go:noescape
func sum4Float64AVX2(acc *[16]float64, x0, x1, x2, x3 *float32, n int)
