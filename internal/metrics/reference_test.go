package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Reference files written by testdata/make_metrics_reference.py (scikit-learn
// 1.2 and a NumPy AUPRO); see its header for what each field is.
var referenceDir = filepath.Join("..", "..", "testdata", "metrics")

type classificationCase struct {
	Name   string    `json:"name"`
	Scores []float64 `json:"scores"`
	Labels []int     `json:"labels"`
	AUROC  *float64  `json:"auroc"`
	ROC    *struct {
		FPR, TPR, Thresholds []float64
	} `json:"roc"`
	PR *struct {
		Precision, Recall, Thresholds []float64
	} `json:"pr"`
	BestF1 *struct {
		Threshold, F1, Precision, Recall float64
	} `json:"best_f1"`
}

type pixelCase struct {
	Name          string   `json:"name"`
	H             int      `json:"h"`
	W             int      `json:"w"`
	MapScale      float32  `json:"map_scale"`
	Maps          [][]int  `json:"maps"`
	Masks         []string `json:"masks"`
	MaxFPR        float64  `json:"max_fpr"`
	Regions       int      `json:"regions"`
	PixelAUROC    float64  `json:"pixel_auroc"`
	AUPRO         float64  `json:"aupro"`
	AUPROAnomalib *float64 `json:"aupro_anomalib"`
	PROPoints     int      `json:"pro_points"`
}

func loadReference[T any](t testing.TB, name string) []T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(referenceDir, name))
	require.NoError(t, err, "reference file; regenerate with /usr/bin/python3 testdata/make_metrics_reference.py")
	var file struct{ Cases []T }
	require.NoError(t, json.Unmarshal(data, &file), name)
	require.NotEmpty(t, file.Cases, name)
	return file.Cases
}

func (c classificationCase) labels() []bool {
	out := make([]bool, len(c.Labels))
	for i, l := range c.Labels {
		out[i] = l == 1
	}
	return out
}

// images returns the case's maps (float32, k/map_scale exactly) and masks.
func (c pixelCase) images(t testing.TB) (maps [][]float32, masks [][]bool) {
	t.Helper()
	require.Equal(t, len(c.Maps), len(c.Masks), c.Name)
	for i := range c.Maps {
		require.Len(t, c.Maps[i], c.H*c.W, c.Name)
		require.Len(t, c.Masks[i], c.H*c.W, c.Name)
		m := make([]float32, len(c.Maps[i]))
		for j, k := range c.Maps[i] {
			m[j] = float32(k) / c.MapScale
		}
		mask := make([]bool, len(c.Masks[i]))
		for j := range mask {
			mask[j] = c.Masks[i][j] == '1'
		}
		maps, masks = append(maps, m), append(masks, mask)
	}
	return maps, masks
}

// exactTol is the tolerance for values that scikit-learn computes with
// floating-point sums (trapezoid areas, cumulated rates) and we from counts.
const exactTol = 1e-12

func TestReferenceClassification(t *testing.T) {
	for _, c := range loadReference[classificationCase](t, "classification.json") {
		t.Run(c.Name, func(t *testing.T) {
			labels := c.labels()

			got := AUROC(c.Scores, labels)
			if c.AUROC == nil {
				assert.True(t, math.IsNaN(got), "AUROC with one class empty = %v, want NaN", got)
			} else {
				assert.InDelta(t, *c.AUROC, got, exactTol, "AUROC")
			}

			fpr, tpr, thr := ROC(c.Scores, labels)
			if c.ROC != nil {
				require.Len(t, thr, len(c.ROC.Thresholds), "ROC points")
				assert.True(t, math.IsInf(thr[0], 1), "first threshold %v, want +Inf", thr[0])
				assert.Equal(t, c.ROC.Thresholds[1:], thr[1:], "thresholds")
				assert.InDeltaSlice(t, c.ROC.FPR, fpr, exactTol, "fpr")
				assert.InDeltaSlice(t, c.ROC.TPR, tpr, exactTol, "tpr")
			} else {
				// One class is empty: its rate is NaN, as scikit-learn does.
				require.NotEmpty(t, fpr)
				if c.AUROC == nil && allTrue(labels) {
					assert.True(t, math.IsNaN(fpr[1]), "fpr without normal samples = %v, want NaN", fpr[1])
				} else {
					assert.True(t, math.IsNaN(tpr[1]), "tpr without anomalous samples = %v, want NaN", tpr[1])
				}
			}

			best := BestF1(c.Scores, labels)
			if c.BestF1 == nil {
				assert.True(t, math.IsNaN(best.F1), "BestF1 without anomalous samples = %+v, want NaN", best)
				return
			}
			assert.Equal(t, c.BestF1.Threshold, best.Threshold, "threshold")
			assert.InDelta(t, c.BestF1.F1, best.F1, exactTol, "F1")
			assert.InDelta(t, c.BestF1.Precision, best.Precision, exactTol, "precision")
			assert.InDelta(t, c.BestF1.Recall, best.Recall, exactTol, "recall")
			// The point lies on scikit-learn's precision–recall curve.
			found := false
			for i, th := range c.PR.Thresholds {
				if th == best.Threshold {
					found = true
					assert.InDelta(t, c.PR.Precision[i], best.Precision, exactTol)
					assert.InDelta(t, c.PR.Recall[i], best.Recall, exactTol)
				}
			}
			assert.True(t, found, "threshold %v is not one of precision_recall_curve's", best.Threshold)
		})
	}
}

func allTrue(b []bool) bool {
	for _, x := range b {
		if !x {
			return false
		}
	}
	return true
}

// anomalibTol is how far anomalib's resampled AUPRO may be from the exact
// definition on the reference cases (measured: at most 0.0177, on the
// quantised "ties" case; 0.0018 on "multi_region").
const anomalibTol = 0.02

func TestReferencePixel(t *testing.T) {
	for _, c := range loadReference[pixelCase](t, "pixel.json") {
		t.Run(c.Name, func(t *testing.T) {
			maps, masks := c.images(t)

			var pooledScores []float64
			var pooledLabels []bool
			roc := NewPixelROC()
			for i := range maps {
				roc.Add(maps[i], masks[i])
				for j, s := range maps[i] {
					pooledScores = append(pooledScores, float64(s))
					pooledLabels = append(pooledLabels, masks[i][j])
				}
			}
			assert.InDelta(t, c.PixelAUROC, AUROC(pooledScores, pooledLabels), exactTol, "exact pooled AUROC")
			bound := roc.ErrorBound()
			assert.InDelta(t, c.PixelAUROC, roc.AUROC(), bound+exactTol, "PixelROC AUROC (bound %.3g)", bound)
			t.Logf("PixelROC: |error| %.3g, bound %.3g", math.Abs(roc.AUROC()-c.PixelAUROC), bound)

			var sizes []int
			labels := make([]int32, c.H*c.W)
			for _, m := range masks {
				sizes = labelRegions(m, c.H, c.W, labels, sizes)
			}
			assert.Len(t, sizes, c.Regions, "8-connected regions")

			got := AUPRO(maps, masks, c.H, c.W, c.MaxFPR)
			assert.InDelta(t, c.AUPRO, got, 1e-9, "AUPRO (definition)")
			if c.AUPROAnomalib != nil {
				assert.InDelta(t, *c.AUPROAnomalib, got, anomalibTol, "AUPRO (anomalib's procedure)")
				t.Logf("AUPRO %.6f, anomalib's procedure %.6f", got, *c.AUPROAnomalib)
			}

			// The thinned curve keeps at most all the reference's points.
			fpr, pro := PROCurve(maps, masks, c.H, c.W)
			assert.LessOrEqual(t, len(fpr), c.PROPoints)
			assert.Equal(t, []float64{0, 0}, []float64{fpr[0], pro[0]})
			assert.Equal(t, []float64{1, 1}, []float64{fpr[len(fpr)-1], pro[len(pro)-1]})
		})
	}
}
