//go:build js && wasm

package main

import "github.com/noise2norm/noise2norm/internal/model"

// calibration is a model's score calibration, nil when the weights carry
// none.
type calibration struct{}

// calibrationOf returns m's calibration (nil: uncalibrated).
// INTERIM until internal/model/calib.go lands on main: every model is
// uncalibrated.
func calibrationOf(m *model.Model) *calibration { return nil }

func (c *calibration) info() *calibrationInfo { return nil }

// apply maps a raw map to the normalised score (threshold at 0.5), the
// verdict and the normalised map.
func (c *calibration) apply(raw []float32) (normalized float64, anomalous bool, nmap []float32) {
	return 0, false, nil
}
