//go:build !js

package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/infer"
	"github.com/noise2norm/noise2norm/internal/model"
)

// curve is one ROC curve of a plot.
type curve struct {
	name     string
	fpr, tpr []float64
}

// rocCurves are a category's image and pixel ROC curves.
type rocCurves struct{ image, pixel []curve }

// maxPlotPoints bounds the points drawn per curve (a pixel ROC has up to
// one per distinct map value).
const maxPlotPoints = 2000

// heatmapAlpha is the weight of the JET colours over the input in the
// examples' anomaly-map column, as detect's heatmaps.
const heatmapAlpha = 0.5

// resultsTable is results.md: the paper's Tables 1–2 layout, one row per
// category and a mean row.
func resultsTable(rs []categoryResult, o *options, lambda float32) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Evaluation\n\n`eval -weights %s -data %s` (λ %g, seed %d). Metrics in percent; image and pixel AUROC and AUPRO (FPR ≤ %g) of the raw map as in the paper, and of the calibrated map; F1 at the F1-optimal threshold on the test set.\n\n",
		o.weights, o.data, lambda, o.seed, auproMaxFPR)
	b.WriteString("| category | good | defect | image AUROC | pixel AUROC | AUPRO | F1 | image AUROC (cal.) | pixel AUROC (cal.) | AUPRO (cal.) | F1 (cal.) |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	cols := func(r categoryResult) []*float64 {
		return []*float64{&r.ImageAUROC, r.PixelAUROC, r.AUPRO, &r.F1, r.ImageAUROCCalibrated, r.PixelAUROCCalibrated, r.AUPROCalibrated, r.F1Calibrated}
	}
	sums := make([]float64, 8)
	counts := make([]int, 8)
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %d | %d |", r.Category, r.NGood, r.NDefect)
		for i, v := range cols(r) {
			fmt.Fprintf(&b, " %s |", fmtPtr(v))
			if v != nil {
				sums[i] += *v
				counts[i]++
			}
		}
		b.WriteString("\n")
	}
	if len(rs) > 1 {
		b.WriteString("| **mean** | | |")
		for i := range sums {
			if counts[i] == len(rs) {
				fmt.Fprintf(&b, " **%.2f** |", sums[i]/float64(counts[i]))
			} else {
				b.WriteString(" n/a |")
			}
		}
		b.WriteString("\n")
	}
	for _, r := range rs {
		if r.Note != "" {
			fmt.Fprintf(&b, "\n%s: %s.\n", r.Category, r.Note)
		}
	}
	return b.String()
}

// writeReport writes OUT/CATEGORY/: report.md, image_roc.png,
// pixel_roc.png (with masks) and examples.png.
func writeReport(m *model.Model, cal *model.Calibration, items []evaluated, r *categoryResult, curves rocCurves, o *options, lambda float32) error {
	dir := filepath.Join(o.out, r.Category)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var md strings.Builder
	fmt.Fprintf(&md, "# %s\n\n%d normal and %d anomalous test images; λ %g, seed %d.\n\n", r.Category, r.NGood, r.NDefect, lambda, r.Seed)
	fmt.Fprintf(&md, "| metric | raw map | calibrated map |\n| --- | ---: | ---: |\n")
	fmt.Fprintf(&md, "| image AUROC | %.2f | %s |\n| pixel AUROC | %s | %s |\n| AUPRO | %s | %s |\n| best F1 (threshold) | %.2f (%.4g) | %s |\n\n",
		r.ImageAUROC, fmtPtr(r.ImageAUROCCalibrated), fmtPtr(r.PixelAUROC), fmtPtr(r.PixelAUROCCalibrated), fmtPtr(r.AUPRO), fmtPtr(r.AUPROCalibrated),
		r.F1, r.Threshold, calF1(r))
	if r.VerdictThreshold != nil {
		fmt.Fprintf(&md, "Verdicts at the calibration's threshold %.4g (%s): precision %.1f, recall %.1f, F1 %.1f.\n\n", *r.VerdictThreshold, cal.Rule, *r.VerdictPrecision, *r.VerdictRecall, *r.VerdictF1)
	} else {
		md.WriteString("The weights are uncalibrated: no calibrated map (run eval -calibrate, or train with validation images).\n\n")
	}
	if r.Note != "" {
		fmt.Fprintf(&md, "%s.\n\n", r.Note)
	}
	md.WriteString("Image AUROC per defect type (its images against all normal ones):\n\n| defect type | images | image AUROC | image AUROC (cal.) |\n| --- | ---: | ---: | ---: |\n")
	for _, d := range slices.Sorted(maps.Keys(r.DefectImageAUROC)) {
		n := 0
		for _, it := range items {
			if it.img.Anomalous && it.img.Defect == d {
				n++
			}
		}
		calAUROC := "n/a"
		if v, ok := r.DefectImageAUROCCalibrated[d]; ok {
			calAUROC = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(&md, "| %s | %d | %.2f | %s |\n", d, n, r.DefectImageAUROC[d], calAUROC)
	}
	if err := plotROC(filepath.Join(dir, "image_roc.png"), "image ROC: "+r.Category, curves.image); err != nil {
		return err
	}
	md.WriteString("\n![image ROC](image_roc.png)\n")
	if len(curves.pixel) > 0 {
		if err := plotROC(filepath.Join(dir, "pixel_roc.png"), "pixel ROC: "+r.Category, curves.pixel); err != nil {
			return err
		}
		md.WriteString("![pixel ROC](pixel_roc.png)\n")
	}
	caption, err := writeExamples(filepath.Join(dir, "examples.png"), m, cal, items, r, o, lambda)
	if err != nil {
		return err
	}
	md.WriteString("\n" + caption + "\n\n![examples](examples.png)\n")
	return os.WriteFile(filepath.Join(dir, "report.md"), []byte(md.String()), 0o644)
}

// calF1 formats the calibrated best F1 and its threshold.
func calF1(r *categoryResult) string {
	if r.F1Calibrated == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.2f (%.4g)", *r.F1Calibrated, *r.ThresholdCalibrated)
}

// plotROC draws ROC curves with the chance diagonal into a PNG.
func plotROC(path, title string, curves []curve) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "false positive rate"
	p.Y.Label.Text = "true positive rate"
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1.01
	p.Add(plotter.NewGrid())
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
	if err != nil {
		return err
	}
	diag.Color = color.Gray{Y: 160}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(diag)
	palette := []color.Color{color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff}}
	for i, c := range curves {
		step := max(1, len(c.fpr)/maxPlotPoints)
		var pts plotter.XYs
		for k := 0; k < len(c.fpr); k += step {
			pts = append(pts, plotter.XY{X: c.fpr[k], Y: c.tpr[k]})
		}
		if n := len(c.fpr); n > 0 && (n-1)%step != 0 {
			pts = append(pts, plotter.XY{X: c.fpr[n-1], Y: c.tpr[n-1]})
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(c.name, l)
	}
	p.Legend.Left, p.Legend.Top = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(8), vg.Points(8)
	return p.Save(5*vg.Inch, 4*vg.Inch, path)
}

// Example grid layout, in pixels.
const (
	gridHeader  = 18 // column titles
	gridCaption = 16 // a line under each row
	gridGap     = 4
	gridMinCell = 128 // small maps are enlarged (nearest neighbour) to at least this
)

// gridColumns are the titles of the example grid's columns (the paper's
// Fig. 4 and the predicted region).
var gridColumns = []string{"input", "ground truth", "reconstruction", "anomaly map", "predicted region", "overlay"}

// pickExamples chooses the grid's rows: the three most clearly found
// anomalous images and the most clearly normal normal image (best cases),
// then the three least anomalous-looking anomalous images and the most
// anomalous-looking normal one (worst cases), each image once.
func pickExamples(items []evaluated, key func(i int) float64) (rows []int, kinds []string) {
	order := sortedIndex(len(items), key)
	var defects, goods []int
	for _, i := range order {
		if items[i].img.Anomalous {
			defects = append(defects, i)
		} else {
			goods = append(goods, i)
		}
	}
	used := map[int]bool{}
	add := func(i int, kind string) {
		if !used[i] {
			used[i] = true
			rows, kinds = append(rows, i), append(kinds, kind)
		}
	}
	for k := range min(3, len(defects)) {
		add(defects[len(defects)-1-k], "best")
	}
	if len(goods) > 0 {
		add(goods[0], "best")
	}
	for k := range min(3, len(defects)) {
		add(defects[k], "worst")
	}
	if len(goods) > 0 {
		add(goods[len(goods)-1], "worst")
	}
	return rows, kinds
}

// writeExamples draws the example grid and returns its caption for the
// report. The anomaly map column shows the calibrated map on the
// calibration's scale, or without calibration the raw map on the range of
// all raw maps of the category; the predicted region is where that map is
// above the threshold (the calibration's, else the F1-optimal raw one).
func writeExamples(path string, m *model.Model, cal *model.Calibration, items []evaluated, r *categoryResult, o *options, lambda float32) (string, error) {
	size := m.Cfg.Size
	heat := func(it *evaluated) []float32 { return it.raw }
	key := func(i int) float64 { return items[i].score }
	threshold := float32(r.Threshold)
	var lo, hi float32
	scaleText := "the raw map, coloured from the lowest to the highest value of all test maps"
	if cal != nil {
		heat = func(it *evaluated) []float32 { return it.cal }
		key = func(i int) float64 { return items[i].calScore }
		sc := infer.HeatScale(cal)
		lo, hi, threshold = sc.Lo, sc.Hi, float32(cal.Threshold)
		scaleText = fmt.Sprintf("the calibrated map, coloured from score_min %.3g to score_max %.3g", lo, hi)
	} else {
		lo, hi = items[0].raw[0], items[0].raw[0]
		for _, it := range items {
			lo, hi = min(lo, slices.Min(it.raw)), max(hi, slices.Max(it.raw))
		}
	}
	rows, kinds := pickExamples(items, key)
	x := make([][]float32, len(rows))
	inputs := make([]image.Image, len(rows))
	for k, i := range rows {
		img, err := imageio.LoadRGB(items[i].img.Path, o.maxPixels)
		if err != nil {
			return "", err
		}
		inputs[k], x[k] = img, imageio.ToTensor(img, size)
	}
	recons, err := infer.Run(m, x, lambda, uint32(o.seed), nil)
	if err != nil {
		return "", err
	}
	cell := size * max(1, (gridMinCell+size-1)/size)
	cols := len(gridColumns)
	width := cols*cell + (cols+1)*gridGap
	rowH := cell + gridCaption + gridGap
	out := image.NewRGBA(image.Rect(0, 0, width, gridHeader+len(rows)*rowH))
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	for c, title := range gridColumns {
		drawText(out, gridGap+c*(cell+gridGap)+2, 13, title, color.Black)
	}
	for k, i := range rows {
		it := &items[i]
		amap := heat(it)
		mask := it.mask
		if mask == nil {
			mask = make([]bool, size*size)
		}
		region := make([]bool, size*size)
		for p, v := range amap {
			region[p] = v >= threshold
		}
		input := imageio.FromCHW01(halfShift(x[k]), size)
		tiles := []image.Image{
			input,
			maskImage(mask, size, it.mask == nil && it.img.Anomalous),
			imageio.FromCHW01(recons[k].Recon, size),
			imageio.Heatmap(inputs[k], amap, size, lo, hi, heatmapAlpha),
			maskImage(region, size, false),
			overlay(input, region, mask, size),
		}
		y0 := gridHeader + k*rowH
		for c, tile := range tiles {
			drawScaled(out, tile, gridGap+c*(cell+gridGap), y0, cell/size)
		}
		verdictText := fmt.Sprintf("score %.4g", key(i))
		if cal != nil {
			verdictText = fmt.Sprintf("calibrated score %.4g (raw %.4g)", it.calScore, it.score)
		}
		caption := fmt.Sprintf("%s case: %s %s, %s", kinds[k], it.img.Defect, filepath.Base(it.img.Path), verdictText)
		drawText(out, gridGap+2, y0+cell+12, caption, color.Black)
	}
	if err := imageio.WritePNG(path, out); err != nil {
		return "", err
	}
	return fmt.Sprintf("Examples, best cases first (the most clearly found defects, the most clearly normal normal image), then the worst (the defects scored lowest, the normal image scored highest). Anomaly map: %s; predicted region: at or above the threshold %.4g; overlay: predicted region in red, ground-truth outline in green.", scaleText, threshold), nil
}

// halfShift maps a tensor in [−1,1] to [0,1].
func halfShift(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = (v + 1) / 2
	}
	return out
}

// maskImage draws a mask white on black; unknown draws a grey cell (an
// anomalous image without a mask).
func maskImage(mask []bool, size int, unknown bool) image.Image {
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i, v := range mask {
		switch {
		case unknown:
			img.Pix[i] = 128
		case v:
			img.Pix[i] = 255
		}
	}
	return img
}

// overlay tints the predicted region red over the input and draws the
// ground truth's outline (mask pixels with a 4-neighbour outside) green.
func overlay(input *image.NRGBA, region, mask []bool, size int) image.Image {
	out := image.NewNRGBA(input.Bounds())
	copy(out.Pix, input.Pix)
	for y := range size {
		for x := range size {
			i := y*size + x
			p := out.Pix[4*i : 4*i+4]
			if region[i] {
				p[0] = uint8((int(p[0]) + 255) / 2)
				p[1], p[2] = p[1]/2, p[2]/2
			}
			if mask[i] && (x == 0 || y == 0 || x == size-1 || y == size-1 || !mask[i-1] || !mask[i+1] || !mask[i-size] || !mask[i+size]) {
				p[0], p[1], p[2] = 0, 255, 0
			}
		}
	}
	return out
}

// drawScaled copies src into dst at (x0, y0), each pixel a k×k block.
func drawScaled(dst *image.RGBA, src image.Image, x0, y0, k int) {
	b := src.Bounds()
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := src.At(b.Min.X+x, b.Min.Y+y)
			draw.Draw(dst, image.Rect(x0+x*k, y0+y*k, x0+(x+1)*k, y0+(y+1)*k), image.NewUniform(c), image.Point{}, draw.Src)
		}
	}
}

// drawText writes s with its baseline at (x, y).
func drawText(dst draw.Image, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
