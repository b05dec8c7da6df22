package testutil

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Tolerances for single ops against PyTorch's float32 outputs.
const (
	OpAtol = 1e-5
	OpRtol = 1e-4
)

// PrimitiveOps runs every primitive op case of testdata/ref/ops.safetensors
// (written by PyTorch) on be and compares the outputs.
func PrimitiveOps(t *testing.T, be backend.Backend) {
	ref := LoadRef(t, "ops.safetensors")
	up := func(name string) backend.Tensor { return ref.Upload(be, name) }
	check := func(t *testing.T, name string, got backend.Tensor, atol, rtol float64) {
		t.Helper()
		wantShape, want := ref.Get(name)
		if got.Shape() != wantShape {
			t.Fatalf("%s: shape %v, want %v", name, got.Shape(), wantShape)
		}
		Close(t, name, Download(t, be, got), want, atol, rtol)
		be.Free(got)
	}
	cases := []struct {
		name string
		run  func() backend.Tensor
	}{
		{"conv3", func() backend.Tensor { return be.Conv2D(up("conv3.x"), up("conv3.w"), up("conv3.b"), backend.Linear) }},
		{"conv3_relu", func() backend.Tensor {
			return be.Conv2D(up("conv3_relu.x"), up("conv3_relu.w"), up("conv3_relu.b"), backend.ReLU)
		}},
		{"conv1", func() backend.Tensor { return be.Conv2D(up("conv1.x"), up("conv1.w"), up("conv1.b"), backend.Linear) }},
		{"conv1_nobias", func() backend.Tensor {
			return be.Conv2D(up("conv1_nobias.x"), up("conv1_nobias.w"), nil, backend.Linear)
		}},
		{"relu", func() backend.Tensor { return be.Activate(up("relu.x"), backend.ReLU) }},
		{"sigmoid", func() backend.Tensor { return be.Activate(up("sigmoid.x"), backend.Sigmoid) }},
		{"add", func() backend.Tensor { return be.Add(up("add.a"), up("add.b")) }},
		{"gap", func() backend.Tensor { return be.GlobalAvgPool(up("gap.x")) }},
		{"avgpool2", func() backend.Tensor { return be.AvgPool2(up("avgpool2.x")) }},
		{"unshuffle", func() backend.Tensor { return be.PixelUnshuffle(up("unshuffle.x")) }},
		{"shuffle", func() backend.Tensor { return be.PixelShuffle(up("shuffle.x")) }},
		{"up2", func() backend.Tensor { return be.UpsampleBilinear(up("up2.x"), 2) }},
		{"up4", func() backend.Tensor { return be.UpsampleBilinear(up("up4.x"), 4) }},
		{"up8", func() backend.Tensor { return be.UpsampleBilinear(up("up8.x"), 8) }},
		{"concat", func() backend.Tensor { return be.Concat(up("concat.a"), up("concat.b")) }},
		{"gate", func() backend.Tensor { return be.ChannelGate(up("gate.y"), up("gate.w")) }},
		{"noise", func() backend.Tensor {
			lambda, seed := ref.Float("noise.lambda"), ref.Int("noise.seed")
			return be.Noise(up("noise.x0"), float32(lambda), uint32(seed))
		}},
		{"lossmap", func() backend.Tensor {
			return be.LossMap(up("lossmap.x0"), up("lossmap.xhat"), float32(ref.Float("lossmap.alpha")))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := c.name + ".out"
			if c.name == "lossmap" {
				out = "lossmap.map"
			}
			check(t, out, c.run(), OpAtol, OpRtol)
		})
	}
}

// Float parses a metadata value as a number, failing the test if it cannot.
func (r *Ref) Float(key string) float64 {
	r.t.Helper()
	var v float64
	if _, err := fmt.Sscan(r.Metadata[key], &v); err != nil {
		r.t.Fatalf("%s: metadata %q = %q: %v", r.path, key, r.Metadata[key], err)
	}
	return v
}

// Int parses a metadata value as an integer.
func (r *Ref) Int(key string) int64 {
	r.t.Helper()
	var v int64
	if _, err := fmt.Sscan(r.Metadata[key], &v); err != nil {
		r.t.Fatalf("%s: metadata %q = %q: %v", r.path, key, r.Metadata[key], err)
	}
	return v
}
