package model

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/safetensors"
)

// TestNormalize checks the piecewise-linear scale: score_min → 0,
// threshold → 0.5, score_max → 1, clamped outside, linear between.
func TestNormalize(t *testing.T) {
	c := &Calibration{ScoreMin: 1, Threshold: 3, ScoreMax: 11}
	for _, tc := range []struct{ s, want float64 }{
		{-5, 0}, {1, 0}, {2, 0.25}, {3, 0.5}, {7, 0.75}, {11, 1}, {50, 1},
	} {
		if got := c.Normalize(tc.s); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Normalize(%g) = %g, want %g", tc.s, got, tc.want)
		}
	}
	// Degenerate halves: the threshold at an end of the scale.
	low := &Calibration{ScoreMin: 2, Threshold: 2, ScoreMax: 4}
	if got := low.Normalize(1); got != 0 {
		t.Errorf("threshold = score_min: Normalize(1) = %g, want 0", got)
	}
	if got := low.Normalize(2); got != 0.5 {
		t.Errorf("threshold = score_min: Normalize(2) = %g, want 0.5", got)
	}
}

// TestApplyStandardizes checks the calibrated map, score and verdict of a
// 2×2 map against values worked out by hand.
func TestApplyStandardizes(t *testing.T) {
	c := &Calibration{ScoreMin: 0, Threshold: 2, ScoreMax: 4,
		MapMean: []float32{0.1, 0.2, 0.3, 0.4}, MapStd: []float32{0.1, 0.1, 0.2, 0.05}}
	raw := []float32{0.1, 0.4, 0.2, 0.5}
	got := c.Apply(raw)
	want := []float32{0, 2, -0.5, 2}
	for i := range want {
		if math.Abs(float64(got.Map[i]-want[i])) > 1e-5 {
			t.Fatalf("map %v, want %v", got.Map, want)
		}
	}
	if math.Abs(got.Score-2) > 1e-5 || !got.Anomalous || math.Abs(got.Normalized-0.5) > 1e-5 {
		t.Fatalf("score %g normalised %g anomalous %t, want 2, 0.5, true", got.Score, got.Normalized, got.Anomalous)
	}
	if raw[1] != 0.4 {
		t.Fatal("Apply changed its input")
	}
	plain := (&Calibration{ScoreMin: 0, Threshold: 0.6, ScoreMax: 1}).Apply(raw)
	if plain.Score != 0.5 || plain.Anomalous {
		t.Fatalf("raw calibration: score %g anomalous %t, want 0.5, false", plain.Score, plain.Anomalous)
	}
}

// TestCalibrationRoundTrip stores a calibration in a weights file and reads
// it back through ReadWeights and New.
func TestCalibrationRoundTrip(t *testing.T) {
	cfg := Config{WF: 4, Depth: 2, Size: 4, Lambda: 0.3, Alpha: 0.84, Attention: true}
	w := &Weights{Config: cfg, Params: InitParams(cfg, 1)}
	mean := make([]float32, 16)
	std := make([]float32, 16)
	for i := range mean {
		mean[i], std[i] = float32(i)/10, 0.5+float32(i)/100
	}
	want := &Calibration{ScoreMin: 0.5, ScoreMax: 9, Threshold: 4.25, Rule: "test rule", MapMean: mean, MapStd: std}
	if err := want.Store(w); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := CalibrationOf(got)
	if err != nil {
		t.Fatal(err)
	}
	if c.ScoreMin != want.ScoreMin || c.ScoreMax != want.ScoreMax || c.Threshold != want.Threshold || c.Rule != want.Rule {
		t.Fatalf("read %+v, want %+v", c, want)
	}
	for i := range mean {
		if c.MapMean[i] != mean[i] || c.MapStd[i] != std[i] {
			t.Fatalf("statistics differ at %d", i)
		}
	}
	if got.Meta[MetaCalibratedMap] != "standardized" {
		t.Fatalf("calibrated_map = %q", got.Meta[MetaCalibratedMap])
	}
	// An uncalibrated file has no calibration.
	plain := &Weights{Config: cfg, Params: InitParams(cfg, 1)}
	if c, err := CalibrationOf(plain); c != nil || err != nil {
		t.Fatalf("uncalibrated: %v, %v", c, err)
	}
}

// TestCalibrationRefusals: each inconsistent calibration is named.
func TestCalibrationRefusals(t *testing.T) {
	cfg := Config{WF: 4, Depth: 2, Size: 4, Lambda: 0.3, Alpha: 0.84, Attention: true}
	flat := func(v float32) safetensors.Tensor {
		d := make([]float32, 16)
		for i := range d {
			d[i] = v
		}
		return safetensors.Tensor{Shape: []int{1, 4, 4}, Data: d}
	}
	meta := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name  string
		meta  map[string]string
		calib map[string]safetensors.Tensor
		want  string
	}{
		{"only threshold", meta("threshold", "1"), nil, "needs all of score_min, score_max and threshold (has 1"},
		{"not a number", meta("threshold", "high", "score_min", "0", "score_max", "1"), nil, `threshold = "high": not a number`},
		{"order", meta("threshold", "2", "score_min", "0", "score_max", "1"), nil, "score_min (0) ≤ threshold (2) ≤ score_max (1)"},
		{"mean alone", meta("threshold", "1", "score_min", "0", "score_max", "2"), map[string]safetensors.Tensor{TensorMapMean: flat(0)}, "come together"},
		{"zero spread", meta("threshold", "1", "score_min", "0", "score_max", "2"), map[string]safetensors.Tensor{TensorMapMean: flat(0), TensorMapStd: flat(0)}, "calib.map_std[0] = 0"},
		{"tensors without scale", nil, map[string]safetensors.Tensor{TensorMapMean: flat(0), TensorMapStd: flat(1)}, "has 0 of them"},
		{"label mismatch", meta("threshold", "1", "score_min", "0", "score_max", "2", "calibrated_map", "standardized"), nil, `calibrated_map = "standardized" but the file's tensors make it "raw"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := CalibrationOf(&Weights{Config: cfg, Meta: c.meta, Calib: c.calib})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	// Through a file: calib.map_mean of the wrong shape is named.
	w := &Weights{Config: cfg, Params: InitParams(cfg, 1), Meta: meta("threshold", "1", "score_min", "0", "score_max", "2"),
		Calib: map[string]safetensors.Tensor{TensorMapMean: {Shape: []int{4, 4}, Data: flat(0).Data}, TensorMapStd: flat(1)}}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadWeights(path); err == nil || !strings.Contains(err.Error(), "calib.map_mean has shape [4 4], want [1 4 4]") {
		t.Fatalf("error %v, want the shape of calib.map_mean named", err)
	}
}

// TestCheckpointReadsAsWeights: a training checkpoint (state.* metadata and
// AdamW moments) reads as its weights; optimizer tensors without checkpoint
// metadata, or of a wrong shape, are refused.
func TestCheckpointReadsAsWeights(t *testing.T) {
	cfg := Config{WF: 4, Depth: 2, Size: 4, Lambda: 0.3, Alpha: 0.84, Attention: true}
	build := func(state bool, shape []int) *safetensors.File {
		f := &safetensors.File{Metadata: cfg.Metadata(), Tensors: map[string]safetensors.Tensor{}}
		if state {
			f.Metadata["state.step"] = "7"
		}
		for name, data := range InitParams(cfg, 2) {
			var s []int
			for _, p := range ParamSpecs(cfg) {
				if p.Name == name {
					s = p.Shape
				}
			}
			f.Tensors[name] = safetensors.Tensor{Shape: s, Data: data}
			ms := s
			if shape != nil && name == "head.bias" {
				ms = shape
			}
			n := 1
			for _, d := range ms {
				n *= d
			}
			f.Tensors["adam.m."+name] = safetensors.Tensor{Shape: ms, Data: make([]float32, n)}
			f.Tensors["adam.v."+name] = safetensors.Tensor{Shape: ms, Data: make([]float32, n)}
		}
		return f
	}
	w, err := FromSafetensors(build(true, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !w.Checkpoint || len(w.Params) != len(ParamSpecs(cfg)) {
		t.Fatalf("checkpoint %t, %d params", w.Checkpoint, len(w.Params))
	}
	if _, err := FromSafetensors(build(false, nil)); err == nil || !strings.Contains(err.Error(), "optimizer tensors (adam.*) without the state.* metadata") {
		t.Fatalf("error %v, want the missing checkpoint metadata named", err)
	}
	if _, err := FromSafetensors(build(true, []int{1, 3})); err == nil || !strings.Contains(err.Error(), "unexpected tensors adam.m.head.bias, adam.v.head.bias") {
		t.Fatalf("error %v, want the misshapen moments named", err)
	}
}
