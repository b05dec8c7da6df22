package model_test

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/model/reftest"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

func TestTrainStepAgainstPyTorch(t *testing.T) {
	for _, file := range reftest.TrainCases {
		t.Run(file, func(t *testing.T) { reftest.TrainStep(t, cpu.New(), file) })
	}
}

// TestCosineLR compares CosineLR with the rates PyTorch's stepped
// CosineAnnealingLR gave (T_max 10, epochs 0 to 34: twice past T_max).
func TestCosineLR(t *testing.T) {
	ref := testutil.LoadRef(t, "train", "cosine_lr.safetensors")
	_, want := ref.Get("lr")
	got := make([]float32, len(want))
	for e := range got {
		got[e] = float32(model.CosineLR(ref.Float("base"), ref.Float("eta_min"), int(ref.Int("t_max")), e))
	}
	testutil.Close(t, "lr", got, want, 0, 1e-6)
}

// tinyModel is a wf 2, depth 2, 8×8 network with attention and seeded
// weights, and a seeded batch of two inputs x0 in [−1,1] (host data).
func tinyModel() (*model.Weights, []float32) {
	cfg := model.Config{WF: 2, Depth: 2, Size: 8, Lambda: 0.3, Alpha: 0.84, Attention: true}
	w := &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 5)}
	// Larger weights than PyTorch's default init, so that x̂ depends on the
	// input and every parameter has a visible gradient.
	for _, p := range w.Params {
		for i := range p {
			p[i] *= 2
		}
	}
	return w, testutil.Random(9, 2*3*8*8, -1, 1)
}

// TestLossAndGradsFiniteDifferences checks, on a tiny network, every
// parameter tensor's gradient g against central differences of Loss along
// its direction: (L(w+h·ĝ) − L(w−h·ĝ))/2h must be ‖g‖, with ĝ = g/‖g‖ (a
// direction, not single elements, so that the difference of two float32
// losses stays well above their rounding). It also checks that Loss equals
// LossAndGrads' loss.
func TestLossAndGradsFiniteDifferences(t *testing.T) {
	be := cpu.New()
	w, x0data := tinyModel()
	x0 := be.Upload(backend.Shape{N: 2, C: 3, H: 8, W: 8}, x0data)
	const lambda, seed, h = 0.3, 3, 1e-3
	lossAt := func(params map[string][]float32) float64 {
		m, err := model.New(be, &model.Weights{Config: w.Config, Meta: w.Meta, Params: params})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Free()
		l, err := m.Loss(x0, lambda, seed)
		if err != nil {
			t.Fatal(err)
		}
		return float64(l)
	}
	m, err := model.New(be, w)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	loss, grads, err := m.LossAndGrads(x0, lambda, seed)
	if err != nil {
		t.Fatal(err)
	}
	if l := lossAt(w.Params); float64(loss) != l {
		t.Errorf("LossAndGrads' loss %g, Loss %g", loss, l)
	}
	if len(grads) != len(w.Params) {
		t.Errorf("%d gradients for %d parameters", len(grads), len(w.Params))
	}
	for _, spec := range model.ParamSpecs(w.Config) {
		g := testutil.Download(t, be, grads[spec.Name])
		var norm float64
		for _, v := range g {
			norm += float64(v) * float64(v)
		}
		norm = math.Sqrt(norm)
		shifted := func(d float64) float64 {
			p := maps.Clone(w.Params)
			p[spec.Name] = make([]float32, len(g))
			for i, v := range w.Params[spec.Name] {
				p[spec.Name][i] = v + float32(d*float64(g[i])/norm)
			}
			return lossAt(p)
		}
		fd := (shifted(h) - shifted(-h)) / (2 * h)
		if d := math.Abs(fd - norm); d > 5e-5+2e-2*norm {
			t.Errorf("%s: gradient norm %.6g, finite difference along it %.6g", spec.Name, norm, fd)
		}
	}
}

// randomGrads uploads seeded random gradients for every parameter of m.
func randomGrads(be backend.Backend, m *model.Model, seed uint64) model.Params {
	names := make([]string, 0)
	for name := range m.Params() {
		names = append(names, name)
	}
	sort.Strings(names)
	grads := model.Params{}
	for i, name := range names {
		s := m.Params()[name].Shape()
		grads[name] = be.Upload(s, testutil.Random(seed+uint64(i), s.Len(), -1e-3, 1e-3))
	}
	return grads
}

// TestAdamWStateRoundTrip restores an optimiser's state (and the weights)
// into a fresh model and optimiser: the next step must give identical
// weights.
func TestAdamWStateRoundTrip(t *testing.T) {
	be := cpu.New()
	w, _ := tinyModel()
	a, err := model.New(be, w)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Free()
	optA := model.NewAdamW(a, model.DefaultAdamW())
	defer optA.Free()
	optA.Step(randomGrads(be, a, 1), 1e-3)
	optA.Step(randomGrads(be, a, 2), 1e-3)
	state, err := optA.State()
	if err != nil {
		t.Fatal(err)
	}
	if len(state) != 2*len(w.Params) {
		t.Errorf("state has %d tensors, want %d", len(state), 2*len(w.Params))
	}
	params, err := a.HostParams()
	if err != nil {
		t.Fatal(err)
	}
	b, err := model.New(be, &model.Weights{Config: w.Config, Meta: w.Meta, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Free()
	optB := model.NewAdamW(b, model.DefaultAdamW())
	defer optB.Free()
	if err := optB.LoadState(optA.StepCount, state); err != nil {
		t.Fatal(err)
	}
	optA.Step(randomGrads(be, a, 3), 1e-3)
	optB.Step(randomGrads(be, b, 3), 1e-3)
	pa, err := a.HostParams()
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.HostParams()
	if err != nil {
		t.Fatal(err)
	}
	for name := range pa {
		if !slices.Equal(pa[name], pb[name]) {
			t.Errorf("%s differs after a step from the restored state", name)
		}
		if slices.Equal(pa[name], params[name]) {
			t.Errorf("%s unchanged by the step", name)
		}
	}
}

func TestAdamWLoadStateRefusals(t *testing.T) {
	be := cpu.New()
	w, _ := tinyModel()
	m, err := model.New(be, w)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	opt := model.NewAdamW(m, model.DefaultAdamW())
	defer opt.Free()
	good, err := opt.State()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, want string
		step       int
		edit       func(map[string][]float32)
	}{
		{"missing", "missing adam.v.head.bias", 1, func(s map[string][]float32) { delete(s, "adam.v.head.bias") }},
		{"short", "adam.m.head.bias has 2 values, want 3", 1, func(s map[string][]float32) { s["adam.m.head.bias"] = s["adam.m.head.bias"][:2] }},
		{"unexpected", "unexpected adam.m.nothing", 1, func(s map[string][]float32) { s["adam.m.nothing"] = []float32{0} }},
		{"negative step", "step -1 < 0", -1, func(map[string][]float32) {}},
	} {
		s := maps.Clone(good)
		c.edit(s)
		err := opt.LoadState(c.step, s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if opt.StepCount != 0 {
		t.Errorf("refused loads changed StepCount to %d", opt.StepCount)
	}
}

// forwardOnly is a Backend that is not a Trainer.
type forwardOnly struct{ backend.Backend }

func TestLossAndGradsNeedsTrainer(t *testing.T) {
	be := forwardOnly{cpu.New()}
	w, x0data := tinyModel()
	m, err := model.New(be, w)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	x0 := be.Upload(backend.Shape{N: 2, C: 3, H: 8, W: 8}, x0data)
	if _, _, err := m.LossAndGrads(x0, 0.3, 1); err == nil || !strings.Contains(err.Error(), "backend.Trainer") {
		t.Errorf("LossAndGrads on a forward-only backend: error %v", err)
	}
	if _, err := m.Loss(x0, 0.3, 1); err != nil {
		t.Errorf("Loss on a forward-only backend: %v", err)
	}
}

// TestTrainingOwnership runs LossAndGrads, AdamW.Step and Loss on a backend
// that panics on a use after free or a double free, for networks with and
// without attention and of depth 1 to 3, and checks that nothing but the
// parameters, the moments and x0 is left alive.
func TestTrainingOwnership(t *testing.T) {
	for _, c := range []model.Config{
		{WF: 2, Depth: 1, Size: 4, Lambda: 0.3, Alpha: 0.84, Attention: true},
		{WF: 2, Depth: 2, Size: 8, Lambda: 0.3, Alpha: 0.84, Attention: false},
		{WF: 4, Depth: 3, Size: 8, Lambda: 0.3, Alpha: 0.84, Attention: true},
	} {
		be := newChecked()
		m, err := model.New(be, &model.Weights{Config: c, Meta: c.Metadata(), Params: model.InitParams(c, 1)})
		if err != nil {
			t.Fatal(err)
		}
		opt := model.NewAdamW(m, model.DefaultAdamW())
		x0 := be.Upload(backend.Shape{N: 2, C: 3, H: c.Size, W: c.Size}, testutil.Random(2, 2*3*c.Size*c.Size, -1, 1))
		for step := range 2 {
			_, grads, err := m.LossAndGrads(x0, c.Lambda, uint32(step))
			if err != nil {
				t.Fatal(err)
			}
			opt.Step(grads, 1e-3)
		}
		if _, err := m.Loss(x0, c.Lambda, 0); err != nil {
			t.Fatal(err)
		}
		if want := 3*len(m.Params()) + 1; len(be.live) != want {
			t.Errorf("%+v: %d tensors alive after training, want %d (parameters, moments, x0)", c, len(be.live), want)
		}
		opt.Free()
		m.Free()
		be.Free(x0)
	}
}
