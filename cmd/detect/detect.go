//go:build !js

package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/infer"
	"github.com/noise2norm/noise2norm/internal/model"
)

// heatmapAlpha is the weight of the JET colours over the input image.
const heatmapAlpha = 0.5

// detectAll loads the weights onto be, runs every input of o and writes
// o.out/scores.csv with a row per image processed. ok is false when some
// input failed (each failure is reported on stderr); err is a failure that
// stops the run (weights, output directory, scores.csv).
func detectAll(be backend.Backend, o *options, stdout, stderr io.Writer) (ok bool, err error) {
	m, err := model.Load(be, o.weights)
	if err != nil {
		return false, err
	}
	defer m.Free()
	cal := m.Calibration()
	sc := infer.HeatScale(cal)
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return false, err
	}
	lambda := infer.Lambda(m, o.lambda)
	fmt.Fprintf(stderr, "detect: %s on %s, λ %g, seed %d; heatmap scale: %s\n", m.Cfg, be.Name(), lambda, o.seed, sc)
	if cal == nil {
		why := "train with validation images, or run eval -calibrate"
		if _, ok := m.Meta["state.step"]; ok {
			why = "a training checkpoint: train writes the calibration into best.safetensors; or run eval -calibrate"
		}
		fmt.Fprintf(stderr, "detect: %s is uncalibrated: no calibrated map, score or verdict (%s)\n", o.weights, why)
	} else {
		rule := ""
		if cal.Rule != "" {
			rule = " (" + cal.Rule + ")"
		}
		fmt.Fprintf(stderr, "detect: calibrated score threshold %g%s; verdict \"anomalous\" at or above it\n", cal.Threshold, rule)
	}

	paths, ok := expandInputs(o.inputs, stderr)
	names := outputNames(paths)
	rows := [][]string{{"image", "score", "calibrated_score", "normalized_score", "verdict"}}
	for i, path := range paths {
		start := time.Now()
		r, err := detectOne(m, cal, path, filepath.Join(o.out, names[i]), lambda, uint32(o.seed), sc, o.maxPixels)
		if err != nil {
			fmt.Fprintf(stderr, "detect: %v (skipped)\n", err)
			ok = false
			continue
		}
		row := []string{path, strconv.FormatFloat(float64(r.Score), 'g', -1, 32), "", "", ""}
		msg := fmt.Sprintf("score %.6g", r.Score)
		if c := r.Calibrated; c != nil {
			row[2] = strconv.FormatFloat(c.Score, 'g', -1, 32) // the maximum of a float32 map
			row[3] = strconv.FormatFloat(c.Normalized, 'f', 4, 64)
			row[4] = verdict(c.Anomalous)
			msg += fmt.Sprintf(", calibrated %.4g, normalised %.3f: %s", c.Score, c.Normalized, row[4])
		}
		rows = append(rows, row)
		fmt.Fprintf(stderr, "detect: %s: %s (%d ms)\n", path, msg, time.Since(start).Milliseconds())
	}

	var csvBuf bytes.Buffer
	w := csv.NewWriter(&csvBuf)
	w.WriteAll(rows) // a bytes.Buffer does not fail
	if err := os.WriteFile(filepath.Join(o.out, "scores.csv"), csvBuf.Bytes(), 0o644); err != nil {
		return false, err
	}
	if ok {
		fmt.Fprintf(stdout, "%d images processed; results in %s\n", len(rows)-1, o.out)
	} else {
		fmt.Fprintf(stdout, "%d images processed, some inputs failed (see stderr); results in %s\n", len(rows)-1, o.out)
	}
	return ok, nil
}

// expandInputs lists the image files that args name: files as given, and
// for a directory its files with an image extension, sorted. ok is false
// when an argument cannot be read or a directory has no image.
func expandInputs(args []string, stderr io.Writer) (paths []string, ok bool) {
	ok = true
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			fmt.Fprintf(stderr, "detect: %v (skipped)\n", err)
			ok = false
			continue
		}
		if !info.IsDir() {
			paths = append(paths, arg)
			continue
		}
		entries, err := os.ReadDir(arg) // sorted by name
		if err != nil {
			fmt.Fprintf(stderr, "detect: %v (skipped)\n", err)
			ok = false
			continue
		}
		n := len(paths)
		for _, e := range entries {
			if !e.IsDir() && imageio.HasImageExt(e.Name()) {
				paths = append(paths, filepath.Join(arg, e.Name()))
			}
		}
		if len(paths) == n {
			fmt.Fprintf(stderr, "detect: %s: no image files (png, jpg, jpeg, gif, bmp, tif, tiff, webp)\n", arg)
			ok = false
		}
	}
	return paths, ok
}

// outputNames gives each path the base name of its output files: the file
// name without extension, made unique by appending the extension ("a_jpg")
// and then a counter ("a_jpg_2").
func outputNames(paths []string) []string {
	used := map[string]bool{}
	names := make([]string, len(paths))
	for i, p := range paths {
		base := filepath.Base(p)
		ext := filepath.Ext(base)
		name := strings.TrimSuffix(base, ext)
		if used[name] && ext != "" {
			name += "_" + ext[1:]
		}
		for k, first := 2, name; used[name]; k++ {
			name = fmt.Sprintf("%s_%d", first, k)
		}
		used[name] = true
		names[i] = name
	}
	return names
}

// verdict is the scores.csv word for a calibrated decision.
func verdict(anomalous bool) string {
	if anomalous {
		return "anomalous"
	}
	return "normal"
}

// detectOne runs the model on the image at path and writes prefix +
// "_heatmap.png" (the calibrated map when the weights are calibrated, else
// the raw one, coloured on sc), "_recon.png", "_map.npy" (raw),
// "_calibrated_map.npy" (when calibrated) and "_recon.npy". Errors name the
// file.
func detectOne(m *model.Model, cal *model.Calibration, path, prefix string, lambda float32, seed uint32, sc infer.Scale, maxPixels int) (*infer.Result, error) {
	img, err := imageio.LoadRGB(path, maxPixels)
	if err != nil {
		return nil, err
	}
	size := m.Cfg.Size
	rs, err := infer.Run(m, [][]float32{imageio.ToTensor(img, size)}, lambda, seed, cal)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &rs[0]
	heat := r.HeatMap()
	lo, hi := sc.Range(heat)
	errs := []error{
		imageio.WritePNG(prefix+"_heatmap.png", imageio.Heatmap(img, heat, size, lo, hi, heatmapAlpha)),
		imageio.WritePNG(prefix+"_recon.png", imageio.FromCHW01(r.Recon, size)),
		imageio.WriteNPY(prefix+"_map.npy", []int{size, size}, r.Map),
		imageio.WriteNPY(prefix+"_recon.npy", []int{3, size, size}, r.Recon),
	}
	if r.Calibrated != nil {
		errs = append(errs, imageio.WriteNPY(prefix+"_calibrated_map.npy", []int{size, size}, r.Calibrated.Map))
	}
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return r, nil
}
