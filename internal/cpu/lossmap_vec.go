package cpu

// rowsAVX2 is set where the AVX2 row kernels of the loss map and its
// gradient run (lossmap_amd64.go); they compute what the Go loops compute,
// to the bit, 16 or 8 floats at a time.
var rowsAVX2 bool

// wholeRows, where set (gemm_wasm.go: WebAssembly SIMD), runs rows of the
// loss map gradient whole, the same operations in the same order as the Go
// loops; each kernel reports false, having written nothing, where it cannot
// run.
var wholeRows *rowKernels

// rowKernels are the whole-row kernels of wholeRows: addScaled's,
// addProduct's, ssimCS's, and grad's factors (ssimFactors) with four other
// scales.
type rowKernels struct {
	addScaled   func(out, u []float32, k float32) bool
	addProduct  func(out, a, u []float32, k float32) bool
	ssimCS      func(ea, eb, eab, ma, mb, den, cs []float32, c2 float32) bool
	ssimFactors func(lum []float32, others [4][]float32, den, cs, ma, mb, gmb, geb, geab []float32, u float32) bool
}

// addPair adds k·(u[i]+v[i]) to out[i]; u and v have out's length.
func addPair(out, u, v []float32, k float32) {
	u, v = u[:len(out)], v[:len(out)]
	i := 0
	if n := len(out) &^ 15; rowsAVX2 && n > 0 {
		addPairAVX2(&out[0], &u[0], &v[0], n, k)
		i = n
	}
	for ; i < len(out); i++ {
		out[i] += k * (u[i] + v[i])
	}
}

// addScaled adds k·u[i] to out[i]; u has out's length. It is axpy, with
// WebAssembly SIMD's whole-row kernel where there is one.
func addScaled(out, u []float32, k float32) {
	u = u[:len(out)]
	if wholeRows != nil && wholeRows.addScaled(out, u, k) {
		return
	}
	axpy(out, u, k)
}

// addProduct adds (k·a[i])·u[i] to out[i]; a and u have out's length.
func addProduct(out, a, u []float32, k float32) {
	a, u = a[:len(out)], u[:len(out)]
	if wholeRows != nil && wholeRows.addProduct(out, a, u, k) {
		return
	}
	i := 0
	if n := len(out) &^ 15; rowsAVX2 && n > 0 {
		addProductAVX2(&out[0], &a[0], &u[0], n, k)
		i = n
	}
	for ; i < len(out); i++ {
		out[i] += k * a[i] * u[i]
	}
}
