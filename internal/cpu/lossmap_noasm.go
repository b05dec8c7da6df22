//go:build !amd64 || purego

package cpu

// No row kernels here: rowsAVX2 stays false and these are never called.

func addPairAVX2(out, u, v *float32, n int, k float32)                    { panic("cpu: no AVX2") }
func addProductAVX2(out, a, u *float32, n int, k float32)                 { panic("cpu: no AVX2") }
func ssimCSAVX2(n int, ea, eb, eab, ma, mb, den, cs *float32, c2 float32) { panic("cpu: no AVX2") }
func ssimFactorsAVX2(n int, lum, o0, o1, o2, o3, den, cs, ma, mb, gmb, geb, geab *float32, u float32) {
	panic("cpu: no AVX2")
}
