package cpu

// rowsAVX2 is set where the AVX2 row kernels of the loss map's blurs run
// (lossmap_amd64.go); they compute what the Go loops below compute, to the
// bit, 16 floats at a time.
var rowsAVX2 bool

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

// addScaled adds k·u[i] to out[i]; u has out's length.
func addScaled(out, u []float32, k float32) {
	u = u[:len(out)]
	i := 0
	if n := len(out) &^ 15; rowsAVX2 && n > 0 {
		addScaledAVX2(&out[0], &u[0], n, k)
		i = n
	}
	for ; i < len(out); i++ {
		out[i] += k * u[i]
	}
}

// scaleInto sets out[i] = k·u[i]; u has out's length.
func scaleInto(out, u []float32, k float32) {
	u = u[:len(out)]
	i := 0
	if n := len(out) &^ 15; rowsAVX2 && n > 0 {
		scaleIntoAVX2(&out[0], &u[0], n, k)
		i = n
	}
	for ; i < len(out); i++ {
		out[i] = k * u[i]
	}
}

// addProduct adds (k·a[i])·u[i] to out[i]; a and u have out's length.
func addProduct(out, a, u []float32, k float32) {
	a, u = a[:len(out)], u[:len(out)]
	i := 0
	if n := len(out) &^ 15; rowsAVX2 && n > 0 {
		addProductAVX2(&out[0], &a[0], &u[0], n, k)
		i = n
	}
	for ; i < len(out); i++ {
		out[i] += k * a[i] * u[i]
	}
}
