//go:build !js

package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
	"github.com/noise2norm/noise2norm/internal/synth"
	"github.com/noise2norm/noise2norm/internal/testutil"
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

// TestRunPageExport: detect runs a model trained in the browser demo and
// exported (weights, calibration and the checkpoint in one file): the same
// calibrated maps as the plain weights file.
func TestRunPageExport(t *testing.T) {
	export, plain := pageExport(t)
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
