//go:build ignore

// Dumpmaps writes the raw anomaly maps of a category's training, validation
// and test images, for the calibration study of docs/evaluation.md
// (testdata/calibration/study.py reads them):
//
//	go run testdata/calibration/dumpmaps.go WEIGHTS DATA CATEGORY OUTDIR
//
// The training/validation split is train's (-val 0.2, -seed 1); maps are
// detect's (the weights' λ, seed 0), on the CPU backend. It writes
// train.npy, val.npy, test.npy (N,S,S), labels.npy (N) and masks.npy
// (N,S,S) of the test images.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/infer"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/train"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: go run testdata/calibration/dumpmaps.go WEIGHTS DATA CATEGORY OUTDIR")
		os.Exit(2)
	}
	if err := dump(os.Args[1], os.Args[2], os.Args[3], os.Args[4]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func dump(weights, data, category, out string) error {
	m, err := model.Load(cpu.New(), weights)
	if err != nil {
		return err
	}
	size := m.Cfg.Size
	ds, err := train.LoadDataset(data, category, size, 0, 0.2, 1, os.Stderr)
	if err != nil {
		return err
	}
	ts, err := train.FindTestSet(data, category)
	if err != nil {
		return err
	}
	var paths []string
	var labels, masks []float32
	for _, im := range ts.Images {
		paths = append(paths, im.Path)
		mask := make([]bool, size*size)
		label := float32(0)
		if im.Anomalous {
			label = 1
			if mask, err = train.LoadMask(im.MaskPath, size, 0); err != nil {
				return err
			}
		}
		labels = append(labels, label)
		for _, b := range mask {
			masks = append(masks, map[bool]float32{false: 0, true: 1}[b])
		}
	}
	test, _, err := train.LoadImages(paths, size, 0, os.Stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, set := range []struct {
		name   string
		images [][]float32
	}{{"train", ds.Train}, {"val", ds.Val}, {"test", test}} {
		start := time.Now()
		var all []float32
		for i := 0; i < len(set.images); i += 8 {
			rs, err := infer.Run(m, set.images[i:min(i+8, len(set.images))], m.Cfg.Lambda, 0, nil)
			if err != nil {
				return err
			}
			for _, r := range rs {
				all = append(all, r.Map...)
			}
		}
		fmt.Printf("%s: %d maps in %s\n", set.name, len(set.images), time.Since(start).Round(time.Millisecond))
		if err := imageio.WriteNPY(filepath.Join(out, set.name+".npy"), []int{len(set.images), size, size}, all); err != nil {
			return err
		}
	}
	if err := imageio.WriteNPY(filepath.Join(out, "labels.npy"), []int{len(labels)}, labels); err != nil {
		return err
	}
	return imageio.WriteNPY(filepath.Join(out, "masks.npy"), []int{len(labels), size, size}, masks)
}
