//go:build !amd64 || purego

package cpu

// platformDotTiles are the dot-product kernels this machine runs: none.
func platformDotTiles() []dotTileKernel { return nil }
