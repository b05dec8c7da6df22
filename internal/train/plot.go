package train

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"github.com/noise2norm/noise2norm/internal/imageio"
)

// Plot size and margins, in pixels.
const (
	PlotWidth  = 800
	PlotHeight = 480
	marginL    = 72
	marginR    = 24
	marginT    = 32
	marginB    = 48
)

// Series colours: matplotlib's first two, as in a PyTorch notebook.
var (
	trainColor = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	valColor   = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	gridColor  = color.RGBA{0xe0, 0xe0, 0xe0, 0xff}
	background = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// PlotLoss draws the training and validation loss against the epoch
// (train[i] and val[i] belong to epoch i+1) with ticked, labelled axes and a
// legend, and writes it as a PlotWidth×PlotHeight PNG to path atomically.
// Non-finite values are left out.
func PlotLoss(path string, train, val []float64) error {
	return imageio.WritePNG(path, DrawLoss(train, val))
}

// DrawLoss is the image that PlotLoss writes.
func DrawLoss(train, val []float64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, PlotWidth, PlotHeight))
	draw.Draw(img, img.Bounds(), image.NewUniform(background), image.Point{}, draw.Src)

	n := max(len(train), len(val))
	xTicks, xLo, xHi := axis(1, float64(max(n, 2)), 10, true)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range [][]float64{train, val} {
		for _, v := range s {
			if finite(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if lo > hi { // nothing to draw yet
		lo, hi = 0, 1
	}
	yTicks, yLo, yHi := axis(lo, hi, 8, false)

	x0, x1 := float64(marginL), float64(PlotWidth-marginR)
	y0, y1 := float64(PlotHeight-marginB), float64(marginT)
	px := func(x float64) float64 { return x0 + (x-xLo)/(xHi-xLo)*(x1-x0) }
	py := func(y float64) float64 { return y0 + (y-yLo)/(yHi-yLo)*(y1-y0) }

	for _, t := range yTicks {
		fillRect(img, x0, py(t), x1, py(t)+1, gridColor)
		label := strconv.FormatFloat(t, 'g', 4, 64)
		text(img, label, int(x0)-6-textWidth(label), int(py(t))+4)
	}
	for _, t := range xTicks {
		fillRect(img, px(t), y1, px(t)+1, y0, gridColor)
		label := strconv.FormatFloat(t, 'g', -1, 64)
		text(img, label, int(px(t))-textWidth(label)/2, int(y0)+18)
	}
	fillRect(img, x0, y1, x0+1, y0+1, color.Black) // y axis
	fillRect(img, x0, y0, x1, y0+1, color.Black)   // x axis
	text(img, "epoch", int(x0+x1)/2-textWidth("epoch")/2, PlotHeight-8)
	text(img, "loss", 8, marginT-12)

	for _, s := range []struct {
		v []float64
		c color.RGBA
	}{{train, trainColor}, {val, valColor}} {
		var pts [][2]float64
		for i, v := range s.v {
			if finite(v) {
				pts = append(pts, [2]float64{px(float64(i + 1)), py(v)})
			}
		}
		polyline(img, pts, 2, s.c)
	}

	// Legend, top right.
	lx, ly := int(x1)-110, int(y1)+8
	fillRect(img, float64(lx), float64(ly), float64(lx+100), float64(ly+42), background)
	for i, e := range []struct {
		name string
		c    color.RGBA
	}{{"train", trainColor}, {"validation", valColor}} {
		y := float64(ly + 12 + 18*i)
		fillRect(img, float64(lx+6), y-1, float64(lx+26), y+1, e.c)
		text(img, e.name, lx+32, int(y)+4)
	}
	return img
}

// axis chooses about maxTicks round tick values (1, 2 or 5 × 10^k apart;
// whole numbers when integer) covering [lo, hi], and returns them with the
// axis range: from the tick at or below lo to the tick at or above hi.
func axis(lo, hi float64, maxTicks int, integer bool) (ticks []float64, from, to float64) {
	if hi <= lo {
		pad := math.Max(math.Abs(lo)*0.1, 1e-3)
		lo, hi = lo-pad, hi+pad
	}
	raw := (hi - lo) / float64(maxTicks-1)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, f := range []float64{1, 2, 5} {
		if f*mag >= raw {
			step = f * mag
			break
		}
	}
	if integer {
		step = math.Max(step, 1)
	}
	from, to = math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	for i := 0; ; i++ {
		t := from + float64(i)*step
		if t > to+step/2 {
			break
		}
		ticks = append(ticks, math.Round(t/step)*step) // no 0.30000000000000004
	}
	return ticks, from, to
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// fillRect paints [x0,x1)×[y0,y1) (either corner order) with c.
func fillRect(img *image.RGBA, x0, y0, x1, y1 float64, c color.Color) {
	r := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1)))
	draw.Draw(img, r.Canon(), image.NewUniform(c), image.Point{}, draw.Src)
}

// polyline strokes pts with an antialiased line of width w, and marks each
// point with a small square (so that a single epoch shows).
func polyline(img *image.RGBA, pts [][2]float64, w float64, c color.RGBA) {
	z := vector.NewRasterizer(PlotWidth, PlotHeight)
	for i := 1; i < len(pts); i++ {
		ax, ay, bx, by := pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1]
		l := math.Hypot(bx-ax, by-ay)
		if l == 0 {
			continue
		}
		nx, ny := -(by-ay)/l*w/2, (bx-ax)/l*w/2 // half-width normal
		z.MoveTo(float32(ax+nx), float32(ay+ny))
		z.LineTo(float32(bx+nx), float32(by+ny))
		z.LineTo(float32(bx-nx), float32(by-ny))
		z.LineTo(float32(ax-nx), float32(ay-ny))
		z.ClosePath()
	}
	for _, p := range pts {
		x, y, r := float32(p[0]), float32(p[1]), float32(w)
		z.MoveTo(x-r, y-r) // the segments' winding, so overlaps add up
		z.LineTo(x-r, y+r)
		z.LineTo(x+r, y+r)
		z.LineTo(x+r, y-r)
		z.ClosePath()
	}
	z.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{})
}

// text draws s in black with its baseline's left end at (x, y).
func text(img *image.RGBA, s string, x, y int) {
	d := font.Drawer{Dst: img, Src: image.Black, Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// textWidth is the width of s in pixels.
func textWidth(s string) int {
	return font.MeasureString(basicfont.Face7x13, s).Round()
}
