//go:build !js

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/infer"
	"github.com/noise2norm/noise2norm/internal/metrics"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/train"
)

// auproMaxFPR is the false-positive rate up to which AUPRO integrates
// (anomalib's default).
const auproMaxFPR = 0.3

// categoryResult is one object of results.json. Metrics are in percent;
// a pointer is null when the metric cannot be computed (no masks, no
// calibration).
type categoryResult struct {
	Category   string   `json:"category"`
	ImageAUROC float64  `json:"image_auroc"`
	PixelAUROC *float64 `json:"pixel_auroc"`
	AUPRO      *float64 `json:"aupro"`
	// The F1-optimal threshold on the raw score and its F1 (percent),
	// precision and recall (percent).
	Threshold float64 `json:"threshold"`
	F1        float64 `json:"f1"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	NGood     int     `json:"n_good"`
	NDefect   int     `json:"n_defect"`

	ImageAUROCCalibrated *float64 `json:"image_auroc_calibrated"`
	PixelAUROCCalibrated *float64 `json:"pixel_auroc_calibrated"`
	AUPROCalibrated      *float64 `json:"aupro_calibrated"`
	ThresholdCalibrated  *float64 `json:"threshold_calibrated"`
	F1Calibrated         *float64 `json:"f1_calibrated"`

	// The calibration's own threshold (the weights', or the one -calibrate
	// wrote) and the F1, precision and recall of its verdicts.
	VerdictThreshold *float64 `json:"verdict_threshold"`
	VerdictF1        *float64 `json:"verdict_f1"`
	VerdictPrecision *float64 `json:"verdict_precision"`
	VerdictRecall    *float64 `json:"verdict_recall"`

	// Image AUROC per defect type, its images against the normal ones.
	DefectImageAUROC           map[string]float64 `json:"defect_image_auroc"`
	DefectImageAUROCCalibrated map[string]float64 `json:"defect_image_auroc_calibrated,omitempty"`
	Lambda                     float32            `json:"lambda"`
	Seed                       uint32             `json:"seed"`
	Note                       string             `json:"note,omitempty"`
}

// evaluated is what a category's run keeps per test image.
type evaluated struct {
	img      train.TestImage
	mask     []bool // S×S; nil for normal images and without masks
	raw      []float32
	cal      []float32 // nil without calibration
	score    float64
	calScore float64
}

// evaluate runs every category of o and writes the results.
func evaluate(be backend.Backend, o *options, stdout, stderr io.Writer) error {
	w, err := model.ReadWeights(o.weights)
	if err != nil {
		return err
	}
	m, err := model.New(be, w)
	if err != nil {
		return err
	}
	defer m.Free()
	cats := o.categories
	if len(cats) == 0 {
		if cats, err = train.TestCategories(o.data); err != nil {
			return err
		}
		if o.calibrate != "" && len(cats) > 1 {
			return fmt.Errorf("-calibrate writes the weights of one category, and %s holds %d: give one -category", o.data, len(cats))
		}
	}
	// Every category's test set is found before the first is run, so that a
	// misspelt one fails at once.
	sets := make([]*train.TestSet, len(cats))
	for i, c := range cats {
		if sets[i], err = train.FindTestSet(o.data, c); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	lambda := infer.Lambda(m, o.lambda)
	fmt.Fprintf(stderr, "eval: %s on %s, λ %g, seed %d, batch %d\n", m.Cfg, be.Name(), lambda, o.seed, o.batch)
	var results []categoryResult
	for _, ts := range sets {
		start := time.Now()
		r, err := evalCategory(m, w, ts, o, lambda, stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", categoryName(ts, o.data), err)
		}
		fmt.Fprintf(stderr, "eval: %s: image AUROC %.2f, pixel AUROC %s, AUPRO %s (%s)\n", r.Category,
			r.ImageAUROC, fmtPtr(r.PixelAUROC), fmtPtr(r.AUPRO), time.Since(start).Round(time.Millisecond))
		results = append(results, *r)
	}
	js, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.out, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.out, "results.md"), []byte(resultsTable(results, o, lambda)), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d categories evaluated; results in %s\n", len(results), filepath.Join(o.out, "results.md"))
	return nil
}

// categoryName names a test set's category in results, messages and file
// names: the category, or for a category folder given as -data its name.
func categoryName(ts *train.TestSet, data string) string {
	if ts.Category != "" {
		return ts.Category
	}
	if abs, err := filepath.Abs(data); err == nil {
		return filepath.Base(abs)
	}
	return filepath.Base(data)
}

// evalCategory runs the test set of one category and writes its report.
func evalCategory(m *model.Model, w *model.Weights, ts *train.TestSet, o *options, lambda float32, stderr io.Writer) (*categoryResult, error) {
	size := m.Cfg.Size
	seed := uint32(o.seed)
	cal := m.Calibration()
	if o.calibrate != "" && (cal == nil || cal.MapMean == nil) {
		c, err := fitMapStats(m, o, ts.Category, lambda, seed, stderr)
		if err != nil {
			return nil, err
		}
		cal = c
	}
	nGood, nDefect := ts.Counts()
	r := &categoryResult{Category: categoryName(ts, o.data), NGood: nGood, NDefect: nDefect, Lambda: lambda, Seed: seed, DefectImageAUROC: map[string]float64{}}
	if nGood == 0 || nDefect == 0 {
		return nil, fmt.Errorf("the test set has %d normal and %d anomalous images: AUROC needs both", nGood, nDefect)
	}
	withMasks := ts.MissingMasks == 0
	if !withMasks {
		r.Note = fmt.Sprintf("%d of %d anomalous images have no ground-truth mask: image metrics only", ts.MissingMasks, nDefect)
		fmt.Fprintf(stderr, "eval: %s: %s\n", r.Category, r.Note)
	}

	items := make([]evaluated, len(ts.Images))
	bar := progressbar.NewOptions(len(items), progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("eval "+r.Category),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }))
	for i := 0; i < len(items); i += o.batch {
		batch := ts.Images[i:min(i+o.batch, len(items))]
		x := make([][]float32, len(batch))
		for k, im := range batch {
			img, err := imageio.LoadRGB(im.Path, o.maxPixels)
			if err != nil {
				return nil, err
			}
			x[k] = imageio.ToTensor(img, size)
			it := &items[i+k]
			it.img = im
			if im.Anomalous && withMasks {
				if it.mask, err = train.LoadMask(im.MaskPath, size, o.maxPixels); err != nil {
					return nil, err
				}
			}
		}
		rs, err := infer.Run(m, x, lambda, seed, cal)
		if err != nil {
			return nil, err
		}
		for k, res := range rs {
			it := &items[i+k]
			it.raw, it.score = res.Map, float64(res.Score)
			if res.Calibrated != nil {
				it.cal, it.calScore = res.Calibrated.Map, res.Calibrated.Score
			}
		}
		bar.Add(len(batch))
	}
	bar.Finish()

	labels := make([]bool, len(items))
	raw := make([]float64, len(items))
	calScores := make([]float64, len(items))
	for i, it := range items {
		labels[i], raw[i], calScores[i] = it.img.Anomalous, it.score, it.calScore
	}
	pct := func(v float64) *float64 { v *= 100; return &v }
	ptr := func(v float64) *float64 { return &v }
	var curves rocCurves
	r.ImageAUROC = 100 * metrics.AUROC(raw, labels)
	f, t, _ := metrics.ROC(raw, labels)
	curves.image = append(curves.image, curve{"raw score", f, t})
	best := metrics.BestF1(raw, labels)
	r.Threshold, r.F1, r.Precision, r.Recall = best.Threshold, 100*best.F1, 100*best.Precision, 100*best.Recall
	for _, d := range ts.DefectTypes() {
		var s, c []float64
		var l []bool
		for i, it := range items {
			if !it.img.Anomalous || it.img.Defect == d {
				s, c, l = append(s, raw[i]), append(c, calScores[i]), append(l, labels[i])
			}
		}
		r.DefectImageAUROC[d] = 100 * metrics.AUROC(s, l)
		if cal != nil {
			if r.DefectImageAUROCCalibrated == nil {
				r.DefectImageAUROCCalibrated = map[string]float64{}
			}
			r.DefectImageAUROCCalibrated[d] = 100 * metrics.AUROC(c, l)
		}
	}
	if withMasks {
		pa, ap, f, t := pixelMetrics(items, size, func(it *evaluated) []float32 { return it.raw })
		r.PixelAUROC, r.AUPRO = pct(pa), pct(ap)
		curves.pixel = append(curves.pixel, curve{"raw map", f, t})
	}
	if cal != nil {
		r.ImageAUROCCalibrated = pct(metrics.AUROC(calScores, labels))
		f, t, _ := metrics.ROC(calScores, labels)
		curves.image = append(curves.image, curve{"calibrated score", f, t})
		bc := metrics.BestF1(calScores, labels)
		r.ThresholdCalibrated, r.F1Calibrated = ptr(bc.Threshold), pct(bc.F1)
		if withMasks {
			pa, ap, f, t := pixelMetrics(items, size, func(it *evaluated) []float32 { return it.cal })
			r.PixelAUROCCalibrated, r.AUPROCalibrated = pct(pa), pct(ap)
			curves.pixel = append(curves.pixel, curve{"calibrated map", f, t})
		}
		if o.calibrate != "" {
			var good []float64
			for i, it := range items {
				if !it.img.Anomalous {
					good = append(good, calScores[i])
				}
			}
			cal.SetThreshold(bc.Threshold, model.RuleBestF1+fmt.Sprintf(" (%d normal, %d anomalous test images)", nGood, nDefect), good)
			if err := model.WriteCalibrated(o.calibrate, w, cal); err != nil {
				return nil, err
			}
			fmt.Fprintf(stderr, "eval: wrote %s: threshold %.4g on the calibrated score (%s)\n", o.calibrate, cal.Threshold, cal.Rule)
		}
		p, rc, f1 := verdictStats(calScores, labels, cal.Threshold)
		r.VerdictThreshold, r.VerdictPrecision, r.VerdictRecall, r.VerdictF1 = ptr(cal.Threshold), pct(p), pct(rc), pct(f1)
	}
	if err := writeReport(m, cal, items, r, curves, o, lambda); err != nil {
		return nil, err
	}
	return r, nil
}

// pixelMetrics are the pixel AUROC (every pixel of every test image pooled)
// with its ROC curve, and the AUPRO up to auproMaxFPR, of the maps that get
// picks.
func pixelMetrics(items []evaluated, size int, get func(*evaluated) []float32) (auroc, aupro float64, fpr, tpr []float64) {
	roc := metrics.NewPixelROC()
	maps := make([][]float32, len(items))
	masks := make([][]bool, len(items))
	empty := make([]bool, size*size)
	for i := range items {
		maps[i], masks[i] = get(&items[i]), items[i].mask
		if masks[i] == nil {
			masks[i] = empty
		}
		roc.Add(maps[i], masks[i])
	}
	fpr, tpr = roc.Curve()
	return roc.AUROC(), metrics.AUPRO(maps, masks, size, size, auproMaxFPR), fpr, tpr
}

// verdictStats are precision, recall and F1 of "anomalous when score ≥
// threshold" (the calibration's verdict); 0 where undefined.
func verdictStats(scores []float64, labels []bool, threshold float64) (precision, recall, f1 float64) {
	var tp, fp, fn float64
	for i, s := range scores {
		switch pred := s >= threshold; {
		case pred && labels[i]:
			tp++
		case pred:
			fp++
		case labels[i]:
			fn++
		}
	}
	if tp == 0 {
		return 0, 0, 0
	}
	precision, recall = tp/(tp+fp), tp/(tp+fn)
	return precision, recall, 2 * precision * recall / (precision + recall)
}

// fitMapStats gives uncalibrated weights the per-position statistics train
// would have fitted: model.RingStats of the maps of up to
// train.MaxCalibrationImages training images of the category.
func fitMapStats(m *model.Model, o *options, category string, lambda float32, seed uint32, stderr io.Writer) (*model.Calibration, error) {
	paths, err := train.FindImages(o.data, category)
	if err != nil {
		return nil, fmt.Errorf("-calibrate: the weights have no per-position statistics, and their training images: %w", err)
	}
	paths = paths[:min(len(paths), train.MaxCalibrationImages)]
	fmt.Fprintf(stderr, "eval: the weights have no per-position statistics: fitting them from %d training images\n", len(paths))
	var maps [][]float32
	for i := 0; i < len(paths); i += o.batch {
		x, _, err := train.LoadImages(paths[i:min(i+o.batch, len(paths))], m.Cfg.Size, o.maxPixels, stderr)
		if err != nil {
			return nil, err
		}
		rs, err := infer.Run(m, x, lambda, seed, nil)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			maps = append(maps, r.Map)
		}
	}
	mean, std, err := model.RingStats(maps, m.Cfg.Size)
	if err != nil {
		return nil, err
	}
	return &model.Calibration{MapMean: mean, MapStd: std}, nil
}

// fmtPtr formats a percentage that may be missing.
func fmtPtr(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", *v)
}

// sortedIndex is the indices of items ordered by key, ascending.
func sortedIndex(n int, key func(i int) float64) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ka, kb := key(a), key(b)
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	return idx
}
