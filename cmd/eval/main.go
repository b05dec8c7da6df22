//go:build !js

// Command eval measures a trained N2N-M network on the test split of one or
// more categories of a data set, as the paper does (its Tables 1–2), and
// writes into the output directory:
//
//	results.json         one object per category: image_auroc, pixel_auroc,
//	                     aupro (percent, of the raw map, the paper's
//	                     definition), the F1-optimal threshold with its f1,
//	                     precision and recall, n_good, n_defect, and the same
//	                     keys with _calibrated for the calibrated map
//	results.md           those numbers as a table with a mean row
//	CATEGORY/report.md   per-defect-type image AUROC and the pictures below
//	CATEGORY/image_roc.png, CATEGORY/pixel_roc.png   ROC curves
//	CATEGORY/examples.png  input, ground truth, reconstruction, anomaly map,
//	                     predicted region and overlay for the best and the
//	                     worst cases (the paper's Fig. 4)
//
// Its maps are exactly detect's: the same λ (the weights' unless -lambda)
// and noise seed (-seed, default 0), noise drawn per image, so that the
// batch size changes nothing. -calibrate OUT.safetensors writes a copy of
// the weights whose threshold is the F1-optimal one on the test set (one
// category only); weights without per-position statistics get them from
// the category's training images first, as train does.
//
// Usage:
//
//	eval -weights FILE -data DIR [-category A,B,...] [-out DIR]
//	     [-backend auto|cpu|gpu] [-batch N] [-seed N] [-lambda X]
//	     [-calibrate OUT.safetensors]
//
// Usage errors exit with 2, failures with 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/native"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the parsed command line.
type options struct {
	weights    string
	data       string
	categories []string // empty: every category of data
	out        string
	backend    string
	batch      int
	seed       uint
	lambda     float64
	calibrate  string
	maxPixels  int
}

// parseArgs parses args; every error is a usage error reported on stderr.
func parseArgs(args []string, stderr io.Writer) (*options, error) {
	var o options
	var cats string
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: eval -weights FILE -data DIR [flags]")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.weights, "weights", "", "weights file or training checkpoint (last.safetensors); required")
	fs.StringVar(&o.data, "data", "", "data folder: MVTec AD/MPDD root, VisA root (split_csv/1cls.csv), anomalib's VisA root, or a category folder; required")
	fs.StringVar(&cats, "category", "", "comma-separated categories (VisA: objects); empty: every category with a test split")
	fs.StringVar(&o.out, "out", "eval_out", "output directory, created if missing")
	fs.StringVar(&o.backend, "backend", "auto", "cpu, gpu (the best WebGPU adapter) or auto (a GPU adapter if there is one, else cpu)")
	fs.IntVar(&o.batch, "batch", 4, "images per forward pass (maps do not depend on it)")
	fs.UintVar(&o.seed, "seed", 0, "noise seed (detect's default)")
	fs.Float64Var(&o.lambda, "lambda", -1, "noise weight λ; negative: the weights' value; 0: no noise")
	fs.StringVar(&o.calibrate, "calibrate", "", "write a copy of the weights calibrated with the F1-optimal threshold on the test set here (one category)")
	fs.IntVar(&o.maxPixels, "max-pixels", imageio.DefaultMaxPixels, "refuse images with more pixels than this")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, c := range strings.Split(cats, ",") {
		if c = strings.TrimSpace(c); c != "" {
			o.categories = append(o.categories, c)
		}
	}
	var problem string
	switch {
	case o.weights == "":
		problem = "-weights is required"
	case o.data == "":
		problem = "-data is required"
	case fs.NArg() > 0:
		problem = fmt.Sprintf("unexpected arguments %q", fs.Args())
	case o.backend != "auto" && o.backend != "cpu" && o.backend != "gpu":
		problem = fmt.Sprintf("-backend %q: want auto, cpu or gpu", o.backend)
	case o.batch < 1:
		problem = fmt.Sprintf("-batch %d: want at least 1", o.batch)
	case o.seed > math.MaxUint32:
		problem = fmt.Sprintf("-seed %d does not fit 32 bits", o.seed)
	case math.IsNaN(o.lambda) || math.IsInf(o.lambda, 0) || o.lambda >= 1:
		problem = fmt.Sprintf("-lambda %v: want a number below 1", o.lambda)
	case o.maxPixels <= 0:
		problem = fmt.Sprintf("-max-pixels %d: want a positive count", o.maxPixels)
	case o.calibrate != "" && len(o.categories) > 1:
		problem = "-calibrate writes the weights of one category: give one -category"
	default:
		return &o, nil
	}
	fmt.Fprintf(stderr, "eval: %s (eval -h for help)\n", problem)
	return nil, errors.New(problem)
}

// run is the whole command: 0 success, 1 failure, 2 usage error (0 for -h).
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	be, closeBackend, err := native.Select(o.backend, 0, func(format string, args ...any) { fmt.Fprintf(stderr, "eval: "+format+"\n", args...) })
	if err != nil {
		fmt.Fprintf(stderr, "eval: %v\n", err)
		return 1
	}
	defer closeBackend()
	if err := evaluate(be, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "eval: %v\n", err)
		return 1
	}
	return 0
}
