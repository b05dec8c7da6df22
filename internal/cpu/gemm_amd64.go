//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		kernel = kernelAVX2
	}
	if cpu.X86.HasAVX512F {
		wideKernel = kernelAVX512
		tallKernel = kernelTallAVX512
	}
}

// kernel4x24AVX2 is the micro-kernel in AVX2+FMA assembly (gemm_amd64.s):
// twelve ymm accumulators hold the 4×24 tile.
//
//go:noescape
func kernel4x24AVX2(kc int, a, b *float32, offs *int, c *float32, ldc int, bias *float32, flags int)

// kernelAVX2 is a microKernel that checks the bounds it can check cheaply and
// runs kernel4x24AVX2.
func kernelAVX2(kc int, a, b []float32, offs []int, c []float32, ldc int, bias []float32, flags int) {
	_, _, _, _ = a[kc*mr-1], offs[kc-1], c[(mr-1)*ldc+nr-1], bias[mr-1]
	kernel4x24AVX2(kc, &a[0], &b[0], &offs[0], &c[0], ldc, &bias[0], flags)
}

// kernel4x48AVX512 is the wide micro-kernel in AVX-512 assembly
// (gemm_amd64.s): twelve zmm accumulators hold the 4×48 tile.
//
//go:noescape
func kernel4x48AVX512(kc int, a, b *float32, offs *int, c *float32, ldc int, bias *float32, flags int)

// kernelAVX512 is a wide microKernel (mr×2nr) that checks the bounds it can
// check cheaply and runs kernel4x48AVX512.
func kernelAVX512(kc int, a, b []float32, offs []int, c []float32, ldc int, bias []float32, flags int) {
	_, _, _, _ = a[kc*mr-1], offs[kc-1], c[(mr-1)*ldc+2*nr-1], bias[mr-1]
	kernel4x48AVX512(kc, &a[0], &b[0], &offs[0], &c[0], ldc, &bias[0], flags)
}

// kernel8x48AVX512 is the tall wide micro-kernel in AVX-512 assembly
// (gemm_amd64.s): 24 zmm accumulators hold an 8×48 tile, rows 0–3 from the
// A panel at a, rows 4–7 from the one astride floats further; it computes
// pairs such tiles, each 8 rows (of A, C and bias) below the last.
//
//go:noescape
func kernel8x48AVX512(kc int, a *float32, astride int, b *float32, offs *int, c *float32, ldc int, bias *float32, flags int, pairs int)

// kernelTallAVX512 is a tallKernel that checks the bounds it can check
// cheaply and runs kernel8x48AVX512.
func kernelTallAVX512(kc int, a []float32, astride int, b []float32, offs []int, c []float32, ldc int, bias []float32, flags int, pairs int) {
	if pairs < 1 {
		return
	}
	_, _, _, _ = a[(2*pairs-1)*astride+kc*mr-1], offs[kc-1], c[(2*mr*pairs-1)*ldc+2*nr-1], bias[2*mr*pairs-1]
	kernel8x48AVX512(kc, &a[0], astride, &b[0], &offs[0], &c[0], ldc, &bias[0], flags, pairs)
}
