package model

import (
	"fmt"
	"slices"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Model is an N2N-M network whose parameters live on a backend.
type Model struct {
	Cfg    Config
	Meta   map[string]string
	be     backend.Backend
	params Params
	calib  *Calibration
}

// New uploads w's parameters to be.
func New(be backend.Backend, w *Weights) (*Model, error) {
	if err := w.Config.Validate(); err != nil {
		return nil, err
	}
	calib, err := CalibrationOf(w)
	if err != nil {
		return nil, err
	}
	m := &Model{Cfg: w.Config, Meta: w.Meta, be: be, params: Params{}, calib: calib}
	for _, p := range ParamSpecs(w.Config) {
		data, ok := w.Params[p.Name]
		if !ok || len(data) != numel(p.Shape) {
			m.Free()
			return nil, fmt.Errorf("parameter %s missing or of wrong size", p.Name)
		}
		s, err := backend.ShapeOf(p.Shape)
		if err != nil {
			m.Free()
			return nil, err
		}
		m.params[p.Name] = be.Upload(s, data)
	}
	return m, nil
}

// Load reads a weights file and uploads it to be.
func Load(be backend.Backend, path string) (*Model, error) {
	w, err := ReadWeights(path)
	if err != nil {
		return nil, err
	}
	return New(be, w)
}

// Calibration returns the weights' calibration, nil when they have none.
func (m *Model) Calibration() *Calibration { return m.calib }

// Backend returns the backend the model runs on.
func (m *Model) Backend() backend.Backend { return m.be }

// Free releases the parameters.
func (m *Model) Free() {
	for _, t := range m.params {
		m.be.Free(t)
	}
	m.params = nil
}

// Params maps spec parameter names to tensors on a backend.
type Params map[string]backend.Tensor

// Conv applies the convolution named name (its weight, and its bias when
// the spec has one) with a fused activation; x is freed when free is set.
func Conv(be backend.Backend, p Params, name string, x backend.Tensor, act backend.Activation, free bool) backend.Tensor {
	w, ok := p[name+".weight"]
	if !ok {
		panic("model: no parameter " + name + ".weight")
	}
	var b backend.Tensor
	if t, ok := p[name+".bias"]; ok {
		b = t
	}
	out := be.Conv2D(x, w, b, act)
	if free {
		be.Free(x)
	}
	return out
}

// RAM is the residual attention module RAM(a→b) on x (N,a,H,W):
// y = proj(x); out = y + y⊙sigmoid(fc2(ReLU(fc1(mean_HW y)))), (N,b,H,W);
// without attention, out = y. Frees x.
func RAM(be backend.Backend, p Params, name string, x backend.Tensor, attention bool) backend.Tensor {
	out, _ := (&graph{be: be, p: p}).ram(name, x, attention)
	return out
}

// SKFF is SKFF(c, n) over os (n maps of (N,c,S,S)), out (N,c,S,S); frees os.
func SKFF(be backend.Backend, p Params, os []backend.Tensor) backend.Tensor {
	out, _ := (&graph{be: be, p: p}).skff(os, nil)
	return out
}

// Intermediates of a forward pass, kept when requested (for tests).
type Intermediates struct {
	E, D, O []backend.Tensor
}

// Forward maps a noised input x (N,3,S,S) to the reconstruction x̂ (N,3,S,S).
// x is not freed.
func (m *Model) Forward(x backend.Tensor) backend.Tensor {
	xhat, _ := m.graph(x, nil)
	return xhat
}

// ForwardKeep is Forward that also returns copies of E_i, D_i and the
// upsampled o_i, which the caller frees. It runs the graph with a tape (so
// it needs the memory of a training step's forward pass).
func (m *Model) ForwardKeep(x backend.Tensor) (backend.Tensor, *Intermediates) {
	be := m.be
	tp := NewTape(be)
	defer tp.Free()
	xhat, nc := m.graph(x, tp)
	copyOf := func(t backend.Tensor) backend.Tensor { return be.Activate(t, backend.Linear) }
	keep := &Intermediates{}
	for i := range m.Cfg.Depth {
		keep.E = append(keep.E, copyOf(nc.eblock[i].Conv2.Y))
		d := nc.side[i].X // D_i, the input of side_i
		keep.D = append(keep.D, copyOf(d))
		keep.O = append(keep.O, copyOf(nc.skff.Os[i]))
	}
	return copyOf(xhat), keep
}

// Detection is the result of Detect, on the host.
type Detection struct {
	Recon  []float32 // (N,3,S,S): (x̂+1)/2, in [0,1] up to the network's range
	Map    []float32 // (N,1,S,S): the anomaly map
	Scores []float32 // (N): the maximum of each image's map
}

// Detect reconstructs x0 (N,3,S,S) in [−1,1] from a copy noised with λ and
// seed (λ = 0: no noise) and returns the reconstruction and anomaly map.
func (m *Model) Detect(x0 backend.Tensor, lambda float32, seed uint32) (*Detection, error) {
	be := m.be
	x := x0
	if lambda != 0 {
		x = be.Noise(x0, lambda, seed)
	}
	xhat := m.Forward(x)
	if lambda != 0 {
		be.Free(x)
	}
	amap := be.LossMap(x0, xhat, m.Cfg.Alpha)
	defer be.Free(amap)
	defer be.Free(xhat)
	recon, err := be.Download(xhat)
	if err != nil {
		return nil, err
	}
	mp, err := be.Download(amap)
	if err != nil {
		return nil, err
	}
	for i, v := range recon {
		recon[i] = (v + 1) / 2
	}
	s := amap.Shape()
	plane := s.H * s.W
	scores := make([]float32, s.N)
	for n := range scores {
		scores[n] = slices.Max(mp[n*plane : (n+1)*plane])
	}
	return &Detection{Recon: recon, Map: mp, Scores: scores}, nil
}
