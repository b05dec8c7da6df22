package cpu

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// weightGradRef is dw of weightGrad by a direct float64 sum.
func weightGradRef(x, g *Tensor, k int) []float32 {
	xs, cout := x.S, g.S.C
	n, cin, h, w := xs.N, xs.C, xs.H, xs.W
	want := make([]float32, cout*cin*k*k)
	for co := 0; co < cout; co++ {
		for ci := 0; ci < cin; ci++ {
			for ky := 0; ky < k; ky++ {
				for kx := 0; kx < k; kx++ {
					sum := 0.0
					for i := 0; i < n; i++ {
						for yy := 0; yy < h; yy++ {
							sy := yy + ky - k/2
							if sy < 0 || sy >= h {
								continue
							}
							for xx := 0; xx < w; xx++ {
								if sx := xx + kx - k/2; sx >= 0 && sx < w {
									sum += float64(g.Data[((i*cout+co)*h+yy)*w+xx]) * float64(x.Data[((i*cin+ci)*h+sy)*w+sx])
								}
							}
						}
					}
					want[((co*cin+ci)*k+ky)*k+kx] = float32(sum)
				}
			}
		}
	}
	return want
}

// convBackwardCase is a shape the Conv2DBackward tests run: batch n, cin →
// cout channels, h×w planes, a k×k kernel.
type convBackwardCase struct{ n, cin, cout, h, w, k int }

// convBackwardCases are odd shapes for the weight gradient's dot-product
// paths: Cout and Cin·k·k not multiples of the tiles, planes not multiples
// of 16, several chunks per image and several partial sums, batch > 1.
var convBackwardCases = []convBackwardCase{
	{3, 5, 7, 37, 61, 3},   // one chunk per image
	{2, 2, 5, 130, 140, 3}, // 3 chunks per image
	{1, 2, 3, 400, 350, 3}, // 18 chunks: 3 partial sums
	{2, 2, 5, 300, 300, 1}, // 11 chunks per image: 3 partial sums
	{3, 7, 3, 9, 14, 1},    // Cout < 4, planes shorter than 16
	{2, 3, 1, 11, 5, 5},    // 5×5
	{1, 1, 4, 7, 7, 3},     // Cin·k·k = 9
	{5, 37, 9, 1, 1, 1},    // the attention's 1×1 layers
	{2, 16, 16, 17, 33, 3}, // a Block
	{1, 4, 8, 1, 1, 3},     // a 1×1 plane through a 3×3 kernel
}

// inputs returns the case's name and its seeded operands: x (N,Cin,H,W) and
// dy (N,Cout,H,W) in [−1, 1], w (Cout,Cin,k,k) in [−0.5, 0.5], bias
// (1,Cout,1,1) in [−0.3, 0.3].
func (c convBackwardCase) inputs() (name string, x, w, bias, dy *Tensor) {
	name = fmt.Sprintf("k%d %d→%d %dx%d batch %d", c.k, c.cin, c.cout, c.h, c.w, c.n)
	x = randTensor(uint64(c.h), backend.Shape{N: c.n, C: c.cin, H: c.h, W: c.w}, -1, 1)
	w = randTensor(uint64(c.k), backend.Shape{N: c.cout, C: c.cin, H: c.k, W: c.k}, -0.5, 0.5)
	bias = randTensor(uint64(c.n), backend.Shape{N: 1, C: c.cout, H: 1, W: 1}, -0.3, 0.3)
	dy = randTensor(uint64(c.w), backend.Shape{N: c.n, C: c.cout, H: c.h, W: c.w}, -1, 1)
	return name, x, w, bias, dy
}

// withDotTile runs f with dotTile set to kernel (restored afterwards).
func withDotTile(kernel func(int, []float32, *[4]int, []float32, *[6]int, *[96]float32), f func()) {
	saved := dotTile
	dotTile = kernel
	defer func() { dotTile = saved }()
	f()
}

// TestConv2DBackwardDot compares Conv2DBackward on the dot-product path
// (the platform's kernel, and the Go stand-in) with a float64 direct sum
// (dw, linear) and with the im2col path (dx, dw, db; ReLU and sigmoid) on
// odd shapes: Cout and Cin·k·k not multiples of the 4×6 tile, planes not
// multiples of 16, several chunks per image and several partial sums,
// batch > 1; and checks that the results are the same to the bit for 1,
// 2, 3 and 7 threads.
func TestConv2DBackwardDot(t *testing.T) {
	kernels := append([]dotTileKernel{{"go", dotTileGo}}, platformDotTiles()...)
	for _, c := range convBackwardCases {
		name, x, w, bias, dy := c.inputs()
		wantDW := weightGradRef(x, dy, c.k)
		for _, act := range []backend.Activation{backend.Linear, backend.ReLU, backend.Sigmoid} {
			be := New()
			y := be.Conv2D(x, w, bias, act)
			var want [3]backend.Tensor
			withDotTile(nil, func() { want[0], want[1], want[2] = be.Conv2DBackward(x, w, y, dy, act, true, true) })
			for _, kern := range kernels {
				withDotTile(kern.f, func() {
					var first [3][]float32
					for _, threads := range []int{1, 2, 3, 7} {
						be := New()
						be.Threads = threads
						dx, dw, db := be.Conv2DBackward(x, w, y, dy, act, true, true)
						got := [3][]float32{host(dx).Data, host(dw).Data, host(db).Data}
						if first[0] == nil {
							first = got
							what := fmt.Sprintf("%s %v %s", name, act, kern.name)
							if act == backend.Linear {
								testutil.Close(t, what+" dw vs float64", got[1], wantDW, 1e-4, 1e-5)
							}
							for i, n := range []string{"dx", "dw", "db"} {
								testutil.Close(t, what+" "+n+" vs im2col", got[i], host(want[i]).Data, 1e-3, 1e-4) // both sum in float32, in other orders
							}
							continue
						}
						for i := range got {
							for j := range got[i] {
								if got[i][j] != first[i][j] {
									t.Fatalf("%s %v %s: output %d [%d] = %g with %d threads, %g with 1", name, act, kern.name, i, j, got[i][j], threads, first[i][j])
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestDotTileKernel compares the platform's dot-product kernels with the
// Go stand-in on rows at odd offsets: the AVX-512 one lane sum by lane sum
// (it splits the elements as the stand-in does), every kernel by the dot
// products the four sums add up to.
func TestDotTileKernel(t *testing.T) {
	kernels := platformDotTiles()
	if len(kernels) == 0 {
		t.Skip("no dot-product kernel on this platform: Conv2DBackward runs the im2col product")
	}
	g, x := testutil.Random(1, 5000, -1, 1), testutil.Random(2, 7000, -1, 1)
	goffs, xoffs := [4]int{3, 1001, 17, 2999}, [6]int{0, 1, 2, 4001, 3333, 5}
	for _, k := range kernels {
		for _, n := range []int{16, 48, 1024, 1984} {
			var got, want [96]float32
			k.f(n, g, &goffs, x, &xoffs, &got)
			dotTileGo(n, g, &goffs, x, &xoffs, &want)
			var gotDots, wantDots [24]float32
			for i := range gotDots {
				o, w := got[4*i:], want[4*i:]
				gotDots[i], wantDots[i] = (o[0]+o[1])+(o[2]+o[3]), (w[0]+w[1])+(w[2]+w[3])
			}
			testutil.Close(t, fmt.Sprintf("%s n %d dot products", k.name, n), gotDots[:], wantDots[:], 1e-5, 1e-6)
			if k.name == "avx512" {
				testutil.Close(t, fmt.Sprintf("%s n %d lane sums", k.name, n), got[:], want[:], 1e-5, 1e-6)
			}
		}
	}
}

// dotTileKernel is a dotTile implementation by name.
type dotTileKernel struct {
	name string
	f    func(int, []float32, *[4]int, []float32, *[6]int, *[96]float32)
}
