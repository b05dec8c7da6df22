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
	"github.com/noise2norm/noise2norm/internal/model"
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

// runner is one training run in progress.
type runner struct {
	o   Options
	cfg model.Config
	be  backend.Backend
	ds  *Dataset
	m   *model.Model
	opt *model.AdamW
	st  state
	bar *Progress
}

// Run trains as o says on be (which must be a backend.Trainer), reporting
// progress on logw. With o.Resume it continues o.Out/last.safetensors
// exactly as the run that wrote it would have gone on (the same shuffles,
// noise, learning rates and early stopping, so on a deterministic backend
// the same weights); otherwise it refuses an output folder that already
// has a last.safetensors. When ctx is cancelled it finishes the current
// step, saves last.safetensors and returns ErrInterrupted.
func Run(ctx context.Context, be backend.Backend, o Options, logw io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if _, ok := be.(backend.Trainer); !ok {
		return fmt.Errorf("backend %s cannot train (it has no backward ops)", be.Name())
	}
	r := &runner{o: o, cfg: o.Config(), be: be, bar: NewProgress(logw, o.Epochs)}
	lastPath := filepath.Join(o.Out, LastFile)
	var ck *checkpoint
	if o.Resume {
		var err error
		if ck, err = readLast(lastPath); err != nil {
			return fmt.Errorf("-resume: %w", err)
		}
		if got := ck.Weights.Config; got.WF != r.cfg.WF || got.Depth != r.cfg.Depth || got.Size != r.cfg.Size || got.Attention != r.cfg.Attention {
			return fmt.Errorf("-resume: %s holds a network with %s, the flags ask for %s", lastPath, got, r.cfg)
		}
	} else if _, err := os.Stat(lastPath); err == nil {
		return fmt.Errorf("%s exists: continue that run with -resume, or choose another -out", lastPath)
	}
	ds, err := LoadDataset(o.Data, o.Category, o.Size, o.MaxPixels, o.Val, o.Seed, logw)
	if err != nil {
		return err
	}
	r.ds = ds
	fmt.Fprintf(logw, "%d training and %d validation images from %s, decoded at %d² and cached in memory (%.1f MB)\n",
		len(ds.Train), len(ds.Val), o.Data, o.Size, float64(ds.Bytes())/1e6)
	if o.Batch > len(ds.Train) {
		fmt.Fprintf(logw, "note: -batch %d is more than the %d training images: each step takes all of them\n", o.Batch, len(ds.Train))
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}

	w := &model.Weights{Config: r.cfg, Params: model.InitParams(r.cfg, o.Seed)}
	r.st = newState()
	if ck != nil {
		w.Params = ck.Weights.Params
		r.st = ck.State
		if ck.Fingerprint != ds.Fingerprint() {
			fmt.Fprintf(logw, "note: the training images differ from those of the checkpoint: the run will differ from an unbroken one\n")
		}
	}
	if r.m, err = model.New(be, w); err != nil {
		return err
	}
	defer r.m.Free()
	adam := model.DefaultAdamW()
	adam.LR = o.LR
	r.opt = model.NewAdamW(r.m, adam)
	defer r.opt.Free()
	if ck != nil {
		if err := r.opt.LoadState(r.st.Step, ck.Adam); err != nil {
			return fmt.Errorf("-resume: %s: %w", lastPath, err)
		}
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
	n, bs := len(r.ds.Train), r.o.Batch
	steps := (n + bs - 1) / bs
	for r.stopped() == "" {
		epoch := r.st.Epoch // 0-based index of the epoch under way
		lr := model.CosineLR(r.o.LR, r.o.EtaMin, r.o.TMax, epoch)
		order := Shuffle(n, r.o.Seed, epoch)
		start := time.Now()
		trained, trainTime := 0, time.Duration(0)
		r.st.Batch = min(r.st.Batch, steps) // fewer steps if -batch grew on -resume
		r.bar.StartEpoch(epoch, steps, r.st.Batch)
		for r.st.Batch < steps {
			if ctx.Err() != nil {
				return r.interrupt(time.Since(start))
			}
			t0 := time.Now()
			idx := order[r.st.Batch*bs : min((r.st.Batch+1)*bs, n)]
			x := r.upload(r.ds.Train, idx)
			loss, grads, err := r.m.LossAndGrads(x, r.cfg.Lambda, noiseSeed(r.o.Seed, trainNoise, r.st.Step))
			r.be.Free(x)
			if err != nil {
				return r.deviceError(fmt.Sprintf("epoch %d, step %d", epoch+1, r.st.Batch+1), err)
			}
			if !finite(float64(loss)) {
				for _, g := range grads {
					r.be.Free(g)
				}
				return fmt.Errorf("epoch %d, step %d: the training loss is %g; try a smaller -lr", epoch+1, r.st.Batch+1, loss)
			}
			r.opt.Step(grads, lr)
			r.st.Step++
			r.st.Batch++
			r.st.LossSum += float64(loss) * float64(len(idx))
			r.st.Images += len(idx)
			trained += len(idx)
			trainTime += time.Since(t0)
			r.bar.Step(len(idx), r.st.LossSum/float64(r.st.Images))
		}
		val, err := r.validate(ctx)
		if errors.Is(err, ErrInterrupted) {
			return r.interrupt(time.Since(start))
		}
		if err != nil {
			return err
		}
		if !finite(val) {
			return fmt.Errorf("epoch %d: the validation loss is %g; try a smaller -lr", epoch+1, val)
		}
		if err := r.endEpoch(lr, val, trained, trainTime, time.Since(start)); err != nil {
			return err
		}
	}
	r.bar.Printf("%s; best validation loss %.6g at epoch %d, in %s", r.stopped(), r.st.BestVal, r.st.BestEpoch, filepath.Join(r.o.Out, BestFile))
	return nil
}

// upload stacks the images set[idx...] into one (len(idx),3,S,S) tensor.
func (r *runner) upload(set [][]float32, idx []int) backend.Tensor {
	plane := 3 * r.o.Size * r.o.Size
	buf := make([]float32, 0, len(idx)*plane)
	for _, i := range idx {
		buf = append(buf, set[i]...)
	}
	return r.be.Upload(backend.Shape{N: len(idx), C: 3, H: r.o.Size, W: r.o.Size}, buf)
}

// validate is the mean loss over the validation images, in batches of
// -batch with fixed noise seeds. It returns ErrInterrupted if ctx is
// cancelled first.
func (r *runner) validate(ctx context.Context) (float64, error) {
	if len(r.ds.Val) == 0 { // -val 0: the epoch's training loss stands in
		return r.st.LossSum / float64(r.st.Images), nil
	}
	var sum float64
	for b, i := 0, 0; i < len(r.ds.Val); b, i = b+1, i+r.o.Batch {
		if ctx.Err() != nil {
			return 0, ErrInterrupted
		}
		idx := make([]int, 0, r.o.Batch)
		for j := i; j < min(i+r.o.Batch, len(r.ds.Val)); j++ {
			idx = append(idx, j)
		}
		x := r.upload(r.ds.Val, idx)
		loss, err := r.m.Loss(x, r.cfg.Lambda, noiseSeed(r.o.Seed, valNoise, b))
		r.be.Free(x)
		if err != nil {
			return 0, r.deviceError("validation", err)
		}
		sum += float64(loss) * float64(len(idx))
	}
	return sum / float64(len(r.ds.Val)), nil
}

// deviceError names where err happened; on a GPU backend it suggests a
// smaller batch, the usual reason a step fails there.
func (r *runner) deviceError(where string, err error) error {
	if r.be.Name() != "cpu" {
		return fmt.Errorf("%s: %w (on a GPU this usually means that a batch does not fit the device: try a smaller -batch than %d)", where, err, r.o.Batch)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// endEpoch records a finished epoch: the log line, best.safetensors when
// the validation loss improved, last.safetensors, the plot and a summary.
func (r *runner) endEpoch(lr, val float64, trained int, trainTime, elapsed time.Duration) error {
	st := &r.st
	trainLoss := st.LossSum / float64(st.Images)
	seconds := st.Seconds + elapsed.Seconds()
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
		if err := writeBest(filepath.Join(r.o.Out, BestFile), r.cfg, params, st.Epoch, val); err != nil {
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
	if params == nil {
		var err error
		if params, err = r.m.HostParams(); err != nil {
			return r.deviceError("saving", err)
		}
	}
	adam, err := r.opt.State()
	if err != nil {
		return r.deviceError("saving", err)
	}
	return writeLast(filepath.Join(r.o.Out, LastFile), &checkpoint{
		Weights:     &model.Weights{Config: r.cfg, Params: params},
		Flags:       r.o.flagValues(),
		State:       r.st,
		Adam:        adam,
		Fingerprint: r.ds.Fingerprint(),
	})
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
