package model

// STUB: the coordinator's calib.go replaces this file at merge (same API).

import (
	"strconv"

	"github.com/noise2norm/noise2norm/internal/safetensors"
)

// Calibration is a model's anomaly-score calibration.
type Calibration struct {
	ScoreMin, ScoreMax, Threshold float64
	Rule                          string
	MapMean, MapStd               []float32
}

// Calibrated is Apply's result.
type Calibrated struct {
	Map        []float32
	Score      float64
	Normalized float64
	Anomalous  bool
}

// Calibration returns the model's calibration, nil if it has none.
func (m *Model) Calibration() *Calibration {
	t, ok := m.Meta["threshold"]
	if !ok {
		return nil
	}
	c := &Calibration{Rule: m.Meta["threshold_rule"]}
	c.Threshold, _ = strconv.ParseFloat(t, 64)
	c.ScoreMin, _ = strconv.ParseFloat(m.Meta["score_min"], 64)
	c.ScoreMax, _ = strconv.ParseFloat(m.Meta["score_max"], 64)
	return c
}

// Apply calibrates a raw map.
func (c *Calibration) Apply(raw []float32) Calibrated {
	out := Calibrated{Map: append([]float32(nil), raw...)}
	if c.MapMean != nil {
		for i := range raw {
			out.Map[i] = (raw[i] - c.MapMean[i]) / c.MapStd[i]
		}
	}
	out.Score = float64(out.Map[0])
	for _, v := range out.Map {
		out.Score = max(out.Score, float64(v))
	}
	s := out.Score
	switch {
	case s <= c.ScoreMin:
		out.Normalized = 0
	case s <= c.Threshold:
		out.Normalized = 0.5 * (s - c.ScoreMin) / (c.Threshold - c.ScoreMin)
	case s <= c.ScoreMax:
		out.Normalized = 0.5 + 0.5*(s-c.Threshold)/(c.ScoreMax-c.Threshold)
	default:
		out.Normalized = 1
	}
	out.Anomalous = s > c.Threshold
	return out
}

// Metadata is the calibration's metadata keys.
func (c *Calibration) Metadata() map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return map[string]string{"score_min": f(c.ScoreMin), "score_max": f(c.ScoreMax), "threshold": f(c.Threshold), "threshold_rule": c.Rule}
}

// Tensors is the calibration's calib.* tensors.
func (c *Calibration) Tensors() map[string]safetensors.Tensor {
	if c.MapMean == nil {
		return nil
	}
	n := len(c.MapMean)
	s := 1
	for s*s < n {
		s++
	}
	return map[string]safetensors.Tensor{
		"calib.map_mean": {Shape: []int{1, s, s}, Data: c.MapMean},
		"calib.map_std":  {Shape: []int{1, s, s}, Data: c.MapStd},
	}
}
