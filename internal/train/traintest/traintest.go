// Package traintest trains, for the commands' tests, a tiny network the way
// the browser demo trains one: a train.Session on images decoded in memory,
// then calibrated and exported as one file (weights, calibration,
// checkpoint).
package traintest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
	"github.com/noise2norm/noise2norm/internal/synth"
	"github.com/noise2norm/noise2norm/internal/train"
)

// TinyOptions are a page-like run (no data folder, no output folder) of a
// tiny network: wf 4, depth 2, S 16, batch 2, learning rate 3e-3, on the
// CPU backend, otherwise train.DefaultOptions.
func TinyOptions() train.Options {
	o := train.DefaultOptions()
	o.Data, o.Out = "", ""
	o.WF, o.Depth, o.Size, o.Batch, o.LR, o.Backend = 4, 2, 16, 2, 3e-3, "cpu"
	return o
}

// SynthNormals are n synthetic textile normals (cmd/synth's, rendered at 32
// pixels with seed 5) as (3,size,size) tensors, named good0.png, good1.png, ….
func SynthNormals(n, size int) (tensors [][]float32, names []string) {
	so := synth.Options{Category: "textile", Size: 32, Seed: 5}
	for i := range n {
		img, _ := synth.Render(so, "train/good", i, "")
		tensors = append(tensors, imageio.ToTensor(img, size))
		names = append(names, fmt.Sprintf("good%d.png", i))
	}
	return tensors, names
}

// FolderImages decodes the images of dir (train.FindImages) at size, named
// by their file names as the page names dropped files.
func FolderImages(t testing.TB, dir string, size int) (tensors [][]float32, names []string) {
	t.Helper()
	paths, err := train.FindImages(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		img, err := imageio.LoadRGB(p, 0)
		if err != nil {
			t.Fatal(err)
		}
		tensors = append(tensors, imageio.ToTensor(img, size))
		names = append(names, filepath.Base(p))
	}
	return tensors, names
}

// Exported is what PageExport wrote.
type Exported struct {
	Path        string             // the export: weights, calibration and checkpoint in one file
	Weights     *model.Weights     // the trained weights (no calibration)
	Calibration *model.Calibration // the session's calibration
}

// PageExport trains o on the images for one epoch on the CPU backend,
// calibrates with the held-out ones and writes the export to dir/name.
func PageExport(t testing.TB, o train.Options, tensors [][]float32, names []string, dir, name string) Exported {
	t.Helper()
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
	path := filepath.Join(dir, name)
	if err := safetensors.WriteFile(path, f); err != nil {
		t.Fatal(err)
	}
	params, err := s.Model().HostParams()
	if err != nil {
		t.Fatal(err)
	}
	return Exported{Path: path, Weights: &model.Weights{Config: s.Model().Cfg, Params: params}, Calibration: cal}
}

// PageExportWithPlain is PageExport of SynthNormals(6) under TinyOptions,
// with, for comparison, the same weights and calibration as a plain weights
// file (model.WriteCalibrated). It returns both paths.
func PageExportWithPlain(t testing.TB) (export, plain string) {
	t.Helper()
	o := TinyOptions()
	tensors, names := SynthNormals(6, o.Size)
	dir := t.TempDir()
	e := PageExport(t, o, tensors, names, dir, "page-wf4-s16.safetensors")
	plain = filepath.Join(dir, "plain.safetensors")
	if err := model.WriteCalibrated(plain, e.Weights, e.Calibration); err != nil {
		t.Fatal(err)
	}
	return e.Path, plain
}
