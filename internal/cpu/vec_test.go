package cpu

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/testutil"
)

// vecLengths are the lengths the vector loops are checked at: every length
// up to 70 (each remainder of their blocks, and the Go tail), and a few long
// odd ones.
func vecLengths() []int {
	var ns []int
	for n := 0; n <= 70; n++ {
		ns = append(ns, n)
	}
	return append(ns, 257, 1023, 4099)
}

// TestVecLoops checks the elementwise loops this machine selected (vec.go)
// against the portable Go versions, bit for bit, on seeded random data at
// every length above, each slice starting one float past an aligned
// address; the values past the length must stay untouched.
func TestVecLoops(t *testing.T) {
	for _, n := range vecLengths() {
		x := testutil.Random(uint64(n), 2*n+3, -2, 2)[1:]
		y := testutil.Random(uint64(n)+1000, 2*n+3, -2, 2)[1:]
		d0 := testutil.Random(uint64(n)+2000, 2*n+3, -2, 2)[1:]
		check := func(name string, got, want []float32) {
			t.Helper()
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s, n %d: [%d] = %g, want %g", name, n, i, got[i], want[i])
				}
			}
		}
		run := func(name string, f func(dst []float32), g func(dst []float32)) {
			t.Helper()
			got, want := append([]float32(nil), d0...), append([]float32(nil), d0...)
			f(got[:n])
			g(want[:n])
			check(name, got, want)
		}
		run("scaleTo", func(d []float32) { scaleTo(d, x, 0.37) }, func(d []float32) { scaleToGo(d, x, 0.37) })
		run("axpy", func(d []float32) { axpy(d, x, -1.3) }, func(d []float32) { axpyGo(d, x, -1.3) })
		run("lerp", func(d []float32) { lerp(d, x, y, 0.25, 0.75) }, func(d []float32) { lerpGo(d, x, y, 0.25, 0.75) })
		var four [4][]float32
		for j := range four {
			four[j] = testutil.Random(uint64(10*n+j), n+1, -2, 2)[1:]
		}
		sums := sumFloat64x4(four)
		for j := range four {
			if want := sumFloat64(four[j]); sums[j] != want {
				t.Fatalf("sumFloat64x4, n %d: [%d] = %g, want %g", n, j, sums[j], want)
			}
		}
		for _, name := range []string{"deinterleave", "interleave"} {
			got := [2][]float32{append([]float32(nil), d0...), append([]float32(nil), y...)}
			want := [2][]float32{append([]float32(nil), d0...), append([]float32(nil), y...)}
			if name == "deinterleave" {
				deinterleave(got[0][:n], got[1][:n], x)
				deinterleaveGo(want[0][:n], want[1][:n], x)
			} else {
				interleave(got[0], x[:n], y)
				interleaveGo(want[0], x[:n], y)
			}
			for k := range got {
				check(fmt.Sprintf("%s (output %d)", name, k), got[k], want[k])
			}
		}
	}
}

// TestUpsampleRow checks the row interpolation this machine selected
// against the portable one, bit for bit, for every factor the network uses (and 1, 3, 16)
// at widths up to 70 and a few long odd ones, and that the vector blocks
// cover the row's interior (for the factors ≥ 2 that divide 8, all blocks but
// the first and those whose 8 inputs would run past the row's end).
func TestUpsampleRow(t *testing.T) {
	for _, f := range []int{1, 2, 3, 4, 8, 16} {
		for _, w := range vecLengths()[1:] {
			tp := newRowTaps(f, w)
			src := testutil.Random(uint64(100*f+w), w, -2, 2)
			got, want := make([]float32, f*w+1), make([]float32, f*w+1)
			got[f*w], want[f*w] = 7, 7
			upsampleRow(got[:f*w], src, tp)
			upsampleRowGo(want[:f*w], src, tp)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("f %d, w %d: [%d] = %g, want %g", f, w, i, got[i], want[i])
				}
			}
			if blocks := f * w / 8; f > 1 && 8%f == 0 && w >= 16 && tp.k1-tp.k0 < blocks-2-8/tp.step {
				t.Errorf("f %d, w %d: vector blocks [%d, %d) of %d", f, w, tp.k0, tp.k1, blocks)
			}
		}
	}
}
