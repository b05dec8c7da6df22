package cpu

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// TestRowKernelsBitExact checks that the loss map and its gradient come
// out the same to the bit with the platform's row kernels and with the Go
// loops alone, on planes whose width is not a multiple of 16 (the loops
// finish the rows) and batch 2.
func TestRowKernelsBitExact(t *testing.T) {
	if !rowsAVX2 {
		t.Skip("no row kernels on this platform: the Go loops are all there is")
	}
	s := backend.Shape{N: 2, C: 3, H: 23, W: 71}
	x0, xhat := lossInputs(7, s, false)
	run := func(vec bool) (m, g []float32) {
		rowsAVX2 = vec
		defer func() { rowsAVX2 = true }()
		be := New()
		lm, dx := be.LossMapAndBackward(x0, xhat, 0.84, 1/float32(s.N*s.H*s.W))
		return host(lm).Data, host(dx).Data
	}
	m1, g1 := run(true)
	m0, g0 := run(false)
	for i := range m0 {
		if m1[i] != m0[i] {
			t.Fatalf("map[%d] = %g with the row kernels, %g without", i, m1[i], m0[i])
		}
	}
	for i := range g0 {
		if g1[i] != g0[i] {
			t.Fatalf("gradient[%d] = %g with the row kernels, %g without", i, g1[i], g0[i])
		}
	}
}
