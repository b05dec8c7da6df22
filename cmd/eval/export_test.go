//go:build !js

package main

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
	"github.com/noise2norm/noise2norm/internal/synth"
	"github.com/noise2norm/noise2norm/internal/train"
)

// pageExport trains a tiny network for one epoch on 6 synthetic normals as
// the browser demo does (train.Session in memory), calibrates it and writes
// its export (weights, calibration, checkpoint) and, for comparison, the
// same weights and calibration as a plain weights file. It returns both
// paths.
func pageExport(t *testing.T) (export, plain string) {
	t.Helper()
	o := train.DefaultOptions()
	o.Data, o.Out = "", ""
	o.WF, o.Depth, o.Size, o.Batch, o.LR = 4, 2, 16, 2, 3e-3
	so := synth.Options{Category: "textile", Size: 32, Seed: 5}
	var tensors [][]float32
	var names []string
	for i := range 6 {
		img, _ := synth.Render(so, "train/good", i, "")
		tensors = append(tensors, imageio.ToTensor(img, o.Size))
		names = append(names, "good"+string(rune('0'+i))+".png")
	}
	ds, err := train.NewDataset(tensors, names, o.Size, o.Val, o.Seed)
	if err != nil {
		t.Fatal(err)
	}
	s, err := train.NewSession(cpu.New(), o, ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	for !s.EpochDone() {
		if _, err := s.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.EndEpoch(context.Background()); err != nil {
		t.Fatal(err)
	}
	cal, err := s.Calibrate()
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Export(cal)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	export, plain = filepath.Join(dir, "page-wf4-s16.safetensors"), filepath.Join(dir, "plain.safetensors")
	if err := safetensors.WriteFile(export, f); err != nil {
		t.Fatal(err)
	}
	params, err := s.Model().HostParams()
	if err != nil {
		t.Fatal(err)
	}
	if err := model.WriteCalibrated(plain, &model.Weights{Config: s.Model().Cfg, Params: params}, cal); err != nil {
		t.Fatal(err)
	}
	return export, plain
}

// TestEvalPageExport: eval runs a model trained in the browser demo and
// exported (weights, calibration and checkpoint in one file) with the
// results of the plain weights file.
func TestEvalPageExport(t *testing.T) {
	export, plain := pageExport(t)
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
