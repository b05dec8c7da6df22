package cpu

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// conv2DRef is the obviously right Conv2D: out (N,Cout,H,W) =
// act(Σ x·w + bias) with zero padding k/2, accumulated in float64.
func conv2DRef(x, w *Tensor, bias []float32, act backend.Activation) *Tensor {
	xs, ws := x.S, w.S
	k, r := ws.H, ws.H/2
	out := NewTensor(backend.Shape{N: xs.N, C: ws.N, H: xs.H, W: xs.W})
	for n := 0; n < xs.N; n++ {
		for co := 0; co < ws.N; co++ {
			for y := 0; y < xs.H; y++ {
				for xx := 0; xx < xs.W; xx++ {
					var s float64
					if bias != nil {
						s = float64(bias[co])
					}
					for ci := 0; ci < xs.C; ci++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								iy, ix := y+ky-r, xx+kx-r
								if iy < 0 || iy >= xs.H || ix < 0 || ix >= xs.W {
									continue
								}
								s += float64(x.Data[((n*xs.C+ci)*xs.H+iy)*xs.W+ix]) *
									float64(w.Data[((co*xs.C+ci)*k+ky)*k+kx])
							}
						}
					}
					out.Data[((n*ws.N+co)*xs.H+y)*xs.W+xx] = activate(float32(s), act)
				}
			}
		}
	}
	return out
}

// TestConv2D compares Conv2D with conv2DRef on seeded random inputs at sizes
// that fill no tile exactly, for several thread counts (0 means one).
func TestConv2D(t *testing.T) {
	cases := []struct {
		n, cin, cout, h, w, k int
		bias                  bool
		act                   backend.Activation
	}{
		{1, 3, 5, 7, 9, 3, true, backend.Linear},
		{2, 5, 3, 11, 6, 3, false, backend.ReLU},
		{1, 17, 13, 23, 19, 3, true, backend.Sigmoid},
		{2, 9, 7, 5, 13, 5, true, backend.ReLU},
		{1, 4, 6, 3, 2, 5, false, backend.Linear},
		{1, 7, 9, 13, 17, 1, true, backend.ReLU},
		{2, 33, 11, 1, 1, 1, true, backend.Sigmoid},
		{1, 70, 36, 9, 10, 3, true, backend.Linear},   // K = 630 spans three K blocks
		{1, 300, 133, 4, 7, 1, false, backend.Linear}, // M spans two M blocks
		{2, 13, 8, 7, 11, 1, true, backend.Sigmoid},   // 1×1 written in place
		{1, 300, 132, 5, 9, 1, true, backend.ReLU},
		{1, 20, 12, 40, 30, 1, false, backend.Linear}, // several chunks per goroutine
		{1, 6, 5, 40, 30, 3, true, backend.Linear},
		{2, 2, 1, 31, 29, 3, true, backend.ReLU},
		{1, 16, 16, 64, 64, 3, true, backend.ReLU},
		{2, 40, 8, 6, 50, 3, true, backend.ReLU},       // K = 360 spans two K blocks, W above nr
		{2, 150, 12, 32, 32, 1, true, backend.ReLU},    // 1×1 on 4 KiB planes, two K blocks
		{1, 5, 7, 64, 48, 1, true, backend.Linear},     // 1×1 on 12 KiB planes, M not a multiple of mr
		{2, 12, 8, 9, 100, 3, true, backend.ReLU},      // rows over four tiles wide: tiles within a row written to the output
		{1, 20, 12, 13, 257, 3, false, backend.Linear}, // the same with K = 180 in two K blocks, odd width
		{2, 3, 4, 5, 96, 5, true, backend.ReLU},        // the same with a 5×5 kernel
		{1, 64, 130, 6, 7, 3, true, backend.ReLU},      // A of 74880 weights packed on several goroutines, a partial last panel
	}
	for i, c := range cases {
		x := &Tensor{S: backend.Shape{N: c.n, C: c.cin, H: c.h, W: c.w}, Data: testutil.Random(uint64(3*i), c.n*c.cin*c.h*c.w, -1, 1)}
		w := &Tensor{S: backend.Shape{N: c.cout, C: c.cin, H: c.k, W: c.k}, Data: testutil.Random(uint64(3*i+1), c.cout*c.cin*c.k*c.k, -0.5, 0.5)}
		var bias backend.Tensor
		var bv []float32
		if c.bias {
			bv = testutil.Random(uint64(3*i+2), c.cout, -1, 1)
			bias = &Tensor{S: backend.Shape{N: 1, C: c.cout, H: 1, W: 1}, Data: bv}
		}
		want := conv2DRef(x, w, bv, c.act)
		for _, threads := range []int{0, 1, 2, 5} {
			got := host((&Backend{Threads: threads}).Conv2D(x, w, bias, c.act))
			if got.S != want.S {
				t.Fatalf("case %d: shape %v, want %v", i, got.S, want.S)
			}
			name := fmt.Sprintf("case %d (x %v, w %v, bias %v, %v, %d threads)", i, x.S, w.S, c.bias, c.act, threads)
			testutil.Close(t, name, got.Data, want.Data, 1e-4, 1e-3)
		}
	}
}

// BenchmarkConv3x3 times the 3×3 Block convolutions of the network at S = 256
// for wf = 16 and wf = 32 (level i: wf·2^i channels at 256/2^i pixels).
func BenchmarkConv3x3(b *testing.B) {
	for _, c := range []struct{ ch, side int }{
		{16, 256}, {32, 128}, {64, 64}, {128, 32},
		{32, 256}, {64, 128}, {128, 64}, {256, 32},
	} {
		b.Run(fmt.Sprintf("%dto%d_%dpx", c.ch, c.ch, c.side), func(b *testing.B) {
			benchConv(b, c.ch, c.ch, c.side, 3)
		})
	}
}

// BenchmarkConv1x1 times a 1×1 convolution the size of the level-1 residual
// attention projection for wf = 32 (C+wf → C at 128²).
func BenchmarkConv1x1(b *testing.B) { benchConv(b, 96, 64, 128, 1) }

// forwardConvs lists the convolutions of one N2N-M forward pass (depth 4, the
// spec's Network section) as {Cin, Cout, side, k}.
func forwardConvs(wf, size int) [][4]int {
	c := func(i int) int { return wf << i }
	s := func(i int) int { return size >> i }
	var l [][4]int
	for i := 0; i < 4; i++ {
		l = append(l, [4]int{3, wf, s(i), 3}) // stem_i
	}
	for i := 0; i < 4; i++ {
		if i > 0 {
			l = append(l, [4]int{4 * c(i-1), c(i), s(i), 1}, [4]int{c(i) + wf, c(i), s(i), 1}) // Down, RAM proj
		}
		l = append(l, [4]int{c(i), c(i), s(i), 3}, [4]int{c(i), c(i), s(i), 3}) // encoder Block
	}
	for i := 0; i < 3; i++ {
		l = append(l, [4]int{c(i+1) / 4, c(i), s(i), 1}, [4]int{2 * c(i), c(i), s(i), 1}) // Up, RAM proj
		l = append(l, [4]int{c(i), c(i), s(i), 3}, [4]int{c(i), c(i), s(i), 3})           // decoder Block
	}
	for i := 0; i < 4; i++ {
		l = append(l, [4]int{c(i), wf, s(i), 3}) // side_i
	}
	return append(l, [4]int{wf, 3, size, 3}) // head
}

// BenchmarkConvForward runs every convolution of one forward pass at S = 256
// (N = 1; the attention and SKFF 1×1 convolutions on (N,C,1,1) are left out,
// they cost microseconds) and reports the time per pass and GFLOP/s.
func BenchmarkConvForward(b *testing.B) {
	for _, wf := range []int{16, 32} {
		b.Run(fmt.Sprintf("wf%d", wf), func(b *testing.B) {
			convs := forwardConvs(wf, 256)
			var maxX, maxW int
			var flops float64
			for _, c := range convs {
				maxX, maxW = max(maxX, c[0]*c[2]*c[2]), max(maxW, c[1]*c[0]*c[3]*c[3])
				flops += 2 * float64(c[1]*c[0]*c[3]*c[3]*c[2]*c[2])
			}
			xs, ws := testutil.Random(1, maxX, -1, 1), testutil.Random(2, maxW, -0.1, 0.1)
			bias := testutil.Random(3, 256, -1, 1)
			be := New()
			for b.Loop() {
				for _, c := range convs {
					x := &Tensor{S: backend.Shape{N: 1, C: c[0], H: c[2], W: c[2]}, Data: xs[:c[0]*c[2]*c[2]]}
					w := &Tensor{S: backend.Shape{N: c[1], C: c[0], H: c[3], W: c[3]}, Data: ws[:c[1]*c[0]*c[3]*c[3]]}
					bt := &Tensor{S: backend.Shape{N: 1, C: c[1], H: 1, W: 1}, Data: bias[:c[1]]}
					be.Conv2D(x, w, bt, backend.ReLU)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/forward")
		})
	}
}

// benchConv times Conv2D (N = 1, ReLU, bias) and reports GFLOP/s, counting a
// multiply-add as two FLOPs.
func benchConv(b *testing.B, cin, cout, side, k int) {
	x := &Tensor{S: backend.Shape{N: 1, C: cin, H: side, W: side}, Data: testutil.Random(1, cin*side*side, -1, 1)}
	w := &Tensor{S: backend.Shape{N: cout, C: cin, H: k, W: k}, Data: testutil.Random(2, cout*cin*k*k, -0.1, 0.1)}
	bias := &Tensor{S: backend.Shape{N: 1, C: cout, H: 1, W: 1}, Data: testutil.Random(3, cout, -1, 1)}
	be := New()
	b.ResetTimer()
	for b.Loop() {
		be.Conv2D(x, w, bias, backend.ReLU)
	}
	flops := 2 * float64(cout*cin*k*k*side*side)
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
