//go:build !purego

package cpu

import "golang.org/x/sys/cpu"

func init() { rowsAVX2 = cpu.X86.HasAVX2 }

// The loss map's row kernels in AVX2 assembly (lossmap_amd64.s), for n a
// multiple of 16 (addPair, addProduct) or 8 (ssimCS, ssimFactors).

//go:noescape
func addPairAVX2(out, u, v *float32, n int, k float32)

//go:noescape
func addProductAVX2(out, a, u *float32, n int, k float32)

//go:noescape
func ssimCSAVX2(n int, ea, eb, eab, ma, mb, den, cs *float32, c2 float32)

//go:noescape
func ssimFactorsAVX2(n int, lum, o0, o1, o2, o3, den, cs, ma, mb, gmb, geb, geab *float32, u float32)
