package model

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/noise2norm/noise2norm/internal/safetensors"
)

// Weights is a validated weights file: its configuration, its metadata
// (configuration plus extras such as calibration statistics) and the
// parameters by spec name, in PyTorch layout.
type Weights struct {
	Config Config
	Meta   map[string]string
	Params map[string][]float32
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
// version and configuration in the metadata, and exactly the parameter names
// and shapes that configuration implies. Errors name what does not match.
func FromSafetensors(f *safetensors.File) (*Weights, error) {
	cfg, err := ConfigFromMetadata(f.Metadata)
	if err != nil {
		return nil, err
	}
	w := &Weights{Config: cfg, Meta: f.Metadata, Params: map[string][]float32{}}
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
	for name := range f.Tensors {
		if _, ok := w.Params[name]; !ok && !slices.Contains(missing, name) && !hasPrefixAny(misshapen, name+" ") {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	var probs []string
	if len(missing) > 0 {
		probs = append(probs, "missing tensors "+strings.Join(missing, ", "))
	}
	probs = append(probs, misshapen...)
	if len(extra) > 0 {
		probs = append(probs, "unexpected tensors "+strings.Join(extra, ", "))
	}
	if len(probs) > 0 {
		return nil, fmt.Errorf("weights do not match an n2n-m network with %s: %s", cfg, strings.Join(probs, "; "))
	}
	return w, nil
}

func hasPrefixAny(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// String describes the configuration, e.g. "wf=32 depth=4 size=256 attention=true".
func (c Config) String() string {
	return fmt.Sprintf("wf=%d depth=%d size=%d attention=%t", c.WF, c.Depth, c.Size, c.Attention)
}

// WriteFile writes w atomically as a spec weights file; the configuration
// keys of the metadata are taken from w.Config.
func (w *Weights) WriteFile(path string) error {
	meta := map[string]string{}
	for k, v := range w.Meta {
		meta[k] = v
	}
	for k, v := range w.Config.Metadata() {
		meta[k] = v
	}
	f := &safetensors.File{Metadata: meta, Tensors: map[string]safetensors.Tensor{}}
	for _, p := range ParamSpecs(w.Config) {
		data, ok := w.Params[p.Name]
		if !ok || len(data) != numel(p.Shape) {
			return fmt.Errorf("write %s: parameter %s missing or of wrong size", path, p.Name)
		}
		f.Tensors[p.Name] = safetensors.Tensor{Shape: p.Shape, Data: data}
	}
	return safetensors.WriteFile(path, f)
}
