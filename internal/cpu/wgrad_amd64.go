//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		dotTile = dotTileAVX2
	}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		dotTile = dotTileAVX512
	}
}

// dot4x6AVX512 is dotTile's kernel in AVX-512 assembly (wgrad_amd64.s).
//
//go:noescape
func dot4x6AVX512(n int, gr *float32, goffs *int, x *float32, xoffs *int, out *float32)

// dotTileAVX512 is a dotTile that checks every row's bounds and runs
// dot4x6AVX512.
func dotTileAVX512(n int, g []float32, goffs *[4]int, x []float32, xoffs *[6]int, out *[96]float32) {
	checkDotRows(n, g, goffs, x, xoffs)
	dot4x6AVX512(n, &g[0], &goffs[0], &x[0], &xoffs[0], &out[0])
}

// dot4x3AVX2 computes a 4×3 tile of dotTile's products in AVX2+FMA
// assembly (wgrad_amd64.s) into out[24i + 4j + l]: lane l and lane l+4 of
// row i × column j, for n a multiple of 8.
//
//go:noescape
func dot4x3AVX2(n int, gr *float32, goffs *int, x *float32, xoffs *int, out *float32)

// dotTileAVX2 is a dotTile that checks every row's bounds and runs
// dot4x3AVX2 on the first three columns, then on the last three. Its out[l]
// sums the elements at l mod 4 (lanes l and l+4 of eight).
func dotTileAVX2(n int, g []float32, goffs *[4]int, x []float32, xoffs *[6]int, out *[96]float32) {
	checkDotRows(n, g, goffs, x, xoffs)
	dot4x3AVX2(n, &g[0], &goffs[0], &x[0], &xoffs[0], &out[0])
	dot4x3AVX2(n, &g[0], &goffs[0], &x[0], &xoffs[3], &out[12])
}

// checkDotRows panics unless the rows g[o : o+n] for o in goffs and
// x[o : o+n] for o in xoffs are all in bounds: the assembly kernels read
// them unchecked.
func checkDotRows(n int, g []float32, goffs *[4]int, x []float32, xoffs *[6]int) {
	for _, o := range goffs {
		_ = g[o : o+n]
	}
	for _, o := range xoffs {
		_ = x[o : o+n]
	}
}
