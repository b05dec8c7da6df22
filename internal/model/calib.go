package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/noise2norm/noise2norm/internal/safetensors"
)

// Calibration turns a raw anomaly map (the spec's map, whose maximum is the
// raw score) into a calibrated map, a calibrated score, a normalised score
// in [0,1] with the threshold at 0.5, and a verdict. It travels with the
// weights (spec "Weights file"):
//
//	metadata score_min, score_max, threshold   the calibrated score's scale and decision threshold
//	metadata threshold_rule                    how the threshold was set (free text, for people)
//	metadata calibrated_map                    "standardized" when the tensors below exist, else "raw"
//	tensor calib.map_mean, calib.map_std       (1,S,S): per-pixel mean and spread of normal maps
//
// With the per-pixel tensors the calibrated map is (raw − map_mean)/map_std,
// else the raw map itself; the calibrated score is the calibrated map's
// maximum, and score_min, score_max and threshold refer to it.
type Calibration struct {
	ScoreMin, ScoreMax, Threshold float64
	Rule                          string
	// MapMean and MapStd are S×S row-major, both nil or both set; every
	// MapStd value is positive.
	MapMean, MapStd []float32
}

// Calibration metadata keys and tensor names.
const (
	MetaScoreMin      = "score_min"
	MetaScoreMax      = "score_max"
	MetaThreshold     = "threshold"
	MetaThresholdRule = "threshold_rule"
	MetaCalibratedMap = "calibrated_map"
	TensorMapMean     = "calib.map_mean"
	TensorMapStd      = "calib.map_std"
)

// Calibrated is one image's calibrated result.
type Calibrated struct {
	Map        []float32 // S×S calibrated map (the raw map itself when not standardised)
	Score      float64   // the calibrated map's maximum
	Normalized float64   // Normalize(Score): threshold at 0.5, in [0,1]
	Anomalous  bool      // Score ≥ Threshold
}

// Standardized reports whether c has per-pixel statistics.
func (c *Calibration) Standardized() bool { return c.MapMean != nil }

// Map returns the calibrated map of raw (S×S): standardised per pixel when c
// has per-pixel statistics, else a copy of raw.
func (c *Calibration) Map(raw []float32) []float32 {
	out := slices.Clone(raw)
	if !c.Standardized() {
		return out
	}
	if len(raw) != len(c.MapMean) {
		panic(fmt.Sprintf("model: calibrating a map of %d pixels with statistics of %d", len(raw), len(c.MapMean)))
	}
	for i, v := range raw {
		out[i] = (v - c.MapMean[i]) / c.MapStd[i]
	}
	return out
}

// Apply calibrates one image's raw map (S×S).
func (c *Calibration) Apply(raw []float32) Calibrated {
	m := c.Map(raw)
	s := float64(slices.Max(m))
	return Calibrated{Map: m, Score: s, Normalized: c.Normalize(s), Anomalous: s >= c.Threshold}
}

// Normalize maps a calibrated score (or a calibrated map value) piecewise
// linearly onto [0,1]: ScoreMin → 0, Threshold → 0.5, ScoreMax → 1, clamped
// outside.
func (c *Calibration) Normalize(s float64) float64 {
	var v float64
	switch {
	case s < c.Threshold:
		if c.Threshold <= c.ScoreMin {
			return 0
		}
		v = 0.5 * (s - c.ScoreMin) / (c.Threshold - c.ScoreMin)
	default:
		if c.ScoreMax <= c.Threshold {
			return 1
		}
		v = 0.5 + 0.5*(s-c.Threshold)/(c.ScoreMax-c.Threshold)
	}
	return min(max(v, 0), 1)
}

// Validate checks the scale and the statistics for a map of size×size.
func (c *Calibration) Validate(size int) error {
	for _, v := range []float64{c.ScoreMin, c.ScoreMax, c.Threshold} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("calibration: score_min %g, threshold %g, score_max %g: want finite numbers", c.ScoreMin, c.Threshold, c.ScoreMax)
		}
	}
	if !(c.ScoreMin < c.ScoreMax) || c.Threshold < c.ScoreMin || c.Threshold > c.ScoreMax {
		return fmt.Errorf("calibration: want score_min (%g) ≤ threshold (%g) ≤ score_max (%g) and score_min < score_max", c.ScoreMin, c.Threshold, c.ScoreMax)
	}
	if (c.MapMean == nil) != (c.MapStd == nil) {
		return errors.New("calibration: calib.map_mean and calib.map_std come together")
	}
	if c.MapMean == nil {
		return nil
	}
	if len(c.MapMean) != size*size || len(c.MapStd) != size*size {
		return fmt.Errorf("calibration: per-pixel statistics of %d and %d values, want %d×%d", len(c.MapMean), len(c.MapStd), size, size)
	}
	for i, s := range c.MapStd {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("calibration: calib.map_std[%d] = %g, want a positive finite spread", i, s)
		}
	}
	return nil
}

// Store writes c into w's metadata and calibration tensors, replacing any
// calibration w had.
func (c *Calibration) Store(w *Weights) error {
	if err := c.Validate(w.Config.Size); err != nil {
		return err
	}
	if w.Meta == nil {
		w.Meta = map[string]string{}
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	w.Meta[MetaScoreMin] = f(c.ScoreMin)
	w.Meta[MetaScoreMax] = f(c.ScoreMax)
	w.Meta[MetaThreshold] = f(c.Threshold)
	w.Meta[MetaThresholdRule] = c.Rule
	w.Calib = map[string]safetensors.Tensor{}
	w.Meta[MetaCalibratedMap] = "raw"
	if c.Standardized() {
		w.Meta[MetaCalibratedMap] = "standardized"
		shape := []int{1, w.Config.Size, w.Config.Size}
		w.Calib[TensorMapMean] = safetensors.Tensor{Shape: shape, Data: slices.Clone(c.MapMean)}
		w.Calib[TensorMapStd] = safetensors.Tensor{Shape: shape, Data: slices.Clone(c.MapStd)}
	}
	return nil
}

// CalibrationOf reads the calibration of a weights file: nil (and no error)
// when its metadata has none of score_min, score_max and threshold. Errors
// name what is missing or inconsistent.
func CalibrationOf(w *Weights) (*Calibration, error) {
	keys := []string{MetaScoreMin, MetaScoreMax, MetaThreshold}
	var vals [3]float64
	found := 0
	for i, k := range keys {
		s, ok := w.Meta[k]
		if !ok {
			continue
		}
		found++
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("calibration: metadata %s = %q: not a number", k, s)
		}
		vals[i] = v
	}
	mean, std := w.Calib[TensorMapMean].Data, w.Calib[TensorMapStd].Data
	switch {
	case found == 0 && mean == nil && std == nil:
		return nil, nil
	case found < len(keys):
		return nil, fmt.Errorf("calibration: the metadata needs all of score_min, score_max and threshold (has %d of them)", found)
	}
	c := &Calibration{ScoreMin: vals[0], ScoreMax: vals[1], Threshold: vals[2], Rule: w.Meta[MetaThresholdRule], MapMean: mean, MapStd: std}
	want := "raw"
	if c.Standardized() {
		want = "standardized"
	}
	if got, ok := w.Meta[MetaCalibratedMap]; ok && got != want {
		return nil, fmt.Errorf("calibration: metadata calibrated_map = %q but the file's tensors make it %q", got, want)
	}
	if err := c.Validate(w.Config.Size); err != nil {
		return nil, err
	}
	return c, nil
}
