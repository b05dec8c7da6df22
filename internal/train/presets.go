package train

import (
	"fmt"
	"strings"
)

// Preset is a named network size and training setting for training in the
// browser demo (and natively with the same numbers): few images, a few
// hundred steps.
type Preset struct {
	Name            string
	WF, Size, Depth int
	Batch           int
	LR              float64 // AdamW's base learning rate
	Steps           int     // suggested number of optimiser steps
}

// The fewest and most images a browser training run takes: with fewer than
// MinTrainImages, too few remain to hold any out for the calibration; more
// than MaxTrainImages cost more memory than a phone can spare.
const (
	MinTrainImages = 4
	MaxTrainImages = 200
)

// Presets are the browser demo's training presets: small fits a phone
// (wf 8, S 64), large a laptop GPU (wf 16, S 128); both depth 4 with
// attention, batch 4. Their learning rate makes the loss fall clearly
// within a few dozen steps on cmd/synth's normal images (TestPresetsLearn).
var Presets = []Preset{
	{Name: "small", WF: 8, Size: 64, Depth: 4, Batch: 4, LR: 3e-3, Steps: 200},
	{Name: "large", WF: 16, Size: 128, Depth: 4, Batch: 4, LR: 2e-3, Steps: 200},
}

// TestPreset is a network far smaller than the presets' (wf 4, S 16,
// depth 2, batch 2), for tests of the training machinery on slow software
// GPUs; PresetNamed knows it as "test-tiny", the page does not offer it.
var TestPreset = Preset{Name: "test-tiny", WF: 4, Size: 16, Depth: 2, Batch: 2, LR: 3e-3, Steps: 20}

// PresetNamed returns the preset called name (one of Presets, or
// TestPreset).
func PresetNamed(name string) (Preset, error) {
	if name == TestPreset.Name {
		return TestPreset, nil
	}
	var names []string
	for _, p := range Presets {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Preset{}, fmt.Errorf("unknown preset %q: want %s", name, strings.Join(names, " or "))
}

// Options are the training options of the preset: DefaultOptions (the
// spec's λ, α, schedule and patience, which a native run resumed from the
// page's export keeps) with the preset's network, batch and learning rate,
// the seed and the held-out fraction val. Data and Out are empty: a Session
// does not use them.
func (p Preset) Options(seed uint64, val float64) Options {
	o := DefaultOptions()
	o.Data, o.Out = "", ""
	o.WF, o.Size, o.Depth, o.Batch, o.LR = p.WF, p.Size, p.Depth, p.Batch, p.LR
	o.Seed, o.Val = seed, val
	return o
}
