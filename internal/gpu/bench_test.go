//go:build !js

package gpu_test

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
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

var (
	level0 = sh(1, 32, 256, 256)
	gate   = sh(1, 32, 1, 1)
	half   = sh(1, 32, 128, 128)
	image  = sh(1, 3, 256, 256)
)

func BenchmarkAdd(b *testing.B) {
	benchOp(b, []backend.Shape{level0, level0}, rw(level0, level0), func(t []backend.Tensor) backend.Tensor { return dev.Add(t[0], t[1]) })
}

func BenchmarkReLU(b *testing.B) {
	benchOp(b, []backend.Shape{level0}, rw(level0), func(t []backend.Tensor) backend.Tensor { return dev.Activate(t[0], backend.ReLU) })
}

func BenchmarkGlobalAvgPool(b *testing.B) {
	benchOp(b, []backend.Shape{level0}, rw(level0), func(t []backend.Tensor) backend.Tensor { return dev.GlobalAvgPool(t[0]) })
}

func BenchmarkAvgPool2(b *testing.B) {
	benchOp(b, []backend.Shape{image}, rw(image), func(t []backend.Tensor) backend.Tensor { return dev.AvgPool2(t[0]) })
}

func BenchmarkPixelUnshuffle(b *testing.B) {
	benchOp(b, []backend.Shape{level0}, rw(level0), func(t []backend.Tensor) backend.Tensor { return dev.PixelUnshuffle(t[0]) })
}

func BenchmarkPixelShuffle(b *testing.B) {
	benchOp(b, []backend.Shape{sh(1, 128, 128, 128)}, rw(sh(1, 128, 128, 128)), func(t []backend.Tensor) backend.Tensor { return dev.PixelShuffle(t[0]) })
}

func BenchmarkUpsampleBilinear2(b *testing.B) {
	benchOp(b, []backend.Shape{half}, rw(half), func(t []backend.Tensor) backend.Tensor { return dev.UpsampleBilinear(t[0], 2) })
}

func BenchmarkConcat(b *testing.B) {
	benchOp(b, []backend.Shape{level0, level0}, rw(level0, level0), func(t []backend.Tensor) backend.Tensor { return dev.Concat(t[0], t[1]) })
}

func BenchmarkChannelGate(b *testing.B) {
	benchOp(b, []backend.Shape{level0, gate}, rw(level0, gate), func(t []backend.Tensor) backend.Tensor { return dev.ChannelGate(t[0], t[1]) })
}

// BenchmarkSKFFFuse4 counts the traffic of its passes: each reads a map and
// the running sum and writes the sum (the first pass only writes).
func BenchmarkSKFFFuse4(b *testing.B) {
	in := []backend.Shape{level0, level0, level0, level0, gate, gate, gate, gate}
	benchOp(b, in, func(out backend.Shape) int { return 4 * out.Len() * (4*3 - 1) },
		func(t []backend.Tensor) backend.Tensor { return dev.SKFFFuse(t[:4], t[4:]) })
}

func BenchmarkNoise(b *testing.B) {
	benchOp(b, []backend.Shape{image}, rw(image), func(t []backend.Tensor) backend.Tensor { return dev.Noise(t[0], 0.3, 7) })
}

// BenchmarkLossMap reports the traffic of its inputs and output only (its
// passes move about 60 times more); ns/op is the number to watch.
func BenchmarkLossMap(b *testing.B) {
	benchOp(b, []backend.Shape{image, image}, rw(image, image), func(t []backend.Tensor) backend.Tensor { return dev.LossMap(t[0], t[1], 0.84) })
}
