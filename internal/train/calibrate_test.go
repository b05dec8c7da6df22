package train

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/infer"
	"github.com/noise2norm/noise2norm/internal/model"
)

// TestTrainCalibrates checks the calibration train writes into
// best.safetensors: ring statistics of the training images' maps and the
// largest calibrated score of the validation images, maps made as detect
// makes them (the weights' λ, seed 0).
func TestTrainCalibrates(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, "img", 8, 24, 5)
	o := tinyOptions(t, data, 2)
	var log bytes.Buffer
	if err := Run(context.Background(), cpu.New(), o, &log); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	w, err := model.ReadWeights(filepath.Join(o.Out, BestFile))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := model.CalibrationOf(w)
	if err != nil || cal == nil || !cal.Standardized() || !strings.HasPrefix(cal.Rule, model.RuleMaxHeldOut) {
		t.Fatalf("best.safetensors calibration %+v, %v; want per-position statistics and rule %s", cal, err, model.RuleMaxHeldOut)
	}
	if !strings.Contains(log.String(), "calibration: threshold") {
		t.Errorf("log does not report the calibration:\n%s", log.String())
	}

	ds, err := LoadDataset(o.Data, o.Category, o.Size, o.MaxPixels, o.Val, o.Seed, &log)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(cpu.New(), w)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	mapsOf := func(images [][]float32) [][]float32 {
		rs, err := infer.Run(m, images, m.Cfg.Lambda, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]float32
		for _, r := range rs {
			out = append(out, r.Map)
		}
		return out
	}
	mean, std, err := model.RingStats(mapsOf(ds.Train), o.Size)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mean, cal.MapMean) || !slices.Equal(std, cal.MapStd) {
		t.Error("calib.map_mean/map_std are not the ring statistics of the training images' maps")
	}
	var scores []float64
	for _, mp := range mapsOf(ds.Val) {
		scores = append(scores, cal.Apply(mp).Score)
	}
	if want := slices.Max(scores); cal.Threshold != want {
		t.Errorf("threshold %g, want the largest validation score %g", cal.Threshold, want)
	}
}

// TestTrainWithoutValidation: -val 0 trains on every image, keeps the best
// epoch by training loss, and leaves the weights uncalibrated, saying how
// to calibrate them.
func TestTrainWithoutValidation(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, "img", 8, 24, 6)
	o := tinyOptions(t, data, 2)
	o.Val = 0
	log := runCPU(t, o)
	if !strings.Contains(log, "8 training and 0 validation images") || !strings.Contains(log, "eval -calibrate") {
		t.Errorf("log:\n%s", log)
	}
	for i, e := range readLog(t, o.Out) {
		if e.Step != 4*(i+1) || e.ValLoss != e.TrainLoss {
			t.Errorf("log line %d = %+v: want 4 steps per epoch and the training loss as validation loss", i+1, e)
		}
	}
	w, err := model.ReadWeights(filepath.Join(o.Out, BestFile))
	if err != nil {
		t.Fatal(err)
	}
	if cal, err := model.CalibrationOf(w); cal != nil || err != nil {
		t.Errorf("-val 0: calibration %+v, %v; want none", cal, err)
	}
	o.Val = -0.1
	wantErr(t, "-val -0.1", o.Validate(), "-val -0.1")
}
