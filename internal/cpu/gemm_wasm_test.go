//go:build js && wasm

package cpu

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/backend/optest"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// requireSIMD fails the test when the SIMD kernel cannot load and the run
// asked for it (N2N_SIMD_REQUIRED, set by TestSIMDUnderNode, whose runner
// publishes the Go memory); under Go's stock wasm_exec_node.js, which does
// not, the test is skipped: it runs through TestSIMDUnderNode.
func requireSIMD(t *testing.T) {
	ok, err := SIMD()
	if ok {
		return
	}
	if os.Getenv("N2N_SIMD_REQUIRED") != "" {
		t.Fatalf("the SIMD kernel did not load: %v", err)
	}
	t.Skipf("no SIMD kernel (%v): `go test ./internal/cpu` runs this under node through TestSIMDUnderNode", err)
}

// maxAbsDiff is the largest |got−want|, and the number of elements that are
// not bit-identical.
func maxAbsDiff(got, want []float32) (float64, int) {
	var m float64
	var differ int
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			differ++
			m = max(m, math.Abs(float64(got[i])-float64(want[i])))
		}
	}
	return m, differ
}

// TestSIMDMatchesGo runs convolutions forward and backward on seeded random
// inputs with the SIMD kernel and with the pure-Go kernel and compares them:
// both add the same products in the same order, so they agree to float32
// rounding (in practice bit for bit; the test allows 1e-6 relative).
func TestSIMDMatchesGo(t *testing.T) {
	requireSIMD(t)
	defer SetSIMD(true)
	cases := []struct {
		n, cin, cout, h, w, k int
		act                   backend.Activation
	}{
		{1, 3, 16, 64, 64, 3, backend.ReLU},    // a stem: K = 27
		{1, 16, 16, 64, 48, 3, backend.ReLU},   // a Block, non-square
		{2, 24, 20, 17, 13, 3, backend.Linear}, // columns fill no tile, two images
		{1, 64, 32, 32, 32, 1, backend.Linear}, // 1×1: C is the output
		{2, 9, 7, 5, 13, 5, backend.Sigmoid},   // 5×5, Cout not a multiple of 4
		{1, 70, 36, 9, 10, 3, backend.ReLU},    // K = 630: one column block of 8
		{1, 5, 4, 1, 2, 1, backend.ReLU},       // 2 columns: the pure-Go kernel runs the forward
		{1, 16, 3, 40, 40, 3, backend.Sigmoid}, // the head: 3 output channels
	}
	be := New()
	for i, c := range cases {
		name := fmt.Sprintf("x (%d,%d,%d,%d) k %d cout %d %v", c.n, c.cin, c.h, c.w, c.k, c.cout, c.act)
		x := &Tensor{S: backend.Shape{N: c.n, C: c.cin, H: c.h, W: c.w}, Data: testutil.Random(uint64(10*i), c.n*c.cin*c.h*c.w, -1, 1)}
		w := &Tensor{S: backend.Shape{N: c.cout, C: c.cin, H: c.k, W: c.k}, Data: testutil.Random(uint64(10*i+1), c.cout*c.cin*c.k*c.k, -0.3, 0.3)}
		bias := &Tensor{S: backend.Shape{N: 1, C: c.cout, H: 1, W: 1}, Data: testutil.Random(uint64(10*i+2), c.cout, -0.5, 0.5)}
		dy := &Tensor{S: backend.Shape{N: c.n, C: c.cout, H: c.h, W: c.w}, Data: testutil.Random(uint64(10*i+3), c.n*c.cout*c.h*c.w, -1, 1)}
		run := func(simdOn bool) [4][]float32 {
			SetSIMD(simdOn)
			runs := simd.runs
			y := be.Conv2D(x, w, bias, c.act)
			if ran, want := simd.runs-runs, c.n; simdOn && c.h*(c.w+c.k-1) >= 4 && ran != want {
				t.Fatalf("%s: the SIMD kernel ran %d products, want %d (one per image)", name, ran, want)
			}
			dx, dw, db := be.Conv2DBackward(x, w, y, dy, c.act, true, true)
			return [4][]float32{host(y).Data, host(dx).Data, host(dw).Data, host(db).Data}
		}
		want, got := run(false), run(true)
		for j, what := range []string{"y", "dx", "dw", "db"} {
			testutil.Close(t, name+" "+what, got[j], want[j], 1e-6, 1e-6)
			d, n := maxAbsDiff(got[j], want[j])
			t.Logf("%s %s: %d of %d values differ from pure Go, by at most %.3g", name, what, n, len(want[j]), d)
		}
	}
}

// TestSIMDFallback checks, in the runs of TestSIMDUnderNode that take the
// engine's SIMD or the Go memory away (N2N_WITHOUT), that the kernel reports
// why it is unavailable and every convolution runs the pure-Go kernel (whose
// results TestConv2D checks in the same run).
func TestSIMDFallback(t *testing.T) {
	want := map[string]string{"simd": "no WebAssembly SIMD", "memory": "globalThis.wasm"}[os.Getenv("N2N_WITHOUT")]
	if want == "" {
		t.Skip("runs through TestSIMDUnderNode with N2N_WITHOUT=simd or memory")
	}
	ok, err := SIMD()
	if ok || err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("SIMD() = %v, %v; want false and an error about %q", ok, err, want)
	}
	x := &Tensor{S: backend.Shape{N: 1, C: 8, H: 16, W: 16}, Data: testutil.Random(1, 8*16*16, -1, 1)}
	w := &Tensor{S: backend.Shape{N: 8, C: 8, H: 3, W: 3}, Data: testutil.Random(2, 8*8*9, -0.3, 0.3)}
	runs := simd.runs
	got := New().Conv2D(x, w, nil, backend.ReLU)
	if simd.runs != runs {
		t.Fatal("the SIMD kernel ran although it is unavailable")
	}
	testutil.Close(t, "pure-Go fallback", host(got).Data, conv2DRef(x, w, nil, backend.ReLU).Data, 1e-4, 1e-3)
}

// TestSIMDOpTable runs every case of the shared op table
// (internal/backend/optest, forward and backward) on the CPU backend with the
// SIMD kernel and with the pure-Go kernel and compares them under the case's
// tolerance; the convolution and loss-map cases must match bit for bit.
func TestSIMDOpTable(t *testing.T) {
	requireSIMD(t)
	defer SetSIMD(true)
	be := New()
	for i, c := range optest.Cases {
		shapes := make([]backend.Shape, len(c.In))
		for j, in := range c.In {
			shapes[j] = in.Shape
		}
		ins := c.Inputs(uint64(100 * i))
		run := func(simdOn bool) []optest.Output {
			SetSIMD(simdOn)
			outs, err := c.RunOn(be, shapes, ins)
			if err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			return outs
		}
		want, got := run(false), run(true)
		for j := range want {
			if (want[j].Values == nil) != (got[j].Values == nil) {
				t.Fatalf("%s output %d: present with one kernel only", c.Name, j)
			}
			if want[j].Values == nil {
				continue
			}
			what := fmt.Sprintf("%s output %d", c.Name, j)
			if d := optest.Compare(got[j].Values, want[j].Values, c.Tol); !d.OK() {
				t.Error(d.Error(what))
			}
			if _, n := maxAbsDiff(got[j].Values, want[j].Values); n > 0 && (strings.HasPrefix(c.Op, "Conv2D") || strings.HasPrefix(c.Op, "LossMap")) {
				t.Errorf("%s: %d values differ from the pure-Go kernel's", what, n)
			}
		}
	}
}

// TestSIMDBlurMatchesGo blurs seeded random planes, and applies the
// transposed blur, with the SIMD kernel and with the Go code for every
// MS-SSIM Gaussian: planes narrower than a vector, rows that fill no vector,
// planes shorter than the radius (every row clamped). Both do the same
// operations in the same order: bit-identical.
func TestSIMDBlurMatchesGo(t *testing.T) {
	requireSIMD(t)
	defer SetSIMD(true)
	for i, sz := range [][2]int{{1, 1}, {3, 2}, {5, 7}, {40, 33}, {64, 64}, {128, 130}} {
		h, w := sz[0], sz[1]
		src := testutil.Random(uint64(20+i), h*w, 0, 1)
		for _, sigma := range backend.MSSSIMSigmas {
			taps := backend.GaussianTaps(sigma)
			for _, transpose := range []bool{false, true} {
				name := fmt.Sprintf("%d×%d plane, σ %g, transposed %v", h, w, sigma, transpose)
				blur := func(simdOn bool) []float32 {
					SetSIMD(simdOn)
					dst := make([]float32, h*w)
					s := newBlurScratch(make([]float32, h*w), h, w)
					blurs := simd.blurs
					if transpose {
						s.blurT(src, dst, taps)
					} else {
						s.blur(src, dst, taps)
					}
					if ran, want := simd.blurs-blurs, map[bool]int{false: 0, true: 1}[simdOn]; ran != want {
						t.Fatalf("%s: the SIMD kernel blurred %d planes with SIMD %v, want %d", name, ran, simdOn, want)
					}
					return dst
				}
				want, got := blur(false), blur(true)
				if d, n := maxAbsDiff(got, want); n > 0 {
					t.Errorf("%s: %d of %d values differ from Go's, by at most %.3g", name, n, len(want), d)
				}
			}
		}
	}
}
