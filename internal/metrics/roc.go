package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// scoreGroup is the number of anomalous and normal samples that share one
// score.
type scoreGroup struct {
	score             float64
	anomalous, normal uint64
}

// groupsDescending sorts the samples by score and returns one group per
// distinct score, highest first (−0 and +0 are one score), with the class
// totals. ok is false when a score is NaN. It panics when the lengths differ.
func groupsDescending(scores []float64, labels []bool) (groups []scoreGroup, anomalous, normal uint64, ok bool) {
	if len(scores) != len(labels) {
		panic(fmt.Sprintf("metrics: %d scores but %d labels", len(scores), len(labels)))
	}
	type sample struct {
		score     float64
		anomalous bool
	}
	samples := make([]sample, len(scores))
	for i, s := range scores {
		if math.IsNaN(s) {
			return nil, 0, 0, false
		}
		samples[i] = sample{s, labels[i]}
	}
	// cmp.Compare orders −0 and +0 as equal, so they form one group.
	slices.SortFunc(samples, func(a, b sample) int { return cmp.Compare(b.score, a.score) })
	for i, s := range samples {
		if i == 0 || s.score != samples[i-1].score {
			groups = append(groups, scoreGroup{score: s.score})
		}
		g := &groups[len(groups)-1]
		if s.anomalous {
			g.anomalous++
			anomalous++
		} else {
			g.normal++
			normal++
		}
	}
	return groups, anomalous, normal, true
}

// aucAccumulator integrates the ROC curve exactly from counts given in order
// of decreasing score: each normal sample adds the anomalous samples scored
// above it, plus half of those tied with it (the Mann–Whitney U statistic,
// which is what the trapezoid rule over the ROC curve computes).
type aucAccumulator struct {
	anomalous, normal uint64
	twiceU            uint64 // 2·U, an integer; below 2^63 while anomalous·normal < 2^62
}

// add takes one group of tied samples, of lower score than all before.
func (a *aucAccumulator) add(anomalous, normal uint64) {
	a.twiceU += normal * (2*a.anomalous + anomalous)
	a.anomalous += anomalous
	a.normal += normal
}

// value is the AUROC, or NaN when a class is empty.
func (a *aucAccumulator) value() float64 {
	if a.anomalous == 0 || a.normal == 0 {
		return math.NaN()
	}
	return float64(a.twiceU) / (2 * float64(a.anomalous) * float64(a.normal))
}

// AUROC is the area under the ROC curve of scores against labels (true =
// anomalous), ties counted half, as sklearn.metrics.roc_auc_score. It is
// computed exactly from the sorted scores (O(n log n) time, 16 bytes per
// sample). It returns NaN when one class is empty or a score is NaN, and
// panics when the lengths differ.
func AUROC(scores []float64, labels []bool) float64 {
	groups, _, _, ok := groupsDescending(scores, labels)
	if !ok {
		return math.NaN()
	}
	var acc aucAccumulator
	for _, g := range groups {
		acc.add(g.anomalous, g.normal)
	}
	return acc.value()
}

// ROC returns the ROC curve as sklearn.metrics.roc_curve with
// drop_intermediate=False: one point per distinct score, thresholds
// decreasing, a sample with score ≥ threshold predicted anomalous; the first
// point is (0, 0) at threshold +Inf (scikit-learn before 1.3 put max+1
// there). Without anomalous samples tpr is all NaN, without normal ones fpr
// is (as scikit-learn does, with a warning). It returns nil slices for empty
// input or a NaN score, and panics when the lengths differ.
func ROC(scores []float64, labels []bool) (fpr, tpr, thresholds []float64) {
	groups, anomalous, normal, ok := groupsDescending(scores, labels)
	if !ok || len(groups) == 0 {
		return nil, nil, nil
	}
	fpr = make([]float64, 0, len(groups)+1)
	tpr = make([]float64, 0, len(groups)+1)
	thresholds = make([]float64, 0, len(groups)+1)
	fpr = append(fpr, 0)
	tpr = append(tpr, 0)
	thresholds = append(thresholds, math.Inf(1))
	var tp, fp uint64
	for _, g := range groups {
		tp += g.anomalous
		fp += g.normal
		fpr = append(fpr, ratio(fp, normal))
		tpr = append(tpr, ratio(tp, anomalous))
		thresholds = append(thresholds, g.score)
	}
	return fpr, tpr, thresholds
}

// ratio is a/b, NaN when b is 0.
func ratio(a, b uint64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// F1Point is one point of the precision–recall curve: a sample with score ≥
// Threshold is predicted anomalous.
type F1Point struct{ Threshold, F1, Precision, Recall float64 }

// BestF1 is the F1-optimal point of the precision–recall curve (the
// semantics of sklearn.metrics.precision_recall_curve: every distinct score
// is a threshold, score ≥ threshold predicted anomalous), F1 = 2PR/(P+R).
// Ties in F1 (compared exactly, as fractions) go to the lowest threshold, the
// first maximum along scikit-learn's ascending thresholds. It returns a point
// of NaNs when there is no anomalous sample (F1 is then 0 at every threshold)
// or a score is NaN, and panics when the lengths differ.
func BestF1(scores []float64, labels []bool) F1Point {
	groups, anomalous, _, ok := groupsDescending(scores, labels)
	nan := math.NaN()
	if !ok || anomalous == 0 {
		return F1Point{nan, nan, nan, nan}
	}
	// F1 = 2tp/(anomalous + tp + fp); compare a/b ≥ c/d as a·d ≥ c·b.
	var tp, fp, bestTP, bestPredicted uint64
	best := -1
	for i, g := range groups {
		tp += g.anomalous
		fp += g.normal
		if best < 0 || tp*(anomalous+bestPredicted) >= bestTP*(anomalous+tp+fp) {
			best, bestTP, bestPredicted = i, tp, tp+fp
		}
	}
	return F1Point{
		Threshold: groups[best].score,
		F1:        2 * float64(bestTP) / float64(anomalous+bestPredicted),
		Precision: float64(bestTP) / float64(bestPredicted),
		Recall:    float64(bestTP) / float64(anomalous),
	}
}
