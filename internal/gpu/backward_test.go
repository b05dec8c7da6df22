//go:build !js

package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/backend/optest"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// TestLossMapBackwardFiniteDiff checks the GPU's loss-map gradient against a
// central finite difference of the CPU's forward map, independently of the
// CPU's backward: ⟨grad, d⟩ ≈ (f(xhat + εd) − f(xhat − εd))/2ε for
// f = scale·Σ LossMap (summed in float64) along random directions d that
// are 0 wherever |x0 − xhat| ≤ 2ε, so that no step crosses the kink of the
// L1 term's |a − b| (where a finite difference is not a derivative).
func TestLossMapBackwardFiniteDiff(t *testing.T) {
	const (
		eps    = 3e-3
		tol    = 3e-3
		trials = 2
	)
	s := sh(2, 3, 13, 17)
	for _, c := range []struct {
		name  string
		alpha float32
		prep  func(in [][]float32)
	}{
		{"unrelated", 0.84, nil},
		{"near", 0.84, optest.NearCopy},
		{"ssim", 1, optest.NearCopy},
		{"l1", 0, optest.NearCopy},
	} {
		t.Run(c.name, func(t *testing.T) {
			x0, xhat := testutil.Random(1, s.Len(), -1, 1), testutil.Random(2, s.Len(), -1, 1)
			if c.prep != nil {
				c.prep([][]float32{x0, xhat})
			}
			f := func(v []float32) float64 {
				a, b := ref.Upload(s, x0), ref.Upload(s, v)
				m := ref.LossMap(a, b, c.alpha)
				sum := 0.0
				for _, x := range testutil.Download(t, ref, m) {
					sum += float64(x)
				}
				ref.Free(a)
				ref.Free(b)
				ref.Free(m)
				return sum
			}
			a, b := dev.Upload(s, x0), dev.Upload(s, xhat)
			g := dev.LossMapBackward(a, b, c.alpha, 1)
			grad := testutil.Download(t, dev, g)
			dev.Free(a)
			dev.Free(b)
			dev.Free(g)
			for trial := range trials {
				d := testutil.Random(uint64(10+trial), s.Len(), -1, 1)
				plus, minus := make([]float32, len(d)), make([]float32, len(d))
				dot := 0.0
				for i := range d {
					if math.Abs(float64(x0[i]-xhat[i])) <= 2*eps {
						d[i] = 0
					}
					plus[i], minus[i] = xhat[i]+eps*d[i], xhat[i]-eps*d[i]
					dot += float64(grad[i]) * float64(d[i])
				}
				fd := (f(plus) - f(minus)) / (2 * eps)
				e := math.Abs(dot-fd) / math.Abs(fd)
				if e > tol {
					t.Errorf("direction %d: ⟨grad, d⟩ = %.7g, finite difference %.7g (relative error %.2g > %g)", trial, dot, fd, e, tol)
				}
				t.Logf("direction %d: ⟨grad, d⟩ = %.7g, finite difference %.7g (relative error %.2g)", trial, dot, fd, e)
			}
		})
	}
}

// BenchmarkConv2DBackward times Conv2DBackward (N = 1, ReLU, bias, dx) on
// the network's shapes at wf = 32, S = 256 and reports GFLOP/s, counting the
// weight gradient and the input gradient as one convolution each (a
// multiply-add as two FLOPs). The b.N backward passes are recorded back to
// back and the time runs until the last dw is read back.
func BenchmarkConv2DBackward(b *testing.B) {
	for _, c := range []struct {
		cin, cout, size, k int
	}{
		{32, 32, 256, 3}, // Block(C_0)
		{64, 64, 128, 3}, // Block(C_1)
		{64, 32, 256, 1}, // RAM(2C_0 → C_0) projection
		{64, 8, 1, 1},    // RAM(C_1) attention fc1
	} {
		b.Run(fmt.Sprintf("%dto%d/%dx%d/k%d", c.cin, c.cout, c.size, c.size, c.k), func(b *testing.B) {
			xs := sh(1, c.cin, c.size, c.size)
			ys := sh(1, c.cout, c.size, c.size)
			ws := sh(c.cout, c.cin, c.k, c.k)
			x := dev.Upload(xs, testutil.Random(1, xs.Len(), -1, 1))
			w := dev.Upload(ws, testutil.Random(2, ws.Len(), -0.1, 0.1))
			y := dev.Upload(ys, testutil.Random(3, ys.Len(), -1, 1))
			dy := dev.Upload(ys, testutil.Random(4, ys.Len(), -1, 1))
			run := func() (dx, dw, db backend.Tensor) {
				return dev.Conv2DBackward(x, w, y, dy, backend.ReLU, true, true)
			}
			dx, dw, db := run()
			if _, err := dev.Download(dw); err != nil { // compiles the kernels
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				for _, t := range []backend.Tensor{dx, dw, db} {
					dev.Free(t)
				}
				dx, dw, db = run()
			}
			if _, err := dev.Download(dw); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			flop := 2 * 2 * float64(xs.Len()) * float64(c.cout*c.k*c.k)
			b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			for _, t := range []backend.Tensor{x, w, y, dy, dx, dw, db} {
				dev.Free(t)
			}
		})
	}
}
