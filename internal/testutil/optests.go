package testutil

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/backend/optest"
)

// Tolerances for single ops against PyTorch's float32 outputs.
var (
	OpAtol = optest.Op.Atol
	OpRtol = optest.Op.Rtol
)

// PrimitiveOps runs every case of the op table (optest.Cases) that has a
// PyTorch reference in testdata/ref/ops.safetensors on be and compares its
// first output with PyTorch's within optest.Op.
func PrimitiveOps(t *testing.T, be backend.Trainer) {
	ref := LoadRef(t, "ops.safetensors")
	if ref.Float("noise.lambda") != optest.RefLambda || ref.Int("noise.seed") != optest.RefSeed || ref.Float("lossmap.alpha") != optest.RefAlpha {
		t.Fatalf("ops.safetensors was made with λ %s, seed %s, α %s; the op table runs λ %g, seed %d, α %g",
			ref.Metadata["noise.lambda"], ref.Metadata["noise.seed"], ref.Metadata["lossmap.alpha"], optest.RefLambda, optest.RefSeed, optest.RefAlpha)
	}
	n := 0
	for _, c := range optest.Cases {
		if c.Ref == nil {
			continue
		}
		n++
		t.Run(c.Ref.Name, func(t *testing.T) {
			in := make([]backend.Tensor, len(c.Ref.In))
			for i, name := range c.Ref.In {
				in[i] = ref.Upload(be, c.Ref.Name+"."+name)
			}
			got := c.Run(be, in)[0]
			name := c.Ref.Name + "." + c.Ref.Out
			wantShape, want := ref.Get(name)
			if got.Shape() != wantShape {
				t.Fatalf("%s: shape %v, want %v", name, got.Shape(), wantShape)
			}
			Close(t, name, Download(t, be, got), want, OpAtol, OpRtol)
			be.Free(got)
			for _, x := range in {
				be.Free(x)
			}
		})
	}
	if n == 0 {
		t.Fatal("no case of the op table has a PyTorch reference")
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
