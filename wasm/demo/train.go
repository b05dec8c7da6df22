//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"runtime/debug"
	"strings"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
	"github.com/noise2norm/noise2norm/internal/train"
)

// Training in the worker. A train request's run is a train.Session (the
// code cmd/train runs) driven step by step in a goroutine of its own. After
// every step it releases the compute lock and sleeps a millisecond, which
// hands the thread back to the JavaScript event loop: the worker's message
// handler queues the requests that arrived meanwhile, and the request
// goroutine handles them (a train-stop, a detect on another session)
// between two steps.

// maxTrainSteps bounds a request's steps (a typo guard: 100 000 steps of
// the small preset are hours on a laptop GPU).
const maxTrainSteps = 100_000

// defaultValFraction is the held-out share when a train request gives none.
const defaultValFraction = 0.2

// fewHeldOut is the number of held-out images below which the calibration
// note warns that the threshold means little.
const fewHeldOut = 5

// trainRun is a session's training run: the train.Session and what the page
// asked for.
type trainRun struct {
	s       *train.Session
	preset  train.Preset
	heldOut int
	cal     *model.Calibration // the calibration after the last request, nil if none
	info    backendInfo        // where it trains
	running bool               // a train or train-continue request is under way
	stop    bool               // a train-stop request asked it to stop after its step

	// startVal is the held-out loss of the weights the run started from
	// (train.Session.ValidateStart, before its first step), the step-0
	// candidate for the kept weights; NaN for a run from scratch.
	startVal      float64
	validateStart bool // the run starts from given weights whose start is not validated yet
}

// estimate times one training step of a preset on random data.
func (w *worker) estimate(r estimateRequest) {
	p, err := train.PresetNamed(r.Preset)
	if err != nil {
		w.postError(r.ID, CodeBadInput, "train-estimate: "+err.Error())
		return
	}
	w.compute.Lock()
	defer w.compute.Unlock()
	be, info := w.choose(backendPref(r.Backend))
	o := p.Options(1, 0)
	tensors := make([][]float32, p.Batch)
	names := make([]string, p.Batch)
	for i := range tensors {
		tensors[i] = randomImage(p.Size, uint32(i))
		names[i] = fmt.Sprintf("random-%d", i)
	}
	ds, err := train.NewDataset(tensors, names, p.Size, 0, 1)
	if err != nil {
		w.postError(r.ID, CodeInternal, err.Error())
		return
	}
	before := memoryMark(be)
	s, err := train.NewSession(be, o, ds, nil)
	if err != nil {
		w.postError(r.ID, CodeInternal, err.Error())
		return
	}
	defer s.Free()
	// The first step compiles the GPU pipelines and fills the pools; the
	// second is what every later step costs.
	var dt time.Duration
	for i := range 2 {
		if s.EpochDone() {
			if _, err := s.EndEpoch(context.Background()); err != nil {
				w.postError(r.ID, CodeInternal, err.Error())
				return
			}
		}
		t0 := time.Now()
		if _, err := s.Step(); err != nil {
			w.postError(r.ID, CodeInternal, fmt.Sprintf("a training step on %s failed: %v", info.Name, err))
			return
		}
		if i == 1 {
			dt = time.Since(t0)
		}
	}
	post(estimateReply{
		ID: r.ID, Preset: p.Name, Backend: info, SecondsPerStep: dt.Seconds(),
		ImagesPerSecond: float64(p.Batch) / dt.Seconds(), MemoryBytes: before.peakSince(),
		Batch: p.Batch, DefaultSteps: p.Steps, Config: configOf(o.Config()),
	}.js(), nil)
}

// memMark is a backend's live tensor bytes at one moment.
type memMark struct {
	be   backend.Backend
	live int64
}

// memoryMark records be's live tensor bytes now and restarts its
// high-water mark.
func memoryMark(be backend.Backend) memMark {
	m := memMark{be: be}
	switch b := be.(type) {
	case *cpu.Backend:
		b.ResetPeak()
		m.live = b.MemStats().Live
	case *gpu.Backend:
		b.ResetPeak()
		m.live = b.MemStats().Live
	}
	return m
}

// peakSince is the backend's high-water mark of live tensor bytes since
// the mark, beyond what was live then: on the CPU the buffer pool's count,
// on WebGPU the tensor buffers' (each rounded up to 256 bytes).
func (m memMark) peakSince() int64 {
	switch b := m.be.(type) {
	case *cpu.Backend:
		return b.MemStats().Peak - m.live
	case *gpu.Backend:
		return b.MemStats().Peak - m.live
	}
	return 0
}

// randomImage is a (3,S,S) tensor of uniform values in [−1,1] from a hash.
func randomImage(size int, seed uint32) []float32 {
	x := make([]float32, 3*size*size)
	for i := range x {
		x[i] = float32(backend.PCGHash(seed*0x9e3779b9+uint32(i)))/float32(math.MaxUint32)*2 - 1
	}
	return x
}

// backendPref is a request's backend preference, auto when unknown.
func backendPref(p string) string {
	if p != PrefWebGPU && p != PrefCPU {
		return PrefAuto
	}
	return p
}

// configOf is c as the page sees it.
func configOf(c model.Config) configInfo {
	return configInfo{Size: c.Size, WF: c.WF, Depth: c.Depth, Lambda: float64(c.Lambda), Alpha: float64(c.Alpha)}
}

// startTrain checks a train request, decodes its images and starts the run
// in a goroutine of its own.
func (w *worker) startTrain(r trainRequest) {
	if r.Session == "" {
		w.postError(r.ID, CodeBadInput, "train: a session name is required")
		return
	}
	if s := w.sessions[r.Session]; s != nil && s.run != nil && s.run.running {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("train: session %q is training; stop it first", r.Session))
		return
	}
	p, err := train.PresetNamed(r.Preset)
	if err != nil {
		w.postError(r.ID, CodeBadInput, "train: "+err.Error())
		return
	}
	steps := r.Steps
	if steps == 0 {
		steps = p.Steps
	}
	if steps < 1 || steps > maxTrainSteps {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("train: %d steps; want 1 to %d", r.Steps, maxTrainSteps))
		return
	}
	val := r.ValFraction
	if val < 0 {
		val = defaultValFraction
	}
	if !(val > 0 && val < 1) {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("train: valFraction %g; want more than 0 (held-out images set the threshold) and less than 1", r.ValFraction))
		return
	}
	if len(r.Images) > trainMaxImages {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("train: %d images; at most %d are taken (and at least %d)", len(r.Images), trainMaxImages, trainMinImages))
		return
	}
	var base *model.Weights
	if len(r.Base) > 0 {
		f, err := safetensors.Read(bytes.NewReader(r.Base))
		if err == nil {
			base, err = model.FromSafetensors(f)
		}
		if err != nil {
			w.postError(r.ID, CodeModel, "train: the model to start from: "+err.Error())
			return
		}
		if c := base.Config; c.WF != p.WF || c.Size != p.Size || c.Depth != p.Depth || !c.Attention {
			w.postError(r.ID, CodeModel, fmt.Sprintf("train: the model to start from has %s; the %s preset needs wf=%d depth=%d size=%d attention=true", c, p.Name, p.WF, p.Depth, p.Size))
			return
		}
	}
	// Decode as detect decodes; bad files are named and left out. Each
	// image's end is reported (train-decode), so that the page shows how
	// far reading a few hundred photos has come.
	var tensors [][]float32
	var kept []string
	var skipped []skippedImage
	for i, im := range r.Images {
		name := im.Name
		if name == "" {
			name = fmt.Sprintf("image-%d", i+1)
		}
		img, _, code, err := checkDecode(im.Bytes, defaultMaxPixels)
		r.Images[i].Bytes = nil
		if err != nil {
			skipped = append(skipped, skippedImage{name, code, err.Error()})
		} else {
			tensors = append(tensors, imageio.ToTensor(img, p.Size))
			kept = append(kept, name)
		}
		post(trainDecodeReply{ID: r.ID, Session: r.Session, Decoded: i + 1, Total: len(r.Images), Name: name, Skipped: err != nil}.js(), nil)
	}
	if len(tensors) < trainMinImages {
		msg := fmt.Sprintf("train: %d usable images; at least %d are needed (and at most %d)", len(tensors), trainMinImages, trainMaxImages)
		if len(skipped) > 0 {
			var parts []string
			for _, s := range skipped {
				parts = append(parts, fmt.Sprintf("%s (%s)", s.Name, s.Message))
			}
			msg += "; skipped: " + strings.Join(parts, ", ")
		}
		w.postError(r.ID, CodeTooFew, msg)
		return
	}
	ds, err := train.NewDataset(tensors, kept, p.Size, val, r.Seed)
	if err != nil {
		w.postError(r.ID, CodeBadInput, "train: "+err.Error())
		return
	}
	w.compute.Lock()
	be, info := w.choose(backendPref(r.Backend))
	s, err := train.NewSession(be, p.Options(r.Seed, val), ds, base)
	if err != nil && info.Kind == "webgpu" {
		why := fmt.Sprintf("WebGPU failed (%v)", err)
		be, info = w.cpu, info.onCPU(why)
		s, err = train.NewSession(be, p.Options(r.Seed, val), ds, base)
	}
	w.compute.Unlock()
	if err != nil {
		w.postError(r.ID, CodeInternal, "train: "+err.Error())
		return
	}
	s.TrackBest()
	run := &trainRun{s: s, preset: p, heldOut: len(ds.Val), info: info, running: true, startVal: math.NaN(), validateStart: base != nil}
	sess := w.sessions[r.Session]
	if sess == nil {
		sess = &session{}
		w.sessions[r.Session] = sess
	}
	if sess.run != nil {
		sess.run.s.Free()
	}
	sess.run = run
	post(trainStartedReply{
		ID: r.ID, Session: r.Session, Kept: kept, Skipped: skipped,
		TrainImages: len(ds.Train), HeldOut: len(ds.Val), Backend: info, Config: configOf(s.Model().Cfg),
		Batch: p.Batch, Steps: steps, Seed: r.Seed,
	}.js(), nil)
	go w.trainSteps(r.ID, r.Session, sess, steps)
}

// checkDecode decodes an image file's bytes as a train request does
// (format as image.Decode names it); on failure code is the error code
// (not-image, too-large) it is skipped with.
func checkDecode(b []byte, maxPixels int) (img image.Image, format, code string, err error) {
	if len(b) == 0 {
		return nil, "", CodeNotImage, errors.New("the file is empty")
	}
	img, format, err = decodeImage(b, maxPixels)
	if err != nil {
		code = CodeNotImage
		if errors.Is(err, errTooLarge) {
			code = CodeTooLarge
		}
		return nil, "", code, err
	}
	return img, format, "", nil
}

// checkImage answers a check-image request: whether a train request could
// read the file, and why not (the page refuses such a file when it is
// added, not when training starts).
func (w *worker) checkImage(r checkImageRequest) {
	maxPixels := r.MaxPixels
	if maxPixels <= 0 {
		maxPixels = defaultMaxPixels
	}
	reply := imageCheckedReply{ID: r.ID, Name: r.Name}
	img, format, code, err := checkDecode(r.Bytes, maxPixels)
	if err != nil {
		reply.Code, reply.Message = code, err.Error()
	} else {
		b := img.Bounds()
		reply.OK, reply.Width, reply.Height, reply.Format = true, b.Dx(), b.Dy(), format
	}
	post(reply.js(), nil)
}

// continueTrain runs a session's last run for more steps.
func (w *worker) continueTrain(r continueRequest) {
	sess := w.sessions[r.Session]
	if sess == nil || sess.run == nil {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("train-continue: session %q has no training run to continue", r.Session))
		return
	}
	run := sess.run
	if run.running {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("train-continue: session %q is training", r.Session))
		return
	}
	if r.Steps < 1 || r.Steps > maxTrainSteps {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("train-continue: %d steps; want 1 to %d", r.Steps, maxTrainSteps))
		return
	}
	if r.Backend != "" {
		w.compute.Lock()
		be, info := w.choose(backendPref(r.Backend))
		if be != run.s.Backend() {
			s, err := run.s.MoveTo(be)
			if err != nil {
				w.compute.Unlock()
				w.postError(r.ID, CodeInternal, "train-continue: moving the run: "+err.Error())
				return
			}
			run.s, run.info = s, info
		}
		w.compute.Unlock()
	}
	run.running, run.stop = true, false
	ds := run.s.Dataset()
	post(trainStartedReply{
		ID: r.ID, Session: r.Session, Kept: append(append([]string{}, ds.TrainPaths...), ds.ValPaths...), Skipped: nil,
		TrainImages: len(ds.Train), HeldOut: len(ds.Val), Backend: run.info, Config: configOf(run.s.Model().Cfg),
		Batch: run.preset.Batch, Steps: r.Steps, Seed: run.s.Options().Seed,
	}.js(), nil)
	go w.trainSteps(r.ID, r.Session, sess, r.Steps)
}

// stopTrain asks a session's run to stop after its current step.
func (w *worker) stopTrain(r sessionRequest) {
	sess := w.sessions[r.Session]
	if sess == nil || sess.run == nil || !sess.run.running {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("train-stop: session %q is not training", r.Session))
		return
	}
	sess.run.stop = true
	post(map[string]any{"v": ProtocolVersion, "type": TypeDone, "id": r.ID}, nil)
}

// trainSteps runs steps optimiser steps of sess's run (validating at epoch
// ends), yielding to the event loop after each, then calibrates, makes the
// trained model sess's detection model and posts trained. It runs in its
// own goroutine; a panic becomes an error reply.
func (w *worker) trainSteps(id int, name string, sess *session, steps int) {
	run := sess.run
	defer func() {
		run.running = false
		if p := recover(); p != nil {
			fmt.Printf("n2n: panic in training (request %d): %v\n%s", id, p, debug.Stack())
			w.postError(id, CodeInternal, fmt.Sprintf("training failed: %v", p))
		}
	}()
	start := time.Now()
	var losses, valLosses []float64
	var trainTime time.Duration
	images := 0
	fellBack := ""
	lastVal := math.NaN()
	if v := run.s.ValLosses(); len(v) > 0 {
		lastVal = v[len(v)-1]
	}
	fail := func(err error) {
		w.postError(id, CodeInternal, fmt.Sprintf("training stopped at step %d of %d: %v", len(losses)+1, steps, err))
	}
	if run.validateStart {
		if err := w.validateStart(run); err != nil {
			w.postError(id, CodeInternal, "training: validating the starting model: "+err.Error())
			return
		}
	}
	for len(losses) < steps && !run.stop {
		res, ep, why, dt, err := w.trainStep(run)
		trainTime += dt
		if ep != nil {
			valLosses = append(valLosses, ep.ValLoss)
			lastVal = ep.ValLoss
		}
		if why != "" {
			fellBack = why
		}
		if err != nil {
			fail(err)
			return
		}
		losses = append(losses, float64(res.Loss))
		images += res.Images
		elapsed := time.Since(start).Seconds()
		post(trainProgressReply{
			ID: id, Session: name, Step: len(losses), Steps: steps, Epoch: run.s.Epochs(),
			Loss: float64(res.Loss), ValLoss: lastVal, ImagesPerSecond: float64(images) / trainTime.Seconds(),
			ETASeconds: elapsed / float64(len(losses)) * float64(steps-len(losses)), ElapsedSeconds: elapsed, Phase: "train",
		}.js(), nil)
		time.Sleep(time.Millisecond) // back to the event loop: requests that came meanwhile are handled
	}
	stopped := len(losses) < steps
	ep, err := w.validateEnd(run)
	if err != nil {
		fail(err)
		return
	}
	if ep != nil {
		valLosses = append(valLosses, ep.ValLoss)
		lastVal = ep.ValLoss
	}
	post(trainProgressReply{
		ID: id, Session: name, Step: len(losses), Steps: steps, Epoch: run.s.Epochs(), Loss: lastOr(losses, math.NaN()),
		ValLoss: lastVal, ImagesPerSecond: float64(images) / trainTime.Seconds(), ElapsedSeconds: time.Since(start).Seconds(), Phase: "calibrate",
	}.js(), nil)
	time.Sleep(time.Millisecond)

	note, err := w.finishRun(sess, run)
	if err != nil {
		fail(err)
		return
	}
	var best *bestInfo
	if b := run.s.Best(); b != nil {
		best = &bestInfo{Step: b.Step, Epoch: b.Epoch, ValLoss: b.ValLoss, MidEpoch: b.MidEpoch, StartValLoss: run.startVal, TrainedValLoss: run.s.TrainedValLoss()}
	}
	var calInfo *calibrationInfo
	if run.cal != nil {
		calInfo = (&calibration{run.cal}).info()
	}
	post(trainedReply{
		ID: id, Session: name, Stopped: stopped, Steps: len(losses), Losses: losses, ValLosses: valLosses,
		ImagesPerSecond: float64(images) / trainTime.Seconds(), Seconds: time.Since(start).Seconds(),
		Backend: run.info, Config: configOf(run.s.Model().Cfg), Calibration: calInfo, CalibrationNote: note,
		HeldOut: run.heldOut, FellBack: fellBack, RunSteps: run.s.Steps(), Best: best,
	}.js(), nil)
}

// validateStart validates the weights a run from a given model starts
// with, before its first step (train.Session.ValidateStart), under the
// compute lock: they are the kept weights (step 0) until a trained step
// has a lower held-out loss.
func (w *worker) validateStart(run *trainRun) error {
	w.compute.Lock()
	defer w.compute.Unlock()
	v, err := run.s.ValidateStart(context.Background())
	if err != nil {
		return err
	}
	run.startVal, run.validateStart = v, false
	return nil
}

// validateEnd validates the run's weights at the end of a request unless
// that step was validated already: it ends the epoch when the request's
// last step finished one (as native train validates every epoch's end;
// ep is then that epoch), else it validates them in the middle of the
// epoch (train.Session.ValidateNow), so that they are a candidate for the
// kept (best) weights too.
func (w *worker) validateEnd(run *trainRun) (ep *train.EpochResult, err error) {
	w.compute.Lock()
	defer w.compute.Unlock()
	if run.s.Validated() {
		return nil, nil
	}
	if run.s.EpochDone() {
		e, err := run.s.EndEpoch(context.Background())
		if err != nil {
			return nil, err
		}
		return &e, nil
	}
	_, err = run.s.ValidateNow(context.Background())
	return nil, err
}

// trainStep runs the run's next optimiser step under the compute lock,
// ending the epoch first (validation) when it is done. On a WebGPU failure
// with the device still there (out of memory) it moves the run to the CPU,
// from the state before the failed step, and says why in fellBack. dt is
// the wall time of the step alone (not the validation).
func (w *worker) trainStep(run *trainRun) (res train.StepResult, ep *train.EpochResult, fellBack string, dt time.Duration, err error) {
	w.compute.Lock()
	defer w.compute.Unlock()
	if why, lost := w.gpu.isLost(); lost && run.info.Kind == "webgpu" {
		return res, nil, "", 0, fmt.Errorf("%s; the run's state was on the GPU and is lost: train again (on the CPU)", why)
	}
	if run.s.EpochDone() {
		e, err := run.s.EndEpoch(context.Background())
		if err != nil {
			return res, nil, "", 0, err
		}
		ep = &e
	}
	t0 := time.Now()
	res, err = run.s.Step()
	if err != nil && run.info.Kind == "webgpu" {
		why := fmt.Sprintf("WebGPU failed (%v)", err)
		if lostWhy, lost := w.gpu.isLost(); lost {
			return res, ep, "", 0, fmt.Errorf("%s; the run's state was on the GPU and is lost: train again (on the CPU)", lostWhy)
		}
		s, merr := run.s.MoveTo(w.cpu)
		if merr != nil {
			return res, ep, "", 0, fmt.Errorf("%s, and moving the run to the CPU failed: %v", why, merr)
		}
		run.s, fellBack = s, why
		run.info = run.info.onCPU(why)
		t0 = time.Now()
		res, err = run.s.Step()
	}
	return res, ep, fellBack, time.Since(t0), err
}

// finishRun calibrates the run's best weights (the lowest held-out loss,
// train.Session.Best) and makes them sess's detection model, under the
// compute lock. note is "" or what the page should say about the
// calibration.
func (w *worker) finishRun(sess *session, run *trainRun) (note string, err error) {
	w.compute.Lock()
	defer w.compute.Unlock()
	cal, err := run.s.CalibrateBest()
	if err != nil {
		note = "no calibration: " + err.Error()
		cal = nil
	} else if run.heldOut < fewHeldOut {
		note = fmt.Sprintf("only %d image%s held out: the threshold is the largest of %d score%s and will flag many good parts; train on more images for a threshold that means more",
			run.heldOut, plural(run.heldOut, " was", "s were"), run.heldOut, plural(run.heldOut, "", "s"))
	}
	run.cal = cal
	return note, w.useTrained(sess, run)
}

// useTrained makes the run's best weights (with its calibration) sess's
// detection model, on the run's backend.
func (w *worker) useTrained(sess *session, run *trainRun) error {
	best := run.s.Best()
	if best == nil {
		return errors.New("no validated weights to detect with")
	}
	wts := best.Weights()
	if run.cal != nil {
		if err := run.cal.Store(wts); err != nil {
			return err
		}
	}
	m, err := model.New(run.s.Backend(), wts)
	if err != nil {
		return err
	}
	if sess.m != nil {
		sess.m.Free()
	}
	sess.weights, sess.m, sess.info = wts, m, run.info
	return nil
}

// export answers an export request: a trained session's run (weights,
// calibration, checkpoint), or a loaded model's weights file.
func (w *worker) export(r sessionRequest) {
	sess := w.sessions[r.Session]
	if sess == nil || (sess.m == nil && sess.run == nil) {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("export: no model in session %q", r.Session))
		return
	}
	if sess.run != nil && sess.run.running {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("export: session %q is training; export when it has finished or been stopped", r.Session))
		return
	}
	w.compute.Lock()
	var f *safetensors.File
	var err error
	var cfg model.Config
	if sess.run != nil {
		cfg = sess.run.s.Model().Cfg
		f, err = sess.run.s.ExportBest(sess.run.cal)
	} else {
		cfg = sess.weights.Config
		f, err = sess.weights.File()
	}
	w.compute.Unlock()
	if err != nil {
		w.postError(r.ID, CodeInternal, "export: "+err.Error())
		return
	}
	var buf bytes.Buffer
	if err := safetensors.Write(&buf, f); err != nil {
		w.postError(r.ID, CodeInternal, "export: "+err.Error())
		return
	}
	name := fmt.Sprintf("%s-wf%d-s%d.safetensors", fileStem(r.Session), cfg.WF, cfg.Size)
	var transfer []any
	post(exportedReply{ID: r.ID, Session: r.Session, Name: name, Weights: buf.Bytes()}.js(&transfer), transfer)
}

// fileStem is s with only letters, digits, '-' and '_' kept ("model" if
// nothing is left).
func fileStem(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "model"
	}
	return b.String()
}

// lastOr is the last of vs, or def when there is none.
func lastOr(vs []float64, def float64) float64 {
	if len(vs) == 0 {
		return def
	}
	return vs[len(vs)-1]
}

// plural is one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
