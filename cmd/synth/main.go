// Command synth writes a deterministic synthetic anomaly-detection data set
// in the MVTec AD layout, which train reads with -data DIR -category NAME:
//
//	DIR/CATEGORY/train/good/000.png …
//	DIR/CATEGORY/test/good/000.png …
//	DIR/CATEGORY/test/DEFECT/000.png …
//	DIR/CATEGORY/ground_truth/DEFECT/000_mask.png …
//
// The categories and their defect types (docs/synth.md shows them):
//
//	bracket      painted angle bracket         bent, flaked_paint, missing, scratch
//	connector    zinc-plated link              hole, missing, scratch, stain
//	metal_plate  brushed-steel plate           dent, hole, scratch, stain
//	pills        two-tone capsules             hole, scratch, stain
//	textile      woven fabric                  hole, scratch, stain
//	tubes        several steel tubes           dent, missing, scratch
//
// -category all writes every category. The same flags give byte-identical
// files on linux/amd64, linux/arm64 and js/wasm (see internal/synth).
//
// Usage:
//
//	synth -out DIR [-category textile|all|A,B] [-size 128] [-train 64]
//	      [-test-good 16] [-test-defect 16] [-seed 1]
//	synth -sheet FILE.png [-size 128] [-seed 1]
//
// -test-defect is the number of test images of each defect type. DIR/CATEGORY
// must not exist yet. -sheet writes a contact sheet instead: two normal
// test images and one of each defect type, its mask outlined, per category.
// Exit status: 0 done, 1 failure, 2 usage error (0 for -h).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/synth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run generates the data set that args describe, reporting progress and
// errors on stderr, and returns the exit status.
func run(args []string, stderr io.Writer) int {
	o := synth.DefaultOptions()
	var out, sheet string
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: synth -out DIR [flags]\n       synth -sheet FILE.png [-size N] [-seed N]")
		fs.PrintDefaults()
	}
	fs.StringVar(&out, "out", "", "output folder (the data set goes into DIR/CATEGORY)")
	fs.StringVar(&sheet, "sheet", "", "write a contact sheet of every category to this PNG file instead of a data set")
	fs.StringVar(&o.Category, "category", o.Category, "category, comma-separated categories, or all: "+strings.Join(synth.Categories(), ", "))
	fs.IntVar(&o.Size, "size", o.Size, "image width and height in pixels (16 or more)")
	fs.IntVar(&o.Train, "train", o.Train, "number of normal training images")
	fs.IntVar(&o.TestGood, "test-good", o.TestGood, "number of normal test images")
	fs.IntVar(&o.TestDefect, "test-defect", o.TestDefect, "number of test images of each defect type of the category")
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
	case out == "" && sheet == "":
		return usage(errors.New("-out or -sheet is required"))
	case out != "" && sheet != "":
		return usage(errors.New("-out and -sheet exclude each other"))
	}
	cats := strings.Split(o.Category, ",")
	if o.Category == "all" {
		cats = synth.Categories()
	}
	var sets []synth.Options
	for _, c := range cats {
		oc := o
		oc.Category = c
		if sheet != "" {
			oc.Category = synth.Categories()[0]
		}
		if err := oc.Validate(); err != nil {
			return usage(err)
		}
		sets = append(sets, oc)
	}
	if sheet != "" {
		if err := imageio.WritePNG(sheet, synth.ContactSheet(o, 2)); err != nil {
			fmt.Fprintf(stderr, "synth: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "synth: wrote %s\n", sheet)
		return 0
	}
	// Refuse before writing anything if any category's folder exists.
	for _, oc := range sets {
		root := filepath.Join(out, oc.Category)
		if _, err := os.Stat(root); err == nil {
			fmt.Fprintf(stderr, "synth: %s already exists: remove it or choose another output folder\n", root)
			return 1
		}
	}
	for _, oc := range sets {
		if err := synth.Generate(out, oc, stderr); err != nil {
			fmt.Fprintf(stderr, "synth: %v\n", err)
			return 1
		}
	}
	return 0
}
