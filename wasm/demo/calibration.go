//go:build js && wasm

package main

import "github.com/noise2norm/noise2norm/internal/model"

// calibration is a model's score calibration (model.Calibration), nil when
// the weights carry none.
type calibration struct{ c *model.Calibration }

// calibrationOf returns m's calibration, nil when it is uncalibrated.
func calibrationOf(m *model.Model) *calibration {
	if c := m.Calibration(); c != nil {
		return &calibration{c}
	}
	return nil
}

// info is what the page learns of the calibration; nil for none.
func (c *calibration) info() *calibrationInfo {
	if c == nil {
		return nil
	}
	return &calibrationInfo{Threshold: c.c.Threshold, ScoreMin: c.c.ScoreMin, ScoreMax: c.c.ScoreMax, Rule: c.c.Rule}
}

// apply calibrates a raw map (S×S): the normalised score (threshold at
// 0.5), the verdict (calibrated score ≥ threshold), and the map normalised
// per pixel on the same scale, which the page colours and outlines.
func (c *calibration) apply(raw []float32) (normalized float64, anomalous bool, nmap []float32) {
	r := c.c.Apply(raw)
	nmap = make([]float32, len(r.Map))
	for i, v := range r.Map {
		nmap[i] = float32(c.c.Normalize(float64(v)))
	}
	return r.Normalized, r.Anomalous, nmap
}
