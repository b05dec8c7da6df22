package train

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
	"github.com/noise2norm/noise2norm/internal/synth"
)

// memoryDataset decodes the images of a folder as the browser demo does,
// from bytes in memory under their file names, given in reverse order (the
// Dataset sorts them as FindImages does).
func memoryDataset(t *testing.T, paths []string, size int, val float64, seed uint64) *Dataset {
	t.Helper()
	var tensors [][]float32
	var names []string
	for i := len(paths) - 1; i >= 0; i-- {
		img, err := imageio.LoadRGB(paths[i], imageio.DefaultMaxPixels)
		if err != nil {
			t.Fatal(err)
		}
		tensors = append(tensors, imageio.ToTensor(img, size))
		names = append(names, filepath.Base(paths[i]))
	}
	ds, err := NewDataset(tensors, names, size, val, seed)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// memorySession is a session on the CPU backend of o over the images at
// paths decoded by memoryDataset; it is freed when the test ends.
func memorySession(t *testing.T, o Options, paths []string) *Session {
	t.Helper()
	s, err := NewSession(cpu.New(), o, memoryDataset(t, paths, o.Size, o.Val, o.Seed), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Free)
	return s
}

// runEpochs drives s through epochs epochs as Run does.
func runEpochs(t *testing.T, s *Session, epochs int) (losses []float32) {
	t.Helper()
	for s.Epochs() < epochs {
		for !s.EpochDone() {
			r, err := s.Step()
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, r.Loss)
		}
		if _, err := s.EndEpoch(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return losses
}

// TestSessionMatchesRun: a Session on the same images held in memory under
// their file names ends where Run's files say that run ended: the same
// weights, optimiser moments, run state and data fingerprint.
func TestSessionMatchesRun(t *testing.T) {
	data := t.TempDir()
	paths := writeImages(t, data, "img", 8, 24, 3)
	o := tinyOptions(t, data, 2)
	runCPU(t, o)
	want, err := readLast(filepath.Join(o.Out, LastFile))
	if err != nil {
		t.Fatal(err)
	}
	s := memorySession(t, o, paths)
	runEpochs(t, s, 2)
	got, err := s.checkpoint(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Weights.Config != want.Weights.Config || !reflect.DeepEqual(got.Weights.Params, want.Weights.Params) {
		t.Error("the session's weights differ from Run's last.safetensors")
	}
	if !reflect.DeepEqual(got.Adam, want.Adam) {
		t.Error("the session's AdamW moments differ from Run's")
	}
	if !reflect.DeepEqual(got.State, want.State) || got.Fingerprint != want.Fingerprint {
		t.Errorf("session state %+v fingerprint %s; Run's %+v %s", got.State, got.Fingerprint, want.State, want.Fingerprint)
	}
}

// syntheticNormals are n of cmd/synth's textile training images at 128²,
// decoded at size, named as synth names them.
func syntheticNormals(n, size int) (tensors [][]float32, names []string) {
	o := synth.DefaultOptions()
	for i := range n {
		img, _ := synth.Render(o, "train/good", i, "")
		tensors = append(tensors, imageio.ToTensor(img, size))
		names = append(names, fmt.Sprintf("%03d.png", i))
	}
	return tensors, names
}

// TestSmallPresetLearns: 40 steps of the small preset on 20 synthetic
// normals bring the training loss well down (the page's tests and its
// "try it" run rely on it). The large preset's rate was chosen the same way
// (docs/train-presets.md) but takes too long for a unit test.
func TestSmallPresetLearns(t *testing.T) {
	p, err := PresetNamed("small")
	if err != nil {
		t.Fatal(err)
	}
	tensors, names := syntheticNormals(20, p.Size)
	ds, err := NewDataset(tensors, names, p.Size, 0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(cpu.New(), p.Options(1, 0.2), ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	var losses []float64
	for len(losses) < 40 {
		if s.EpochDone() {
			if _, err := s.EndEpoch(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.Step()
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, float64(r.Loss))
	}
	mean := func(v []float64) float64 {
		sum := 0.0
		for _, x := range v {
			sum += x
		}
		return sum / float64(len(v))
	}
	first, last := mean(losses[:5]), mean(losses[35:])
	if !(last < 0.7*first) {
		t.Errorf("mean loss of steps 1–5 %.4f, of steps 36–40 %.4f: want a fall by more than 30%%\n%v", first, last, losses)
	}
}

// TestExport: a session's export is a weights file with its calibration
// (model.FromSafetensors) and a checkpoint of the run that Run -resume
// continues as the unbroken run would.
func TestExport(t *testing.T) {
	data := t.TempDir()
	paths := writeImages(t, data, "img", 8, 24, 4)
	o := tinyOptions(t, data, 3)
	s := memorySession(t, o, paths)
	runEpochs(t, s, 1)
	cal, err := s.Calibrate()
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Export(cal)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	back, err := safetensors.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	w, err := model.FromSafetensors(back)
	if err != nil {
		t.Fatalf("the export does not read as weights: %v", err)
	}
	got, err := model.CalibrationOf(w)
	if err != nil || got == nil || got.Threshold != cal.Threshold || !reflect.DeepEqual(got.MapMean, cal.MapMean) {
		t.Fatalf("the export's calibration %+v (%v), want threshold %g and the fitted map statistics", got, err, cal.Threshold)
	}
	if !w.Checkpoint {
		t.Error("the export does not read as a checkpoint")
	}

	// Resumed natively for two more epochs it ends as a native run of three.
	if err := safetensors.WriteFile(filepath.Join(o.Out, LastFile), back); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	resumed := o
	resumed.Resume = true
	if err := Run(context.Background(), cpu.New(), resumed, &log); err != nil {
		t.Fatalf("Run -resume of the export: %v\n%s", err, log.String())
	}
	unbroken := tinyOptions(t, data, 3)
	if err := Run(context.Background(), cpu.New(), unbroken, &log); err != nil {
		t.Fatal(err)
	}
	a, err := readLast(filepath.Join(o.Out, LastFile))
	if err != nil {
		t.Fatal(err)
	}
	b, err := readLast(filepath.Join(unbroken.Out, LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Weights.Params, b.Weights.Params) || !reflect.DeepEqual(a.State.ValLoss, b.State.ValLoss) {
		t.Errorf("the resumed export ends with other weights or validation losses (%v) than an unbroken run (%v)", a.State.ValLoss, b.State.ValLoss)
	}
}

// TestSessionBest: a session that tracks its best keeps the weights of the
// epoch with the lowest validation loss, as Run's best.safetensors (the
// same images, options and rule), and not the last epoch's; ExportBest is
// that epoch's checkpoint, with its weights, AdamW moments and run state;
// ValidateNow adds a step in the middle of an epoch as a candidate without
// changing the run.
func TestSessionBest(t *testing.T) {
	data := t.TempDir()
	paths := writeImages(t, data, "img", 8, 24, 3)
	// A learning rate high enough for the validation loss to rise again:
	// with these images its lowest is at epoch 9 of 12 on the CPU backend
	// with each of its weight-gradient paths (AVX-512 and AVX2 dot
	// products, im2col), whose float32 sums differ in order.
	o := tinyOptions(t, data, 12)
	o.LR, o.TMax, o.Patience = 0.1, 1000, 100
	runCPU(t, o)
	native, err := model.ReadWeights(filepath.Join(o.Out, BestFile))
	if err != nil {
		t.Fatal(err)
	}

	s := memorySession(t, o, paths)
	s.TrackBest()
	if s.Best() != nil {
		t.Fatal("a best before any validation")
	}
	var atEpoch []*checkpoint // the run after each epoch
	for s.Epochs() < o.Epochs {
		for !s.EpochDone() {
			if _, err := s.Step(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.EndEpoch(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !s.Validated() {
			t.Fatal("not validated after EndEpoch")
		}
		ck, err := s.checkpoint(nil)
		if err != nil {
			t.Fatal(err)
		}
		atEpoch = append(atEpoch, ck)
	}
	val := s.ValLosses()
	want := 0
	for i, v := range val {
		if v < val[want] {
			want = i
		}
	}
	b := s.Best()
	t.Logf("validation losses %v; best epoch %d (step %d, %.6g)", val, b.Epoch, b.Step, b.ValLoss)
	if want == len(val)-1 {
		t.Fatalf("the lowest validation loss is the last epoch's (%v): the test needs a run whose best is not its last", val)
	}
	if b.Epoch != want+1 || b.ValLoss != val[want] || b.MidEpoch || b.Step != (want+1)*s.StepsPerEpoch() {
		t.Errorf("best %+v; want epoch %d (step %d) with validation loss %g", *b, want+1, (want+1)*s.StepsPerEpoch(), val[want])
	}
	if !reflect.DeepEqual(b.Weights().Params, native.Params) {
		t.Error("the best weights differ from Run's best.safetensors")
	}
	if reflect.DeepEqual(b.Weights().Params, atEpoch[len(atEpoch)-1].Weights.Params) {
		t.Error("the best weights are the last epoch's")
	}
	f, err := s.ExportBest(nil)
	if err != nil {
		t.Fatal(err)
	}
	exported, err := fromSafetensors(f)
	if err != nil {
		t.Fatal(err)
	}
	ck := atEpoch[want]
	if !reflect.DeepEqual(exported.Weights.Params, ck.Weights.Params) || !reflect.DeepEqual(exported.Adam, ck.Adam) || !reflect.DeepEqual(exported.State, ck.State) {
		t.Errorf("ExportBest is not the run after epoch %d (state %+v, want %+v)", want+1, exported.State, ck.State)
	}
	cal, err := s.CalibrateBest()
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(cpu.New(), native)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	wantCal, err := calibrateModel(m, s.ds, o.Batch, s.deviceError)
	if err != nil {
		t.Fatal(err)
	}
	if cal.Threshold != wantCal.Threshold || !reflect.DeepEqual(cal.MapMean, wantCal.MapMean) {
		t.Errorf("CalibrateBest: threshold %g, that of best.safetensors' weights %g", cal.Threshold, wantCal.Threshold)
	}

	// One step into a ninth epoch, validated in the middle of it: a
	// candidate like any other, and the run itself unchanged by it.
	if _, err := s.Step(); err != nil {
		t.Fatal(err)
	}
	before, err := s.checkpoint(nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.ValidateNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	after, err := s.checkpoint(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before.State, after.State) {
		t.Errorf("ValidateNow changed the run's state: %+v, then %+v", before.State, after.State)
	}
	if !s.Validated() {
		t.Error("not validated after ValidateNow")
	}
	if nb := s.Best(); v < b.ValLoss {
		if nb.Step != s.Steps() || !nb.MidEpoch || nb.ValLoss != v {
			t.Errorf("a mid-epoch validation loss %g below the best %g: best %+v, want step %d", v, b.ValLoss, *nb, s.Steps())
		}
	} else if nb != b {
		t.Errorf("a mid-epoch validation loss %g not below the best %g changed the best to %+v", v, b.ValLoss, *nb)
	}
}

// TestCalibrateBestCurrent: when Best is the current step, CalibrateBest
// (which then uses the session's own model) equals the calibration of a
// model built from Best's host copy of the weights.
func TestCalibrateBestCurrent(t *testing.T) {
	data := t.TempDir()
	paths := writeImages(t, data, "img", 8, 24, 4)
	o := tinyOptions(t, data, 1)
	s := memorySession(t, o, paths)
	s.TrackBest()
	runEpochs(t, s, 1)
	b := s.Best()
	if b == nil || b.Step != s.Steps() {
		t.Fatalf("best %+v after the only epoch; want step %d", b, s.Steps())
	}
	cal, err := s.CalibrateBest()
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(cpu.New(), b.Weights())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	want, err := calibrateModel(m, s.ds, o.Batch, s.deviceError)
	if err != nil {
		t.Fatal(err)
	}
	if cal.Threshold != want.Threshold || !reflect.DeepEqual(cal.MapMean, want.MapMean) {
		t.Errorf("CalibrateBest: threshold %g; that of Best's weights %g", cal.Threshold, want.Threshold)
	}
}

// notTrainer is a backend without backward ops: a session cannot be built
// on it, so moving a run there fails.
type notTrainer struct{ backend.Backend }

// TestMoveToFailureKeepsRun: when the session on the new backend cannot be
// built, MoveTo returns the error and the run goes on where it was, with
// nothing freed; a move that works continues the run exactly (the same
// losses as an unmoved copy), its best kept.
func TestMoveToFailureKeepsRun(t *testing.T) {
	data := t.TempDir()
	paths := writeImages(t, data, "img", 8, 24, 3)
	o := tinyOptions(t, data, 3)
	ds := memoryDataset(t, paths, o.Size, o.Val, o.Seed)
	start := func() *Session {
		s, err := NewSession(cpu.New(), o, ds, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.TrackBest()
		runEpochs(t, s, 1)
		if _, err := s.Step(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	s, ref := start(), start()
	defer ref.Free()
	before, err := s.checkpoint(nil)
	if err != nil {
		t.Fatal(err)
	}
	moved, err := s.MoveTo(notTrainer{cpu.New()})
	if err == nil || moved != nil {
		t.Fatalf("MoveTo a backend that cannot train: %v, %v; want an error", moved, err)
	}
	t.Logf("the failed move: %v", err)
	if s.Model() == nil {
		t.Fatal("the failed move freed the session")
	}
	after, err := s.checkpoint(nil)
	if err != nil {
		t.Fatalf("the session after a failed move: %v", err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Error("the failed move changed the run")
	}
	// The run goes on: the same loss as the reference's next step.
	r, err := s.Step()
	if err != nil {
		t.Fatalf("a step after the failed move: %v", err)
	}
	rr, err := ref.Step()
	if err != nil {
		t.Fatal(err)
	}
	if r.Loss != rr.Loss {
		t.Errorf("after a failed move the step's loss is %g, the unmoved run's %g", r.Loss, rr.Loss)
	}

	// A move that works: the run continues exactly, the best kept.
	best := s.Best()
	moved, err = s.MoveTo(cpu.New())
	if err != nil {
		t.Fatal(err)
	}
	defer moved.Free()
	if s.Model() != nil {
		t.Error("the moved-from session was not freed")
	}
	if moved.Best() != best || moved.Steps() != ref.Steps() {
		t.Errorf("the moved session: best %p (want %p), %d steps (want %d)", moved.Best(), best, moved.Steps(), ref.Steps())
	}
	r, err = moved.Step()
	if err != nil {
		t.Fatal(err)
	}
	if rr, err = ref.Step(); err != nil {
		t.Fatal(err)
	}
	if r.Loss != rr.Loss {
		t.Errorf("after a move the step's loss is %g, the unmoved run's %g", r.Loss, rr.Loss)
	}
}

// TestSessionValidateStart: a run from given weights whose validated start
// (ValidateStart) is not beaten by a trained step keeps the starting weights
// bit for bit as Best (step 0), and its export continues like a fresh run
// from them; a run that improves keeps a trained step. A run from scratch
// refuses ValidateStart.
func TestSessionValidateStart(t *testing.T) {
	data := t.TempDir()
	paths := writeImages(t, data, "img", 8, 24, 3)
	o := tinyOptions(t, data, 6)
	o.LR, o.TMax, o.Patience = 0.01, 1000, 100

	// A start from random weights given as base: training lowers the loss.
	init := &model.Weights{Config: o.Config(), Params: model.InitParams(o.Config(), 7)}
	improving, err := NewSession(cpu.New(), o, memoryDataset(t, paths, o.Size, o.Val, o.Seed), init)
	if err != nil {
		t.Fatal(err)
	}
	defer improving.Free()
	improving.TrackBest()
	start, err := improving.ValidateStart(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b := improving.Best(); b == nil || b.Step != 0 || b.ValLoss != start {
		t.Fatalf("after ValidateStart: best %+v, want step 0 at %g", b, start)
	}
	runEpochs(t, improving, o.Epochs)
	b := improving.Best()
	t.Logf("improving run: start %.6g, epochs %v, kept step %d (%.6g)", start, improving.ValLosses(), b.Step, b.ValLoss)
	if b.Step == 0 || !(b.ValLoss < start) || b.ValLoss != improving.TrainedValLoss() {
		t.Errorf("improving run kept step %d (%g), start %g, lowest trained %g", b.Step, b.ValLoss, start, improving.TrainedValLoss())
	}

	// Fine-tune those trained weights with a learning rate that wrecks them.
	trained := b.Weights()
	o.LR = 1
	s, err := NewSession(cpu.New(), o, memoryDataset(t, paths, o.Size, o.Val, o.Seed), trained)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Free()
	s.TrackBest()
	start, err = s.ValidateStart(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	runEpochs(t, s, 3)
	b = s.Best()
	t.Logf("worsening run: start %.6g, epochs %v, kept step %d (%.6g), lowest trained %.6g", start, s.ValLosses(), b.Step, b.ValLoss, s.TrainedValLoss())
	if !(s.TrainedValLoss() > start) {
		t.Fatalf("the fine-tuning did not worsen the held-out loss (%g → %g): the test needs one that does", start, s.TrainedValLoss())
	}
	if b.Step != 0 || b.Epoch != 0 || b.MidEpoch || b.ValLoss != start {
		t.Errorf("kept %+v, want step 0 at %g", *b, start)
	}
	if !reflect.DeepEqual(b.Weights().Params, trained.Params) {
		t.Error("the kept weights are not the starting weights bit for bit")
	}
	// The export of step 0 is a run that has not started: continued, its
	// first step is the first step of a fresh run from the same weights.
	f, err := s.ExportBest(nil)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := fromSafetensors(f)
	if err != nil {
		t.Fatal(err)
	}
	if ck.State.Step != 0 || ck.State.Epoch != 0 || len(ck.State.ValLoss) != 0 {
		t.Errorf("the step-0 export's state %+v is not a run before its first step", ck.State)
	}
	ds := memoryDataset(t, paths, o.Size, o.Val, o.Seed)
	resumed, err := newSession(cpu.New(), o, ds, nil, ck)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Free()
	fresh, err := NewSession(cpu.New(), o, ds, trained)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Free()
	for i := 0; i < 3; i++ {
		r1, err1 := resumed.Step()
		r2, err2 := fresh.Step()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if r1 != r2 {
			t.Errorf("step %d: resumed from the step-0 export %+v, fresh from its weights %+v", i+1, r1, r2)
		}
	}

	scratch := memorySession(t, o, paths)
	scratch.TrackBest()
	if _, err := scratch.ValidateStart(context.Background()); err == nil || scratch.Best() != nil {
		t.Errorf("ValidateStart on a run from scratch: err %v, best %+v", err, scratch.Best())
	}
}
