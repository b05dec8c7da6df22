//go:build js && wasm

package cpu

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

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
// y, dx and db add the same products in the same order, so they agree to
// float32 rounding (in practice bit for bit; the test allows 1e-6
// relative); dw is the SIMD kernel's dot products against pure Go's im2col
// product, float32 sums in other orders (1e-3 relative, 1e-4 absolute, as
// TestConv2DBackwardDot allows).
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
			rtol, atol := 1e-6, 1e-6
			if what == "dw" {
				rtol, atol = 1e-3, 1e-4
			}
			testutil.Close(t, name+" "+what, got[j], want[j], rtol, atol)
			d, n := maxAbsDiff(got[j], want[j])
			t.Logf("%s %s: %d of %d values differ from pure Go, by at most %.3g", name, what, n, len(want[j]), d)
		}
	}
}

// TestSIMDFallback checks, in the runs of TestSIMDUnderNode that take the
// engine's SIMD or the Go memory away (N2N_WITHOUT), that the kernel reports
// why it is unavailable and every convolution runs the pure-Go kernel (whose
// results TestConv2D and TestConv2DBackward check in the same run), the
// weight gradient the im2col product (checked here against a float64 sum).
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
	runs, dotRuns := simd.runs, simd.dotRuns
	got := New().Conv2D(x, w, nil, backend.ReLU)
	dy := &Tensor{S: got.Shape(), Data: testutil.Random(3, 8*16*16, -1, 1)}
	_, dw, _ := New().Conv2DBackward(x, w, got, dy, backend.ReLU, true, true)
	if simd.runs != runs || simd.dotRuns != dotRuns {
		t.Fatal("the SIMD kernel ran although it is unavailable")
	}
	testutil.Close(t, "pure-Go fallback dw", host(dw).Data, weightGradRef(x, reluGrad(host(got), dy), 3), 1e-4, 1e-5)
	testutil.Close(t, "pure-Go fallback", host(got).Data, conv2DRef(x, w, nil, backend.ReLU).Data, 1e-4, 1e-3)
}

// TestSIMDOpTable runs every case of the shared op table
// (internal/backend/optest, forward and backward) on the CPU backend with the
// SIMD kernel and with the pure-Go kernel and compares them under the case's
// tolerance; the forward convolution and loss-map cases must match bit for
// bit (Conv2DBackward's dw is the dot-product kernel's against pure Go's
// im2col product: sums in other orders).
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
			if _, n := maxAbsDiff(got[j].Values, want[j].Values); n > 0 && (c.Op == "Conv2D" || strings.HasPrefix(c.Op, "LossMap")) {
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

// dotsRef is the kernel's dots in Go, in its order: for each product, four
// lanes over the whole vectors (lane l the elements q ≡ l mod 4), folded as
// (l0 + l1) + (l2 + l3), then the last n mod 4 products one by one, then
// stored or added to out.
func dotsRef(out []float32, ldo int, g []float32, gOff, gRow, rows int, x []float32, xOff int, xByteOffs []int32, n int, accumulate bool) {
	for i := 0; i < rows; i++ {
		gr := g[gOff+i*gRow : gOff+i*gRow+n]
		for j, o := range xByteOffs {
			xr := x[xOff+int(o/4) : xOff+int(o/4)+n]
			var lanes [4]float32
			n4 := n &^ 3
			for q := 0; q < n4; q++ {
				lanes[q%4] += gr[q] * xr[q]
			}
			v := (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
			for q := n4; q < n; q++ {
				v += gr[q] * xr[q]
			}
			if accumulate {
				out[i*ldo+j] += v
			} else {
				out[i*ldo+j] = v
			}
		}
	}
}

// TestSIMDDotsMatchGo runs the kernel's dots on seeded random rows at odd
// offsets, for every number of rows and columns of one tile and more (the
// last row or column group part-filled), lengths with and without a
// remainder of 4 or 8, storing and adding, and compares it with dotsRef:
// the same operations in the same order, bit for bit; elements of out
// outside the block must stay untouched.
func TestSIMDDotsMatchGo(t *testing.T) {
	requireSIMD(t)
	g, x := testutil.Random(31, 10000, -1, 1), testutil.Random(32, 7000, -1, 1)
	allOffs := []int32{4 * 5, 4 * 1001, 4 * 2, 4 * 3333, 4 * 17, 4 * 64, 4 * 4000, 4 * 3}
	for _, n := range []int{0, 1, 3, 4, 7, 8, 12, 13, 16, 100, 1001} {
		for rows := 1; rows <= 9; rows++ {
			for cols := 1; cols <= len(allOffs); cols++ {
				for _, accumulate := range []bool{false, true} {
					const ldo = 11
					gOff, gRow, xOff := 7, n+9, 13
					init := testutil.Random(uint64(n*100+rows*10+cols), rows*ldo, -1, 1)
					got, want := slices.Clone(init), slices.Clone(init)
					runs := simd.dotRuns
					dotsSIMD(got, ldo, g, gOff, gRow, rows, x, xOff, allOffs[:cols], n, accumulate)
					if simd.dotRuns != runs+1 {
						t.Fatal("the SIMD kernel's dots did not run")
					}
					dotsRef(want, ldo, g, gOff, gRow, rows, x, xOff, allOffs[:cols], n, accumulate)
					if d, bad := maxAbsDiff(got, want); bad > 0 {
						t.Fatalf("n %d, %d×%d, accumulate %v: %d of %d values differ from Go's, by at most %.3g",
							n, rows, cols, accumulate, bad, len(want), d)
					}
				}
			}
		}
	}
}

// TestSIMDConv2DBackwardDot compares Conv2DBackward on the SIMD kernel's
// dot-product path with a float64 direct sum (dw, linear) and with the
// pure-Go im2col path (SetSIMD(false): dx, dw, db; ReLU and sigmoid) on
// odd shapes: Cout and Cin·k·k not multiples of the 4×2 tile or of a work
// item's 32×48 block, planes not multiples of 4, several chunks per image
// and several partial sums, batch > 1; checks that the kernel ran, and
// that the results are the same to the bit for 1, 2, 3 and 7 threads.
// Planes smaller than dotsMinPlane, which Conv2DBackward gives the im2col
// product, are run on the kernel too here (and checked to run im2col
// otherwise).
func TestSIMDConv2DBackwardDot(t *testing.T) {
	requireSIMD(t)
	defer SetSIMD(true)
	everywhere := &dotBlockKernel{use: func(backend.Shape) bool { return true }, run: dotsSIMD}
	// convBackwardCases, then shapes for the SIMD kernel's work items.
	for _, c := range append(slices.Clip(convBackwardCases),
		convBackwardCase{2, 9, 37, 10, 11, 3}, // Cout > 32, Cin·k·k = 81 > 48: several work items
		convBackwardCase{1, 3, 16, 64, 64, 3}, // a stem
		convBackwardCase{2, 64, 32, 8, 8, 3},  // deep: Cin·k·k = 576
	) {
		name, x, w, bias, dy := c.inputs()
		wantDW := weightGradRef(x, dy, c.k)
		for _, act := range []backend.Activation{backend.Linear, backend.ReLU, backend.Sigmoid} {
			be := New()
			y := be.Conv2D(x, w, bias, act)
			SetSIMD(false)
			wdx, wdw, wdb := be.Conv2DBackward(x, w, y, dy, act, true, true)
			want := [3][]float32{host(wdx).Data, host(wdw).Data, host(wdb).Data}
			SetSIMD(true)
			runs := simd.dotRuns
			be.Conv2DBackward(x, w, y, dy, act, true, true)
			if ran, want := simd.dotRuns > runs, c.h*c.w >= dotsMinPlane; ran != want {
				t.Fatalf("%s %v: the SIMD kernel's dots ran %v, want %v (planes of %d pixels and more)", name, act, ran, want, dotsMinPlane)
			}
			dotBlock = everywhere
			var first [3][]float32
			for _, threads := range []int{1, 2, 3, 7} {
				be := New()
				be.Threads = threads
				runs := simd.dotRuns
				dx, dw, db := be.Conv2DBackward(x, w, y, dy, act, true, true)
				if simd.dotRuns == runs {
					t.Fatalf("%s %v: the SIMD kernel's dots did not run", name, act)
				}
				got := [3][]float32{host(dx).Data, host(dw).Data, host(db).Data}
				if first[0] == nil {
					first = got
					what := fmt.Sprintf("%s %v", name, act)
					if act == backend.Linear {
						// float32 sums of up to 140,000 products: the error
						// scales with the largest element (244 in the
						// 400×350 case), not with each one
						testutil.Close(t, what+" dw vs float64", got[1], wantDW, 1e-5, 1e-5*optest.MaxAbs(wantDW))
					}
					for i, n := range []string{"dx", "dw", "db"} {
						testutil.Close(t, what+" "+n+" vs im2col", got[i], want[i], 1e-3, 1e-4) // both sum in float32, in other orders
					}
					continue
				}
				for i := range got {
					for j := range got[i] {
						if got[i][j] != first[i][j] {
							t.Fatalf("%s %v: output %d [%d] = %g with %d threads, %g with 1", name, act, i, j, got[i][j], threads, first[i][j])
						}
					}
				}
			}
		}
	}
}

// reluGrad is dy where y > 0, else 0 (y's shape).
func reluGrad(y, dy *Tensor) *Tensor {
	g := &Tensor{S: y.S, Data: make([]float32, len(y.Data))}
	for i, v := range y.Data {
		if v > 0 {
			g.Data[i] = dy.Data[i]
		}
	}
	return g
}

// reportMedians reports the median of each path's milliseconds ms[path]
// under names[path], and no ns/op (a b.Loop iteration runs both paths).
func reportMedians(b *testing.B, ms [2][]float64, names [2]string) {
	for path, name := range names {
		slices.Sort(ms[path])
		b.ReportMetric(ms[path][len(ms[path])/2], name)
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkConv2DBackwardSIMD times Conv2DBackward (dx, dw, db, ReLU) in
// the page's build with the weight gradient as the SIMD kernel's dot
// products (on every plane size) and as the im2col product on the SIMD
// gemm (dotBlock off), on layers of the training presets' sizes (batch 4).
// Each iteration runs both, one after the other, so that both see the same
// load; the metrics are the medians of each (ms). Under node:
//
//	GOOS=js GOARCH=wasm go test -c -o /tmp/cpu.wasm ./internal/cpu
//	GOROOT=$(go env GOROOT) node internal/cpu/testdata/wasm_exec_simd.js /tmp/cpu.wasm -test.run '^$' -test.bench Conv2DBackwardSIMD -test.benchtime 30x
func BenchmarkConv2DBackwardSIMD(b *testing.B) {
	requireSIMD(&testing.T{})
	everywhere := &dotBlockKernel{use: func(backend.Shape) bool { return true }, run: dotsSIMD}
	for _, c := range []struct{ n, cin, cout, h, w, k int }{
		{4, 8, 8, 64, 64, 3},
		{4, 16, 16, 128, 128, 3},
		{4, 16, 16, 32, 32, 3},
		{4, 32, 32, 32, 32, 3},
		{4, 32, 32, 16, 16, 3},
		{4, 64, 64, 16, 16, 3},
		{4, 64, 64, 8, 8, 3},
		{4, 128, 128, 8, 8, 3},
		{4, 32, 32, 32, 32, 1},
		{4, 128, 128, 8, 8, 1},
	} {
		x := randTensor(1, backend.Shape{N: c.n, C: c.cin, H: c.h, W: c.w}, -1, 1)
		w := randTensor(2, backend.Shape{N: c.cout, C: c.cin, H: c.k, W: c.k}, -0.5, 0.5)
		dy := randTensor(3, backend.Shape{N: c.n, C: c.cout, H: c.h, W: c.w}, -1, 1)
		be := New()
		y := be.Conv2D(x, w, nil, backend.ReLU)
		b.Run(fmt.Sprintf("k%d_%d-%d_%dx%d", c.k, c.cin, c.cout, c.h, c.w), func(b *testing.B) {
			saved := dotBlock
			defer func() { dotBlock = saved }()
			var ms [2][]float64 // im2col, dots
			for b.Loop() {
				for path, kernel := range []*dotBlockKernel{nil, everywhere} {
					dotBlock = kernel
					start := time.Now()
					dx, dw, db := be.Conv2DBackward(x, w, y, dy, backend.ReLU, true, true)
					ms[path] = append(ms[path], float64(time.Since(start).Microseconds())/1000)
					be.Free(dx)
					be.Free(dw)
					be.Free(db)
				}
			}
			reportMedians(b, ms, [2]string{"im2col-ms", "dots-ms"})
		})
	}
}

// TestSIMDLossRowsMatchGo runs the loss map gradient's rows (addScaled,
// addProduct, ssimCS, grad's factors) with the SIMD kernel and with the Go
// loops on seeded random rows of lengths with and without a remainder of 4,
// and LossMapBackward of a batch of odd-sized images both ways: the same
// operations in the same order, bit for bit.
func TestSIMDLossRowsMatchGo(t *testing.T) {
	requireSIMD(t)
	defer SetSIMD(true)
	for _, n := range []int{1, 3, 4, 5, 17, 64, 4099} {
		in := func(seed uint64) []float32 { return testutil.Random(seed, n, 0.1, 1) }
		ea, eb, eab, ma, mb, lum, cs := in(1), in(2), in(3), in(4), in(5), in(6), in(7)
		others := [4][]float32{in(8), in(9), in(10), in(11)}
		den := in(12)
		run := func(simdOn bool) [][]float32 {
			SetSIMD(simdOn)
			rows := simd.rowRuns
			out1, out2 := in(13), in(14)
			addScaled(out1, ea, 0.7)
			addProduct(out2, eb, eab, 2)
			dn, c := make([]float32, n), make([]float32, n)
			ssimCS(ea, eb, eab, ma, mb, dn, c)
			gmb, geb, geab := make([]float32, n), make([]float32, n), make([]float32, n)
			if !simdOn {
				for i := range gmb { // grad's loop for four other scales
					g := float32(-0.3) * lum[i]
					for _, o := range others {
						g *= o[i]
					}
					inv := 1 / den[i]
					gmb[i] = g * (2*mb[i]*cs[i] - 2*ma[i]) * inv
					geb[i] = -g * cs[i] * inv
					geab[i] = 2 * g * inv
				}
			} else if !wholeRows.ssimFactors(lum, others, den, cs, ma, mb, gmb, geb, geab, -0.3) {
				t.Fatal("ssimFactors declined")
			}
			if ran, want := simd.rowRuns-rows, map[bool]int{false: 0, true: 4}[simdOn]; ran != want {
				t.Fatalf("n %d: the SIMD kernel ran %d rows with SIMD %v, want %d", n, ran, simdOn, want)
			}
			return [][]float32{out1, out2, dn, c, gmb, geb, geab}
		}
		want, got := run(false), run(true)
		for j, what := range []string{"addScaled", "addProduct", "ssimCS den", "ssimCS cs", "gmb", "geb", "geab"} {
			if d, bad := maxAbsDiff(got[j], want[j]); bad > 0 {
				t.Errorf("n %d %s: %d of %d values differ from Go's, by at most %.3g", n, what, bad, n, d)
			}
		}
	}
	s := backend.Shape{N: 2, C: 3, H: 13, W: 37}
	x0, xhat := testutil.Random(20, s.Len(), -1, 1), testutil.Random(21, s.Len(), -1, 1)
	grad := func(simdOn bool) []float32 {
		SetSIMD(simdOn)
		be := New()
		rows := simd.rowRuns
		g := host(be.LossMapBackward(be.Upload(s, x0), be.Upload(s, xhat), 0.84, 1.5)).Data
		if ran := simd.rowRuns > rows; ran != simdOn {
			t.Fatalf("LossMapBackward: the SIMD kernel's rows ran %v with SIMD %v", ran, simdOn)
		}
		return g
	}
	if d, bad := maxAbsDiff(grad(true), grad(false)); bad > 0 {
		t.Errorf("LossMapBackward: %d of %d values differ from Go's, by at most %.3g", bad, s.Len(), d)
	}
}

// BenchmarkLossMapAndBackwardSIMD times LossMapAndBackward (the training
// loss's map and gradient) in the page's build for a batch of 4 images of
// the training presets' sizes, with the gradient's rows on the SIMD kernel
// and in Go (wholeRows off; the blurs are SIMD in both). Each iteration
// runs both, one after the other; the metrics are the medians (ms). Under
// node, as BenchmarkConv2DBackwardSIMD:
//
//	GOROOT=$(go env GOROOT) node internal/cpu/testdata/wasm_exec_simd.js /tmp/cpu.wasm -test.run '^$' -test.bench LossMapAndBackwardSIMD -test.benchtime 15x
func BenchmarkLossMapAndBackwardSIMD(b *testing.B) {
	requireSIMD(&testing.T{})
	for _, hw := range []int{64, 128} {
		s := backend.Shape{N: 4, C: 3, H: hw, W: hw}
		be := New()
		x0 := be.Upload(s, testutil.Random(1, s.Len(), -1, 1))
		xhat := be.Upload(s, testutil.Random(2, s.Len(), -1, 1))
		b.Run(fmt.Sprintf("%dx%d", hw, hw), func(b *testing.B) {
			saved := wholeRows
			defer func() { wholeRows = saved }()
			var ms [2][]float64 // Go rows, SIMD rows
			for b.Loop() {
				for path, kernels := range []*rowKernels{nil, saved} {
					wholeRows = kernels
					start := time.Now()
					m, d := be.LossMapAndBackward(x0, xhat, 0.84, 1)
					ms[path] = append(ms[path], float64(time.Since(start).Microseconds())/1000)
					be.Free(m)
					be.Free(d)
				}
			}
			reportMedians(b, ms, [2]string{"go-rows-ms", "simd-rows-ms"})
		})
	}
}
