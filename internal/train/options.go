package train

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"slices"

	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/model"
)

// Options are a training run's settings: the command's flags.
type Options struct {
	Data, Category, Out string
	WF, Size, Depth     int
	NoAttention         bool
	Lambda, Alpha       float64
	Epochs, Batch       int
	LR, EtaMin          float64
	TMax, Patience      int
	Val                 float64
	Seed                uint64
	MaxPixels           int
	Backend             string // auto, cpu or gpu (native.Select)
	Resume              bool

	// LambdaAuto chooses λ among LambdaCandidates by short runs of
	// LambdaSearchEpochs epochs each (see RunAuto); Lambda is then unused.
	LambdaAuto         bool
	LambdaCandidates   []float64
	LambdaSearchEpochs int
}

// DefaultOptions are the spec's training defaults (paper §4.2) for the
// spec's default network, writing to train_out.
func DefaultOptions() Options {
	c := model.DefaultConfig()
	return Options{
		Out: "train_out", WF: c.WF, Size: c.Size, Depth: c.Depth,
		Lambda: 0.3, Alpha: 0.84, // the spec's, as model.DefaultConfig's float32s
		Epochs: 500, Batch: 4, LR: 1e-4, EtaMin: 1e-6, TMax: 100, Patience: 20, Val: 0.2,
		Seed: 1, MaxPixels: imageio.DefaultMaxPixels, Backend: "auto",
		LambdaCandidates: []float64{0, 0.1, 0.2, 0.3, 0.4}, LambdaSearchEpochs: 10,
	}
}

// modelFlags change the network's shape: a resumed run cannot change them.
var modelFlags = []string{"wf", "size", "depth", "no-attention"}

// unsavedFlags are not recorded in a checkpoint: where it is, and whether
// to resume it.
var unsavedFlags = []string{"out", "resume"}

// quietFlags may differ on -resume without a note: they do not change what
// an unbroken run would compute (the epoch limit, a path spelled otherwise,
// the pixel limit).
var quietFlags = []string{"epochs", "data", "max-pixels"}

// Register defines the command's training flags on fs, with o's values as
// defaults and o as their destination.
func (o *Options) Register(fs *flag.FlagSet) {
	fs.StringVar(&o.Data, "data", o.Data, "data folder: MVTec AD/MPDD root (with -category), VisA root (with split_csv/1cls.csv and -category), a category folder or a folder of images; required unless -resume")
	fs.StringVar(&o.Category, "category", o.Category, "category (MVTec AD, MPDD) or object (VisA) to train on")
	fs.StringVar(&o.Out, "out", o.Out, "output folder: best.safetensors, last.safetensors, train_log.jsonl, loss.png")
	fs.IntVar(&o.WF, "wf", o.WF, "base width WF")
	fs.IntVar(&o.Size, "size", o.Size, "image side S (a multiple of 2^(depth-1))")
	fs.IntVar(&o.Depth, "depth", o.Depth, "number of levels")
	fs.BoolVar(&o.NoAttention, "no-attention", o.NoAttention, "no residual attention (1×1 projections only)")
	fs.Var(&lambdaFlag{o}, "lambda", "noise weight λ, or auto: choose it among -lambda-candidates by short runs scored on held-out images with pasted defects")
	fs.Var((*floatList)(&o.LambdaCandidates), "lambda-candidates", "the λ values -lambda auto tries, comma-separated")
	fs.IntVar(&o.LambdaSearchEpochs, "lambda-search-epochs", o.LambdaSearchEpochs, "epochs of each -lambda auto trial run (at most -epochs)")
	fs.Float64Var(&o.Alpha, "alpha", o.Alpha, "MS-SSIM weight α of the loss")
	fs.IntVar(&o.Epochs, "epochs", o.Epochs, "at most this many epochs")
	fs.IntVar(&o.Batch, "batch", o.Batch, "images per step")
	fs.Float64Var(&o.LR, "lr", o.LR, "base learning rate (AdamW)")
	fs.Float64Var(&o.EtaMin, "eta-min", o.EtaMin, "cosine annealing's minimum learning rate")
	fs.IntVar(&o.TMax, "tmax", o.TMax, "cosine annealing's half period T_max, in epochs")
	fs.IntVar(&o.Patience, "patience", o.Patience, "stop after this many epochs without a better validation loss")
	fs.Float64Var(&o.Val, "val", o.Val, "fraction of the images held out for validation and calibration; 0: train on all (best.safetensors by training loss, uncalibrated)")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the initial weights, the split, the shuffles and the noise")
	fs.IntVar(&o.MaxPixels, "max-pixels", o.MaxPixels, "skip images with more pixels than this")
	fs.StringVar(&o.Backend, "backend", o.Backend, "cpu, gpu (the best WebGPU adapter) or auto (a GPU adapter if there is one, else cpu); a resumed run keeps its checkpoint's, since results differ by backend in the last digits")
	fs.BoolVar(&o.Resume, "resume", o.Resume, "continue the run saved in OUT/last.safetensors; flags not given take the checkpoint's values")
}

// Config is the network configuration the options describe.
func (o *Options) Config() model.Config {
	return model.Config{WF: o.WF, Depth: o.Depth, Size: o.Size, Lambda: float32(o.Lambda), Alpha: float32(o.Alpha), Attention: !o.NoAttention}
}

// Validate reports the first setting that cannot be trained with.
func (o *Options) Validate() error {
	switch {
	case o.Data == "":
		return errors.New("-data is required")
	case o.Out == "":
		return errors.New("-out is required")
	}
	return o.validateTraining()
}

// validateTraining is Validate without the files (-data, -out): what a
// Session needs.
func (o *Options) validateTraining() error {
	switch {
	case o.Batch < 1:
		return fmt.Errorf("-batch %d: want at least 1", o.Batch)
	case o.Epochs < 1:
		return fmt.Errorf("-epochs %d: want at least 1", o.Epochs)
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return fmt.Errorf("-lr %g: want a positive number", o.LR)
	case !(o.EtaMin >= 0) || o.EtaMin > o.LR:
		return fmt.Errorf("-eta-min %g: want 0 ≤ eta-min ≤ lr (%g)", o.EtaMin, o.LR)
	case o.TMax < 1:
		return fmt.Errorf("-tmax %d: want at least 1", o.TMax)
	case o.Patience < 1:
		return fmt.Errorf("-patience %d: want at least 1", o.Patience)
	case !(o.Val >= 0 && o.Val < 1):
		return fmt.Errorf("-val %g: want a fraction from 0 (train on all images, no calibration) to below 1", o.Val)
	case o.Backend != "auto" && o.Backend != "cpu" && o.Backend != "gpu":
		return fmt.Errorf("-backend %q: want auto, cpu or gpu", o.Backend)
	case o.MaxPixels < 1:
		return fmt.Errorf("-max-pixels %d: want a positive count", o.MaxPixels)
	}
	if o.LambdaAuto {
		if err := o.validateLambdaSearch(); err != nil {
			return err
		}
	}
	if err := o.Config().Validate(); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return nil
}

// flagValues are o's flags as strings, by flag name, without unsavedFlags:
// what a checkpoint records.
func (o *Options) flagValues() map[string]string {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	o.Register(fs)
	vals := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if !slices.Contains(unsavedFlags, f.Name) {
			vals[f.Name] = f.Value.String()
		}
	})
	return vals
}

// ApplyCheckpointFlags makes fs (on which Options.Register defined the
// flags) continue a checkpoint whose flags were saved: every flag that the
// command line did not set takes the saved value. A model flag set to
// another value is an error naming it; another training flag set to another
// value is kept and noted through notef, since the run then no longer
// repeats an unbroken one.
func ApplyCheckpointFlags(fs *flag.FlagSet, saved map[string]string, notef func(format string, args ...any)) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	// Saved values in the flags' own spelling, for comparison.
	var canon Options
	cfs := flag.NewFlagSet("", flag.ContinueOnError)
	canon.Register(cfs)
	var mismatch []string
	for _, name := range sortedKeys(saved) {
		f, cf := fs.Lookup(name), cfs.Lookup(name)
		if f == nil || cf == nil || slices.Contains(unsavedFlags, name) {
			return fmt.Errorf("checkpoint records an unknown flag -%s", name)
		}
		if err := cf.Value.Set(saved[name]); err != nil {
			return fmt.Errorf("checkpoint's -%s %q: %w", name, saved[name], err)
		}
		want := cf.Value.String()
		switch {
		case !given[name]:
			if err := f.Value.Set(want); err != nil {
				return err
			}
		case f.Value.String() == want || slices.Contains(quietFlags, name):
		case slices.Contains(modelFlags, name):
			mismatch = append(mismatch, fmt.Sprintf("-%s %s (the checkpoint has %s)", name, f.Value.String(), want))
		default:
			notef("-%s %s instead of the checkpoint's %s: the run will differ from an unbroken one", name, f.Value.String(), want)
		}
	}
	if len(mismatch) > 0 {
		return fmt.Errorf("-resume cannot change the model: %s", joinAnd(mismatch))
	}
	return nil
}

// joinAnd joins items as "a", "a and b" or "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	out := items[0]
	for _, s := range items[1 : len(items)-1] {
		out += ", " + s
	}
	return out + " and " + items[len(items)-1]
}
