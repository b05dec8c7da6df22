package train

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/model"
)

// tinyOptions is a run that takes a fraction of a second on the CPU: 8
// images (6 to train on in 3 steps of 2, 2 to validate) of a wf=4, depth 2
// network at 16².
func tinyOptions(t *testing.T, data string, epochs int) Options {
	o := DefaultOptions()
	o.Data, o.Out = data, t.TempDir()
	o.WF, o.Depth, o.Size = 4, 2, 16
	o.Epochs, o.Batch, o.LR, o.TMax = epochs, 2, 3e-3, 3
	return o
}

// runCPU trains o with Run on the CPU backend and returns Run's log; an
// error fails the test with the log.
func runCPU(t *testing.T, o Options) string {
	t.Helper()
	var log bytes.Buffer
	if err := Run(context.Background(), cpu.New(), o, &log); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	return log.String()
}

// readLog parses train_log.jsonl in dir.
func readLog(t *testing.T, dir string) []logEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	var out []logEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var e logEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestTrainEndToEnd(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, "img", 8, 24, 1)
	o := tinyOptions(t, data, 3)
	var log bytes.Buffer
	if err := Run(context.Background(), cpu.New(), o, &log); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	entries := readLog(t, o.Out)
	if len(entries) != 3 {
		t.Fatalf("%d log lines, want 3:\n%s", len(entries), log.String())
	}
	for i, e := range entries {
		wantLR := model.CosineLR(o.LR, o.EtaMin, o.TMax, i)
		if e.Epoch != i+1 || e.Step != 3*(i+1) || e.LR != wantLR || !(e.TrainLoss > 0) || !(e.ValLoss > 0) || !(e.ImagesPerS > 0) {
			t.Errorf("log line %d = %+v; want epoch %d, step %d, lr %g, positive losses and rate", i, e, i+1, 3*(i+1), wantLR)
		}
	}
	if first, last := entries[0].ValLoss, entries[2].ValLoss; !(last < first) {
		t.Errorf("validation loss went from %g to %g: want a decrease", first, last)
	}
	// best.safetensors is a plain weights file of the best epoch.
	w, err := model.ReadWeights(filepath.Join(o.Out, BestFile))
	if err != nil {
		t.Fatal(err)
	}
	best := 0
	for i, e := range entries {
		if e.Best {
			best = i + 1
		}
	}
	if w.Config != o.Config() || w.Meta["best_epoch"] != fmt.Sprint(best) {
		t.Errorf("best.safetensors: config %s, best_epoch %q; want %s, %d", w.Config, w.Meta["best_epoch"], o.Config(), best)
	}
	// last.safetensors holds the run state and the optimiser's moments.
	ck, err := readLast(filepath.Join(o.Out, LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if ck.State.Epoch != 3 || ck.State.Step != 9 || ck.State.BestEpoch != best || len(ck.Adam) != 2*len(model.ParamSpecs(o.Config())) || ck.Flags["lr"] != "0.003" {
		t.Errorf("last.safetensors: state %+v, %d moment tensors, flag lr %q", ck.State, len(ck.Adam), ck.Flags["lr"])
	}
	if st, err := os.Stat(filepath.Join(o.Out, PlotFile)); err != nil || st.Size() == 0 {
		t.Errorf("loss plot: %v", err)
	}
	if !strings.Contains(log.String(), "cached in memory") || !strings.Contains(log.String(), "reached -epochs 3") {
		t.Errorf("log output lacks the cache note or the end:\n%s", log.String())
	}
	// A second fresh run into the same folder is refused.
	err = Run(context.Background(), cpu.New(), o, &log)
	wantErr(t, "fresh run over a checkpoint", err, LastFile, "-resume")
}

// interruptAfter is a context whose Err reports cancellation from its n-th
// call on: Run checks it before each training step and validation batch.
type interruptAfter struct {
	context.Context
	n int
}

func (c *interruptAfter) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// files reads the checkpoints of a run's folder.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, name := range []string{BestFile, LastFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	return out
}

// sameRun fails unless two runs' checkpoints are byte-identical and their
// logs agree on everything but timings.
func sameRun(t *testing.T, name, want, got string) {
	t.Helper()
	fw, fg := files(t, want), files(t, got)
	for _, f := range []string{BestFile, LastFile} {
		if !bytes.Equal(fw[f], fg[f]) {
			t.Errorf("%s: %s differs from the unbroken run's", name, f)
		}
	}
	lw, lg := readLog(t, want), readLog(t, got)
	if len(lw) != len(lg) {
		t.Fatalf("%s: %d log lines, want %d", name, len(lg), len(lw))
	}
	for i := range lw {
		a, b := lw[i], lg[i]
		a.ImagesPerS, a.Seconds, b.ImagesPerS, b.Seconds = 0, 0, 0, 0
		if a != b {
			t.Errorf("%s: log line %d = %+v, want %+v", name, i+1, b, a)
		}
	}
}

func TestResumeIsExact(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, "img", 8, 24, 2)
	var log bytes.Buffer
	unbroken := tinyOptions(t, data, 4)
	if err := Run(context.Background(), cpu.New(), unbroken, &log); err != nil {
		t.Fatal(err)
	}

	// 2 epochs, then -resume to 4.
	o := tinyOptions(t, data, 2)
	if err := Run(context.Background(), cpu.New(), o, &log); err != nil {
		t.Fatal(err)
	}
	o.Epochs, o.Resume = 4, true
	if err := Run(context.Background(), cpu.New(), o, &log); err != nil {
		t.Fatal(err)
	}
	sameRun(t, "2 epochs + resume", unbroken.Out, o.Out)

	// Interrupted (Ctrl-C) in the middle of an epoch's steps, and during
	// validation; each check is one step or one validation batch, 4 per epoch.
	for _, stopAt := range []int{5, 3, 7} {
		o := tinyOptions(t, data, 4)
		var msg bytes.Buffer
		err := Run(&interruptAfter{context.Background(), stopAt}, cpu.New(), o, &msg)
		if !errors.Is(err, ErrInterrupted) || !strings.Contains(msg.String(), "resume with: train -out "+o.Out+" -resume") {
			t.Fatalf("interrupted at check %d: %v; output:\n%s", stopAt, err, msg.String())
		}
		o.Resume = true
		if err := Run(context.Background(), cpu.New(), o, &log); err != nil {
			t.Fatal(err)
		}
		sameRun(t, fmt.Sprintf("interrupted at check %d", stopAt), unbroken.Out, o.Out)
	}
}

func TestEarlyStop(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, "img", 8, 24, 3)
	o := tinyOptions(t, data, 30)
	o.LR, o.EtaMin, o.Patience = 1e-9, 0, 2 // too small to improve for long
	var log bytes.Buffer
	if err := Run(context.Background(), cpu.New(), o, &log); err != nil {
		t.Fatal(err)
	}
	entries := readLog(t, o.Out)
	ck, err := readLast(filepath.Join(o.Out, LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) >= 30 || ck.State.SinceBest != 2 || len(entries) != ck.State.BestEpoch+2 || !strings.Contains(log.String(), "early stop") {
		t.Errorf("%d epochs, best %d, since best %d; want a stop 2 epochs after the best:\n%s", len(entries), ck.State.BestEpoch, ck.State.SinceBest, log.String())
	}
	// Resuming a finished run does nothing more.
	o.Resume = true
	if err := Run(context.Background(), cpu.New(), o, &log); err != nil {
		t.Fatal(err)
	}
	if n := len(readLog(t, o.Out)); n != len(entries) {
		t.Errorf("resuming an early-stopped run: %d log lines, want %d", n, len(entries))
	}
}

// inferenceOnly is a Backend without backward ops.
type inferenceOnly struct{ backend.Backend }

func TestRunRefusals(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, "img", 8, 24, 4)
	ctx := context.Background()
	var log bytes.Buffer

	o := tinyOptions(t, data, 1)
	o.Batch = 0
	wantErr(t, "batch 0", Run(ctx, cpu.New(), o, &log), "-batch 0")

	o = tinyOptions(t, data, 1)
	o.Size = 18 // not a multiple of 2^(4-1)
	o.Depth = 4
	wantErr(t, "size 18 depth 4", Run(ctx, cpu.New(), o, &log), "size = 18", "multiple of 2^(depth-1) = 8")

	o = tinyOptions(t, data, 1)
	wantErr(t, "no backward", Run(ctx, inferenceOnly{cpu.New()}, o, &log), "cannot train")

	o = tinyOptions(t, filepath.Join(data, "missing"), 1)
	wantErr(t, "missing data", Run(ctx, cpu.New(), o, &log), filepath.Join(data, "missing"))

	o = tinyOptions(t, data, 1)
	o.Resume = true
	wantErr(t, "resume without checkpoint", Run(ctx, cpu.New(), o, &log), "-resume", LastFile)

	if err := Run(ctx, cpu.New(), tinyOptions(t, data, 1), &log); err != nil {
		t.Fatal(err)
	}
	o = tinyOptions(t, data, 1)
	if err := Run(ctx, cpu.New(), o, &log); err != nil {
		t.Fatal(err)
	}
	o.Resume, o.WF = true, 8
	wantErr(t, "resume with another width", Run(ctx, cpu.New(), o, &log), "wf=4", "wf=8")
}

func TestNoiseSeeds(t *testing.T) {
	seen := map[uint32]bool{}
	for _, stream := range []uint32{trainNoise, valNoise} {
		for _, seed := range []uint64{1, 2, 1 << 32} {
			for i := range 100 {
				s := noiseSeed(seed, stream, i)
				if seen[s] {
					t.Fatalf("noise seed %d repeats (seed %d, stream %x, item %d)", s, seed, stream, i)
				}
				seen[s] = true
			}
		}
	}
}
