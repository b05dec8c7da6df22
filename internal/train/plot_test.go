package train

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPlotLoss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loss.png")
	train := []float64{0.9, 0.7, 0.6, 0.55, math.NaN(), 0.5}
	val := []float64{0.95, 0.8, 0.7, 0.66, 0.64, 0.63}
	if err := PlotLoss(path, train, val); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != PlotWidth || b.Dy() != PlotHeight {
		t.Fatalf("plot is %v, want %d×%d", b, PlotWidth, PlotHeight)
	}
	// Both series' colours appear, and text (black) on the axes.
	count := map[[3]uint32]int{}
	for y := range PlotHeight {
		for x := range PlotWidth {
			r, g, b, _ := img.At(x, y).RGBA()
			count[[3]uint32{r >> 8, g >> 8, b >> 8}]++
		}
	}
	for name, c := range map[string][3]uint32{
		"train": {uint32(trainColor.R), uint32(trainColor.G), uint32(trainColor.B)},
		"val":   {uint32(valColor.R), uint32(valColor.G), uint32(valColor.B)},
		"black": {0, 0, 0},
	} {
		if count[c] < 50 {
			t.Errorf("%s pixels %v: %d, want at least 50", name, c, count[c])
		}
	}
	if bg := count[[3]uint32{255, 255, 255}]; bg == PlotWidth*PlotHeight || bg < PlotWidth*PlotHeight/2 {
		t.Errorf("%d background pixels of %d: want a mostly white plot with something drawn", bg, PlotWidth*PlotHeight)
	}
	// One epoch, or none, still draws.
	if err := PlotLoss(path, []float64{0.5}, []float64{0.5}); err != nil {
		t.Error(err)
	}
	if err := PlotLoss(path, nil, nil); err != nil {
		t.Error(err)
	}
}

func TestAxis(t *testing.T) {
	for _, c := range []struct {
		lo, hi   float64
		n        int
		integer  bool
		want     []float64
		from, to float64
	}{
		{0.81, 0.87, 8, false, []float64{0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87}, 0.81, 0.87},
		{1, 40, 10, true, []float64{0, 5, 10, 15, 20, 25, 30, 35, 40}, 0, 40},
		{1, 2, 10, true, []float64{1, 2}, 1, 2},
		{0.123, 0.9, 8, false, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}, 0, 1},
	} {
		got, from, to := axis(c.lo, c.hi, c.n, c.integer)
		if !slices.EqualFunc(got, c.want, func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) ||
			math.Abs(from-c.from) > 1e-12 || math.Abs(to-c.to) > 1e-12 {
			t.Errorf("axis(%g, %g) = %v [%g, %g], want %v [%g, %g]", c.lo, c.hi, got, from, to, c.want, c.from, c.to)
		}
	}
	// A flat series still gets a range.
	if ticks, from, to := axis(0.5, 0.5, 8, false); !(from < 0.5 && to > 0.5) || len(ticks) < 2 {
		t.Errorf("axis(0.5, 0.5) = %v [%g, %g]: want a range around 0.5", ticks, from, to)
	}
}
