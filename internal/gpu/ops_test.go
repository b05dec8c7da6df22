//go:build !js

package gpu_test

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/backend/optest"
)

func sh(n, c, h, w int) backend.Shape { return optest.Sh(n, c, h, w) }

// TestOps runs every case of the op table (optest.Cases: every op of
// backend.Trainer on awkward sizes) on the device and on the CPU backend
// from the same seeded inputs and compares the outputs within the case's
// tolerance.
func TestOps(t *testing.T) {
	for i, c := range optest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			ins := c.Inputs(uint64(1000 + 100*i))
			want, err := c.RunOn(ref, c.Shapes(), ins)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.RunOn(dev, c.Shapes(), ins)
			if err != nil {
				t.Fatal(err)
			}
			problems, diffs := c.CompareOutputs(got, want)
			for _, p := range problems {
				t.Error(p)
			}
			for k, d := range diffs {
				t.Logf("output %d: worst |diff| %.2g, normalised error %.2g", k, d.Worst, d.RelErr)
			}
		})
	}
}
