package metrics

import (
	"fmt"
	"math"
	"slices"
)

// AUPRO is the area under the per-region-overlap curve up to maxFPR (0.3 in
// the literature), divided by maxFPR, as anomalib defines it (v2.0.0,
// metrics/aupro.py; also the MVTec AD paper's):
//
//   - regions are the 8-connected components of each image's mask (anomalib
//     labels them with cv2.connectedComponents or kornia, both 8-connected);
//     a region never spans two images;
//   - at a threshold t (every distinct score, a pixel with score ≥ t
//     predicted anomalous), FPR is the fraction of all normal pixels of all
//     images predicted anomalous, and PRO the mean over all regions of all
//     images of the fraction of the region's pixels predicted anomalous;
//   - the curve from (0, 0) is integrated with the trapezoid rule up to
//     FPR = maxFPR, with PRO interpolated linearly at maxFPR.
//
// This is exact: every distinct score is a threshold. anomalib instead
// resamples each region's ROC curve onto a common grid of indices before
// averaging, which approximates the same curve. testdata/metrics/pixel.json
// holds both values for its small cases (20×28 pixels, 6 regions): they
// differ by up to 0.018 where scores have few distinct values, 0.002 on the
// smooth-map case; on 20 maps of 128×128 with about 30 regions they differ
// by at most 3.2e−5 (make_metrics_reference.py --compare-large).
//
// maps[i] and masks[i] are image i's anomaly map and ground truth, h×w
// row-major. Time O(n log n) for the n pixels that score above the point
// where FPR reaches maxFPR (the others are dropped before sorting); memory
// 4 bytes per normal pixel and 8 per anomalous pixel (their sort keys), plus
// 4·h·w for the labelling.
// It returns NaN when there is no region, no normal pixel or a NaN score; it
// panics when the shapes disagree or maxFPR is not in (0, 1].
func AUPRO(maps [][]float32, masks [][]bool, h, w int, maxFPR float64) float64 {
	if !(maxFPR > 0 && maxFPR <= 1) {
		panic(fmt.Sprintf("metrics: AUPRO: maxFPR %v is not in (0, 1]", maxFPR))
	}
	var area, lastFPR, lastPRO float64
	ok := sweepPRO(maps, masks, h, w, maxFPR, func(fpr, pro float64) bool {
		if fpr <= maxFPR {
			area += (fpr - lastFPR) * (lastPRO + pro) / 2
			lastFPR, lastPRO = fpr, pro
			return fpr < maxFPR
		}
		proAtMax := lastPRO + (pro-lastPRO)*(maxFPR-lastFPR)/(fpr-lastFPR)
		area += (maxFPR - lastFPR) * (lastPRO + proAtMax) / 2
		return false
	})
	if !ok {
		return math.NaN()
	}
	return area / maxFPR
}

// PROCurve returns the per-region-overlap curve of AUPRO over all FPRs, for
// plotting: from (0, 0) to (1, 1), one point per distinct score in
// decreasing order, thinned so that consecutive points differ by at least
// 1/1024 in fpr or pro (at most about 2050 points). Nil when AUPRO would be
// NaN; it panics as AUPRO does.
func PROCurve(maps [][]float32, masks [][]bool, h, w int) (fpr, pro []float64) {
	var thin curveThinner
	thin.add(0, 0)
	if !sweepPRO(maps, masks, h, w, 1, func(f, p float64) bool { thin.add(f, p); return true }) {
		return nil, nil
	}
	return thin.finish()
}

// sweepPRO calls visit with (FPR, PRO) at every distinct score in
// decreasing order (not the (0, 0) start), until visit returns false, which
// it must do at the first point with FPR ≥ upToFPR (pixels scored below
// that point are left out of the sort). It returns false, visiting nothing,
// when there is no region, no normal pixel or a NaN score.
func sweepPRO(maps [][]float32, masks [][]bool, h, w int, upToFPR float64, visit func(fpr, pro float64) bool) bool {
	if len(maps) != len(masks) {
		panic(fmt.Sprintf("metrics: %d maps but %d masks", len(maps), len(masks)))
	}
	if h <= 0 || w <= 0 {
		panic(fmt.Sprintf("metrics: image size %d×%d", h, w))
	}
	for i := range maps {
		if len(maps[i]) != h*w || len(masks[i]) != h*w {
			panic(fmt.Sprintf("metrics: image %d: map of %d and mask of %d pixels, want %d×%d = %d",
				i, len(maps[i]), len(masks[i]), h, w, h*w))
		}
	}
	var anomalousPixels int
	for i := range maps {
		for j, s := range maps[i] {
			if s != s {
				return false
			}
			if masks[i][j] {
				anomalousPixels++
			}
		}
	}

	// normalKeys: the ordered score key of each normal pixel.
	// regionPixels: key<<32 | region index of each anomalous pixel.
	normalKeys := make([]uint32, 0, len(maps)*h*w-anomalousPixels)
	regionPixels := make([]uint64, 0, anomalousPixels)
	var regionSizes []int
	labels := make([]int32, h*w)
	for i := range maps {
		first := len(regionSizes)
		regionSizes = labelRegions(masks[i], h, w, labels, regionSizes)
		for j, s := range maps[i] {
			key := orderedKey32(s)
			if masks[i][j] {
				regionPixels = append(regionPixels, uint64(key)<<32|uint64(first+int(labels[j])))
			} else {
				normalKeys = append(normalKeys, key)
			}
		}
	}
	if len(regionSizes) == 0 || len(normalKeys) == 0 {
		return false
	}
	nNormal := float64(len(normalKeys))
	allRegionPixels := len(regionPixels)
	if upToFPR < 1 {
		normalKeys, regionPixels = dropBelowFPR(normalKeys, regionPixels, upToFPR)
	}
	slices.Sort(normalKeys)
	slices.Sort(regionPixels)

	// Each pixel of region r adds 1/(|r|·regions) to PRO.
	weights := make([]float64, len(regionSizes))
	for r, size := range regionSizes {
		weights[r] = 1 / (float64(size) * float64(len(regionSizes)))
	}
	n, a := len(normalKeys), len(regionPixels) // unvisited: [0, n) and [0, a), from the top
	visited := 0                               // normal pixels
	var pro float64
	for n > 0 || a > 0 {
		var key uint32
		switch {
		case n == 0:
			key = uint32(regionPixels[a-1] >> 32)
		case a == 0:
			key = normalKeys[n-1]
		default:
			key = max(normalKeys[n-1], uint32(regionPixels[a-1]>>32))
		}
		for n > 0 && normalKeys[n-1] == key {
			n--
			visited++
		}
		for a > 0 && uint32(regionPixels[a-1]>>32) == key {
			pro += weights[uint32(regionPixels[a-1])]
			a--
		}
		if a == 0 && len(regionPixels) == allRegionPixels {
			pro = 1 // every region fully covered; no rounding left over
		}
		if !visit(float64(visited)/nNormal, pro) {
			break
		}
	}
	return true
}

// dropBelowFPR removes, in place, the pixels that a sweep from the highest
// score never reaches before its FPR is ≥ upToFPR: it keeps whole bins of
// the top 16 key bits, from the top, until the normal pixels kept make
// FPR ≥ upToFPR (as the sweep computes it), so no tie is split.
func dropBelowFPR(normalKeys []uint32, regionPixels []uint64, upToFPR float64) ([]uint32, []uint64) {
	const shift = 16
	var counts [1 << (32 - shift)]int
	for _, k := range normalKeys {
		counts[k>>shift]++
	}
	nNormal := float64(len(normalKeys))
	cutoff, kept := len(counts)-1, 0
	for ; cutoff > 0; cutoff-- {
		kept += counts[cutoff]
		if float64(kept)/nNormal >= upToFPR {
			break
		}
	}
	normalKept := normalKeys[:0]
	for _, k := range normalKeys {
		if int(k>>shift) >= cutoff {
			normalKept = append(normalKept, k)
		}
	}
	regionKept := regionPixels[:0]
	for _, p := range regionPixels {
		if int(p>>(32+shift)) >= cutoff {
			regionKept = append(regionKept, p)
		}
	}
	return normalKept, regionKept
}

// labelRegions labels the 8-connected components of mask (h×w row-major)
// into labels (0-based index into the returned sizes, which are appended to
// sizes; unspecified at normal pixels).
func labelRegions(mask []bool, h, w int, labels []int32, sizes []int) []int {
	const unvisited = -1
	for j := range labels {
		labels[j] = unvisited
	}
	first := len(sizes)
	var stack []int
	for start, anomalous := range mask {
		if !anomalous || labels[start] != unvisited {
			continue
		}
		label := int32(len(sizes) - first)
		size := 0
		labels[start] = label
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			size++
			y, x := p/w, p%w
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					ny, nx := y+dy, x+dx
					if ny < 0 || ny >= h || nx < 0 || nx >= w {
						continue
					}
					q := ny*w + nx
					if mask[q] && labels[q] == unvisited {
						labels[q] = label
						stack = append(stack, q)
					}
				}
			}
		}
		sizes = append(sizes, size)
	}
	return sizes
}
