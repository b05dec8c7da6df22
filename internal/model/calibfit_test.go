package model

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestRingStats compares the pooled statistics of 3 random 5×5 maps with
// a direct computation per ring (rings: the border, the ring inside it,
// the centre pixel).
func TestRingStats(t *testing.T) {
	const size = 5
	rng := rand.New(rand.NewPCG(1, 2))
	maps := make([][]float32, 3)
	for k := range maps {
		maps[k] = make([]float32, size*size)
		for i := range maps[k] {
			maps[k][i] = float32(rng.Float64()) + float32(k)
		}
	}
	mean, std, err := RingStats(maps, size)
	if err != nil {
		t.Fatal(err)
	}
	for d := range 3 {
		var vals []float64
		for _, m := range maps {
			for y := range size {
				for x := range size {
					if BorderDistance(x, y, size) == d {
						vals = append(vals, float64(m[y*size+x]))
					}
				}
			}
		}
		var s, s2 float64
		for _, v := range vals {
			s += v
		}
		mu := s / float64(len(vals))
		for _, v := range vals {
			s2 += (v - mu) * (v - mu)
		}
		sd := math.Sqrt(s2 / float64(len(vals)))
		for y := range size {
			for x := range size {
				if BorderDistance(x, y, size) != d {
					continue
				}
				i := y*size + x
				if math.Abs(float64(mean[i])-mu) > 1e-6 || math.Abs(float64(std[i])-sd) > 1e-6 {
					t.Fatalf("ring %d pixel (%d,%d): mean %g std %g, want %g %g", d, x, y, mean[i], std[i], mu, sd)
				}
			}
		}
	}
	// Constant maps: the spread is floored, not zero.
	flat := [][]float32{make([]float32, 16)}
	_, std, err = RingStats(flat, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range std {
		if !(s > 0) {
			t.Fatalf("flat maps give spread %g, want a positive floor", s)
		}
	}
	if _, _, err := RingStats(nil, 4); err == nil {
		t.Error("no maps: no error")
	}
	if _, _, err := RingStats([][]float32{make([]float32, 15)}, 4); err == nil {
		t.Error("a 15-value map of size 4: no error")
	}
}

// TestFitCalibration checks the threshold rule (the largest held-out
// calibrated score), the scale around it and a round trip through a
// weights file written from a training checkpoint's metadata.
func TestFitCalibration(t *testing.T) {
	const size = 8
	rng := rand.New(rand.NewPCG(3, 4))
	normal := func() []float32 {
		m := make([]float32, size*size)
		for y := range size {
			for x := range size {
				// The border is twice as high and twice as spread as the inside.
				k := float32(1)
				if BorderDistance(x, y, size) == 0 {
					k = 2
				}
				m[y*size+x] = k * (0.1 + 0.02*float32(rng.NormFloat64()))
			}
		}
		return m
	}
	var stat, held [][]float32
	for range 40 {
		stat = append(stat, normal())
	}
	for range 5 {
		held = append(held, normal())
	}
	c, err := FitCalibration(stat, held, size)
	if err != nil {
		t.Fatal(err)
	}
	var scores []float64
	maxScore := math.Inf(-1)
	for _, m := range held {
		s := c.Apply(m).Score
		scores = append(scores, s)
		maxScore = max(maxScore, s)
	}
	if c.Threshold != maxScore {
		t.Errorf("threshold %g, want the largest held-out score %g", c.Threshold, maxScore)
	}
	if math.Abs((c.Threshold-c.ScoreMin)-(c.ScoreMax-c.Threshold)) > 1e-9 || !(c.ScoreMin < c.Threshold) {
		t.Errorf("scale %g < %g < %g: want the threshold in the middle", c.ScoreMin, c.Threshold, c.ScoreMax)
	}
	// The border's rise is calibrated away: the border mean is about twice
	// the inside's.
	if r := c.MapMean[0] / c.MapMean[3*size+3]; r < 1.8 || r > 2.2 {
		t.Errorf("border/inside mean ratio %g, want about 2", r)
	}
	if _, err := FitCalibration(stat, nil, size); err == nil {
		t.Error("no held-out maps: no error")
	}

	cfg := Config{WF: 4, Depth: 2, Size: size, Lambda: 0.3, Alpha: 0.84, Attention: true}
	w := &Weights{Config: cfg, Params: InitParams(cfg, 1), Meta: map[string]string{"state.step": "3", "flag.lr": "0.1", "data.fingerprint": "x", "best_epoch": "2"}}
	path := filepath.Join(t.TempDir(), "cal.safetensors")
	if err := WriteCalibrated(path, w, c); err != nil {
		t.Fatal(err)
	}
	got, err := ReadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Checkpoint || got.Meta["flag.lr"] != "" || got.Meta["best_epoch"] != "2" || got.Meta[MetaThresholdRule] != c.Rule {
		t.Errorf("written metadata %v: want the checkpoint's run state dropped, the rest and the rule kept", got.Meta)
	}
	back, err := CalibrationOf(got)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range held {
		if a, b := back.Apply(m), c.Apply(m); a.Score != b.Score || a.Anomalous != b.Anomalous || a.Normalized != b.Normalized {
			t.Errorf("held-out map %d: read back %+v, fitted %+v", i, a, b)
		}
	}
	if !back.Apply(held[0]).Anomalous && scores[0] == maxScore {
		t.Error("the held-out image at the threshold is not anomalous (want score ≥ threshold)")
	}
}
