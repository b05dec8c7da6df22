//go:build !js

package gpu_test

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/backend/optest"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// benchOp times run on inputs of the given shapes at network sizes (level
// 0 of N2N-M at S = 256) and reports the bytes each call reads and writes
// per second. The time includes waiting for the device (Sync).
func benchOp(b *testing.B, in []backend.Shape, bytes func(out backend.Shape) int, run func(t []backend.Tensor) backend.Tensor) {
	ts := make([]backend.Tensor, len(in))
	for i, s := range in {
		ts[i] = dev.Upload(s, testutil.Random(uint64(i), s.Len(), -1, 1))
	}
	var outShape backend.Shape
	dev.Sync()
	b.ResetTimer()
	for range b.N {
		out := run(ts)
		outShape = out.Shape()
		dev.Free(out)
	}
	dev.Sync()
	b.StopTimer()
	b.ReportMetric(float64(bytes(outShape))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	for _, t := range ts {
		dev.Free(t)
	}
}

// rw is the byte count of reading the inputs in once and writing out once.
func rw(in ...backend.Shape) func(backend.Shape) int {
	return func(out backend.Shape) int {
		n := out.Len()
		for _, s := range in {
			n += s.Len()
		}
		return 4 * n
	}
}

// BenchmarkOps times every case of the op table that has network-size
// inputs (optest.Case.Bench) and reports the bytes of reading its inputs
// once and writing its output once per second (SKFFFuse's and LossMap's
// passes move several times more; ns/op is the number to compare).
func BenchmarkOps(b *testing.B) {
	for _, c := range optest.Cases {
		if c.Bench == nil {
			continue
		}
		b.Run(c.Name, func(b *testing.B) {
			benchOp(b, c.Bench, rw(c.Bench...), func(t []backend.Tensor) backend.Tensor { return c.Run(dev, t)[0] })
		})
	}
}
