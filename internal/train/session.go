package train

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/infer"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
)

// Session is one training run held in memory, with no files: the network
// and its AdamW state on a backend, the decoded images, and where the run
// stands. cmd/train's Run drives it epoch by epoch and writes the files;
// the browser demo (wasm/demo) drives it step by step. Both draw the same
// random numbers (the split, Shuffle per epoch, noiseSeed per step), so the
// same images, seed and options give the same losses on the same backend
// kind.
type Session struct {
	o   Options
	cfg model.Config
	be  backend.Backend
	ds  *Dataset
	m   *model.Model
	opt *model.AdamW
	st  state

	order      []int // Shuffle of epoch orderEpoch
	orderEpoch int

	trackBest     bool  // TrackBest was called: keep best
	best          *Best // the run at its lowest held-out loss, nil before a validation
	validatedStep int   // s.st.Step at the last validation, −1 before one

	fromWeights    bool    // NewSession was given base: its step 0 may be validated (ValidateStart)
	trainedValLoss float64 // lowest held-out loss of a trained step (Step ≥ 1) validated; NaN before one
}

// Best is a run at its lowest held-out loss so far, kept on the host by a
// session that TrackBest was called on: the rule of native train's
// best.safetensors (the lowest validation loss at an epoch's end; on ties
// the earlier), with ValidateNow adding the weights of a step in the middle
// of an epoch as another candidate.
type Best struct {
	Step     int     // optimiser steps done when it was taken
	Epoch    int     // epochs finished then
	ValLoss  float64 // its held-out loss
	MidEpoch bool    // taken by ValidateNow in the middle of an epoch, not at an epoch's end

	ck *checkpoint // the run then: weights, AdamW moments, run state
}

// Weights are the best step's parameters (the caller must not change them).
func (b *Best) Weights() *model.Weights {
	return &model.Weights{Config: b.ck.Weights.Config, Meta: b.ck.Weights.Config.Metadata(), Params: b.ck.Weights.Params}
}

// StepResult is one optimiser step's outcome.
type StepResult struct {
	Loss   float32 // the step's training loss (mean over its images)
	Images int     // images in the step's batch
	Epoch  int     // 0-based epoch the step belonged to
	Step   int     // steps done in the run, this one included
}

// EpochResult is a finished epoch.
type EpochResult struct {
	Epoch     int     // epochs done, this one included (1-based number of the epoch)
	LR        float64 // its learning rate
	TrainLoss float64 // mean training loss over its images
	ValLoss   float64 // validation loss after it (the training loss when there are no held-out images)
	Improved  bool    // ValLoss is the run's best so far
}

// NewDataset makes a Dataset from images already decoded (each a (3,S,S)
// tensor in [−1,1], as imageio.ToTensor gives) and their names, ordered by
// name as FindImages orders a folder's files, and split with Split(valFrac,
// seed) as LoadDataset splits them; so a folder holding the same files under
// the same names gives the same Dataset (and Fingerprint) natively.
func NewDataset(tensors [][]float32, names []string, size int, valFrac float64, seed uint64) (*Dataset, error) {
	if len(tensors) != len(names) {
		return nil, fmt.Errorf("%d images and %d names", len(tensors), len(names))
	}
	for i, t := range tensors {
		if len(t) != 3*size*size {
			return nil, fmt.Errorf("image %s has %d values, want 3×%d×%d", names[i], len(t), size, size)
		}
	}
	idx := rangeInts(len(names))
	sort.SliceStable(idx, func(a, b int) bool { return names[idx[a]] < names[idx[b]] })
	tr, va, err := Split(len(idx), valFrac, seed)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Size: size}
	for _, i := range tr {
		d.Train = append(d.Train, tensors[idx[i]])
		d.TrainPaths = append(d.TrainPaths, names[idx[i]])
	}
	for _, i := range va {
		d.Val = append(d.Val, tensors[idx[i]])
		d.ValPaths = append(d.ValPaths, names[idx[i]])
	}
	return d, nil
}

// NewSession starts a run of o's network and training settings (o.Data and
// o.Out are not used) on ds with be (a backend.Trainer). Its weights are
// base's parameters when base is not nil (fine-tuning: base must have o's
// WF, depth, size and attention), else model.InitParams(o.Config(), o.Seed)
// as Run starts.
func NewSession(be backend.Backend, o Options, ds *Dataset, base *model.Weights) (*Session, error) {
	return newSession(be, o, ds, base, nil)
}

// newSession is NewSession, continuing checkpoint ck when it is not nil.
func newSession(be backend.Backend, o Options, ds *Dataset, base *model.Weights, ck *checkpoint) (*Session, error) {
	if err := o.validateTraining(); err != nil {
		return nil, err
	}
	if _, ok := be.(backend.Trainer); !ok {
		return nil, fmt.Errorf("backend %s cannot train (it has no backward ops)", be.Name())
	}
	if len(ds.Train) == 0 {
		return nil, errors.New("no training images")
	}
	s := &Session{o: o, cfg: o.Config(), be: be, ds: ds, st: newState(), orderEpoch: -1, validatedStep: -1, trainedValLoss: math.NaN()}
	w := &model.Weights{Config: s.cfg, Params: model.InitParams(s.cfg, o.Seed)}
	if base != nil {
		if !sameShape(base.Config, s.cfg) {
			return nil, fmt.Errorf("the starting model has %s, the run %s", base.Config, s.cfg)
		}
		w.Params = base.Params
		s.fromWeights = ck == nil
	}
	if ck != nil {
		w.Params = ck.Weights.Params
		s.st = ck.State
	}
	var err error
	if s.m, err = model.New(be, w); err != nil {
		return nil, err
	}
	adam := model.DefaultAdamW()
	adam.LR = o.LR
	s.opt = model.NewAdamW(s.m, adam)
	if ck != nil {
		if err := s.opt.LoadState(s.st.Step, ck.Adam); err != nil {
			s.Free()
			return nil, err
		}
	}
	return s, nil
}

// sameShape reports whether a and b have the same parameters.
func sameShape(a, b model.Config) bool {
	return a.WF == b.WF && a.Depth == b.Depth && a.Size == b.Size && a.Attention == b.Attention
}

// Free releases the network and optimiser state on the backend.
func (s *Session) Free() {
	if s.opt != nil {
		s.opt.Free()
		s.opt = nil
	}
	if s.m != nil {
		s.m.Free()
		s.m = nil
	}
}

// Model is the network being trained (its weights change with every Step).
func (s *Session) Model() *model.Model { return s.m }

// Backend is the backend the session trains on.
func (s *Session) Backend() backend.Backend { return s.be }

// Dataset is the session's data.
func (s *Session) Dataset() *Dataset { return s.ds }

// Options are the session's settings.
func (s *Session) Options() Options { return s.o }

// Steps is the number of optimiser steps done in the run.
func (s *Session) Steps() int { return s.st.Step }

// Epochs is the number of finished epochs.
func (s *Session) Epochs() int { return s.st.Epoch }

// StepsPerEpoch is the number of steps of one pass over the training images.
func (s *Session) StepsPerEpoch() int {
	return (len(s.ds.Train) + s.o.Batch - 1) / s.o.Batch
}

// EpochDone reports whether the current epoch's steps are all done, so that
// EndEpoch is due before the next Step.
func (s *Session) EpochDone() bool {
	return s.st.Batch >= s.StepsPerEpoch()
}

// LR is the current epoch's learning rate (model.CosineLR).
func (s *Session) LR() float64 {
	return model.CosineLR(s.o.LR, s.o.EtaMin, s.o.TMax, s.st.Epoch)
}

// ValLosses are the validation losses of the finished epochs.
func (s *Session) ValLosses() []float64 { return s.st.ValLoss }

// Step runs one optimiser step on the next batch of the current epoch's
// shuffle (the epoch must not be done: see EpochDone).
func (s *Session) Step() (StepResult, error) {
	n, bs := len(s.ds.Train), s.o.Batch
	epoch := s.st.Epoch
	if s.EpochDone() {
		return StepResult{}, fmt.Errorf("epoch %d is done: EndEpoch before the next step", epoch+1)
	}
	if s.orderEpoch != epoch {
		s.order, s.orderEpoch = Shuffle(n, s.o.Seed, epoch), epoch
	}
	idx := s.order[s.st.Batch*bs : min((s.st.Batch+1)*bs, n)]
	x := s.upload(s.ds.Train, idx) // (len(idx),3,S,S)
	loss, grads, err := s.m.LossAndGrads(x, s.cfg.Lambda, noiseSeed(s.o.Seed, trainNoise, s.st.Step))
	s.be.Free(x)
	if err != nil {
		return StepResult{}, s.deviceError(fmt.Sprintf("epoch %d, step %d", epoch+1, s.st.Batch+1), err)
	}
	if !finite(float64(loss)) {
		for _, g := range grads {
			s.be.Free(g)
		}
		return StepResult{}, fmt.Errorf("epoch %d, step %d: the training loss is %g; try a smaller learning rate", epoch+1, s.st.Batch+1, loss)
	}
	s.opt.Step(grads, s.LR())
	s.st.Step++
	s.st.Batch++
	s.st.LossSum += float64(loss) * float64(len(idx))
	s.st.Images += len(idx)
	return StepResult{Loss: loss, Images: len(idx), Epoch: epoch, Step: s.st.Step}, nil
}

// EndEpoch validates and records the finished epoch (the training loss is
// the mean over the epoch's images). It returns ErrInterrupted if ctx is
// cancelled during validation, the epoch then still open.
func (s *Session) EndEpoch(ctx context.Context) (EpochResult, error) {
	lr := s.LR()
	val, err := s.validate(ctx)
	if err != nil {
		return EpochResult{}, err
	}
	if !finite(val) {
		return EpochResult{}, fmt.Errorf("epoch %d: the validation loss is %g; try a smaller learning rate", s.st.Epoch+1, val)
	}
	st := &s.st
	trainLoss := st.LossSum / float64(st.Images)
	st.Epoch++
	st.Batch, st.LossSum, st.Images, st.Seconds = 0, 0, 0, 0
	st.TrainLoss = append(st.TrainLoss, trainLoss)
	st.ValLoss = append(st.ValLoss, val)
	improved := val < st.BestVal
	if improved {
		st.BestVal, st.BestEpoch, st.SinceBest = val, st.Epoch, 0
	} else {
		st.SinceBest++
	}
	s.validatedStep = st.Step
	if err := s.keepIfBest(val, false); err != nil {
		return EpochResult{}, err
	}
	return EpochResult{Epoch: st.Epoch, LR: lr, TrainLoss: trainLoss, ValLoss: val, Improved: improved}, nil
}

// TrackBest makes the session keep a host copy of the run (weights, AdamW
// moments, run state) each time a validation gives the lowest held-out loss
// so far (see Best): the browser demo detects with and exports that, as
// native train writes best.safetensors. Run does not call it (it writes
// best.safetensors itself).
func (s *Session) TrackBest() { s.trackBest = true }

// Best is the run at its lowest held-out loss so far; nil before the first
// validation or without TrackBest.
func (s *Session) Best() *Best { return s.best }

// Validated reports whether the current weights have been validated (an
// EndEpoch or ValidateNow after the last step).
func (s *Session) Validated() bool { return s.validatedStep == s.st.Step }

// ValidateNow validates the current weights in the middle of an epoch (as
// EndEpoch validates, the same held-out images and noise) without ending
// it, and with TrackBest keeps them as Best when their held-out loss is
// lower than Best's. The run's own state (the epoch's losses, native's
// best validation loss and patience) is unchanged, so a run continued
// afterwards goes on as if it had not been validated.
func (s *Session) ValidateNow(ctx context.Context) (float64, error) {
	val, err := s.validate(ctx)
	if err != nil {
		return 0, err
	}
	if !finite(val) {
		return 0, fmt.Errorf("step %d: the validation loss is %g; try a smaller learning rate", s.st.Step, val)
	}
	s.validatedStep = s.st.Step
	return val, s.keepIfBest(val, !s.EpochDone() && s.st.Batch > 0)
}

// ValidateStart validates the starting weights of a session NewSession was
// given base for (fine-tuning), before its first step, and with TrackBest
// makes them Best (Step 0): a trained step is kept only when its held-out
// loss is lower than the model the run started from. It is an error after
// a step or for a run from scratch (whose step 0 is random weights, never
// a candidate, as in native train). The run's state is unchanged.
func (s *Session) ValidateStart(ctx context.Context) (float64, error) {
	if !s.fromWeights || s.st.Step != 0 {
		return 0, errors.New("ValidateStart: only before the first step of a run that starts from given weights")
	}
	if len(s.ds.Val) == 0 {
		return 0, errors.New("ValidateStart: no held-out images to validate the starting weights on")
	}
	return s.ValidateNow(ctx)
}

// TrainedValLoss is the lowest held-out loss of a trained step (step 1 or
// later) validated so far, NaN before one: when Best is the starting
// weights (Step 0), what training reached instead.
func (s *Session) TrainedValLoss() float64 { return s.trainedValLoss }

// keepIfBest makes the current run Best when TrackBest was called and val
// is lower than Best's (strictly: on ties the earlier stays).
func (s *Session) keepIfBest(val float64, midEpoch bool) error {
	if s.st.Step > 0 && !(val >= s.trainedValLoss) { // NaN before the first: any val
		s.trainedValLoss = val
	}
	if !s.trackBest || s.best != nil && !(val < s.best.ValLoss) {
		return nil
	}
	ck, err := s.checkpoint(nil)
	if err != nil {
		return err
	}
	ck.State.TrainLoss = slices.Clone(ck.State.TrainLoss)
	ck.State.ValLoss = slices.Clone(ck.State.ValLoss)
	s.best = &Best{Step: s.st.Step, Epoch: s.st.Epoch, ValLoss: val, MidEpoch: midEpoch, ck: ck}
	return nil
}

// CalibrateBest is Calibrate for Best's weights: when Best is the current
// step the session's own model, else a model of them built on the
// session's backend for it and freed. It returns an error before the first
// validation.
func (s *Session) CalibrateBest() (*model.Calibration, error) {
	if s.best == nil {
		return nil, errors.New("no validated weights to calibrate")
	}
	if s.best.Step == s.st.Step {
		return s.Calibrate() // the weights on the backend are Best's: no second copy
	}
	if len(s.ds.Val) == 0 {
		return nil, errors.New("no held-out normal images to set a threshold with")
	}
	m, err := model.New(s.be, s.best.Weights())
	if err != nil {
		return nil, s.deviceError("calibration", err)
	}
	defer m.Free()
	return calibrateModel(m, s.ds, s.o.Batch, s.deviceError)
}

// ExportBest is Export of Best: its weights, calibration cal when not nil,
// and the checkpoint of the run as it stood at that step (train
// -resume-from goes on from there). It returns an error before the first
// validation.
func (s *Session) ExportBest(cal *model.Calibration) (*safetensors.File, error) {
	if s.best == nil {
		return nil, errors.New("no validated weights to export")
	}
	return exportFile(s.best.ck, cal)
}

// upload stacks the images set[idx...] into one (len(idx),3,S,S) tensor.
func (s *Session) upload(set [][]float32, idx []int) backend.Tensor {
	size := s.cfg.Size
	plane := 3 * size * size
	buf := make([]float32, 0, len(idx)*plane)
	for _, i := range idx {
		buf = append(buf, set[i]...)
	}
	return s.be.Upload(backend.Shape{N: len(idx), C: 3, H: size, W: size}, buf)
}

// validate is the mean loss over the validation images, in batches of
// o.Batch with fixed noise seeds. It returns ErrInterrupted if ctx is
// cancelled first.
func (s *Session) validate(ctx context.Context) (float64, error) {
	if len(s.ds.Val) == 0 { // no held-out images: the epoch's training loss stands in
		return s.st.LossSum / float64(s.st.Images), nil
	}
	var sum float64
	for b, i := 0, 0; i < len(s.ds.Val); b, i = b+1, i+s.o.Batch {
		if ctx.Err() != nil {
			return 0, ErrInterrupted
		}
		idx := make([]int, 0, s.o.Batch)
		for j := i; j < min(i+s.o.Batch, len(s.ds.Val)); j++ {
			idx = append(idx, j)
		}
		x := s.upload(s.ds.Val, idx)
		loss, err := s.m.Loss(x, s.cfg.Lambda, noiseSeed(s.o.Seed, valNoise, b))
		s.be.Free(x)
		if err != nil {
			return 0, s.deviceError("validation", err)
		}
		sum += float64(loss) * float64(len(idx))
	}
	return sum / float64(len(s.ds.Val)), nil
}

// deviceError names where err happened; on a GPU backend it suggests a
// smaller batch, the usual reason a step fails there.
func (s *Session) deviceError(where string, err error) error {
	if s.be.Name() != "cpu" {
		return fmt.Errorf("%s: %w (on a GPU this usually means that a batch does not fit the device: try a smaller -batch than %d)", where, err, s.o.Batch)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// checkpoint is the run as last.safetensors holds it, with params (nil:
// downloaded from the backend).
func (s *Session) checkpoint(params map[string][]float32) (*checkpoint, error) {
	if params == nil {
		var err error
		if params, err = s.m.HostParams(); err != nil {
			return nil, s.deviceError("saving", err)
		}
	}
	adam, err := s.opt.State()
	if err != nil {
		return nil, s.deviceError("saving", err)
	}
	return &checkpoint{
		Weights:     &model.Weights{Config: s.cfg, Params: params},
		Flags:       s.o.flagValues(),
		State:       s.st,
		Adam:        adam,
		Fingerprint: s.ds.Fingerprint(),
	}, nil
}

// Calibrate fits a calibration to the current weights (model.FitCalibration,
// as Run calibrates best.safetensors): per-position statistics from the maps
// of up to MaxCalibrationImages training images, the threshold the largest
// calibrated score of the held-out images. The maps are detect's (the
// weights' λ, seed 0). With no held-out images it returns an error.
func (s *Session) Calibrate() (*model.Calibration, error) {
	if len(s.ds.Val) == 0 {
		return nil, errors.New("no held-out normal images to set a threshold with")
	}
	return calibrateModel(s.m, s.ds, s.o.Batch, s.deviceError)
}

// calibrateModel is Calibrate on any model of the data's size.
func calibrateModel(m *model.Model, ds *Dataset, batch int, deviceError func(string, error) error) (*model.Calibration, error) {
	train := ds.Train[:min(len(ds.Train), MaxCalibrationImages)]
	stat, err := anomalyMaps(m, train, batch, deviceError)
	if err != nil {
		return nil, err
	}
	held, err := anomalyMaps(m, ds.Val, batch, deviceError)
	if err != nil {
		return nil, err
	}
	cal, err := model.FitCalibration(stat, held, m.Cfg.Size)
	if err != nil {
		return nil, fmt.Errorf("calibration: %w", err)
	}
	return cal, nil
}

// anomalyMaps are the raw anomaly maps of images, in batches of batch.
func anomalyMaps(m *model.Model, images [][]float32, batch int, deviceError func(string, error) error) ([][]float32, error) {
	var out [][]float32
	for i := 0; i < len(images); i += batch {
		rs, err := infer.Run(m, images[i:min(i+batch, len(images))], m.Cfg.Lambda, 0, nil)
		if err != nil {
			return nil, deviceError("calibration", err)
		}
		for _, res := range rs {
			out = append(out, res.Map)
		}
	}
	return out, nil
}

// Export is the run as one safetensors file: the spec weights (the current
// parameters), the calibration cal when not nil (calib.* tensors and
// metadata, as model.WriteCalibrated writes them), and the checkpoint of
// last.safetensors (adam.m.*/adam.v.* tensors, state.*, flag.* and
// data.fingerprint metadata). detect and eval read it as weights
// (model.FromSafetensors drops the optimiser state); train -resume-from
// continues it.
func (s *Session) Export(cal *model.Calibration) (*safetensors.File, error) {
	ck, err := s.checkpoint(nil)
	if err != nil {
		return nil, err
	}
	return exportFile(ck, cal)
}

// exportFile is checkpoint ck as writeLast writes it, plus calibration cal.
func exportFile(ck *checkpoint, cal *model.Calibration) (*safetensors.File, error) {
	f := lastFile(ck)
	if cal != nil {
		w := &model.Weights{Config: ck.Weights.Config, Meta: map[string]string{}}
		if err := cal.Store(w); err != nil {
			return nil, err
		}
		maps.Copy(f.Metadata, w.Meta)
		for name, t := range w.Calib {
			f.Tensors[name] = t
		}
	}
	return f, nil
}

// MoveTo continues the run on another backend (after a GPU failure, on the
// CPU): the weights, optimiser moments and run state are downloaded, a new
// session is built on be from them that goes on exactly where this one
// stood (its Best too), and only then is this session freed. If the
// download or the new session fails, this session is kept as it was (not
// freed) and the error returned.
func (s *Session) MoveTo(be backend.Backend) (*Session, error) {
	ck, err := s.checkpoint(nil)
	if err != nil {
		return nil, err
	}
	moved, err := newSession(be, s.o, s.ds, nil, ck)
	if err != nil {
		return nil, fmt.Errorf("moving the run to %s: %w", be.Name(), err)
	}
	moved.trackBest, moved.best, moved.validatedStep = s.trackBest, s.best, s.validatedStep
	moved.fromWeights, moved.trainedValLoss = s.fromWeights, s.trainedValLoss
	s.Free()
	return moved, nil
}
