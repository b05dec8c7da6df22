// Package synth generates small synthetic anomaly-detection data sets in the
// MVTec AD layout, so that training and evaluation can run without the real
// data sets. docs/synth.md shows every category.
//
// Categories (defect types in brackets):
//
//   - bracket: one painted (red-brown) sheet-metal angle bracket with two
//     mounting holes and a bent-up flange, at a random position and
//     orientation on a light table [bent, flaked_paint, missing, scratch].
//   - connector: one zinc-plated link with round ends, two holes and a
//     raised boss, on dark cloth [hole, missing, scratch, stain].
//   - metal_plate: one brushed-steel plate with rounded corners and four
//     holes, a specular band across its grain, on a grey-green mat [dent,
//     hole, scratch, stain].
//   - tubes: three to six steel tubes (several instances per image, like
//     MPDD's tubes), cylinder-shaded with a specular line, on a dark mat
//     [dent, missing, scratch].
//   - pills: three to five two-tone capsules on a slate background [hole,
//     scratch, stain].
//   - textile: a plain-weave blue fabric filling the image [hole, scratch,
//     stain].
//
// The four metal categories are modelled on MPDD (Metal Parts Defect
// Detection): parts at random positions and orientations under non-uniform
// light (a gradient and a vignette), casting soft shadows on a mottled
// background. The defects: scratch (a thin curved stroke, dark on a bright
// surface, bright on a dark one), hole (the background shows through),
// stain (a translucent dye with a darker core), flaked_paint (bare steel
// shows through the paint), dent (a bowl, shaded away from the light),
// missing (a ragged bite out of the part's outline, showing the
// background), bent (a band along the outline folded up: re-shaded, its
// outer quarter foreshortened away).
//
// Determinism: every image is a function of the options and its place in
// the data set only, and the same options give byte-identical files on
// linux/amd64, linux/arm64 and js/wasm (TestGoldenHashes checks
// committed SHA-256 hashes; docs/synth.md says how it is run on each). The
// arithmetic is written so that the compiler cannot fuse multiply-adds
// (TestNoFusedMultiplyAdd checks the arm64 code) and calls no math routine
// that differs between architectures (see detmath.go); shapes go through
// golang.org/x/image/vector's integer path only. Other architectures are
// not claimed: 386 most likely agrees (no fused instructions) but its test
// binary does not run under qemu-i386 here, and ppc64, riscv64 and s390x
// are not checked.
//
// Each image draws from three PCG streams seeded with the seed and a hash of
// its category, split folder and index: one for the normal scene, one for
// the defect and one for the pixel noise. A defective image is therefore its
// normal counterpart (the same scene and noise) with the defect drawn in;
// its mask is the pixels the defect takes up at least half of, and the
// image differs from its normal counterpart only there and on the
// anti-aliased rim around it (TestDefectsChangeOnlyTheirMasks).
package synth

import (
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/noise2norm/noise2norm/internal/imageio"
)

// category is how to draw one category: its normal scenes and its defect
// types (sorted; each is a test folder).
type category struct {
	scene   func(size int, rng *rand.Rand) *scene
	defects []string
}

// categories maps each category name to how to draw it.
var categories = map[string]category{
	"bracket":     {bracket, []string{"bent", "flaked_paint", "missing", "scratch"}},
	"connector":   {connector, []string{"hole", "missing", "scratch", "stain"}},
	"metal_plate": {metalPlate, []string{"dent", "hole", "scratch", "stain"}},
	"pills":       {pills, []string{"hole", "scratch", "stain"}},
	"textile":     {textile, []string{"hole", "scratch", "stain"}},
	"tubes":       {tubes, []string{"dent", "missing", "scratch"}},
}

// Categories returns the category names, sorted.
func Categories() []string {
	names := make([]string, 0, len(categories))
	for name := range categories {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// DefectTypes returns the names of the defect types of category (and their
// test and ground-truth folders), sorted; nil for an unknown category.
func DefectTypes(category string) []string {
	return slices.Clone(categories[category].defects)
}

// Options say what Generate writes.
type Options struct {
	Category string // one of Categories()
	Size     int    // image width and height in pixels, 16 to MaxSize
	// Train, TestGood and TestDefect are the numbers of normal training
	// images, normal test images and test images of each defect type.
	Train, TestGood, TestDefect int
	Seed                        uint64
}

// MaxSize is the largest image size Generate accepts.
const MaxSize = 4096

// DefaultOptions are the options of a small data set: 64 training images
// and 16 normal and 16 of each defect type for testing, 128×128 textile.
func DefaultOptions() Options {
	return Options{Category: "textile", Size: 128, Train: 64, TestGood: 16, TestDefect: 16, Seed: 1}
}

// Validate reports the first problem with o, naming the flag it comes from.
func (o Options) Validate() error {
	if _, ok := categories[o.Category]; !ok {
		return fmt.Errorf("unknown category %q: known categories are %s", o.Category, strings.Join(Categories(), ", "))
	}
	if o.Size < 16 || o.Size > MaxSize {
		return fmt.Errorf("size %d: must be from 16 to %d", o.Size, MaxSize)
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"train", o.Train}, {"test-good", o.TestGood}, {"test-defect", o.TestDefect}} {
		if c.n < 0 {
			return fmt.Errorf("%s %d: a count cannot be negative", c.name, c.n)
		}
	}
	return nil
}

// Random streams: the second PCG word of each image's streams is its hash
// XOR one of these.
const (
	defectStream = 0x646566656374 // "defect"
	noiseStream  = 0x6e6f697365   // "noise"
)

// maxDefectTries is how often Render draws a defect that leaves an empty
// mask.
const maxDefectTries = 50

// noiseSigma is the standard deviation of the pixel noise, on [0,1].
const noiseSigma = 0.015

// Render draws image index of the split folder split (such as "train/good"
// or "test/scratch") with a defect of type defect (one of
// DefectTypes(o.Category)), or none when defect is "". It returns the image
// and, for a defect, its ground-truth mask: 255 where the defect takes up
// at least half of the pixel, else 0. o must be valid.
func Render(o Options, split string, index int, defect string) (*image.RGBA, *image.Gray) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s/%d", o.Category, split, index)
	key := h.Sum64()
	sc := categories[o.Category].scene(o.Size, rand.New(rand.NewPCG(o.Seed, key)))
	var mask *image.Gray
	if defect != "" {
		rng := rand.New(rand.NewPCG(o.Seed, key^defectStream))
		// A defect that covers no pixel by half (which happens only on
		// images of a few dozen pixels) is drawn again, further along the
		// same stream, up to maxDefectTries times.
		normal := slices.Clone(sc.c.pix)
		for try := 1; ; try++ {
			w := sc.defect(defect, rng)
			mask = image.NewGray(image.Rect(0, 0, o.Size, o.Size))
			empty := true
			for i, v := range w {
				if v >= 0.5 {
					mask.Pix[i] = 255
					empty = false
				}
			}
			if !empty || try == maxDefectTries {
				break
			}
			copy(sc.c.pix, normal)
		}
	}
	sc.c.addNoise(noiseSigma, rand.New(rand.NewPCG(o.Seed, key^noiseStream)))
	return sc.c.image(), mask
}

// Generate writes the data set o describes under dir, in the MVTec AD
// layout:
//
//	dir/CATEGORY/train/good/000.png …
//	dir/CATEGORY/test/good/000.png …
//	dir/CATEGORY/test/DEFECT/000.png …
//	dir/CATEGORY/ground_truth/DEFECT/000_mask.png …
//
// for each of DefectTypes(o.Category), masks 0/255 greyscale; file numbers have at
// least three digits, all of a folder the same number. A split of no images
// gets no folder. dir/CATEGORY must not exist yet, so that no file of an
// earlier run is mixed in. Each file is written atomically; a line on
// progress reports each finished folder.
func Generate(dir string, o Options, progress io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	root := filepath.Join(dir, o.Category)
	if _, err := os.Stat(root); err == nil {
		return fmt.Errorf("%s already exists: remove it or choose another output folder", root)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	type split struct {
		folder, defect string
		n              int
	}
	splits := []split{{"train/good", "", o.Train}, {"test/good", "", o.TestGood}}
	for _, d := range categories[o.Category].defects {
		splits = append(splits, split{"test/" + d, d, o.TestDefect})
	}
	for _, sp := range splits {
		if sp.n == 0 {
			continue
		}
		folder := filepath.Join(root, filepath.FromSlash(sp.folder))
		gt := filepath.Join(root, "ground_truth", sp.defect)
		if err := os.MkdirAll(folder, 0o755); err != nil {
			return err
		}
		if sp.defect != "" {
			if err := os.MkdirAll(gt, 0o755); err != nil {
				return err
			}
		}
		for i := range sp.n {
			img, mask := Render(o, sp.folder, i, sp.defect)
			name := fileNumber(i, sp.n)
			if err := imageio.WritePNG(filepath.Join(folder, name+".png"), img); err != nil {
				return err
			}
			if mask != nil {
				if err := imageio.WritePNG(filepath.Join(gt, name+"_mask.png"), mask); err != nil {
					return err
				}
			}
		}
		fmt.Fprintf(progress, "synth: %s/%s: %d %s\n", o.Category, sp.folder, sp.n, plural(sp.n, "image"))
	}
	return nil
}

// fileNumber is the name of file i of n in a folder: i in decimal with
// leading zeros to at least three digits and to as many as n − 1 has, so
// that the names sort in order.
func fileNumber(i, n int) string {
	return fmt.Sprintf("%0*d", max(3, len(fmt.Sprint(n-1))), i)
}

// plural is noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
