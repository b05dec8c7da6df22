//go:build !js

package gpu_test

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// BenchmarkConvWeightGrad times the weight gradient of Conv2DBackward alone
// (Linear, no bias, no dx: the op then records only the weight-gradient
// kernels) on the network's level-0 and level-1 shapes at S = 256, batch 1,
// and reports GFLOP/s, a multiply-add counting as two FLOPs. The b.N
// gradients are recorded back to back and the time runs until the last one
// is read back.
func BenchmarkConvWeightGrad(b *testing.B) {
	for _, c := range []struct {
		cin, cout, size, k int
	}{
		{32, 32, 256, 3},  // Block(C_0), wf = 32
		{64, 64, 128, 3},  // Block(C_1), wf = 32
		{16, 16, 256, 3},  // Block(C_0), wf = 16
		{64, 32, 256, 1},  // level-0 projection 2C_0 → C_0, wf = 32
		{128, 64, 128, 1}, // level-1 projection 2C_1 → C_1, wf = 32
	} {
		b.Run(fmt.Sprintf("%dto%d/%dx%d/k%d", c.cin, c.cout, c.size, c.size, c.k), func(b *testing.B) {
			xs := sh(1, c.cin, c.size, c.size)
			ys := sh(1, c.cout, c.size, c.size)
			ws := sh(c.cout, c.cin, c.k, c.k)
			x := dev.Upload(xs, testutil.Random(1, xs.Len(), -1, 1))
			w := dev.Upload(ws, testutil.Random(2, ws.Len(), -0.1, 0.1))
			y := dev.Upload(ys, testutil.Random(3, ys.Len(), -1, 1))
			dy := dev.Upload(ys, testutil.Random(4, ys.Len(), -1, 1))
			_, dw, _ := dev.Conv2DBackward(x, w, y, dy, backend.Linear, false, false)
			if _, err := dev.Download(dw); err != nil { // compiles the kernels
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				dev.Free(dw)
				_, dw, _ = dev.Conv2DBackward(x, w, y, dy, backend.Linear, false, false)
			}
			if _, err := dev.Download(dw); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			flop := 2 * float64(xs.Len()) * float64(c.cout*c.k*c.k)
			b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			for _, t := range []backend.Tensor{x, w, y, dy, dw} {
				dev.Free(t)
			}
		})
	}
}
