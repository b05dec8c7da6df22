//go:build !js

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/infer"
	"github.com/noise2norm/noise2norm/internal/metrics"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/synth"
	"github.com/noise2norm/noise2norm/internal/testutil"
	"github.com/noise2norm/noise2norm/internal/train"
)

// weightsPath is the PyTorch-made wf=4 S=32 network (λ 0.3) the tests run.
var weightsPath = testutil.RefPath("wf4_s32_d4_att", "weights.safetensors")

// runEval runs the command with args and returns its status and output.
func runEval(args ...string) (status int, stdout, stderr string) {
	var o, e bytes.Buffer
	status = run(args, &o, &e)
	return status, o.String(), e.String()
}

// synthData writes a small synthetic textile data set at 32×32.
func synthData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	o := synth.Options{Category: "textile", Size: 32, Train: 6, TestGood: 4, TestDefect: 2, Seed: 3}
	if err := synth.Generate(dir, o, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// readResults parses OUT/results.json.
func readResults(t *testing.T, out string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rs []map[string]any
	if err := json.Unmarshal(b, &rs); err != nil {
		t.Fatal(err)
	}
	return rs
}

// wantNumber checks that r[key] is the number want (to 1e-9).
func wantNumber(t *testing.T, r map[string]any, key string, want float64) {
	t.Helper()
	got, ok := r[key].(float64)
	if !ok || got-want > 1e-9 || want-got > 1e-9 {
		t.Errorf("%s = %v, want %v", key, r[key], want)
	}
}

// TestEvalEndToEnd runs eval with -calibrate on a synthetic test set, in
// batches of 3, and checks results.json against metrics computed here from
// maps made one image at a time, the written calibration against the
// training images' ring statistics and the F1-optimal threshold, and the
// report's files; then evaluates the calibrated copy.
func TestEvalEndToEnd(t *testing.T) {
	data := synthData(t)
	out := t.TempDir()
	calPath := filepath.Join(t.TempDir(), "cal.safetensors")
	status, stdout, stderr := runEval("-weights", weightsPath, "-data", data, "-out", out, "-backend", "cpu", "-batch", "3", "-calibrate", calPath)
	if status != 0 {
		t.Fatalf("exit status %d:\n%s", status, stderr)
	}
	if !strings.Contains(stdout, "1 categories evaluated") || !strings.Contains(stderr, "fitting them from 6 training images") {
		t.Errorf("stdout %q, stderr:\n%s", stdout, stderr)
	}

	// Maps made here, image by image.
	m, err := model.Load(cpu.New(), weightsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	mapOf := func(path string) []float32 {
		img, err := imageio.LoadRGB(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		r, err := infer.Run(m, [][]float32{imageio.ToTensor(img, 32)}, 0.3, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r[0].Map
	}
	trainPaths, err := train.FindImages(data, "textile")
	if err != nil {
		t.Fatal(err)
	}
	var trainMaps [][]float32
	for _, p := range trainPaths {
		trainMaps = append(trainMaps, mapOf(p))
	}
	mean, std, err := model.RingStats(trainMaps, 32)
	if err != nil {
		t.Fatal(err)
	}
	w, err := model.ReadWeights(calPath)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := model.CalibrationOf(w)
	if err != nil || cal == nil {
		t.Fatalf("calibrated copy: %v, %v", cal, err)
	}
	testutil.Close(t, "calib.map_mean", cal.MapMean, mean, 0, 0)
	testutil.Close(t, "calib.map_std", cal.MapStd, std, 0, 0)

	ts, err := train.FindTestSet(data, "textile")
	if err != nil {
		t.Fatal(err)
	}
	var raw, calScores []float64
	var labels []bool
	var maps, calMaps [][]float32
	var masks [][]bool
	rawROC, calROC := metrics.NewPixelROC(), metrics.NewPixelROC()
	for _, im := range ts.Images {
		mp := mapOf(im.Path)
		c := cal.Apply(mp)
		mask := make([]bool, 32*32)
		if im.Anomalous {
			if mask, err = train.LoadMask(im.MaskPath, 32, 0); err != nil {
				t.Fatal(err)
			}
		}
		raw, calScores, labels = append(raw, float64(slices.Max(mp))), append(calScores, c.Score), append(labels, im.Anomalous)
		maps, calMaps, masks = append(maps, mp), append(calMaps, c.Map), append(masks, mask)
		rawROC.Add(mp, mask)
		calROC.Add(c.Map, mask)
	}
	rs := readResults(t, out)
	if len(rs) != 1 {
		t.Fatalf("results.json has %d objects, want 1", len(rs))
	}
	r := rs[0]
	wantNumber(t, r, "n_good", 4)
	wantNumber(t, r, "n_defect", 6)
	wantNumber(t, r, "image_auroc", 100*metrics.AUROC(raw, labels))
	wantNumber(t, r, "pixel_auroc", 100*rawROC.AUROC())
	wantNumber(t, r, "aupro", 100*metrics.AUPRO(maps, masks, 32, 32, 0.3))
	best := metrics.BestF1(raw, labels)
	wantNumber(t, r, "threshold", best.Threshold)
	wantNumber(t, r, "f1", 100*best.F1)
	wantNumber(t, r, "image_auroc_calibrated", 100*metrics.AUROC(calScores, labels))
	wantNumber(t, r, "pixel_auroc_calibrated", 100*calROC.AUROC())
	wantNumber(t, r, "aupro_calibrated", 100*metrics.AUPRO(calMaps, masks, 32, 32, 0.3))
	bestCal := metrics.BestF1(calScores, labels)
	wantNumber(t, r, "threshold_calibrated", bestCal.Threshold)
	wantNumber(t, r, "f1_calibrated", 100*bestCal.F1)
	if cal.Threshold != bestCal.Threshold || !strings.HasPrefix(cal.Rule, model.RuleBestF1) {
		t.Errorf("written threshold %g (%s), want the F1-optimal %g", cal.Threshold, cal.Rule, bestCal.Threshold)
	}
	wantNumber(t, r, "verdict_threshold", bestCal.Threshold)
	for _, d := range synth.DefectTypes("textile") {
		var s, c []float64
		var l []bool
		for i, im := range ts.Images {
			if !im.Anomalous || im.Defect == d {
				s, c, l = append(s, raw[i]), append(c, calScores[i]), append(l, labels[i])
			}
		}
		wantNumber(t, r["defect_image_auroc"].(map[string]any), d, 100*metrics.AUROC(s, l))
		wantNumber(t, r["defect_image_auroc_calibrated"].(map[string]any), d, 100*metrics.AUROC(c, l))
	}
	for _, f := range []string{"image_roc.png", "pixel_roc.png", "examples.png"} {
		if _, err := imageio.LoadRGB(filepath.Join(out, "textile", f), 0); err != nil {
			t.Error(err)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil || !strings.Contains(string(md), "| textile | 4 | 6 |") {
		t.Errorf("results.md:\n%s\n%v", md, err)
	}

	// The calibrated copy: the same calibrated numbers, its own threshold.
	out2 := t.TempDir()
	status, _, stderr = runEval("-weights", calPath, "-data", data, "-out", out2, "-backend", "cpu")
	if status != 0 {
		t.Fatalf("calibrated copy: exit status %d:\n%s", status, stderr)
	}
	r2 := readResults(t, out2)[0]
	for _, k := range []string{"image_auroc_calibrated", "pixel_auroc_calibrated", "aupro_calibrated", "verdict_threshold", "verdict_f1", "image_auroc"} {
		wantNumber(t, r2, k, r[k].(float64))
	}
}

// TestEvalWithoutMasks removes one ground-truth mask: image metrics only,
// said in stderr and results.json, for a category folder given as -data;
// the weights are uncalibrated, so the
// calibrated keys are null.
func TestEvalWithoutMasks(t *testing.T) {
	data := synthData(t)
	if err := os.Remove(filepath.Join(data, "textile", "ground_truth", "hole", "000_mask.png")); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	// The category folder itself as -data: the results take its name.
	status, _, stderr := runEval("-weights", weightsPath, "-data", filepath.Join(data, "textile"), "-out", out, "-backend", "cpu")
	if status != 0 || !strings.Contains(stderr, "1 of 6 anomalous images have no ground-truth mask: image metrics only") {
		t.Fatalf("exit status %d, stderr:\n%s", status, stderr)
	}
	r := readResults(t, out)[0]
	for _, k := range []string{"pixel_auroc", "aupro", "image_auroc_calibrated", "verdict_threshold"} {
		if v, ok := r[k]; !ok || v != nil {
			t.Errorf("%s = %v, want null", k, v)
		}
	}
	if _, ok := r["image_auroc"].(float64); !ok || r["category"] != "textile" {
		t.Errorf("results %v", r)
	}
	if _, err := os.Stat(filepath.Join(out, "textile", "pixel_roc.png")); err == nil {
		t.Error("pixel_roc.png written without masks")
	}
}

func TestEvalErrors(t *testing.T) {
	data := synthData(t)
	for _, c := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"-data", data}, 2, "-weights is required"},
		{[]string{"-weights", weightsPath}, 2, "-data is required"},
		{[]string{"-weights", weightsPath, "-data", data, "-batch", "0"}, 2, "-batch 0"},
		{[]string{"-weights", weightsPath, "-data", data, "-backend", "tpu"}, 2, `-backend "tpu"`},
		{[]string{"-weights", weightsPath, "-data", data, "-category", "a,b", "-calibrate", "x.safetensors"}, 2, "one -category"},
		{[]string{"-weights", weightsPath, "-data", data, "-category", "carpet", "-backend", "cpu"}, 1, `no category "carpet"`},
		{[]string{"-weights", weightsPath, "-data", filepath.Join(data, "nothing"), "-backend", "cpu"}, 1, "nothing"},
		{[]string{"-weights", filepath.Join(data, "none.safetensors"), "-data", data, "-backend", "cpu"}, 1, "none.safetensors"},
	} {
		status, _, stderr := runEval(append(c.args, "-out", t.TempDir())...)
		if status != c.status || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit status %d, stderr:\n%s\nwant %d and %q", c.args, status, stderr, c.status, c.want)
		}
	}
	// An empty defect folder.
	if err := os.MkdirAll(filepath.Join(data, "textile", "test", "crack"), 0o755); err != nil {
		t.Fatal(err)
	}
	status, _, stderr := runEval("-weights", weightsPath, "-data", data, "-backend", "cpu", "-out", t.TempDir())
	if status != 1 || !strings.Contains(stderr, filepath.Join("test", "crack")) {
		t.Errorf("empty folder: exit status %d, stderr:\n%s", status, stderr)
	}
}

// TestEvalOnGPU runs eval on the WebGPU adapter found (which must exist),
// in batches of 4, and compares its maps, through the metrics, with the
// CPU backend's: the same counts and metrics within float32 rounding's
// reach (a score tie broken otherwise can move AUROC by a fraction of a
// point).
func TestEvalOnGPU(t *testing.T) {
	data := synthData(t)
	outs := map[string]string{"cpu": t.TempDir(), "gpu": t.TempDir()}
	for be, out := range outs {
		status, _, stderr := runEval("-weights", weightsPath, "-data", data, "-out", out, "-backend", be, "-batch", "4")
		if status != 0 {
			t.Fatalf("-backend %s: exit status %d:\n%s", be, status, stderr)
		}
		if be == "gpu" && !strings.Contains(stderr, "on webgpu") {
			t.Errorf("-backend gpu did not run on WebGPU:\n%s", stderr)
		}
	}
	cpuR, gpuR := readResults(t, outs["cpu"])[0], readResults(t, outs["gpu"])[0]
	for _, k := range []string{"n_good", "n_defect"} {
		if cpuR[k] != gpuR[k] {
			t.Errorf("%s: cpu %v, gpu %v", k, cpuR[k], gpuR[k])
		}
	}
	for _, k := range []string{"image_auroc", "pixel_auroc", "aupro"} {
		c, g := cpuR[k].(float64), gpuR[k].(float64)
		if d := c - g; d > 0.5 || d < -0.5 {
			t.Errorf("%s: cpu %g, gpu %g", k, c, g)
		}
		t.Logf("%s: cpu %.6f, gpu %.6f", k, c, g)
	}
}
