package main

import (
	"bytes"
	"fmt"
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
	// The data is 2 bytes a value instead of 4; the JSON header is the input's plus the key.
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

// Tolerances of TestF16MapsMatch: the anomaly map, reconstruction and score
// of the float16 weights against the float32 ones, on the CPU backend.
// Measured when written (maps in about [0.02, 0.83]): map 1.6e-4 and 2.0e-4,
// reconstruction 7.9e-5 and 7.7e-5, score 5.4e-5 and 4.8e-7 (good, hole);
// the tolerances leave about 5× room.
const (
	f16MapTol   = 1e-3 // max |map16 − map32|
	f16ReconTol = 5e-4 // max |recon16 − recon32|, recon in [0, 1]
	f16ScoreTol = 5e-4 // |score16 − score32|, the score being the map's max
)

// TestF16MapsMatch runs the shipped model and its float16 export on a
// normal and a defective synthetic image (internal/synth, the category and
// size it was trained on) with the same noise, and compares the results.
func TestF16MapsMatch(t *testing.T) {
	out16 := filepath.Join(t.TempDir(), "f16.safetensors")
	exportOK(t, "-f16", shipped, out16)
	be := cpu.New()
	m32, err := model.Load(be, shipped)
	if err != nil {
		t.Fatal(err)
	}
	defer m32.Free()
	m16, err := model.Load(be, out16)
	if err != nil {
		t.Fatal(err)
	}
	defer m16.Free()

	o := synth.DefaultOptions()
	o.Size = m32.Cfg.Size
	for _, c := range []struct{ split, defect string }{{"test/good", ""}, {"test/hole", "hole"}} {
		img, _ := synth.Render(o, c.split, 0, c.defect)
		x := be.Upload(backend.Shape{N: 1, C: 3, H: o.Size, W: o.Size}, imageio.ToTensor(img, o.Size)) // (1,3,S,S)
		d32, err := m32.Detect(x, m32.Cfg.Lambda, 0)
		if err != nil {
			t.Fatal(err)
		}
		d16, err := m16.Detect(x, m16.Cfg.Lambda, 0)
		if err != nil {
			t.Fatal(err)
		}
		be.Free(x)
		mapDiff, at := maxAbsDiff(d16.Map, d32.Map)
		reconDiff, _ := maxAbsDiff(d16.Recon, d32.Recon)
		scoreDiff := math.Abs(float64(d16.Scores[0] - d32.Scores[0]))
		t.Logf("%s: map range [%.4g, %.4g]; max |Δmap| %.3g (pixel %d), max |Δrecon| %.3g, score %.6g vs %.6g (|Δ| %.3g)",
			c.split, slices.Min(d32.Map), slices.Max(d32.Map), mapDiff, at, reconDiff, d16.Scores[0], d32.Scores[0], scoreDiff)
		if mapDiff > f16MapTol || reconDiff > f16ReconTol || scoreDiff > f16ScoreTol {
			t.Errorf("%s: F16 weights move the map by %.3g (tolerance %g), the reconstruction by %.3g (%g), the score by %.3g (%g)",
				c.split, mapDiff, f16MapTol, reconDiff, f16ReconTol, scoreDiff, f16ScoreTol)
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
