//go:build !js

package main

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/noise2norm/noise2norm/internal/train/traintest"
)

// TestEvalPageExport: eval runs a model trained in the browser demo and
// exported (weights, calibration and checkpoint in one file) with the
// results of the plain weights file.
func TestEvalPageExport(t *testing.T) {
	export, plain := traintest.PageExportWithPlain(t)
	data := synthData(t)
	var results []map[string]any
	for _, w := range []string{export, plain} {
		out := t.TempDir()
		if status, _, stderr := runEval("-weights", w, "-data", data, "-out", out, "-backend", "cpu"); status != 0 {
			t.Fatalf("%s: exit status %d:\n%s", filepath.Base(w), status, stderr)
		}
		rs := readResults(t, out)
		if len(rs) != 1 {
			t.Fatalf("%s: %d results", filepath.Base(w), len(rs))
		}
		delete(rs[0], "weights")
		delete(rs[0], "seconds")
		results = append(results, rs[0])
	}
	if !reflect.DeepEqual(results[0], results[1]) {
		t.Errorf("eval of the export:\n%v\nof the plain weights:\n%v", results[0], results[1])
	}
}
