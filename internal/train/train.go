package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Output files besides the checkpoints.
const (
	LogFile  = "train_log.jsonl" // one JSON object per epoch
	PlotFile = "loss.png"        // training and validation loss by epoch
)

// ErrInterrupted is Run's error when its context was cancelled: the
// current step was finished and last.safetensors saved.
var ErrInterrupted = errors.New("training interrupted")

// Noise seed streams: a training step's noise depends on (seed, step), a
// validation batch's on (seed, batch) alone, so that validation losses of
// different epochs compare the same noised inputs.
const (
	trainNoise = 0x6e6f6973 // "nois"
	valNoise   = 0x76616c21 // "val!"
)

// noiseSeed is the Noise seed of item i of a stream under the run's seed.
func noiseSeed(seed uint64, stream uint32, i int) uint32 {
	k := backend.PCGHash(uint32(seed) ^ backend.PCGHash(uint32(seed>>32)^stream))
	return backend.PCGHash(k + uint32(i))
}

// runner is one training run in progress: a Session, and the files and
// progress output of cmd/train.
type runner struct {
	*Session
	bar *Progress
	// choice is the λ search that chose this run's λ, or nil.
	choice *LambdaChoice
}

// Run trains as o says on be (which must be a backend.Trainer), reporting
// progress on logw. With o.Resume it continues o.Out/last.safetensors
// exactly as the run that wrote it would have gone on (the same shuffles,
// noise, learning rates and early stopping, so on a deterministic backend
// the same weights); otherwise it refuses an output folder that already
// has a last.safetensors. When ctx is cancelled it finishes the current
// step, saves last.safetensors and returns ErrInterrupted. -lambda auto
// is package lambdasearch's Run, not this; a resumed run that a λ search
// chose keeps the search's record (see RunChosen).
func Run(ctx context.Context, be backend.Backend, o Options, logw io.Writer) error {
	if o.LambdaAuto {
		return errors.New("-lambda auto: train.Run trains a fixed λ; lambdasearch.Run searches")
	}
	var choice *LambdaChoice
	if o.Resume {
		var err error
		if choice, err = ReadChoice(o.Out); err != nil {
			return err
		}
	}
	return run(ctx, be, o, logw, choice)
}

// run is Run for a fixed λ; a non-nil choice is the λ search that chose
// it, recorded in best.safetensors and train_log.jsonl.
func run(ctx context.Context, be backend.Backend, o Options, logw io.Writer, choice *LambdaChoice) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if _, ok := be.(backend.Trainer); !ok {
		return fmt.Errorf("backend %s cannot train (it has no backward ops)", be.Name())
	}
	cfg := o.Config()
	r := &runner{bar: NewProgress(logw, o.Epochs), choice: choice}
	lastPath := filepath.Join(o.Out, LastFile)
	var ck *checkpoint
	if o.Resume {
		var err error
		if ck, err = readLast(lastPath); err != nil {
			return fmt.Errorf("-resume: %w", err)
		}
		if got := ck.Weights.Config; !sameShape(got, cfg) {
			return fmt.Errorf("-resume: %s holds a network with %s, the flags ask for %s", lastPath, got, cfg)
		}
	} else if _, err := os.Stat(lastPath); err == nil {
		return fmt.Errorf("%s exists: continue that run with -resume, or choose another -out", lastPath)
	}
	ds, err := LoadDataset(o.Data, o.Category, o.Size, o.MaxPixels, o.Val, o.Seed, logw)
	if err != nil {
		return err
	}
	fmt.Fprintf(logw, "%d training and %d validation images from %s, decoded at %d² and cached in memory (%.1f MB)\n",
		len(ds.Train), len(ds.Val), o.Data, o.Size, float64(ds.Bytes())/1e6)
	if o.Batch > len(ds.Train) {
		fmt.Fprintf(logw, "note: -batch %d is more than the %d training images: each step takes all of them\n", o.Batch, len(ds.Train))
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	if ck != nil && ck.Fingerprint != ds.Fingerprint() {
		fmt.Fprintf(logw, "note: the training images differ from those of the checkpoint: the run will differ from an unbroken one\n")
	}
	if r.Session, err = newSession(be, o, ds, nil, ck); err != nil {
		if ck != nil {
			return fmt.Errorf("-resume: %s: %w", lastPath, err)
		}
		return err
	}
	defer r.Free()
	if ck != nil {
		fmt.Fprintf(logw, "resuming after epoch %d, step %d (best validation loss %.6g at epoch %d)\n",
			r.st.Epoch, r.st.Step, r.st.BestVal, r.st.BestEpoch)
	}
	if err := r.startLog(); err != nil {
		return err
	}
	if err := r.loop(ctx); err != nil {
		return err
	}
	return r.calibrate()
}

// stopped says why the run is over, or "" while it goes on.
func (r *runner) stopped() string {
	switch {
	case r.st.SinceBest >= r.o.Patience:
		return fmt.Sprintf("early stop: no better validation loss for %d epochs", r.st.SinceBest)
	case r.st.Epoch >= r.o.Epochs:
		return fmt.Sprintf("reached -epochs %d", r.o.Epochs)
	}
	return ""
}

// loop runs the remaining epochs.
func (r *runner) loop(ctx context.Context) error {
	steps := r.StepsPerEpoch()
	for r.stopped() == "" {
		epoch := r.st.Epoch // 0-based index of the epoch under way
		start := time.Now()
		trained, trainTime := 0, time.Duration(0)
		r.st.Batch = min(r.st.Batch, steps) // fewer steps if -batch grew on -resume
		r.bar.StartEpoch(epoch, steps, r.st.Batch)
		for !r.EpochDone() {
			if ctx.Err() != nil {
				return r.interrupt(time.Since(start))
			}
			t0 := time.Now()
			res, err := r.Step()
			if err != nil {
				return err
			}
			trained += res.Images
			trainTime += time.Since(t0)
			r.bar.Step(res.Images, r.st.LossSum/float64(r.st.Images))
		}
		before := r.st.Seconds // of the epoch's part before a resume
		ep, err := r.EndEpoch(ctx)
		if errors.Is(err, ErrInterrupted) {
			return r.interrupt(time.Since(start))
		}
		if err != nil {
			return err
		}
		if err := r.endEpoch(ep, trained, trainTime, before+time.Since(start).Seconds()); err != nil {
			return err
		}
	}
	r.bar.Printf("%s; best validation loss %.6g at epoch %d, in %s", r.stopped(), r.st.BestVal, r.st.BestEpoch, filepath.Join(r.o.Out, BestFile))
	return nil
}

// endEpoch records a finished epoch: the log line, best.safetensors when
// the validation loss improved, last.safetensors, the plot and a summary.
func (r *runner) endEpoch(ep EpochResult, trained int, trainTime time.Duration, seconds float64) error {
	st := &r.st
	lr, val, trainLoss, improved := ep.LR, ep.ValLoss, ep.TrainLoss, ep.Improved
	rate := 0.0
	if trainTime > 0 {
		rate = float64(trained) / trainTime.Seconds()
	}
	entry := logEntry{Epoch: st.Epoch, Step: st.Step, LR: lr, TrainLoss: trainLoss, ValLoss: val, ImagesPerS: rate, Seconds: seconds, Best: improved}
	if err := appendLog(filepath.Join(r.o.Out, LogFile), entry); err != nil {
		return err
	}
	params, err := r.m.HostParams()
	if err != nil {
		return r.deviceError("saving", err)
	}
	if improved {
		if err := writeBest(filepath.Join(r.o.Out, BestFile), r.cfg, params, st.Epoch, val, r.choice); err != nil {
			return err
		}
	}
	if err := r.saveLast(params); err != nil {
		return err
	}
	if err := PlotLoss(filepath.Join(r.o.Out, PlotFile), st.TrainLoss, st.ValLoss); err != nil {
		return err
	}
	mark := ""
	if improved {
		mark = "  (best)"
	}
	r.bar.Printf("epoch %d/%d  train %.6f  val %.6f  lr %.3g  %.1f img/s  %s%s",
		st.Epoch, r.o.Epochs, trainLoss, val, lr, rate, FormatDuration(time.Duration(seconds*float64(time.Second))), mark)
	return nil
}

// saveLast writes last.safetensors with params (nil: download them).
func (r *runner) saveLast(params map[string][]float32) error {
	ck, err := r.checkpoint(params)
	if err != nil {
		return err
	}
	return writeLast(filepath.Join(r.o.Out, LastFile), ck)
}

// interrupt saves the run in the middle of an epoch that has run for
// elapsed, says how to resume it and returns ErrInterrupted.
func (r *runner) interrupt(elapsed time.Duration) error {
	r.st.Seconds += elapsed.Seconds()
	if err := r.saveLast(nil); err != nil {
		return fmt.Errorf("interrupted, and saving failed: %w", err)
	}
	r.bar.Printf("interrupted in epoch %d after step %d; saved %s\nresume with: train -out %s -resume",
		r.st.Epoch+1, r.st.Step, filepath.Join(r.o.Out, LastFile), r.o.Out)
	return ErrInterrupted
}
