//go:build !js

package main

import (
	"bytes"
	"encoding/csv"
	"image"
	"image/color"
	"image/jpeg"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/infer"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
	"github.com/noise2norm/noise2norm/internal/synth"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// weightsPath is the PyTorch-made wf=4 S=32 network the tests run.
var weightsPath = testutil.RefPath("wf4_s32_d4_att", "weights.safetensors")

// runDetect runs the command with args and returns its status and output.
func runDetect(args ...string) (status int, stdout, stderr string) {
	var o, e bytes.Buffer
	status = run(args, &o, &e)
	return status, o.String(), e.String()
}

// readScores parses scores.csv in dir.
func readScores(t *testing.T, dir string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "scores.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkOutputs checks the four files of output name NAME in dir for a
// size×size network and returns the anomaly map.
func checkOutputs(t *testing.T, dir, name string, size int) []float32 {
	t.Helper()
	shape, amap, err := imageio.ReadNPY(filepath.Join(dir, name+"_map.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{size, size}) {
		t.Errorf("%s_map.npy has shape %v, want [%d %d]", name, shape, size, size)
	}
	shape, _, err = imageio.ReadNPY(filepath.Join(dir, name+"_recon.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{3, size, size}) {
		t.Errorf("%s_recon.npy has shape %v, want [3 %d %d]", name, shape, size, size)
	}
	for _, suffix := range []string{"_heatmap.png", "_recon.png"} {
		img, err := imageio.LoadRGB(filepath.Join(dir, name+suffix), 0)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s%s is %v, want %d×%d", name, suffix, b, size, size)
		}
	}
	return amap
}

// scoresHeader is the first row of scores.csv.
var scoresHeader = []string{"image", "score", "calibrated_score", "normalized_score", "verdict"}

// TestRunMixedInputs runs a directory holding a good PNG, a good JPEG of
// another size, a truncated PNG, a text file named .png and a .txt file.
func TestRunMixedInputs(t *testing.T) {
	in, out := t.TempDir(), filepath.Join(t.TempDir(), "new", "out")
	png, err := os.ReadFile(testutil.RefPath("detect", "input.png"))
	if err != nil {
		t.Fatal(err)
	}
	jpg := image.NewRGBA(image.Rect(0, 0, 48, 40))
	for i := range jpg.Pix {
		jpg.Pix[i] = uint8(i * 7)
	}
	jpg.Set(3, 3, color.White)
	var jbuf bytes.Buffer
	if err := jpeg.Encode(&jbuf, jpg, nil); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"b": "b.jpg", "good": "good.png"}
	contents := map[string][]byte{
		"good.png":    png,
		"b.jpg":       jbuf.Bytes(),
		"corrupt.png": png[:len(png)/2],
		"notes.png":   []byte("not an image"),
		"readme.txt":  []byte("ignored: not an image extension"),
	}
	for name, data := range contents {
		if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	status, stdout, stderr := runDetect("-weights", weightsPath, "-backend", "cpu", "-out", out, in)
	if status != 1 {
		t.Errorf("exit status %d, want 1 (two bad files)", status)
	}
	for _, bad := range []string{"corrupt.png", "notes.png"} {
		if !strings.Contains(stderr, filepath.Join(in, bad)) {
			t.Errorf("stderr does not name %s:\n%s", bad, stderr)
		}
	}
	if strings.Contains(stderr, "readme.txt") {
		t.Errorf("readme.txt was read:\n%s", stderr)
	}
	if !strings.Contains(stdout, "2 images processed") {
		t.Errorf("stdout %q: want a count of 2 images processed", stdout)
	}

	rows := readScores(t, out)
	if len(rows) != 3 || !reflect.DeepEqual(rows[0], scoresHeader) {
		t.Fatalf("scores.csv rows %q, want the header and 2 images", rows)
	}
	for i, name := range []string{"b", "good"} {
		row := rows[i+1]
		amap := checkOutputs(t, out, name, 32)
		if want := filepath.Join(in, files[name]); row[0] != want {
			t.Errorf("scores.csv row %d names %q, want %q", i+1, row[0], want)
		}
		score, err := strconv.ParseFloat(row[1], 32)
		if err != nil || float32(score) != slices.Max(amap) {
			t.Errorf("scores.csv row %d score %q, want the map's max %v", i+1, row[1], slices.Max(amap))
		}
	}
	for _, bad := range []string{"corrupt", "notes", "readme"} {
		if _, err := os.Stat(filepath.Join(out, bad+"_map.npy")); err == nil {
			t.Errorf("outputs written for the bad file %s", bad)
		}
	}
}

// TestRunAgainstPyTorch runs the command on the reference PNG and compares
// the written .npy files with PyTorch's outputs (testdata/make_reference.py):
// without noise, with λ 0.3 and seed 0, and with the weights' λ (0.3), on
// the CPU backend, on the WebGPU adapter found (which must exist) and on
// the automatic choice, which must not be a CPU adapter such as lavapipe.
func TestRunAgainstPyTorch(t *testing.T) {
	ref := testutil.LoadRef(t, "detect", "expected.safetensors")
	input := testutil.RefPath("detect", "input.png")
	for _, be := range []string{"cpu", "gpu", "auto"} {
		for _, c := range []struct {
			tag  string
			args []string
		}{
			{"l0", []string{"-lambda", "0"}},
			{"l0.3", []string{"-lambda", "0.3", "-seed", "0"}},
			{"l0.3", nil},
		} {
			out := t.TempDir()
			args := append([]string{"-weights", weightsPath, "-backend", be, "-out", out}, c.args...)
			status, _, stderr := runDetect(append(args, input)...)
			if status != 0 {
				t.Fatalf("%v: exit status %d:\n%s", args, status, stderr)
			}
			if be == "auto" && regexp.MustCompile(`on webgpu \(.*, cpu, `).MatchString(stderr) {
				t.Errorf("-backend auto took a CPU adapter:\n%s", stderr)
			}
			for _, kind := range []string{"recon", "map"} {
				_, got, err := imageio.ReadNPY(filepath.Join(out, "input_"+kind+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				_, want := ref.Get(kind + "_" + c.tag)
				testutil.Close(t, be+" "+strings.Join(c.args, " ")+" "+kind, got, want, 1e-4, 1e-3)
			}
		}
	}
}

// TestRunScaleFromWeights gives the weights calibration statistics and
// checks that the heatmap uses them instead of the map's own range.
func TestRunScaleFromWeights(t *testing.T) {
	f, err := safetensors.ReadFile(weightsPath)
	if err != nil {
		t.Fatal(err)
	}
	f.Metadata["score_min"], f.Metadata["score_max"], f.Metadata["threshold"] = "0", "100", "50"
	dir := t.TempDir()
	w := filepath.Join(dir, "calibrated.safetensors")
	if err := safetensors.WriteFile(w, f); err != nil {
		t.Fatal(err)
	}
	input := testutil.RefPath("detect", "input.png")
	status, _, stderr := runDetect("-weights", w, "-backend", "cpu", "-out", dir, input)
	if status != 0 || !strings.Contains(stderr, "calibrated map from score_min 0 to score_max 100") {
		t.Fatalf("exit status %d, stderr:\n%s\nwant status 0 and the weights' scale", status, stderr)
	}
	// Every map value is far below 100: the whole heatmap is jet(0)-tinted.
	heat, err := imageio.LoadRGB(filepath.Join(dir, "input_heatmap.png"), 0)
	if err != nil {
		t.Fatal(err)
	}
	base, err := imageio.LoadRGB(input, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, amap, err := imageio.ReadNPY(filepath.Join(dir, "input_map.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want := imageio.Heatmap(base, amap, 32, 0, 100, heatmapAlpha)
	got := imageio.ToTensor(heat, 32)
	testutil.Close(t, "heatmap", got, imageio.ToTensor(want, 32), 0, 0)

	f.Metadata["score_max"] = "high"
	if err := safetensors.WriteFile(w, f); err != nil {
		t.Fatal(err)
	}
	status, _, stderr = runDetect("-weights", w, "-backend", "cpu", "-out", dir, input)
	if status != 1 || !strings.Contains(stderr, `score_max = "high": not a number`) {
		t.Errorf("non-numeric score_max: exit status %d, stderr:\n%s\nwant 1 naming it", status, stderr)
	}
}

func TestRunUsage(t *testing.T) {
	input := testutil.RefPath("detect", "input.png")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{input}, "-weights is required"},
		{[]string{"-weights", weightsPath}, "no images"},
		{[]string{"-weights", weightsPath, "-backend", "tpu", input}, `-backend "tpu"`},
		{[]string{"-weights", weightsPath, "-bogus", input}, "-bogus"},
		{[]string{"-weights", weightsPath, "-seed", "4294967296", input}, "32 bits"},
		{[]string{"-weights", weightsPath, "-max-pixels", "0", input}, "-max-pixels"},
		{[]string{"-weights", weightsPath, "-lambda", "NaN", input}, "-lambda NaN"},
	} {
		status, _, stderr := runDetect(c.args...)
		if status != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit status %d, stderr:\n%s\nwant 2 and %q", c.args, status, stderr, c.want)
		}
	}
	if status, stdout, _ := runDetect("-h"); status != 0 || stdout != "" {
		t.Errorf("-h: exit status %d, stdout %q; want 0 and the help on stderr", status, stdout)
	}
	status, _, stderr := runDetect("-weights", filepath.Join(t.TempDir(), "none.safetensors"), "-backend", "cpu", "-out", t.TempDir(), input)
	if status != 1 || !strings.Contains(stderr, "none.safetensors") {
		t.Errorf("missing weights: exit status %d, stderr:\n%s\nwant 1 naming the file", status, stderr)
	}
}

func TestOutputNames(t *testing.T) {
	got := outputNames([]string{"d/a.png", "e/a.png", "a.jpg", "b", "d/a.png", "x.tar.gz"})
	want := []string{"a", "a_png", "a_jpg", "b", "a_png_2", "x.tar"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outputNames = %q, want %q", got, want)
	}
}

// calibratedWeights writes a copy of the reference weights calibrated as
// train would, from maps of synthetic pills images (statistics from 6,
// threshold from 4 others), and returns its path and calibration.
func calibratedWeights(t *testing.T) (string, *model.Calibration) {
	t.Helper()
	m, err := model.Load(cpu.New(), weightsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	o := synth.Options{Category: "pills", Size: 32, Seed: 4}
	var maps [][]float32
	for i := range 10 {
		img, _ := synth.Render(o, "train/good", i, "")
		r, err := infer.Run(m, [][]float32{imageio.ToTensor(img, 32)}, m.Cfg.Lambda, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		maps = append(maps, r[0].Map)
	}
	cal, err := model.FitCalibration(maps[:6], maps[6:], 32)
	if err != nil {
		t.Fatal(err)
	}
	w, err := model.ReadWeights(weightsPath)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "calibrated.safetensors")
	if err := model.WriteCalibrated(path, w, cal); err != nil {
		t.Fatal(err)
	}
	return path, cal
}

// TestRunCalibrated runs calibrated weights on a normal and a defective
// synthetic image: the calibrated map is the raw one standardised by the
// weights' statistics, scores.csv holds the raw score and the calibrated
// score, normalised score and verdict, and the heatmap shows the
// calibrated map on the calibration's scale. Uncalibrated weights say so
// and leave those columns empty.
func TestRunCalibrated(t *testing.T) {
	path, cal := calibratedWeights(t)
	in, out := t.TempDir(), t.TempDir()
	o := synth.Options{Category: "pills", Size: 32, Seed: 4}
	good, _ := synth.Render(o, "test/good", 0, "")
	bad, _ := synth.Render(o, "test/stain", 0, "stain")
	for name, img := range map[string]image.Image{"good.png": good, "bad.png": bad} {
		if err := imageio.WritePNG(filepath.Join(in, name), img); err != nil {
			t.Fatal(err)
		}
	}
	status, _, stderr := runDetect("-weights", path, "-backend", "cpu", "-out", out, in)
	if status != 0 || strings.Contains(stderr, "uncalibrated") || !strings.Contains(stderr, model.RuleMaxHeldOut) {
		t.Fatalf("exit status %d, stderr:\n%s", status, stderr)
	}
	rows := readScores(t, out)
	if len(rows) != 3 || !reflect.DeepEqual(rows[0], scoresHeader) {
		t.Fatalf("scores.csv %q", rows)
	}
	for _, row := range rows[1:] {
		name := strings.TrimSuffix(filepath.Base(row[0]), ".png")
		amap := checkOutputs(t, out, name, 32)
		_, calMap, err := imageio.ReadNPY(filepath.Join(out, name+"_calibrated_map.npy"))
		if err != nil {
			t.Fatal(err)
		}
		want := cal.Apply(amap)
		testutil.Close(t, name+" calibrated map", calMap, want.Map, 0, 0)
		score, _ := strconv.ParseFloat(row[1], 32)
		calScore, _ := strconv.ParseFloat(row[2], 64)
		norm, _ := strconv.ParseFloat(row[3], 64)
		if float32(score) != slices.Max(amap) || float32(calScore) != float32(want.Score) || math.Abs(norm-want.Normalized) > 1e-4 || row[4] != verdict(want.Anomalous) {
			t.Errorf("%s: row %q, want raw %g, calibrated %g, normalised %.4f, %s", name, row, slices.Max(amap), want.Score, want.Normalized, verdict(want.Anomalous))
		}
		base, err := imageio.LoadRGB(filepath.Join(in, name+".png"), 0)
		if err != nil {
			t.Fatal(err)
		}
		heat, err := imageio.LoadRGB(filepath.Join(out, name+"_heatmap.png"), 0)
		if err != nil {
			t.Fatal(err)
		}
		wantHeat := imageio.Heatmap(base, want.Map, 32, float32(cal.ScoreMin), float32(cal.ScoreMax), heatmapAlpha)
		testutil.Close(t, name+" heatmap", imageio.ToTensor(heat, 32), imageio.ToTensor(wantHeat, 32), 0, 0)
	}

	out2 := t.TempDir()
	status, _, stderr = runDetect("-weights", weightsPath, "-backend", "cpu", "-out", out2, in)
	if status != 0 || !strings.Contains(stderr, "is uncalibrated") {
		t.Fatalf("uncalibrated: exit status %d, stderr:\n%s", status, stderr)
	}
	for _, row := range readScores(t, out2)[1:] {
		if row[2] != "" || row[3] != "" || row[4] != "" {
			t.Errorf("uncalibrated row %q: want empty calibrated columns", row)
		}
	}
	if _, err := os.Stat(filepath.Join(out2, "good_calibrated_map.npy")); err == nil {
		t.Error("uncalibrated weights wrote a calibrated map")
	}
}

// TestRunCheckpoint runs a training checkpoint (weights, AdamW moments,
// run state): the same maps as the weights alone.
func TestRunCheckpoint(t *testing.T) {
	f, err := safetensors.ReadFile(weightsPath)
	if err != nil {
		t.Fatal(err)
	}
	for name, tensor := range maps.Clone(f.Tensors) {
		zeros := safetensors.Tensor{Shape: tensor.Shape, Data: make([]float32, len(tensor.Data))}
		f.Tensors["adam.m."+name], f.Tensors["adam.v."+name] = zeros, zeros
	}
	f.Metadata["state.step"] = "7"
	dir := t.TempDir()
	ck := filepath.Join(dir, "last.safetensors")
	if err := safetensors.WriteFile(ck, f); err != nil {
		t.Fatal(err)
	}
	input := testutil.RefPath("detect", "input.png")
	outW, outC := t.TempDir(), t.TempDir()
	for _, c := range []struct{ weights, out string }{{weightsPath, outW}, {ck, outC}} {
		if status, _, stderr := runDetect("-weights", c.weights, "-backend", "cpu", "-out", c.out, input); status != 0 {
			t.Fatalf("%s: exit status %d:\n%s", c.weights, status, stderr)
		}
	}
	_, a, err := imageio.ReadNPY(filepath.Join(outW, "input_map.npy"))
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := imageio.ReadNPY(filepath.Join(outC, "input_map.npy"))
	if err != nil {
		t.Fatal(err)
	}
	testutil.Close(t, "checkpoint map", b, a, 0, 0)
}
