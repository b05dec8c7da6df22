package model

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
)

// Threshold rules, the threshold_rule metadata of a calibration.
const (
	// RuleMaxHeldOut: the threshold is the largest calibrated score of the
	// held-out normal images (train's validation split). A new normal image
	// exceeds it with probability about 1/(n+1) for n held-out images.
	RuleMaxHeldOut = "max_heldout_normal"
	// RuleBestF1: the F1-optimal threshold on a labelled test set (eval
	// -calibrate).
	RuleBestF1 = "best_f1_test"
)

// stdFloorFraction bounds the spread a pixel is divided by from below, as
// a fraction of the mean spread, so that a flat region cannot blow up.
const stdFloorFraction = 0.01

// BorderDistance is the distance of pixel (x, y) of a size×size map to the
// nearest image border: 0 on the outermost ring.
func BorderDistance(x, y, size int) int {
	return min(x, y, size-1-x, size-1-y)
}

// RingStats are the per-position statistics of raw maps (each size×size,
// row-major) pooled over the pixels at the same distance to the border:
// every pixel of ring d gets the mean and standard deviation of all values
// of ring d over all maps. It returns (S×S) mean and std, std floored at
// stdFloorFraction of its mean.
//
// Pooling by ring keeps what matters, the map's rise towards the border
// (the convolutions' zero padding and the loss map's edge-replicated
// blurs), while each ring's statistic rests on many pixels, so that a
// handful of maps is enough and the statistics do not fit the maps they
// come from (docs/evaluation.md compares this with per-pixel statistics).
func RingStats(maps [][]float32, size int) (mean, std []float32, err error) {
	if len(maps) == 0 {
		return nil, nil, errors.New("no maps to compute calibration statistics from")
	}
	rings := (size + 1) / 2
	sum := make([]float64, rings)
	sq := make([]float64, rings)
	cnt := make([]float64, rings)
	for k, m := range maps {
		if len(m) != size*size {
			return nil, nil, fmt.Errorf("map %d has %d values, want %d×%d", k, len(m), size, size)
		}
		for y := range size {
			for x := range size {
				d := BorderDistance(x, y, size)
				v := float64(m[y*size+x])
				sum[d] += v
				sq[d] += v * v
				cnt[d]++
			}
		}
	}
	ringMean := make([]float64, rings)
	ringStd := make([]float64, rings)
	var stdSum float64
	for d := range rings {
		ringMean[d] = sum[d] / cnt[d]
		ringStd[d] = math.Sqrt(max(sq[d]/cnt[d]-ringMean[d]*ringMean[d], 0))
		stdSum += ringStd[d]
	}
	floor := max(stdFloorFraction*stdSum/float64(rings), 1e-12)
	mean = make([]float32, size*size)
	std = make([]float32, size*size)
	for y := range size {
		for x := range size {
			d := BorderDistance(x, y, size)
			mean[y*size+x] = float32(ringMean[d])
			std[y*size+x] = float32(max(ringStd[d], floor))
		}
	}
	return mean, std, nil
}

// FitCalibration calibrates a model from raw maps of normal images (each
// size×size): the per-position statistics from statMaps (RingStats; train
// uses its training images), and the threshold from heldOut, normal images
// the statistics did not see (train's validation images): the largest of
// their calibrated scores (RuleMaxHeldOut). ScoreMin and ScoreMax follow
// SetThreshold.
func FitCalibration(statMaps, heldOut [][]float32, size int) (*Calibration, error) {
	if len(heldOut) == 0 {
		return nil, errors.New("no held-out normal images to set the threshold with")
	}
	mean, std, err := RingStats(statMaps, size)
	if err != nil {
		return nil, err
	}
	c := &Calibration{MapMean: mean, MapStd: std}
	scores := make([]float64, len(heldOut))
	for i, m := range heldOut {
		if len(m) != size*size {
			return nil, fmt.Errorf("held-out map %d has %d values, want %d×%d", i, len(m), size, size)
		}
		scores[i] = c.Apply(m).Score
	}
	c.SetThreshold(slices.Max(scores), RuleMaxHeldOut+fmt.Sprintf(" (n=%d, statistics: ring-pooled by border distance over %d training maps)", len(heldOut), len(statMaps)), scores)
	return c, nil
}

// SetThreshold sets the threshold and its rule, and the scale around it:
// ScoreMin is the median of goodScores (calibrated scores of normal
// images), ScoreMax as far above the threshold as ScoreMin is below it, so
// that the normalised score is linear in the calibrated score (0 at the
// typical normal image, 0.5 at the threshold). When the median is not below
// the threshold, ScoreMin is one unit below it.
func (c *Calibration) SetThreshold(threshold float64, rule string, goodScores []float64) {
	c.Threshold, c.Rule = threshold, rule
	span := 1.0
	if len(goodScores) > 0 {
		s := slices.Sorted(slices.Values(goodScores))
		med := s[len(s)/2]
		if len(s)%2 == 0 {
			med = (s[len(s)/2-1] + med) / 2
		}
		if threshold-med > 0 {
			span = threshold - med
		}
	}
	c.ScoreMin, c.ScoreMax = threshold-span, threshold+span
}

// WriteCalibrated writes a copy of w with calibration c (atomically), as a
// spec weights file: w's parameters and metadata without a training
// checkpoint's run state, c replacing any earlier calibration.
func WriteCalibrated(path string, w *Weights, c *Calibration) error {
	out := &Weights{Config: w.Config, Params: w.Params, Meta: maps.Clone(w.Meta)}
	if out.Meta == nil {
		out.Meta = map[string]string{}
	}
	if err := c.Store(out); err != nil {
		return err
	}
	return out.WriteFile(path)
}
