package train

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
)

// Checkpoint file names in the output folder.
const (
	BestFile = "best.safetensors" // a plain spec weights file
	LastFile = "last.safetensors" // weights, optimiser state, run state
)

// state is where a run stands: everything besides the weights and the
// optimiser's moments that a resumed run needs to continue exactly as an
// unbroken one. The random numbers need no state of their own: an epoch's
// shuffle depends only on (seed, epoch) and a step's noise only on
// (seed, step), so Epoch, Batch and Step are also the generators' positions.
type state struct {
	Epoch     int     // epochs completed
	Batch     int     // steps done in epoch Epoch (0-based) when it was interrupted
	Step      int     // steps done in all, the optimiser's step count
	BestVal   float64 // lowest validation loss (+Inf before the first)
	BestEpoch int     // its 1-based epoch, 0 before the first
	SinceBest int     // epochs since BestEpoch

	// The interrupted epoch's running training loss: Σ loss·images, images,
	// and the seconds it has run.
	LossSum float64
	Images  int
	Seconds float64

	TrainLoss, ValLoss []float64 // per completed epoch, for the plot
}

// newState is the state before the first step.
func newState() state { return state{BestVal: math.Inf(1)} }

// metadata writes s as checkpoint metadata ("state.*" keys); floats are
// written so that they read back bit-identical.
func (s *state) metadata() map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	list := func(vs []float64) string {
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = f(v)
		}
		return strings.Join(parts, ",")
	}
	return map[string]string{
		"state.epoch":             strconv.Itoa(s.Epoch),
		"state.batch":             strconv.Itoa(s.Batch),
		"state.step":              strconv.Itoa(s.Step),
		"state.best_val":          f(s.BestVal),
		"state.best_epoch":        strconv.Itoa(s.BestEpoch),
		"state.epochs_since_best": strconv.Itoa(s.SinceBest),
		"state.epoch_loss_sum":    f(s.LossSum),
		"state.epoch_images":      strconv.Itoa(s.Images),
		"state.epoch_seconds":     f(s.Seconds),
		"state.train_loss":        list(s.TrainLoss),
		"state.val_loss":          list(s.ValLoss),
	}
}

// stateFromMetadata parses what metadata wrote, naming a missing or
// malformed key.
func stateFromMetadata(meta map[string]string) (state, error) {
	var s state
	var err error
	get := func(key string) string {
		v, ok := meta[key]
		if !ok && err == nil {
			err = fmt.Errorf("no metadata %q", key)
		}
		return v
	}
	i := func(key string) int {
		v, e := strconv.Atoi(get(key))
		if e != nil && err == nil {
			err = fmt.Errorf("metadata %q = %q: not an integer", key, meta[key])
		}
		return v
	}
	f := func(key, text string) float64 {
		v, e := strconv.ParseFloat(text, 64)
		if e != nil && err == nil {
			err = fmt.Errorf("metadata %q: %q is not a number", key, text)
		}
		return v
	}
	list := func(key string) []float64 {
		text := get(key)
		if text == "" {
			return nil
		}
		var vs []float64
		for _, part := range strings.Split(text, ",") {
			vs = append(vs, f(key, part))
		}
		return vs
	}
	s.Epoch = i("state.epoch")
	s.Batch = i("state.batch")
	s.Step = i("state.step")
	s.BestVal = f("state.best_val", get("state.best_val"))
	s.BestEpoch = i("state.best_epoch")
	s.SinceBest = i("state.epochs_since_best")
	s.LossSum = f("state.epoch_loss_sum", get("state.epoch_loss_sum"))
	s.Images = i("state.epoch_images")
	s.Seconds = f("state.epoch_seconds", get("state.epoch_seconds"))
	s.TrainLoss = list("state.train_loss")
	s.ValLoss = list("state.val_loss")
	if err == nil && (len(s.TrainLoss) != s.Epoch || len(s.ValLoss) != s.Epoch) {
		err = fmt.Errorf("metadata has %d training and %d validation losses for %d epochs", len(s.TrainLoss), len(s.ValLoss), s.Epoch)
	}
	return s, err
}

// checkpoint is the content of last.safetensors.
type checkpoint struct {
	Weights     *model.Weights       // the network, Meta holding every key
	Flags       map[string]string    // the run's flags ("flag.*" keys)
	State       state                // "state.*" keys
	Adam        map[string][]float32 // "adam.m.<param>", "adam.v.<param>"
	Fingerprint string               // "data.fingerprint", see Dataset.Fingerprint
}

// writeLast writes last.safetensors atomically: the configuration
// metadata, "flag.<name>" for each flag, the run state, "data.fingerprint",
// the parameters and the AdamW moments under their own names.
func writeLast(path string, c *checkpoint) error {
	return safetensors.WriteFile(path, lastFile(c))
}

// lastFile is c as writeLast writes it.
func lastFile(c *checkpoint) *safetensors.File {
	meta := c.Weights.Config.Metadata()
	for k, v := range c.Flags {
		meta["flag."+k] = v
	}
	maps.Copy(meta, c.State.metadata())
	meta["data.fingerprint"] = c.Fingerprint
	f := &safetensors.File{Metadata: meta, Tensors: map[string]safetensors.Tensor{}}
	for _, p := range model.ParamSpecs(c.Weights.Config) {
		f.Tensors[p.Name] = safetensors.Tensor{Shape: p.Shape, Data: c.Weights.Params[p.Name]}
		for _, prefix := range []string{"adam.m.", "adam.v."} {
			f.Tensors[prefix+p.Name] = safetensors.Tensor{Shape: p.Shape, Data: c.Adam[prefix+p.Name]}
		}
	}
	return f
}

// readLast reads a checkpoint that writeLast wrote; errors name the file
// and what is missing or malformed.
func readLast(path string) (*checkpoint, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := fromSafetensors(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// fromSafetensors splits a decoded checkpoint into its parts.
func fromSafetensors(f *safetensors.File) (*checkpoint, error) {
	params := &safetensors.File{Metadata: f.Metadata, Tensors: map[string]safetensors.Tensor{}}
	c := &checkpoint{Flags: map[string]string{}, Adam: map[string][]float32{}}
	for name, t := range f.Tensors {
		if strings.HasPrefix(name, "adam.") {
			c.Adam[name] = t.Data
		} else {
			params.Tensors[name] = t
		}
	}
	w, err := model.FromSafetensors(params)
	if err != nil {
		return nil, err
	}
	c.Weights = w
	for k, v := range f.Metadata {
		if name, ok := strings.CutPrefix(k, "flag."); ok {
			c.Flags[name] = v
		}
	}
	if c.State, err = stateFromMetadata(f.Metadata); err != nil {
		return nil, err
	}
	if c.Fingerprint = f.Metadata["data.fingerprint"]; c.Fingerprint == "" {
		return nil, fmt.Errorf("no metadata %q", "data.fingerprint")
	}
	return c, nil
}

// ReadCheckpointFlags returns the flags that the run saved in the
// checkpoint at path, by flag name (for ApplyCheckpointFlags).
func ReadCheckpointFlags(path string) (map[string]string, error) {
	c, err := readLast(path)
	if err != nil {
		return nil, err
	}
	return c.Flags, nil
}

// writeBest writes best.safetensors atomically: a spec weights file of
// params with the configuration, best_epoch and val_loss metadata, and
// the λ search that chose λ (MetaLambdaAuto, JSON) when choice is not nil.
func writeBest(path string, cfg model.Config, params map[string][]float32, epoch int, val float64, choice *LambdaChoice) error {
	w := &model.Weights{Config: cfg, Params: params, Meta: map[string]string{
		"best_epoch": strconv.Itoa(epoch),
		"val_loss":   strconv.FormatFloat(val, 'g', -1, 64),
	}}
	if choice != nil {
		b, err := json.Marshal(choice)
		if err != nil {
			return err
		}
		w.Meta[MetaLambdaAuto] = string(b)
	}
	return w.WriteFile(path)
}

// sortedKeys is m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
