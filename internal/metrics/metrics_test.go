package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slowAUROC counts every anomalous–normal pair: the definition.
func slowAUROC(scores []float64, labels []bool) float64 {
	var pairs, right float64
	for i := range scores {
		for j := range scores {
			if !labels[i] || labels[j] {
				continue
			}
			pairs++
			switch {
			case scores[i] > scores[j]:
				right++
			case scores[i] == scores[j]:
				right += 0.5
			}
		}
	}
	return right / pairs
}

func TestAUROCMatchesPairCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 1 + rng.IntN(60)
		scores := make([]float64, n)
		labels := make([]bool, n)
		for i := range scores {
			scores[i] = float64(rng.IntN(8)) // many ties
			labels[i] = rng.IntN(3) == 0
		}
		want := slowAUROC(scores, labels)
		got := AUROC(scores, labels)
		if math.IsNaN(want) {
			assert.True(t, math.IsNaN(got), "trial %d", trial)
			continue
		}
		assert.InDelta(t, want, got, 1e-15, "trial %d", trial)
	}
}

func TestEmptyAndBadInput(t *testing.T) {
	assert.True(t, math.IsNaN(AUROC(nil, nil)), "AUROC of nothing")
	fpr, tpr, thr := ROC(nil, nil)
	assert.Nil(t, fpr)
	assert.Nil(t, tpr)
	assert.Nil(t, thr)
	assert.True(t, math.IsNaN(BestF1(nil, nil).Threshold), "BestF1 of nothing")

	assert.PanicsWithValue(t, "metrics: 2 scores but 3 labels", func() { AUROC([]float64{1, 2}, []bool{true, false, true}) })
	assert.Panics(t, func() { ROC([]float64{1}, nil) })
	assert.Panics(t, func() { BestF1([]float64{1}, nil) })
	assert.Panics(t, func() { NewPixelROC().Add([]float32{1, 2}, []bool{true}) })

	maps := [][]float32{make([]float32, 6)}
	masks := [][]bool{{true, false, false, false, false, false}}
	assert.Panics(t, func() { AUPRO(maps, masks, 2, 2, 0.3) }, "wrong h×w")
	assert.Panics(t, func() { AUPRO(maps, masks[:0], 2, 3, 0.3) }, "maps without masks")
	assert.Panics(t, func() { AUPRO(maps, masks, 2, 3, 0) }, "maxFPR 0")
	assert.Panics(t, func() { AUPRO(maps, masks, 2, 3, 1.5) }, "maxFPR > 1")
	assert.True(t, math.IsNaN(AUPRO(nil, nil, 2, 3, 0.3)), "AUPRO of no images")
	noRegion := [][]bool{make([]bool, 6)}
	assert.True(t, math.IsNaN(AUPRO(maps, noRegion, 2, 3, 0.3)), "AUPRO without regions")
	allAnomalous := [][]bool{{true, true, true, true, true, true}}
	assert.True(t, math.IsNaN(AUPRO(maps, allAnomalous, 2, 3, 0.3)), "AUPRO without normal pixels")
}

func TestNaNScores(t *testing.T) {
	scores := []float64{0.1, math.NaN(), 0.3}
	labels := []bool{false, true, true}
	assert.True(t, math.IsNaN(AUROC(scores, labels)))
	fpr, _, _ := ROC(scores, labels)
	assert.Nil(t, fpr)
	assert.True(t, math.IsNaN(BestF1(scores, labels).F1))

	nan := float32(math.NaN())
	p := NewPixelROC()
	p.Add([]float32{0.1, nan, 0.3, 0.2}, []bool{false, true, true, false})
	assert.Equal(t, 1, p.NaNCount())
	a, n := p.Counts()
	assert.Equal(t, []int{1, 2}, []int{a, n}, "NaN pixels are not counted")
	assert.True(t, math.IsNaN(p.AUROC()))
	curveFPR, _ := p.Curve()
	assert.Nil(t, curveFPR)

	maps := [][]float32{{0.1, nan, 0.3, 0.2}}
	masks := [][]bool{{false, true, true, false}}
	assert.True(t, math.IsNaN(AUPRO(maps, masks, 2, 2, 0.3)))
	proFPR, _ := PROCurve(maps, masks, 2, 2)
	assert.Nil(t, proFPR)
}

func TestSignedZeroAndInfinities(t *testing.T) {
	// −0 and +0 are one score (a tie) in every metric.
	assert.Equal(t, 0.5, AUROC([]float64{math.Copysign(0, -1), 0}, []bool{true, false}))
	p := NewPixelROC()
	p.Add([]float32{float32(math.Copysign(0, -1)), 0}, []bool{true, false})
	assert.Equal(t, 0.5, p.AUROC())
	inf := float32(math.Inf(1))
	p = NewPixelROC()
	p.Add([]float32{inf, -inf, 3, -3}, []bool{true, false, true, false})
	assert.Equal(t, 1.0, p.AUROC())
	assert.Equal(t, 0.0, p.ErrorBound())
}

// randomMaps makes n maps of h×w whose anomalous pixels (about frac of
// them, in blobs) score higher on average, with continuous float32 scores.
func randomMaps(rng *rand.Rand, n, h, w int, frac float64) (maps [][]float32, masks [][]bool) {
	for range n {
		m := make([]float32, h*w)
		mask := make([]bool, h*w)
		cy, cx := rng.IntN(h), rng.IntN(w)
		r := math.Sqrt(frac * float64(h*w) / math.Pi)
		for y := range h {
			for x := range w {
				i := y*w + x
				d := math.Hypot(float64(y-cy), float64(x-cx))
				mask[i] = d <= r
				s := 0.3*rng.Float64() + 0.05*rng.NormFloat64()
				if mask[i] {
					s += 0.25
				}
				m[i] = float32(math.Abs(s))
			}
		}
		maps, masks = append(maps, m), append(masks, mask)
	}
	return maps, masks
}

// TestPixelROCErrorAgainstExact measures the histogram's error against the
// exact pooled AUROC on continuous scores, where bins do hold ties of
// distinct values, and checks it against the stated bound.
func TestPixelROCErrorAgainstExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	maps, masks := randomMaps(rng, 12, 96, 96, 0.05)
	p := NewPixelROC()
	var scores []float64
	var labels []bool
	for i := range maps {
		p.Add(maps[i], masks[i])
		for j, s := range maps[i] {
			scores = append(scores, float64(s))
			labels = append(labels, masks[i][j])
		}
	}
	exact := AUROC(scores, labels)
	got, bound := p.AUROC(), p.ErrorBound()
	err := math.Abs(got - exact)
	t.Logf("%d pixels: exact AUROC %.9f, histogram %.9f, |error| %.2g, bound %.2g", len(scores), exact, got, err, bound)
	require.Positive(t, bound, "the case should put both classes in some bin")
	assert.LessOrEqual(t, err, bound, "error within the stated bound")
	assert.Less(t, bound, 1e-4, "bound far below the 0.1-point reporting precision")

	// Scores exactly representable on a coarse grid: every bin holds one
	// value, so the histogram is exact even with ties.
	q := NewPixelROC()
	scores = scores[:0]
	for i := range maps {
		quant := make([]float32, len(maps[i]))
		for j, s := range maps[i] {
			quant[j] = float32(math.Round(float64(s)*64) / 64)
			scores = append(scores, float64(quant[j]))
		}
		q.Add(quant, masks[i])
	}
	assert.InDelta(t, AUROC(scores, labels), q.AUROC(), 1e-15, "quantised scores are exact")
}

func TestPixelROCCurve(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	maps, masks := randomMaps(rng, 4, 64, 64, 0.1)
	p := NewPixelROC()
	for i := range maps {
		p.Add(maps[i], masks[i])
	}
	fpr, tpr := p.Curve()
	require.Equal(t, len(fpr), len(tpr))
	assert.LessOrEqual(t, len(fpr), 2050)
	assert.Equal(t, []float64{0, 0}, []float64{fpr[0], tpr[0]})
	assert.Equal(t, []float64{1, 1}, []float64{fpr[len(fpr)-1], tpr[len(tpr)-1]})
	// Its trapezoid area is the AUROC, up to the thinning.
	var area float64
	for i := 1; i < len(fpr); i++ {
		assert.GreaterOrEqual(t, fpr[i], fpr[i-1])
		assert.GreaterOrEqual(t, tpr[i], tpr[i-1])
		area += (fpr[i] - fpr[i-1]) * (tpr[i] + tpr[i-1]) / 2
	}
	assert.InDelta(t, p.AUROC(), area, 2e-3)
}

// slowAUPRO evaluates the definition directly: for each distinct score t,
// count per region and among normal pixels the pixels with score ≥ t, with
// regions from a breadth-first 8-connected flood fill over all pixel pairs.
func slowAUPRO(maps [][]float32, masks [][]bool, h, w int, maxFPR float64) float64 {
	type region struct {
		image  int
		pixels []int
	}
	var regions []region
	for i, mask := range masks {
		seen := make([]bool, h*w)
		for start := range mask {
			if !mask[start] || seen[start] {
				continue
			}
			r := region{image: i}
			queue := []int{start}
			seen[start] = true
			for len(queue) > 0 {
				p := queue[0]
				queue = queue[1:]
				r.pixels = append(r.pixels, p)
				for q := range mask {
					dy, dx := q/w-p/w, q%w-p%w
					if mask[q] && !seen[q] && dy >= -1 && dy <= 1 && dx >= -1 && dx <= 1 {
						seen[q] = true
						queue = append(queue, q)
					}
				}
			}
			regions = append(regions, r)
		}
	}
	thresholds := map[float32]bool{}
	for _, m := range maps {
		for _, s := range m {
			thresholds[s] = true
		}
	}
	type point struct{ fpr, pro float64 }
	points := []point{{0, 0}}
	for t := range thresholds {
		var fp, normal int
		for i := range maps {
			for j, s := range maps[i] {
				if !masks[i][j] {
					normal++
					if s >= t {
						fp++
					}
				}
			}
		}
		var pro float64
		for _, r := range regions {
			hit := 0
			for _, p := range r.pixels {
				if maps[r.image][p] >= t {
					hit++
				}
			}
			pro += float64(hit) / float64(len(r.pixels)) / float64(len(regions))
		}
		points = append(points, point{float64(fp) / float64(normal), pro})
	}
	// Sort by fpr then pro (both grow as t falls).
	for i := 1; i < len(points); i++ {
		for j := i; j > 0 && (points[j].fpr < points[j-1].fpr || points[j].fpr == points[j-1].fpr && points[j].pro < points[j-1].pro); j-- {
			points[j], points[j-1] = points[j-1], points[j]
		}
	}
	var area float64
	for i := 1; i < len(points); i++ {
		a, b := points[i-1], points[i]
		if b.fpr <= maxFPR {
			area += (b.fpr - a.fpr) * (a.pro + b.pro) / 2
			continue
		}
		y := a.pro + (b.pro-a.pro)*(maxFPR-a.fpr)/(b.fpr-a.fpr)
		area += (maxFPR - a.fpr) * (a.pro + y) / 2
		break
	}
	return area / maxFPR
}

func TestAUPROMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := range 40 {
		h, w := 3+rng.IntN(8), 3+rng.IntN(8)
		n := 1 + rng.IntN(3)
		var maps [][]float32
		var masks [][]bool
		for range n {
			m := make([]float32, h*w)
			mask := make([]bool, h*w)
			for j := range m {
				if trial%2 == 0 {
					m[j] = float32(rng.IntN(12)) / 8 // ties
				} else {
					// Distinct values close together, sharing the bins by
					// which AUPRO drops pixels beyond maxFPR.
					m[j] = 1 + float32(rng.IntN(1000))*1e-6
				}
				mask[j] = rng.IntN(4) == 0
			}
			maps, masks = append(maps, m), append(masks, mask)
		}
		for _, maxFPR := range []float64{0.05, 0.3, 1} {
			want := slowAUPRO(maps, masks, h, w, maxFPR)
			got := AUPRO(maps, masks, h, w, maxFPR)
			if math.IsNaN(want) {
				assert.True(t, math.IsNaN(got), "trial %d", trial)
				continue
			}
			assert.InDelta(t, want, got, 1e-12, "trial %d (%d images of %d×%d), maxFPR %v", trial, n, h, w, maxFPR)
		}
	}
}

func TestRegionsAreEightConnected(t *testing.T) {
	// x . x
	// . x .
	// x . .  → one region (diagonal neighbours), of 4 pixels; and a second
	// image's region is a region of its own even where it would touch.
	mask := []bool{true, false, true, false, true, false, true, false, false}
	labels := make([]int32, 9)
	sizes := labelRegions(mask, 3, 3, labels, nil)
	assert.Equal(t, []int{4}, sizes)
	sizes = labelRegions([]bool{false, false, true, false, false, false, false, false, false}, 3, 3, labels, sizes)
	assert.Equal(t, []int{4, 1}, sizes)
	assert.Equal(t, int32(0), labels[2], "labels are per image")
}
