package reftest

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// Tolerances of one training step against PyTorch (testdata/ref/train/).
// The loss is compared relatively. A gradient tensor must have a normalised
// error ≤ GradRelErr, and each element |got−want| ≤ GradAtol·max|want| +
// GradRtol·|want| (gradients of float32 networks carry rounding relative to
// the tensor's scale, not to each element). Weights after AdamW steps on
// PyTorch's own gradients must match to WeightAtol/WeightRtol. After steps
// on the backend's gradients, an element whose gradient is within rounding
// of zero may move by ±lr the other way (Adam's first step is lr·sign(g)),
// so there the weights' change from the start is compared by its normalised
// error (UpdateRelErr) and elementwise only to 2·lr per step.
const (
	LossRtol     = 1e-4
	GradRelErr   = 1e-4
	GradAtol     = 1e-4
	GradRtol     = 1e-3
	WeightAtol   = 1e-6
	WeightRtol   = 1e-5
	UpdateRelErr = 1e-3
)

// TrainCases are the files under testdata/ref/train/ with a training-step
// reference (written by testdata/make_train_reference.py).
var TrainCases = []string{"step.safetensors", "step_noatt.safetensors"}

// trainRef is a loaded training-step reference and its settings.
type trainRef struct {
	*testutil.Ref
	weights string // path of the starting weights
	lambda  float32
	seeds   [2]uint32
	cfg     model.AdamWConfig
}

func loadTrainRef(t *testing.T, file string) *trainRef {
	t.Helper()
	ref := testutil.LoadRef(t, "train", file)
	r := &trainRef{
		Ref:     ref,
		weights: testutil.RefPath(strings.Split(ref.Metadata["weights"], "/")...),
		lambda:  float32(ref.Float("lambda")),
		cfg: model.AdamWConfig{
			LR: ref.Float("lr"), Beta1: ref.Float("beta1"), Beta2: ref.Float("beta2"),
			Eps: ref.Float("eps"), WeightDecay: ref.Float("weight_decay"),
		},
	}
	if _, err := fmt.Sscanf(ref.Metadata["seeds"], "%d,%d", &r.seeds[0], &r.seeds[1]); err != nil {
		t.Fatalf("train reference %s: seeds %q: %v", file, ref.Metadata["seeds"], err)
	}
	return r
}

// TrainStep checks one file of TrainCases on be: the loss and every
// gradient of LossAndGrads against PyTorch's; two AdamW steps fed
// PyTorch's gradients against torch.optim.AdamW's weights; and two whole
// training steps (LossAndGrads then AdamW.Step) against PyTorch's weights
// and second loss.
func TrainStep(t *testing.T, be backend.Trainer, file string) {
	ref := loadTrainRef(t, file)
	t.Run("adamw", func(t *testing.T) {
		m, err := model.Load(be, ref.weights)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Free()
		opt := model.NewAdamW(m, ref.cfg)
		defer opt.Free()
		for k, prefix := range []string{"grad.", "grad2."} {
			grads := model.Params{}
			for name := range m.Params() {
				grads[name] = ref.Upload(be, prefix+name)
			}
			opt.Step(grads, ref.cfg.LR)
			got, err := m.HostParams()
			if err != nil {
				t.Fatal(err)
			}
			for name, g := range got {
				w := fmt.Sprintf("w%d.%s", k+1, name)
				_, want := ref.Get(w)
				testutil.Close(t, w, g, want, WeightAtol, WeightRtol)
			}
		}
	})
	t.Run("steps", func(t *testing.T) {
		m, err := model.Load(be, ref.weights)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Free()
		w0, err := m.HostParams()
		if err != nil {
			t.Fatal(err)
		}
		x0 := ref.Upload(be, "x0")
		defer be.Free(x0)
		opt := model.NewAdamW(m, ref.cfg)
		defer opt.Free()
		for k, seed := range ref.seeds {
			loss, grads, err := m.LossAndGrads(x0, ref.lambda, seed)
			if err != nil {
				t.Fatal(err)
			}
			_, want := ref.Get(fmt.Sprintf("loss%d", k+1))
			if d := math.Abs(float64(loss) - float64(want[0])); d > LossRtol*math.Abs(float64(want[0])) {
				t.Errorf("step %d: loss %.7g, want %.7g (|diff| %.3g)", k+1, loss, want[0], d)
			}
			if k == 0 {
				compareGrads(t, be, ref, grads)
			}
			opt.Step(grads, ref.cfg.LR)
			got, err := m.HostParams()
			if err != nil {
				t.Fatal(err)
			}
			for name, g := range got {
				w := fmt.Sprintf("w%d.%s", k+1, name)
				_, want := ref.Get(w)
				testutil.Close(t, w, g, want, 2*float64(k+1)*float64(ref.cfg.LR), 0)
				if e := testutil.RelErr(diff(g, w0[name]), diff(want, w0[name])); e > UpdateRelErr {
					t.Errorf("%s: normalised error of the change from the start %.3g > %g", w, e, UpdateRelErr)
				}
			}
		}
	})
}

// compareGrads checks grads (every parameter's) against the reference's
// "grad.<name>" and frees nothing.
func compareGrads(t *testing.T, be backend.Backend, ref *trainRef, grads model.Params) {
	t.Helper()
	for name, g := range grads {
		s, want := ref.Get("grad." + name)
		if g.Shape() != s {
			t.Errorf("grad.%s: shape %v, want %v", name, g.Shape(), s)
			continue
		}
		got := testutil.Download(t, be, g)
		var scale float64
		for _, v := range want {
			scale = max(scale, math.Abs(float64(v)))
		}
		testutil.Close(t, "grad."+name, got, want, GradAtol*scale, GradRtol)
		if e := testutil.RelErr(got, want); e > GradRelErr {
			t.Errorf("grad.%s: normalised error %.3g > %g", name, e, GradRelErr)
		}
	}
}

// diff is a − b elementwise.
func diff(a, b []float32) []float32 {
	d := make([]float32, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return d
}
