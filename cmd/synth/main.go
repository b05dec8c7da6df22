// Command synth writes a deterministic synthetic anomaly-detection data set
// in the MVTec AD layout, which train reads with -data DIR -category NAME:
//
//	DIR/CATEGORY/train/good/000.png …
//	DIR/CATEGORY/test/good/000.png …
//	DIR/CATEGORY/test/DEFECT/000.png …
//	DIR/CATEGORY/ground_truth/DEFECT/000_mask.png …
//
// for the defect types hole, scratch and stain. The categories are textile
// (a woven fabric) and pills (two-tone capsules at random positions and
// orientations on a plain background). On one platform, the same flags give
// byte-identical files.
//
// Usage:
//
//	synth -out DIR [-category textile] [-size 128] [-train 64]
//	      [-test-good 16] [-test-defect 16] [-seed 1]
//
// -test-defect is the number of test images of each defect type. DIR/CATEGORY
// must not exist yet. Exit status: 0 done, 1 failure, 2 usage error (0 for -h).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/noise2norm/noise2norm/internal/synth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run generates the data set that args describe, reporting progress and
// errors on stderr, and returns the exit status.
func run(args []string, stderr io.Writer) int {
	o := synth.DefaultOptions()
	var out string
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: synth -out DIR [flags]")
		fs.PrintDefaults()
	}
	fs.StringVar(&out, "out", "", "output folder (the data set goes into DIR/CATEGORY)")
	fs.StringVar(&o.Category, "category", o.Category, "category: "+strings.Join(synth.Categories(), ", "))
	fs.IntVar(&o.Size, "size", o.Size, "image width and height in pixels (16 or more)")
	fs.IntVar(&o.Train, "train", o.Train, "number of normal training images")
	fs.IntVar(&o.TestGood, "test-good", o.TestGood, "number of normal test images")
	fs.IntVar(&o.TestDefect, "test-defect", o.TestDefect, "number of test images of each defect type ("+strings.Join(synth.DefectTypes(), ", ")+")")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2 // flag has printed it, with the usage text
	}
	usage := func(err error) int {
		fmt.Fprintf(stderr, "synth: %v (synth -h for help)\n", err)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usage(fmt.Errorf("unexpected arguments %q", fs.Args()))
	case out == "":
		return usage(errors.New("-out is required"))
	}
	if err := o.Validate(); err != nil {
		return usage(err)
	}
	if err := synth.Generate(out, o, stderr); err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return 1
	}
	return 0
}
