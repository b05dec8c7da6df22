package cpu

// Elementwise loops of the forward ops (SKFF, the channel gate, the
// upsampling, the pixel shuffles). Each is a variable holding the portable
// Go version; vec_amd64.go replaces them with AVX2 ones where the CPU has
// AVX2. The vector versions round as the Go ones do (a multiply,
// then an add, never fused), so they agree to the bit, and the training
// runs that tests replay step by step do not change with the machine.
var (
	// scaleTo sets dst[i] = a·x[i] for i < len(dst); len(x) ≥ len(dst).
	scaleTo = scaleToGo
	// axpy adds a·x[i] to dst[i] for i < len(dst); len(x) ≥ len(dst).
	axpy = axpyGo
	// lerp sets dst[i] = a·p[i] + b·q[i] for i < len(dst); p and q are at
	// least as long as dst.
	lerp = lerpGo
	// deinterleave sets even[i] = src[2i] and odd[i] = src[2i+1] for
	// i < len(even); len(odd) ≥ len(even), len(src) ≥ 2·len(even).
	deinterleave = deinterleaveGo
	// sumFloat64x4 returns sumFloat64 of each of four slices of one
	// length, bit for bit: the vector loop sums the four at once.
	sumFloat64x4 = sumFloat64x4Go
	// interleave sets dst[2i] = even[i] and dst[2i+1] = odd[i] for
	// i < len(even); len(odd) ≥ len(even), len(dst) ≥ 2·len(even).
	interleave = interleaveGo
)

func scaleToGo(dst, x []float32, a float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = a * v
	}
}

func axpyGo(dst, x []float32, a float32) {
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] += a * v
	}
}

func lerpGo(dst, p, q []float32, a, b float32) {
	p, q = p[:len(dst)], q[:len(dst)]
	for i := range dst {
		dst[i] = a*p[i] + b*q[i]
	}
}

// sumFloat64 returns Σ x[i], summed in float64 into four partial sums, so
// that the additions overlap. (A vector loop with more partial sums would
// be faster but sum in another order, and change the training runs that
// tests replay.)
func sumFloat64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return s0 + s1 + s2 + s3
}

func sumFloat64x4Go(x [4][]float32) (s [4]float64) {
	for j := range x {
		s[j] = sumFloat64(x[j])
	}
	return s
}

// finishSum64 is the end of sumFloat64 from its four partial sums p over
// the first len(x)&^3 values: the rest go to p[0], then the total.
func finishSum64(p []float64, x []float32) float64 {
	s0 := p[0]
	for _, v := range x[len(x)&^3:] {
		s0 += float64(v)
	}
	return s0 + p[1] + p[2] + p[3]
}

func deinterleaveGo(even, odd, src []float32) {
	odd, src = odd[:len(even)], src[:2*len(even)]
	for i := range even {
		even[i], odd[i] = src[2*i], src[2*i+1]
	}
}

func interleaveGo(dst, even, odd []float32) {
	odd, dst = odd[:len(even)], dst[:2*len(even)]
	for i, v := range even {
		dst[2*i], dst[2*i+1] = v, odd[i]
	}
}
