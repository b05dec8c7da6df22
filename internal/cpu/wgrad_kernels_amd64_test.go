//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

// platformDotTiles are the dot-product kernels this machine runs.
func platformDotTiles() []dotTileKernel {
	var ks []dotTileKernel
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, dotTileKernel{"avx2", dotTileAVX2})
	}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		ks = append(ks, dotTileKernel{"avx512", dotTileAVX512})
	}
	return ks
}
