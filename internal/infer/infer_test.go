package infer

import (
	"image/color"
	"path/filepath"
	"slices"
	"testing"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/synth"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// shippedWeights is the demo model, trained on cmd/synth's textile at 128².
var shippedWeights = filepath.Join(testutil.RepoRoot(), "weights", "textile-wf16-s128.safetensors")

// render renders synthetic images of a split as tensors.
func render(o synth.Options, split string, from, n int) [][]float32 {
	var out [][]float32
	for i := from; i < from+n; i++ {
		img, _ := synth.Render(o, split, i, "")
		out = append(out, imageio.ToTensor(img, o.Size))
	}
	return out
}

// maps runs images one at a time (batches of one, as detect does).
func maps(t *testing.T, m *model.Model, images [][]float32) [][]float32 {
	t.Helper()
	var out [][]float32
	for _, x := range images {
		r, err := Run(m, [][]float32{x}, m.Cfg.Lambda, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r[0].Map)
	}
	return out
}

// TestBorderDefectIsFound calibrates the shipped model from synthetic
// textile (statistics from 16 training images, threshold from 8 unseen
// normal images) and paints a dark blob on the left edge of another normal
// image: the calibrated score must reach the threshold, with its maximum
// on the blob, although normal maps peak on the border too.
func TestBorderDefectIsFound(t *testing.T) {
	m, err := model.Load(cpu.New(), shippedWeights)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	size := m.Cfg.Size
	o := synth.Options{Category: "textile", Size: size, Seed: 1}
	cal, err := model.FitCalibration(maps(t, m, render(o, "train/good", 0, 16)), maps(t, m, render(o, "test/good", 0, 8)), size)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := synth.Render(o, "test/good", 8, "")
	mask := make([]bool, size*size)
	const cy, radius = 64, 7
	for y := range size {
		for x := range size {
			if dx, dy := x, y-cy; dx*dx+dy*dy <= radius*radius {
				img.Set(x, y, color.RGBA{25, 20, 15, 255})
				mask[y*size+x] = true
			}
		}
	}
	normal := render(o, "test/good", 8, 1)[0]
	rs, err := Run(m, [][]float32{normal, imageio.ToTensor(img, size)}, m.Cfg.Lambda, 0, cal)
	if err != nil {
		t.Fatal(err)
	}
	good, bad := rs[0].Calibrated, rs[1].Calibrated
	t.Logf("threshold %.3f; normal image: calibrated %.3f (raw %.4f); border defect: calibrated %.3f (raw %.4f)",
		cal.Threshold, good.Score, rs[0].Score, bad.Score, rs[1].Score)
	if !bad.Anomalous {
		t.Errorf("border defect: calibrated score %.3f below the threshold %.3f", bad.Score, cal.Threshold)
	}
	if good.Anomalous {
		t.Errorf("the same image without the defect: calibrated score %.3f at or above the threshold %.3f", good.Score, cal.Threshold)
	}
	peak := slices.Index(bad.Map, slices.Max(bad.Map))
	px, py := peak%size, peak/size
	if dx, dy := px, py-cy; dx*dx+dy*dy > (radius+3)*(radius+3) {
		t.Errorf("the calibrated map peaks at (%d,%d), away from the blob at (0,%d)", px, py, cy)
	}
}

// TestRunBatchIndependent: an image's map and reconstruction are bit for bit the same
// in a batch as alone (each image is noised on its own), and without
// calibration there is no calibrated result.
func TestRunBatchIndependent(t *testing.T) {
	m, err := model.Load(cpu.New(), testutil.RefPath("wf4_s32_d4_att", "weights.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	o := synth.Options{Category: "pills", Size: 32, Seed: 2}
	images := render(o, "test/good", 0, 3)
	batch, err := Run(m, images, 0.3, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range images {
		one, err := Run(m, [][]float32{x}, 0.3, 5, nil)
		if err != nil {
			t.Fatal(err)
		}
		testutil.Close(t, "map in a batch", batch[i].Map, one[0].Map, 0, 0)
		testutil.Close(t, "reconstruction in a batch", batch[i].Recon, one[0].Recon, 0, 0)
		if batch[i].Score != slices.Max(batch[i].Map) || batch[i].Calibrated != nil {
			t.Errorf("image %d: score %g (map max %g), calibrated %v", i, batch[i].Score, slices.Max(batch[i].Map), batch[i].Calibrated)
		}
	}
}
