// Package infer is the path from images to anomaly maps shared by cmd/detect
// and cmd/eval, so that both give the same map for the same image: the
// weights' λ unless overridden, one noise seed for every image, noise drawn
// per image (an image's noise does not depend on the batch it is in), and
// the calibration the weights carry.
package infer

import (
	"fmt"
	"slices"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/model"
)

// Lambda is the noise weight a run uses: override when it is not negative,
// else the weights' λ.
func Lambda(m *model.Model, override float64) float32 {
	if override >= 0 {
		return float32(override)
	}
	return m.Cfg.Lambda
}

// Result is one image's detection, on the host.
type Result struct {
	Recon []float32 // (3,S,S): (x̂+1)/2, unclamped
	Map   []float32 // (S,S): the raw anomaly map of the spec
	Score float32   // the maximum of Map, the spec's image score
	// Calibrated is the map standardised by the calibration, its score
	// and verdict; nil without a calibration.
	Calibrated *model.Calibrated
}

// Run detects the images (each (3,S,S) in [−1,1], S the model's size) as
// one batch and applies cal (nil: none; usually m.Calibration()). Each image
// is noised on its own with λ and seed (λ = 0: no noise), so its map is the
// one a batch of one gives; the noised images are then reconstructed
// together.
func Run(m *model.Model, images [][]float32, lambda float32, seed uint32, cal *model.Calibration) ([]Result, error) {
	if len(images) == 0 {
		return nil, nil
	}
	be, size := m.Backend(), m.Cfg.Size
	plane := 3 * size * size
	clean := make([]float32, 0, len(images)*plane)
	noised := make([]float32, 0, len(images)*plane)
	for i, img := range images {
		if len(img) != plane {
			return nil, fmt.Errorf("image %d has %d values, want 3×%d×%d", i, len(img), size, size)
		}
		clean = append(clean, img...)
		if lambda == 0 {
			continue
		}
		x0 := be.Upload(backend.Shape{N: 1, C: 3, H: size, W: size}, img) // (1,3,S,S)
		x := be.Noise(x0, lambda, seed)
		be.Free(x0)
		host, err := be.Download(x)
		be.Free(x)
		if err != nil {
			return nil, err
		}
		noised = append(noised, host...)
	}
	if lambda == 0 {
		noised = clean
	}
	shape := backend.Shape{N: len(images), C: 3, H: size, W: size}
	x0 := be.Upload(shape, clean) // (N,3,S,S)
	defer be.Free(x0)
	x := x0
	if lambda != 0 {
		x = be.Upload(shape, noised)
		defer be.Free(x)
	}
	xhat := m.Forward(x) // (N,3,S,S)
	defer be.Free(xhat)
	amap := be.LossMap(x0, xhat, m.Cfg.Alpha) // (N,1,S,S)
	defer be.Free(amap)
	recon, err := be.Download(xhat)
	if err != nil {
		return nil, err
	}
	maps, err := be.Download(amap)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(images))
	mp := size * size
	for n := range out {
		r := Result{Recon: recon[n*plane : (n+1)*plane], Map: maps[n*mp : (n+1)*mp]}
		for i, v := range r.Recon {
			r.Recon[i] = (v + 1) / 2
		}
		r.Score = slices.Max(r.Map)
		if cal != nil {
			c := cal.Apply(r.Map)
			r.Calibrated = &c
		}
		out[n] = r
	}
	return out, nil
}

// Scale is a heatmap's colour scale.
type Scale struct {
	Fixed  bool    // from the calibration; else each map's own range
	Lo, Hi float32 // the fixed scale
}

// HeatScale is the colour scale of the heatmaps of a model with calibration
// cal: the calibrated map from score_min (blue) to score_max (dark red), the
// same for every image; without a calibration, each raw map's own range.
func HeatScale(cal *model.Calibration) Scale {
	if cal == nil {
		return Scale{}
	}
	return Scale{Fixed: true, Lo: float32(cal.ScoreMin), Hi: float32(cal.ScoreMax)}
}

// Range is the scale's range for a map: the fixed one, or amap's minimum
// and maximum.
func (s Scale) Range(amap []float32) (lo, hi float32) {
	if s.Fixed {
		return s.Lo, s.Hi
	}
	return slices.Min(amap), slices.Max(amap)
}

// String says where the scale comes from, for the log.
func (s Scale) String() string {
	if s.Fixed {
		return fmt.Sprintf("calibrated map from score_min %g to score_max %g", s.Lo, s.Hi)
	}
	return "each raw map's own min to max (the weights are uncalibrated: run eval -calibrate, or train with validation images)"
}

// HeatMap is the map a heatmap shows: the calibrated one when there is one.
func (r *Result) HeatMap() []float32 {
	if r.Calibrated != nil {
		return r.Calibrated.Map
	}
	return r.Map
}
