package model

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// AdamWConfig holds AdamW's hyper-parameters. LR is the base learning rate
// (a schedule such as CosineLR starts from it; Step takes each step's rate).
type AdamWConfig struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
}

// DefaultAdamW is the spec's training optimiser: learning rate 1e-4, betas
// (0.5, 0.999), weight decay 0.01, and PyTorch's default eps 1e-8.
func DefaultAdamW() AdamWConfig {
	return AdamWConfig{LR: 1e-4, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
}

// AdamW is PyTorch's torch.optim.AdamW over every parameter of a model:
// per parameter the first and second moment estimates m and v (the
// parameter's shape, on the model's backend), updated with it in place by
// backend.Trainer.AdamW.
type AdamW struct {
	Cfg       AdamWConfig
	StepCount int // steps taken; the next step is StepCount+1

	be     backend.Trainer
	params Params
	m, v   Params
}

// NewAdamW returns an optimiser for m's parameters with zero moments. m's
// backend must be a backend.Trainer (a programming error otherwise: it
// panics).
func NewAdamW(m *Model, cfg AdamWConfig) *AdamW {
	be, ok := m.be.(backend.Trainer)
	if !ok {
		panic(fmt.Sprintf("model: backend %s cannot train (not a backend.Trainer)", m.be.Name()))
	}
	o := &AdamW{Cfg: cfg, be: be, params: m.Params(), m: Params{}, v: Params{}}
	for name, t := range o.params {
		zeros := make([]float32, t.Shape().Len())
		o.m[name] = be.Upload(t.Shape(), zeros)
		o.v[name] = be.Upload(t.Shape(), zeros)
	}
	return o
}

// Step updates every parameter from its gradient in grads (which must hold
// one for each parameter, as LossAndGrads returns) with learning rate lr,
// then frees grads.
func (o *AdamW) Step(grads Params, lr float64) {
	o.StepCount++
	h := backend.AdamWParams{
		LR: lr, Beta1: o.Cfg.Beta1, Beta2: o.Cfg.Beta2, Eps: o.Cfg.Eps, WeightDecay: o.Cfg.WeightDecay,
		Step: o.StepCount,
	}
	if all, ok := o.be.(adamWAll); ok {
		n := len(o.params)
		ps, gs, ms, vs := make([]backend.Tensor, 0, n), make([]backend.Tensor, 0, n), make([]backend.Tensor, 0, n), make([]backend.Tensor, 0, n)
		for name, p := range o.params {
			ps, gs = append(ps, p), append(gs, o.gradOf(grads, name))
			ms, vs = append(ms, o.m[name]), append(vs, o.v[name])
		}
		all.AdamWAll(ps, gs, ms, vs, h)
	} else {
		for name, p := range o.params {
			o.be.AdamW(p, o.gradOf(grads, name), o.m[name], o.v[name], h)
		}
	}
	for _, g := range grads {
		o.be.Free(g)
	}
}

// adamWAll is implemented by backends that update many parameters in one
// pass (the CPU backend: its AdamWAll spreads all their elements over its
// threads at once), with backend.Trainer.AdamW's result for each.
type adamWAll interface {
	AdamWAll(params, grads, ms, vs []backend.Tensor, h backend.AdamWParams)
}

// gradOf returns the gradient of parameter name, which must be in grads.
func (o *AdamW) gradOf(grads Params, name string) backend.Tensor {
	g, ok := grads[name]
	if !ok {
		panic("model: AdamW.Step: no gradient for " + name)
	}
	return g
}

// State downloads the moment estimates as "adam.m.<param>" and
// "adam.v.<param>" (each in its parameter's PyTorch layout), for a
// checkpoint; StepCount is the other half of the optimiser's state.
func (o *AdamW) State() (map[string][]float32, error) {
	out := make(map[string][]float32, 2*len(o.params))
	for _, moment := range []struct {
		prefix string
		ts     Params
	}{{"adam.m.", o.m}, {"adam.v.", o.v}} {
		for name, t := range moment.ts {
			d, err := o.be.Download(t)
			if err != nil {
				return nil, fmt.Errorf("download %s%s: %w", moment.prefix, name, err)
			}
			out[moment.prefix+name] = d
		}
	}
	return out, nil
}

// LoadState restores the state that State returned and the step count
// (≥ 0). It refuses a state with a missing, misshapen or unknown tensor and
// then leaves the optimiser unchanged.
func (o *AdamW) LoadState(step int, state map[string][]float32) error {
	if step < 0 {
		return fmt.Errorf("AdamW state: step %d < 0", step)
	}
	var probs []string
	want := map[string]bool{}
	for name, t := range o.params {
		for _, key := range []string{"adam.m." + name, "adam.v." + name} {
			want[key] = true
			d, ok := state[key]
			switch {
			case !ok:
				probs = append(probs, "missing "+key)
			case len(d) != t.Shape().Len():
				probs = append(probs, fmt.Sprintf("%s has %d values, want %d", key, len(d), t.Shape().Len()))
			}
		}
	}
	for key := range state {
		if !want[key] {
			probs = append(probs, "unexpected "+key)
		}
	}
	if len(probs) > 0 {
		sort.Strings(probs)
		return fmt.Errorf("AdamW state: %s", strings.Join(probs, "; "))
	}
	for name, t := range o.params {
		o.be.Free(o.m[name])
		o.be.Free(o.v[name])
		o.m[name] = o.be.Upload(t.Shape(), state["adam.m."+name])
		o.v[name] = o.be.Upload(t.Shape(), state["adam.v."+name])
	}
	o.StepCount = step
	return nil
}

// Free releases the moment estimates (not the model's parameters).
func (o *AdamW) Free() {
	for name := range o.params {
		o.be.Free(o.m[name])
		o.be.Free(o.v[name])
	}
	o.m, o.v = nil, nil
}

// CosineLR is PyTorch's CosineAnnealingLR learning rate at epoch (≥ 0):
// etaMin + (base − etaMin)·(1 + cos(π·epoch/tMax))/2. Past tMax it keeps
// following the cosine, back up to base at 2·tMax, as PyTorch's recursive
// form does when the scheduler keeps stepping.
func CosineLR(base, etaMin float64, tMax, epoch int) float64 {
	return etaMin + (base-etaMin)*(1+math.Cos(math.Pi*float64(epoch)/float64(tMax)))/2
}
