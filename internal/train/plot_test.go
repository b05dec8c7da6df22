package train

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlotLoss(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loss.png")
	train := []float64{0.9, 0.7, 0.6, 0.55, math.NaN(), 0.5}
	val := []float64{0.95, 0.8, 0.7, 0.66, 0.64, 0.63}
	require.NoError(t, PlotLoss(path, train, val))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
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
	assert.NoError(t, PlotLoss(path, []float64{0.5}, []float64{0.5}))
	assert.NoError(t, PlotLoss(path, nil, nil))
}
