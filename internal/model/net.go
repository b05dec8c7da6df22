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

// Block is Block(C): conv3 → ReLU → conv3 → ReLU; frees x.
func Block(be backend.Backend, p Params, name string, x backend.Tensor) backend.Tensor {
	h := Conv(be, p, name+".conv1", x, backend.ReLU, true)
	return Conv(be, p, name+".conv2", h, backend.ReLU, true)
}

// RAM is the residual attention module RAM(a→b) on x (N,a,H,W):
// y = proj(x); out = y + y⊙sigmoid(fc2(ReLU(fc1(mean_HW y)))), (N,b,H,W);
// without attention, out = y. Frees x.
func RAM(be backend.Backend, p Params, name string, x backend.Tensor, attention bool) backend.Tensor {
	y := Conv(be, p, name+".proj", x, backend.Linear, true)
	if !attention {
		return y
	}
	s := be.GlobalAvgPool(y)                                // (N,b,1,1)
	h := Conv(be, p, name+".fc1", s, backend.ReLU, true)    // (N,h,1,1)
	w := Conv(be, p, name+".fc2", h, backend.Sigmoid, true) // (N,b,1,1)
	out := be.ChannelGate(y, w)
	be.Free(y)
	be.Free(w)
	return out
}

// SKFF is SKFF(c, n) over os (n maps of (N,c,S,S)), out (N,c,S,S); frees os.
// mean_HW(Σ o_i) is computed as Σ mean_HW(o_i).
func SKFF(be backend.Backend, p Params, os []backend.Tensor) backend.Tensor {
	var s backend.Tensor
	for _, o := range os {
		g := be.GlobalAvgPool(o) // (N,c,1,1)
		if s == nil {
			s = g
			continue
		}
		sum := be.Add(s, g)
		be.Free(s)
		be.Free(g)
		s = sum
	}
	z := Conv(be, p, "skff.fc", s, backend.ReLU, true) // (N,d,1,1)
	logits := make([]backend.Tensor, len(os))
	for i := range os {
		logits[i] = Conv(be, p, fmt.Sprintf("skff.fcs.%d", i), z, backend.Linear, false) // (N,c,1,1)
	}
	be.Free(z)
	out := be.SKFFFuse(os, logits)
	for i := range os {
		be.Free(os[i])
		be.Free(logits[i])
	}
	return out
}

// Intermediates of a forward pass, kept when requested (for tests).
type Intermediates struct {
	E, D, O []backend.Tensor
}

// Forward maps a noised input x (N,3,S,S) to the reconstruction x̂ (N,3,S,S).
// x is not freed.
func (m *Model) Forward(x backend.Tensor) backend.Tensor {
	return m.forward(x, nil)
}

// ForwardKeep is Forward that also returns copies of E_i, D_i and the
// upsampled o_i, which the caller frees.
func (m *Model) ForwardKeep(x backend.Tensor) (backend.Tensor, *Intermediates) {
	keep := &Intermediates{}
	return m.forward(x, keep), keep
}

func (m *Model) forward(x backend.Tensor, keep *Intermediates) backend.Tensor {
	c, be := m.Cfg, m.be
	s := x.Shape()
	if s.C != 3 || s.H != c.Size || s.W != c.Size {
		panic(fmt.Sprintf("model: input %v, want (N,3,%d,%d)", s, c.Size, c.Size))
	}
	copyOf := func(t backend.Tensor) backend.Tensor { return be.Activate(t, backend.Linear) }
	// Scales x_i and encoder E_i.
	xs := []backend.Tensor{x}
	for i := 1; i < c.Depth; i++ {
		xs = append(xs, be.AvgPool2(xs[i-1])) // (N,3,S/2^i,S/2^i)
	}
	E := make([]backend.Tensor, c.Depth)
	E[0] = Block(be, m.params, "eblock.0", Conv(be, m.params, "stem.0", x, backend.Linear, false))
	for i := 1; i < c.Depth; i++ {
		down := Conv(be, m.params, fmt.Sprintf("down.%d", i), be.PixelUnshuffle(E[i-1]), backend.Linear, true) // (N,C_i,·,·)
		stem := Conv(be, m.params, fmt.Sprintf("stem.%d", i), xs[i], backend.Linear, true)                     // (N,wf,·,·)
		cat := be.Concat(down, stem)                                                                           // (N,C_i+wf,·,·)
		be.Free(down)
		be.Free(stem)
		E[i] = Block(be, m.params, fmt.Sprintf("eblock.%d", i), RAM(be, m.params, fmt.Sprintf("eram.%d", i), cat, c.Attention))
	}
	// Decoder D_i; E_i is released once D_i exists.
	D := make([]backend.Tensor, c.Depth)
	D[c.Depth-1] = E[c.Depth-1]
	for i := c.Depth - 2; i >= 0; i-- {
		up := Conv(be, m.params, fmt.Sprintf("up.%d", i), be.PixelShuffle(D[i+1]), backend.Linear, true) // (N,C_i,·,·)
		cat := be.Concat(up, E[i])                                                                       // (N,2C_i,·,·)
		be.Free(up)
		D[i] = Block(be, m.params, fmt.Sprintf("dblock.%d", i), RAM(be, m.params, fmt.Sprintf("dram.%d", i), cat, c.Attention))
	}
	if keep != nil {
		for i := range E {
			keep.E = append(keep.E, copyOf(E[i]))
		}
	}
	for i := 0; i < c.Depth-1; i++ {
		be.Free(E[i])
	}
	// Side outputs o_i at full resolution, fused by SKFF, then the head.
	os := make([]backend.Tensor, c.Depth)
	for i := range os {
		o := Conv(be, m.params, fmt.Sprintf("side.%d", i), D[i], backend.Linear, false) // (N,wf,S/2^i,S/2^i)
		if keep != nil {
			keep.D = append(keep.D, copyOf(D[i]))
		}
		be.Free(D[i])
		if i > 0 {
			up := be.UpsampleBilinear(o, 1<<i) // (N,wf,S,S)
			be.Free(o)
			o = up
		}
		if keep != nil {
			keep.O = append(keep.O, copyOf(o))
		}
		os[i] = o
	}
	return Conv(be, m.params, "head", SKFF(be, m.params, os), backend.Linear, true) // (N,3,S,S)
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
