//go:build !js

package gpu_test

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// BenchmarkConv2D times Conv2D (N = 1, bias, ReLU) on the network's shapes
// at wf = 32, S = 256 and reports GFLOP/s, counting a multiply-add as two
// FLOPs. The b.N convolutions are recorded back to back and the time runs
// until the last output is read back, so it is device time (weight repacks
// included) plus one readback.
func BenchmarkConv2D(b *testing.B) {
	for _, c := range []struct {
		cin, cout, size, k int
	}{
		{32, 32, 256, 3},  // Block(C_0)
		{64, 64, 128, 3},  // Block(C_1)
		{128, 128, 64, 3}, // Block(C_2)
		{256, 256, 32, 3}, // Block(C_3)
		{64, 32, 128, 3},  // side_1
		{96, 64, 128, 1},  // RAM(C_1+wf → C_1) projection
	} {
		b.Run(fmt.Sprintf("%dto%d/%dx%d/k%d", c.cin, c.cout, c.size, c.size, c.k), func(b *testing.B) {
			xs := backend.Shape{N: 1, C: c.cin, H: c.size, W: c.size}
			x := dev.Upload(xs, testutil.Random(1, xs.Len(), -1, 1))
			ws := backend.Shape{N: c.cout, C: c.cin, H: c.k, W: c.k}
			w := dev.Upload(ws, testutil.Random(2, ws.Len(), -0.1, 0.1))
			bias := dev.Upload(backend.Shape{N: 1, C: c.cout, H: 1, W: 1}, testutil.Random(3, c.cout, -1, 1))
			out := dev.Conv2D(x, w, bias, backend.ReLU)
			if _, err := dev.Download(out); err != nil { // compiles the kernels
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				dev.Free(out)
				out = dev.Conv2D(x, w, bias, backend.ReLU)
			}
			if _, err := dev.Download(out); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			flop := 2 * float64(xs.Len()) * float64(c.cout*c.k*c.k)
			b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			for _, t := range []backend.Tensor{x, w, bias, out} {
				dev.Free(t)
			}
		})
	}
}
