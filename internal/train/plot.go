package train

import (
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/noise2norm/noise2norm/internal/imageio"
)

// Plot size in pixels, at plotDPI.
const (
	PlotWidth  = 800
	PlotHeight = 480
	plotDPI    = 96
)

// Series colours: matplotlib's first two, as in a PyTorch notebook.
var (
	trainColor = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	valColor   = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
)

// PlotLoss draws the training and validation loss against the epoch
// (train[i] and val[i] belong to epoch i+1) with gonum.org/v1/plot —
// ticked, labelled axes, a grid and a legend — and writes it as a
// PlotWidth×PlotHeight PNG to path atomically. Non-finite values are left
// out.
func PlotLoss(path string, train, val []float64) error {
	img, err := DrawLoss(train, val)
	if err != nil {
		return err
	}
	return imageio.WritePNG(path, img)
}

// DrawLoss is the image that PlotLoss writes.
func DrawLoss(train, val []float64) (image.Image, error) {
	p := plot.New()
	p.Title.Text = "Loss by epoch"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss (mean of the loss map)"
	p.X.Tick.Marker = integerTicks{}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	for _, s := range []struct {
		name   string
		values []float64
		colour color.Color
	}{{"train", train, trainColor}, {"validation", val, valColor}} {
		pts := plotter.XYs{}
		for i, v := range s.values {
			if finite(v) {
				pts = append(pts, plotter.XY{X: float64(i + 1), Y: v})
			}
		}
		if len(pts) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = s.colour, vg.Points(2)
		points.Color, points.Shape = s.colour, draw.CircleGlyph{}
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
	}
	c := vgimg.NewWith(vgimg.UseWH(PlotWidth*vg.Inch/plotDPI, PlotHeight*vg.Inch/plotDPI), vgimg.UseDPI(plotDPI))
	p.Draw(draw.New(c))
	return c.Image(), nil
}

// integerTicks marks whole epochs only: gonum's default ticks, those that
// are not whole dropped (a run of one or two epochs gets no halves).
type integerTicks struct{}

func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Value == math.Trunc(t.Value) {
			out = append(out, t)
		}
	}
	return out
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
