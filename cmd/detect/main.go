//go:build !js

// Command detect runs a trained N2N-M network on images and writes, for each
// image NAME, into the output directory:
//
//	NAME_heatmap.png         the anomaly map in JET colours blended over the input
//	NAME_recon.png           the reconstruction
//	NAME_map.npy             the raw anomaly map of the spec, float32 (S,S)
//	NAME_calibrated_map.npy  the calibrated map, float32 (S,S), when the
//	                         weights are calibrated
//	NAME_recon.npy           the reconstruction (x̂+1)/2, float32 (3,S,S), unclamped
//
// and one scores.csv with columns image, score (the raw map's maximum, the
// spec's score), calibrated_score (the calibrated map's maximum),
// normalized_score (0 at score_min, 0.5 at the threshold, 1 at score_max)
// and verdict (anomalous at or above the threshold, else normal); the last
// three are empty when the weights are uncalibrated, which detect then
// says. With calibrated weights the heatmap shows the calibrated map on the
// fixed scale score_min to score_max, so that heatmaps of different images
// compare; without, the raw map from its own minimum to its maximum. The
// weights may be a training checkpoint (last.safetensors). The maps are
// those of eval (package infer).
//
// Usage:
//
//	detect -weights FILE [-backend auto|cpu|gpu] [-lambda X] [-seed N]
//	       [-out DIR] [-max-pixels N] IMAGE|DIR...
//
// A DIR argument stands for every file in it (not recursively) whose
// extension is that of an image format, in sorted order. Two inputs with
// the same NAME (a.png, a.jpg) get distinct ones (a, a_jpg). A file that cannot
// be read, is not an image or is over the pixel limit is reported on stderr
// and skipped; the exit status is then 1. Usage errors exit with 2.
//
// It builds for native platforms only: it opens WebGPU through package
// native.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/native"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the parsed command line.
type options struct {
	weights   string
	backend   string
	lambda    float64
	seed      uint
	out       string
	maxPixels int
	inputs    []string
}

// parseArgs parses args into options. Every error is a usage error and has
// been reported on stderr.
func parseArgs(args []string, stderr io.Writer) (*options, error) {
	var o options
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: detect -weights FILE [flags] IMAGE|DIR...")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.weights, "weights", "", "weights file (safetensors, n2n-m format); required")
	fs.StringVar(&o.backend, "backend", "auto", "cpu, gpu (the best WebGPU adapter) or auto (a GPU adapter if there is one, else cpu)")
	fs.Float64Var(&o.lambda, "lambda", -1, "noise weight λ; negative: the weights' value; 0: no noise")
	fs.UintVar(&o.seed, "seed", 0, "noise seed")
	fs.StringVar(&o.out, "out", "detect_out", "output directory, created if missing")
	fs.IntVar(&o.maxPixels, "max-pixels", imageio.DefaultMaxPixels, "refuse images with more pixels than this")
	if err := fs.Parse(args); err != nil {
		return nil, err // flag has printed it, with the usage text
	}
	o.inputs = fs.Args()
	var problem string
	switch {
	case o.weights == "":
		problem = "-weights is required"
	case len(o.inputs) == 0:
		problem = "no images or directories given"
	case o.backend != "auto" && o.backend != "cpu" && o.backend != "gpu":
		problem = fmt.Sprintf("-backend %q: want auto, cpu or gpu", o.backend)
	case math.IsNaN(o.lambda) || math.IsInf(o.lambda, 0):
		problem = fmt.Sprintf("-lambda %v: want a number", o.lambda)
	case o.seed > math.MaxUint32:
		problem = fmt.Sprintf("-seed %d does not fit 32 bits", o.seed)
	case o.maxPixels <= 0:
		problem = fmt.Sprintf("-max-pixels %d: want a positive count", o.maxPixels)
	default:
		return &o, nil
	}
	fmt.Fprintf(stderr, "detect: %s (detect -h for help)\n", problem)
	return nil, errors.New(problem)
}

// run is the whole command: it returns the exit status (0 success; 1 some
// input or the whole run failed; 2 usage error, but 0 for -h).
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	be, closeBackend, err := native.Select(o.backend, 0, func(format string, args ...any) { fmt.Fprintf(stderr, "detect: "+format+"\n", args...) })
	if err != nil {
		fmt.Fprintf(stderr, "detect: %v\n", err)
		return 1
	}
	defer closeBackend()
	ok, err := detectAll(be, o, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "detect: %v\n", err)
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}
