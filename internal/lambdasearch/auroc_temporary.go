package lambdasearch

import "sort"

// aurocTemporary is the area under the ROC curve of scores (higher: more
// anomalous) against labels (true: anomalous) by the rank-sum formula,
// ties counted half. TEMPORARY: replaced by metrics.AUROC when the metrics
// package lands.
func aurocTemporary(scores []float64, labels []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum float64
	var nPos, nNeg float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // mean 1-based rank of the tie group
		for k := i; k < j; k++ {
			if labels[idx[k]] {
				rankSum += mid
			}
		}
		i = j
	}
	for _, l := range labels {
		if l {
			nPos++
		} else {
			nNeg++
		}
	}
	return (rankSum - nPos*(nPos+1)/2) / (nPos * nNeg)
}
