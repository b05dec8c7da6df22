//go:build !js

// Command detect runs a trained N2N-M network on images and writes, for each
// image NAME, into the output directory:
//
//	NAME_heatmap.png  the anomaly map in JET colours blended over the input
//	NAME_recon.png    the reconstruction
//	NAME_map.npy      the anomaly map, float32 (S,S)
//	NAME_recon.npy    the reconstruction (x̂+1)/2, float32 (3,S,S), unclamped
//
// and one scores.csv (image,score; the score is the maximum of the map).
// The heatmap's colour scale runs from the weights' score_min to score_max
// metadata (calibration statistics) when the file has them, else from each
// map's own minimum to its maximum.
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
	"os"

	"github.com/noise2norm/noise2norm/internal/imageio"
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

// errUsage marks a command-line error, reported with exit status 2.
var errUsage = errors.New("usage error")

// parseArgs parses args into options; errors wrap errUsage.
func parseArgs(args []string, stderr io.Writer) (*options, error) {
	var o options
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: detect -weights FILE [flags] IMAGE|DIR...")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.weights, "weights", "", "weights file (safetensors, n2n-m format); required")
	fs.StringVar(&o.backend, "backend", "auto", "auto (WebGPU when an adapter exists, else CPU), cpu or gpu")
	fs.Float64Var(&o.lambda, "lambda", -1, "noise weight λ; negative: the weights' value; 0: no noise")
	fs.UintVar(&o.seed, "seed", 0, "noise seed")
	fs.StringVar(&o.out, "out", "detect_out", "output directory, created if missing")
	fs.IntVar(&o.maxPixels, "max-pixels", imageio.DefaultMaxPixels, "refuse images with more pixels than this")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	o.inputs = fs.Args()
	switch {
	case o.weights == "":
		return nil, fmt.Errorf("%w: -weights is required", errUsage)
	case len(o.inputs) == 0:
		return nil, fmt.Errorf("%w: no images or directories given", errUsage)
	case o.backend != "auto" && o.backend != "cpu" && o.backend != "gpu":
		return nil, fmt.Errorf("%w: -backend %q: want auto, cpu or gpu", errUsage, o.backend)
	case o.seed > 1<<32-1:
		return nil, fmt.Errorf("%w: -seed %d does not fit 32 bits", errUsage, o.seed)
	case o.maxPixels <= 0:
		return nil, fmt.Errorf("%w: -max-pixels %d: want a positive count", errUsage, o.maxPixels)
	}
	return &o, nil
}

// run is the whole command: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "detect: %v\n", err)
		}
		return 2
	}
	be, closeBackend, err := openBackend(o.backend, stderr)
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
