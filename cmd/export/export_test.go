package main

import (
	"bytes"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
	"github.com/noise2norm/noise2norm/internal/synth"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// shipped is the shipped demo model, float32.
var shipped = filepath.Join(testutil.RepoRoot(), "weights", "textile-wf16-s128.safetensors")

// exportOK runs export with args and fails the test unless it succeeds.
func exportOK(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("export %q: exit %d, stderr %s", args, code, stderr.String())
	}
	return stdout.String()
}

func TestExportF16(t *testing.T) {
	out16 := filepath.Join(t.TempDir(), "f16.safetensors")
	msg := exportOK(t, "-f16", shipped, out16)
	if !strings.Contains(msg, "99 tensors as F16") || !strings.Contains(msg, "largest rounding error") {
		t.Errorf("report %q: want the tensor count and the rounding error", msg)
	}
	in, err := safetensors.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	got, err := safetensors.ReadFile(out16)
	if err != nil {
		t.Fatal(err)
	}
	wantMeta := map[string]string{StoredDTypeKey: "F16"}
	for k, v := range in.Metadata {
		wantMeta[k] = v
	}
	if fmt.Sprint(got.Metadata) != fmt.Sprint(wantMeta) {
		t.Errorf("metadata %v, want %v", got.Metadata, wantMeta)
	}
	var values int64
	for name, want := range in.Tensors {
		g := got.Tensors[name]
		if strings.HasPrefix(name, "calib.") { // calibration tensors stay float32, exactly
			if g.DType != safetensors.F32 || !slices.Equal(g.Shape, want.Shape) || !slices.Equal(g.Data, want.Data) {
				t.Fatalf("%s: %s %v, want F32 %v with the same values", name, g.DType, g.Shape, want.Shape)
			}
			continue
		}
		if g.DType != safetensors.F16 || !slices.Equal(g.Shape, want.Shape) {
			t.Fatalf("%s: %s %v, want F16 %v", name, g.DType, g.Shape, want.Shape)
		}
		// Half an F16 ulp: 2⁻¹¹ relative in the normal range, 2⁻²⁵ below it.
		for i, v := range want.Data {
			if d := math.Abs(float64(g.Data[i] - v)); d > math.Max(math.Abs(float64(v))*0x1p-11, 0x1p-25) {
				t.Fatalf("%s[%d]: %g stored as %g", name, i, v, g.Data[i])
			}
		}
		values += int64(len(want.Data))
	}
	info16, err := os.Stat(out16)
	if err != nil {
		t.Fatal(err)
	}
	info32, err := os.Stat(shipped)
	if err != nil {
		t.Fatal(err)
	}
	// The network data is 2 bytes a value instead of 4; the rest (JSON header, float32
	// calibration tensors) is the input's plus the key.
	if header16, header32 := info16.Size()-2*values, info32.Size()-4*values; header16 < header32 || header16 > header32+64 {
		t.Errorf("F16 file is %d bytes for %d values: a %d-byte header, the input's is %d; want 2 bytes a value",
			info16.Size(), values, header16, header32)
	}

	// Back to float32: the F16 values exactly, and no stored_dtype.
	out32 := filepath.Join(t.TempDir(), "f32.safetensors")
	exportOK(t, out16, out32)
	back, err := safetensors.ReadFile(out32)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := back.Metadata[StoredDTypeKey]; ok || len(back.Metadata) != len(in.Metadata) {
		t.Errorf("float32 copy metadata %v, want the input's", back.Metadata)
	}
	for name, g := range got.Tensors {
		if b := back.Tensors[name]; b.DType != safetensors.F32 || !slices.Equal(b.Data, g.Data) {
			t.Fatalf("%s: float32 copy is %s and differs from the F16 values", name, b.DType)
		}
	}
}

func TestExportCheckpointDropsOptimizer(t *testing.T) {
	f, err := safetensors.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	f.Metadata["state.step"], f.Metadata["state.epoch"] = "5", "1"
	head := f.Tensors["head.weight"]
	f.Tensors["adam.m.head.weight"] = safetensors.Tensor{Shape: head.Shape, Data: make([]float32, len(head.Data))}
	f.Tensors["adam.v.head.weight"] = safetensors.Tensor{Shape: head.Shape, Data: make([]float32, len(head.Data))}
	dir := t.TempDir()
	ckpt, out := filepath.Join(dir, "last.safetensors"), filepath.Join(dir, "out.safetensors")
	if err := safetensors.WriteFile(ckpt, f); err != nil {
		t.Fatal(err)
	}
	if msg := exportOK(t, "-f16", ckpt, out); !strings.Contains(msg, "optimizer state left out") {
		t.Errorf("report %q: want it to say the optimizer state was left out", msg)
	}
	got, err := safetensors.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for name := range got.Tensors {
		if strings.HasPrefix(name, "adam.") {
			t.Errorf("exported checkpoint has optimizer tensor %s", name)
		}
	}
	for k := range got.Metadata {
		if strings.HasPrefix(k, "state.") {
			t.Errorf("exported checkpoint has metadata %s", k)
		}
	}
	if len(got.Tensors) != len(f.Tensors)-2 {
		t.Errorf("exported %d tensors, want the %d of the weights", len(got.Tensors), len(f.Tensors)-2)
	}
}

func TestStoredAsKeepsCalibrationF32(t *testing.T) {
	for _, c := range []struct {
		name string
		want safetensors.DType
	}{
		{"calib.map_mean", safetensors.F32}, {"calib.map_std", safetensors.F32},
		{"head.weight", safetensors.F16}, {"calibration.weight", safetensors.F16},
	} {
		if got := storedAs(c.name, safetensors.F16); got != c.want {
			t.Errorf("storedAs(%q, F16) = %s, want %s", c.name, got, c.want)
		}
		if got := storedAs(c.name, safetensors.F32); got != safetensors.F32 {
			t.Errorf("storedAs(%q, F32) = %s, want F32", c.name, got)
		}
	}
}

func TestExportRefuses(t *testing.T) {
	dir := t.TempDir()
	notWeights := filepath.Join(dir, "not-weights.safetensors")
	if err := safetensors.WriteFile(notWeights, &safetensors.File{Tensors: map[string]safetensors.Tensor{
		"x": {Shape: []int{1}, Data: []float32{1}},
	}}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.safetensors")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-f16", shipped}, 2, "want IN and OUT"},
		{[]string{"-f16", filepath.Join(dir, "missing.safetensors"), out}, 1, "missing.safetensors"},
		{[]string{"-f16", notWeights, out}, 1, "not-weights.safetensors"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("export %q: exit %d, stderr %q; want %d and %q", c.args, code, stderr.String(), c.code, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("export %q wrote %s", c.args, out)
		}
	}
}

// Tolerances of TestF16MapsMatch: the anomaly map, reconstruction and
// scores of the float16 weights against the float32 ones, on the CPU
// backend. Measured when written (raw maps in about [0.02, 0.83]): raw map
// 1.6e-4 and 2.0e-4, reconstruction 7.9e-5 and 7.7e-5, raw score 5.4e-5 and
// 4.8e-7 (good, hole); normalised calibrated score 6.7e-6 and 5.6e-6
// (1.4e-5 and 1.2e-4 more with the calibration tensors in float16 as well).
// The tolerances leave about 5× room on the raw values; the normalised
// score's is a thousandth of its scale.
const (
	f16MapTol        = 1e-3 // max |map16 − map32|
	f16ReconTol      = 5e-4 // max |recon16 − recon32|, recon in [0, 1]
	f16ScoreTol      = 5e-4 // |score16 − score32|, the raw score being the map's max
	f16NormalizedTol = 1e-3 // |normalised16 − normalised32|, on [0,1] with the threshold at 0.5
)

// calibrate gives w a standardised calibration: per-pixel mean and spread
// (floored at 1e-3) of the maps of n normal training images
// (internal/synth), as the evaluation computes them; and a scale that puts
// the calibrated scores of the test images (their raw maps given) inside
// it, away from its clamped ends, so that the normalised scores show every
// difference: score_min 0, threshold the geometric mean of the lowest and
// highest test score, score_max twice the highest.
func calibrate(t *testing.T, be backend.Backend, w *model.Weights, n int, testMaps [][]float32) {
	t.Helper()
	m, err := model.New(be, w)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	o := synth.DefaultOptions()
	o.Size = w.Config.Size
	plane := o.Size * o.Size
	var maps [][]float32
	for i := range n {
		img, _ := synth.Render(o, "train/good", i, "")
		maps = append(maps, detect(t, m, img, o.Size).Map)
	}
	mean, std := make([]float32, plane), make([]float32, plane)
	for p := range plane {
		var s, s2 float64
		for _, mp := range maps {
			s += float64(mp[p])
			s2 += float64(mp[p]) * float64(mp[p])
		}
		mu := s / float64(n)
		mean[p] = float32(mu)
		std[p] = float32(max(math.Sqrt(max(s2/float64(n)-mu*mu, 0)), 1e-3))
	}
	c := &model.Calibration{MapMean: mean, MapStd: std, Rule: "test: inside the test images' scores"}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, mp := range testMaps {
		s := c.Apply(mp).Score
		lo, hi = min(lo, s), max(hi, s)
	}
	if !(lo > 0) {
		t.Fatalf("calibrated test scores from %g to %g: want positive ones for this scale", lo, hi)
	}
	c.Threshold, c.ScoreMax = math.Sqrt(lo*hi), 2*hi
	if err := c.Store(w); err != nil {
		t.Fatal(err)
	}
}

// detect runs m on one image with the model's λ and seed 0, as cmd/detect does.
func detect(t *testing.T, m *model.Model, img image.Image, size int) *model.Detection {
	t.Helper()
	be := m.Backend()
	x := be.Upload(backend.Shape{N: 1, C: 3, H: size, W: size}, imageio.ToTensor(img, size)) // (1,3,S,S)
	defer be.Free(x)
	d, err := m.Detect(x, m.Cfg.Lambda, 0)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestF16MapsMatch calibrates the shipped model (float32), exports it with
// -f16, and runs both on a normal and a defective synthetic image
// (internal/synth, the category and size it was trained on, not among the
// calibration images) with the same noise: raw maps, reconstructions, raw
// and calibrated scores and verdicts must agree. It also measures what
// storing the calibration tensors in float16 too would add, the reason they
// stay float32.
func TestF16MapsMatch(t *testing.T) {
	be := cpu.New()
	w, err := model.ReadWeights(shipped)
	if err != nil {
		t.Fatal(err)
	}
	o := synth.DefaultOptions()
	o.Size = w.Config.Size
	cases := []struct{ split, defect string }{{"test/good", ""}, {"test/hole", "hole"}}
	var images []image.Image
	var rawMaps [][]float32
	plain, err := model.New(be, w)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		img, _ := synth.Render(o, c.split, 0, c.defect)
		images = append(images, img)
		rawMaps = append(rawMaps, detect(t, plain, img, o.Size).Map)
	}
	plain.Free()
	calibrate(t, be, w, 8, rawMaps)
	dir := t.TempDir()
	in32, out16 := filepath.Join(dir, "f32.safetensors"), filepath.Join(dir, "f16.safetensors")
	if err := w.WriteFile(in32); err != nil {
		t.Fatal(err)
	}
	msg := exportOK(t, "-f16", in32, out16)
	if !strings.Contains(msg, "2 kept F32 (calib.map_mean, calib.map_std)") {
		t.Errorf("report %q: want the calibration tensors kept F32", msg)
	}
	f16, err := safetensors.ReadFile(out16)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{model.TensorMapMean, model.TensorMapStd} {
		if got := f16.Tensors[name]; got.DType != safetensors.F32 || !slices.Equal(got.Data, w.Calib[name].Data) {
			t.Errorf("%s: exported as %s, changed %t; want F32 and bit-identical", name, got.DType, !slices.Equal(got.Data, w.Calib[name].Data))
		}
	}
	// The same file with the calibration tensors in F16 as well, for comparison.
	allF16 := filepath.Join(dir, "all-f16.safetensors")
	for _, name := range []string{model.TensorMapMean, model.TensorMapStd} {
		tensor := f16.Tensors[name]
		tensor.DType = safetensors.F16
		f16.Tensors[name] = tensor
	}
	if err := safetensors.WriteFile(allF16, f16); err != nil {
		t.Fatal(err)
	}

	var models []*model.Model
	for _, p := range []string{in32, out16, allF16} {
		m, err := model.Load(be, p)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Free()
		models = append(models, m)
	}
	m32, m16, mAll16 := models[0], models[1], models[2]
	for i, c := range cases {
		d32, d16 := detect(t, m32, images[i], o.Size), detect(t, m16, images[i], o.Size)
		mapDiff, at := maxAbsDiff(d16.Map, d32.Map)
		reconDiff, _ := maxAbsDiff(d16.Recon, d32.Recon)
		scoreDiff := math.Abs(float64(d16.Scores[0] - d32.Scores[0]))
		c32, c16 := m32.Calibration().Apply(d32.Map), m16.Calibration().Apply(d16.Map)
		cAll16 := mAll16.Calibration().Apply(d16.Map)
		t.Logf("%s: raw map [%.4g, %.4g]; max |Δmap| %.3g (pixel %d), max |Δrecon| %.3g, raw score %.6g vs %.6g (|Δ| %.3g)",
			c.split, slices.Min(d32.Map), slices.Max(d32.Map), mapDiff, at, reconDiff, d16.Scores[0], d32.Scores[0], scoreDiff)
		t.Logf("%s: calibrated score %.6g vs %.6g, normalised %.6g vs %.6g (|Δ| %.3g), anomalous %t vs %t; calibration tensors in F16 too: normalised %.6g (|Δ| %.3g more)",
			c.split, c16.Score, c32.Score, c16.Normalized, c32.Normalized, math.Abs(c16.Normalized-c32.Normalized),
			c16.Anomalous, c32.Anomalous, cAll16.Normalized, math.Abs(cAll16.Normalized-c16.Normalized))
		if mapDiff > f16MapTol || reconDiff > f16ReconTol || scoreDiff > f16ScoreTol {
			t.Errorf("%s: F16 weights move the map by %.3g (tolerance %g), the reconstruction by %.3g (%g), the score by %.3g (%g)",
				c.split, mapDiff, f16MapTol, reconDiff, f16ReconTol, scoreDiff, f16ScoreTol)
		}
		if d := math.Abs(c16.Normalized - c32.Normalized); d > f16NormalizedTol || c16.Anomalous != c32.Anomalous {
			t.Errorf("%s: F16 weights move the normalised score by %.3g (tolerance %g), verdict %t vs %t",
				c.split, d, f16NormalizedTol, c16.Anomalous, c32.Anomalous)
		}
	}
}

// maxAbsDiff returns max |a−b| and its index.
func maxAbsDiff(a, b []float32) (float64, int) {
	worst, at := 0.0, -1
	for i := range a {
		if d := math.Abs(float64(a[i] - b[i])); d > worst || at < 0 {
			worst, at = d, i
		}
	}
	return worst, at
}
