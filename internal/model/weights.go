package model

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/noise2norm/noise2norm/internal/safetensors"
)

// Weights is a validated weights file: its configuration, its metadata
// (configuration plus extras such as calibration statistics), the
// parameters by spec name, in PyTorch layout, and the calibration tensors
// ("calib." names, see Calibration; nil when there are none).
type Weights struct {
	Config Config
	Meta   map[string]string
	Params map[string][]float32
	Calib  map[string]safetensors.Tensor
	// Checkpoint is set when the file was a training checkpoint
	// (last.safetensors): its optimizer state was checked and dropped.
	Checkpoint bool
}

// ReadWeights reads and validates a weights file (see Validate).
func ReadWeights(path string) (*Weights, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w, err := FromSafetensors(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// FromSafetensors checks a decoded safetensors file against the spec: format,
// version and configuration in the metadata, exactly the parameter names and
// shapes that configuration implies, calibration tensors ("calib." names;
// calib.map_mean and calib.map_std of shape (1,S,S)) and a consistent
// calibration (CalibrationOf). A training checkpoint (metadata "state.*",
// tensors "adam.m.<param>" and "adam.v.<param>" of each parameter's shape)
// is accepted as its weights, the optimizer state dropped. Errors name what
// does not match.
func FromSafetensors(f *safetensors.File) (*Weights, error) {
	cfg, err := ConfigFromMetadata(f.Metadata)
	if err != nil {
		return nil, err
	}
	w := &Weights{Config: cfg, Meta: f.Metadata, Params: map[string][]float32{}}
	shapes := map[string][]int{}
	for _, p := range ParamSpecs(cfg) {
		shapes[p.Name] = p.Shape
	}
	_, w.Checkpoint = f.Metadata["state.step"]
	var missing, misshapen []string
	for _, p := range ParamSpecs(cfg) {
		t, ok := f.Tensors[p.Name]
		switch {
		case !ok:
			missing = append(missing, p.Name)
		case !slices.Equal(t.Shape, p.Shape):
			misshapen = append(misshapen, fmt.Sprintf("%s has shape %v, want %v", p.Name, t.Shape, p.Shape))
		default:
			w.Params[p.Name] = t.Data
		}
	}
	var extra []string
	optimizer := 0
	for name, t := range f.Tensors {
		if _, ok := shapes[name]; ok {
			continue
		}
		if strings.HasPrefix(name, "calib.") {
			if (name == TensorMapMean || name == TensorMapStd) && !slices.Equal(t.Shape, []int{1, cfg.Size, cfg.Size}) {
				misshapen = append(misshapen, fmt.Sprintf("%s has shape %v, want [1 %d %d]", name, t.Shape, cfg.Size, cfg.Size))
				continue
			}
			if w.Calib == nil {
				w.Calib = map[string]safetensors.Tensor{}
			}
			w.Calib[name] = t
			continue
		}
		if param, ok := optimizerParam(name); ok {
			optimizer++
			if shape, known := shapes[param]; w.Checkpoint && known && slices.Equal(shape, t.Shape) {
				continue
			}
		}
		extra = append(extra, name)
	}
	sort.Strings(extra)
	var probs []string
	if len(missing) > 0 {
		probs = append(probs, "missing tensors "+strings.Join(missing, ", "))
	}
	probs = append(probs, misshapen...)
	if len(extra) > 0 {
		if len(extra) > 8 {
			extra = append(extra[:8:8], fmt.Sprintf("and %d more", len(extra)-8))
		}
		probs = append(probs, "unexpected tensors "+strings.Join(extra, ", "))
		if optimizer > 0 && !w.Checkpoint {
			probs = append(probs, fmt.Sprintf("%d optimizer tensors (adam.*) without the state.* metadata of a training checkpoint", optimizer))
		}
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("weights do not match an n2n-m network with %s: %s", cfg, strings.Join(probs, "; "))
	}
	if _, err := CalibrationOf(w); err != nil {
		return nil, err
	}
	return w, nil
}

// optimizerParam returns the parameter name of a checkpoint's AdamW moment
// tensor "adam.m.<param>" or "adam.v.<param>".
func optimizerParam(name string) (string, bool) {
	if p, ok := strings.CutPrefix(name, "adam.m."); ok {
		return p, true
	}
	return strings.CutPrefix(name, "adam.v.")
}

// String describes the configuration, e.g. "wf=32 depth=4 size=256 attention=true".
func (c Config) String() string {
	return fmt.Sprintf("wf=%d depth=%d size=%d attention=%t", c.WF, c.Depth, c.Size, c.Attention)
}

// WriteFile writes w atomically as a spec weights file (File) to path.
func (w *Weights) WriteFile(path string) error {
	f, err := w.File()
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return safetensors.WriteFile(path, f)
}

// File is w as a spec weights file: its metadata without a training
// checkpoint's run state (IsRunState), its configuration's metadata, the
// parameters and the calibration tensors.
func (w *Weights) File() (*safetensors.File, error) {
	meta := map[string]string{}
	for k, v := range w.Meta {
		if !IsRunState(k) {
			meta[k] = v
		}
	}
	for k, v := range w.Config.Metadata() {
		meta[k] = v
	}
	f := &safetensors.File{Metadata: meta, Tensors: map[string]safetensors.Tensor{}}
	for _, p := range ParamSpecs(w.Config) {
		data, ok := w.Params[p.Name]
		if !ok || len(data) != numel(p.Shape) {
			return nil, fmt.Errorf("parameter %s missing or of wrong size", p.Name)
		}
		f.Tensors[p.Name] = safetensors.Tensor{Shape: p.Shape, Data: data}
	}
	for name, t := range w.Calib {
		f.Tensors[name] = t
	}
	return f, nil
}

// IsRunState reports whether metadata key belongs to a training
// checkpoint's run state (state.*, flag.*, data.fingerprint), which a plain
// weights file leaves out.
func IsRunState(key string) bool {
	return strings.HasPrefix(key, "state.") || strings.HasPrefix(key, "flag.") || key == "data.fingerprint"
}
