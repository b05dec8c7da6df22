package metrics

import (
	"fmt"
	"math"
)

// PixelROCBins is the number of histogram bins of a PixelROC: the top 20
// bits of the order-preserving key of a float32 (sign, 8 exponent bits, 11
// mantissa bits), so two scores share a bin only if they have the same sign
// and exponent and differ by less than 2^−11 ≈ 4.9e−4 relative.
const PixelROCBins = 1 << pixelROCBinBits

const (
	pixelROCBinBits = 20
	pixelROCShift   = 32 - pixelROCBinBits
	// maxPixelROCPixels keeps 2·anomalous·normal, the doubled
	// Mann–Whitney count, within a uint64.
	maxPixelROCPixels = 1 << 32
	// curveStep is the smallest move in fpr or tpr between two points that
	// Curve and PROCurve keep.
	curveStep = 1.0 / 1024
)

// PixelROC accumulates the pixel scores and binary masks of many images in a
// fixed-size histogram, for the pooled pixel AUROC (all pixels of all images
// as one set of samples), whatever the number of images.
//
// Memory: 2·PixelROCBins uint64 counters (16 MiB), allocated on the first
// Add, nothing per pixel. Error: pixels in one bin count as tied, so
// AUROC() differs from the exact value only through anomalous–normal pairs
// that share a bin, each off by at most ½; ErrorBound() returns that bound,
// ½·Σ_bins anomalous_b·normal_b / (anomalous·normal), computed from the
// counts. Scores that are exactly equal are ties in both, so maps with few
// distinct values (all-equal, quantised) are exact.
//
// Add with a NaN score counts the pixel in NaNCount and leaves it out of the
// histogram; AUROC then returns NaN. The zero value is not ready: use
// NewPixelROC. A PixelROC is not safe for concurrent use.
type PixelROC struct {
	anomalousBins, normalBins []uint64 // per bin, indexed by pixelROCBin
	anomalous, normal         uint64
	nan                       int
}

// NewPixelROC returns an empty accumulator.
func NewPixelROC() *PixelROC { return &PixelROC{} }

// orderedKey32 maps a float32 to a uint32 in the same order (−0 and +0 to
// the same key; NaN must be handled by the caller).
func orderedKey32(x float32) uint32 {
	if x == 0 {
		x = 0 // −0 → +0
	}
	b := math.Float32bits(x)
	if b&(1<<31) != 0 {
		return ^b
	}
	return b | 1<<31
}

// Add accumulates one image: scores is its anomaly map and mask its ground
// truth (true = anomalous), in the same layout, so the same length (it
// panics otherwise, or beyond 2^32 pixels in all).
func (p *PixelROC) Add(scores []float32, mask []bool) {
	if len(scores) != len(mask) {
		panic(fmt.Sprintf("metrics: PixelROC.Add: %d scores but %d mask pixels", len(scores), len(mask)))
	}
	if p.anomalous+p.normal+uint64(len(scores)) > maxPixelROCPixels {
		panic("metrics: PixelROC holds at most 2^32 pixels")
	}
	if p.normalBins == nil {
		p.anomalousBins = make([]uint64, PixelROCBins)
		p.normalBins = make([]uint64, PixelROCBins)
	}
	anomalousBins, normalBins := p.anomalousBins, p.normalBins
	mask = mask[:len(scores)]
	for i, s := range scores {
		if s != s {
			p.nan++
			continue
		}
		bin := orderedKey32(s) >> pixelROCShift
		if mask[i] {
			anomalousBins[bin]++
			p.anomalous++
		} else {
			normalBins[bin]++
			p.normal++
		}
	}
}

// Counts returns the number of anomalous and normal pixels added (NaN scores
// not included).
func (p *PixelROC) Counts() (anomalous, normal int) { return int(p.anomalous), int(p.normal) }

// NaNCount is the number of pixels added with a NaN score.
func (p *PixelROC) NaNCount() int { return p.nan }

// AUROC is the pooled pixel AUROC, ties counted half, within ErrorBound() of
// the exact value. It is NaN when a class is empty or a NaN score was added.
func (p *PixelROC) AUROC() float64 {
	if p.nan > 0 || p.anomalous == 0 || p.normal == 0 {
		return math.NaN()
	}
	var acc aucAccumulator
	for b := PixelROCBins - 1; b >= 0; b-- {
		if p.anomalousBins[b]|p.normalBins[b] != 0 {
			acc.add(p.anomalousBins[b], p.normalBins[b])
		}
	}
	return acc.value()
}

// ErrorBound is the largest possible |AUROC() − exact AUROC|: half the
// fraction of anomalous–normal pixel pairs that share a histogram bin. NaN
// when AUROC() is.
func (p *PixelROC) ErrorBound() float64 {
	if p.nan > 0 || p.anomalous == 0 || p.normal == 0 {
		return math.NaN()
	}
	var shared float64
	for b, a := range p.anomalousBins {
		if a != 0 {
			shared += float64(a) * float64(p.normalBins[b])
		}
	}
	return shared / (2 * float64(p.anomalous) * float64(p.normal))
}

// Curve returns the pooled pixel ROC curve for plotting, from (0, 0) to
// (1, 1) through the histogram's bins in order of decreasing score, thinned
// so that consecutive points differ by at least 1/1024 in fpr or tpr (at
// most about 2050 points). Nil when a class is empty or a NaN score was
// added.
func (p *PixelROC) Curve() (fpr, tpr []float64) {
	if p.nan > 0 || p.anomalous == 0 || p.normal == 0 {
		return nil, nil
	}
	var thin curveThinner
	thin.add(0, 0)
	var tp, fp uint64
	for b := PixelROCBins - 1; b >= 0; b-- {
		if p.anomalousBins[b]|p.normalBins[b] == 0 {
			continue
		}
		tp += p.anomalousBins[b]
		fp += p.normalBins[b]
		thin.add(float64(fp)/float64(p.normal), float64(tp)/float64(p.anomalous))
	}
	return thin.finish()
}

// curveThinner keeps the points of a monotone curve that move at least
// curveStep in x or y from the last kept one, and always the last point.
type curveThinner struct {
	x, y         []float64
	lastX, lastY float64
	pending      bool
}

func (c *curveThinner) add(x, y float64) {
	n := len(c.x)
	if n == 0 || math.Abs(x-c.x[n-1]) >= curveStep || math.Abs(y-c.y[n-1]) >= curveStep {
		c.x = append(c.x, x)
		c.y = append(c.y, y)
		c.pending = false
		return
	}
	c.lastX, c.lastY, c.pending = x, y, true
}

func (c *curveThinner) finish() (x, y []float64) {
	if c.pending {
		c.x = append(c.x, c.lastX)
		c.y = append(c.y, c.lastY)
		c.pending = false
	}
	return c.x, c.y
}
