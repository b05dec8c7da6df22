//go:build !js

package main

import (
	"path/filepath"
	"testing"

	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/testutil"
	"github.com/noise2norm/noise2norm/internal/train/traintest"
)

// TestRunPageExport: detect runs a model trained in the browser demo and
// exported (weights, calibration and the checkpoint in one file): the same
// calibrated maps as the plain weights file.
func TestRunPageExport(t *testing.T) {
	export, plain := traintest.PageExportWithPlain(t)
	input := testutil.RefPath("detect", "input.png")
	outE, outP := t.TempDir(), t.TempDir()
	for _, c := range []struct{ weights, out string }{{export, outE}, {plain, outP}} {
		if status, _, stderr := runDetect("-weights", c.weights, "-backend", "cpu", "-out", c.out, input); status != 0 {
			t.Fatalf("%s: exit status %d:\n%s", c.weights, status, stderr)
		}
	}
	for _, name := range []string{"input_map.npy", "input_calibrated_map.npy"} {
		_, a, err := imageio.ReadNPY(filepath.Join(outP, name))
		if err != nil {
			t.Fatal(err)
		}
		_, b, err := imageio.ReadNPY(filepath.Join(outE, name))
		if err != nil {
			t.Fatalf("the export gave no %s: %v", name, err)
		}
		testutil.Close(t, name+" of the export", b, a, 0, 0)
	}
}
