//go:build !js

package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/model"
)

// heatmapAlpha is the weight of the JET colours over the input image.
const heatmapAlpha = 0.5

// scale is the heatmap's colour scale: fixed from the weights' calibration
// statistics, or (fixed false) each map's own range.
type scale struct {
	fixed  bool
	lo, hi float32
}

// String says where the scale comes from, for the log.
func (s scale) String() string {
	if s.fixed {
		return fmt.Sprintf("score_min %g to score_max %g from the weights", s.lo, s.hi)
	}
	return "each map's own min to max (the weights have no score_min/score_max)"
}

// scaleFromMeta reads score_min and score_max from the weights' metadata.
// Neither present gives the per-map scale; one alone, a non-number or
// score_max ≤ score_min is an error.
func scaleFromMeta(meta map[string]string) (scale, error) {
	minS, hasMin := meta["score_min"]
	maxS, hasMax := meta["score_max"]
	if !hasMin && !hasMax {
		return scale{}, nil
	}
	if hasMin != hasMax {
		return scale{}, fmt.Errorf("weights metadata has only one of score_min (%q) and score_max (%q)", minS, maxS)
	}
	lo, err1 := strconv.ParseFloat(minS, 32)
	hi, err2 := strconv.ParseFloat(maxS, 32)
	if err1 != nil || err2 != nil || !(hi > lo) {
		return scale{}, fmt.Errorf("weights metadata score_min %q, score_max %q: want two numbers, min < max", minS, maxS)
	}
	return scale{fixed: true, lo: float32(lo), hi: float32(hi)}, nil
}

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
	sc, err := scaleFromMeta(m.Meta)
	if err != nil {
		return false, fmt.Errorf("%s: %w", o.weights, err)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return false, err
	}
	lambda := m.Cfg.Lambda
	if o.lambda >= 0 {
		lambda = float32(o.lambda)
	}
	fmt.Fprintf(stderr, "detect: %s on %s, λ %g, seed %d; heatmap scale: %s\n", m.Cfg, be.Name(), lambda, o.seed, sc)

	paths, ok := expandInputs(o.inputs, stderr)
	names := outputNames(paths)
	rows := [][]string{{"image", "score"}}
	for i, path := range paths {
		start := time.Now()
		score, err := detectOne(m, path, filepath.Join(o.out, names[i]), lambda, uint32(o.seed), sc, o.maxPixels)
		if err != nil {
			fmt.Fprintf(stderr, "detect: %v (skipped)\n", err)
			ok = false
			continue
		}
		rows = append(rows, []string{path, strconv.FormatFloat(float64(score), 'g', -1, 32)})
		fmt.Fprintf(stderr, "detect: %s: score %.6g (%d ms)\n", path, score, time.Since(start).Milliseconds())
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

// detectOne runs the model on the image at path and writes prefix +
// "_heatmap.png", "_recon.png", "_map.npy" and "_recon.npy". It returns the
// image's score; errors name the file.
func detectOne(m *model.Model, path, prefix string, lambda float32, seed uint32, sc scale, maxPixels int) (float32, error) {
	img, err := imageio.LoadRGB(path, maxPixels)
	if err != nil {
		return 0, err
	}
	be, size := m.Backend(), m.Cfg.Size
	x0 := be.Upload(backend.Shape{N: 1, C: 3, H: size, W: size}, imageio.ToTensor(img, size)) // (1,3,S,S)
	defer be.Free(x0)
	d, err := m.Detect(x0, lambda, seed)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	lo, hi := sc.lo, sc.hi
	if !sc.fixed {
		lo, hi = slices.Min(d.Map), slices.Max(d.Map)
	}
	for _, err := range []error{
		imageio.WritePNG(prefix+"_heatmap.png", imageio.Heatmap(img, d.Map, size, lo, hi, heatmapAlpha)),
		imageio.WritePNG(prefix+"_recon.png", imageio.FromCHW01(d.Recon, size)),
		imageio.WriteNPY(prefix+"_map.npy", []int{size, size}, d.Map),
		imageio.WriteNPY(prefix+"_recon.npy", []int{3, size, size}, d.Recon),
	} {
		if err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
	}
	return d.Scores[0], nil
}
