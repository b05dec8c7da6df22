//go:build !js

package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
	"github.com/noise2norm/noise2norm/internal/train"
	"github.com/noise2norm/noise2norm/internal/train/traintest"
)

// writeImages writes n small gradient PNGs into dir.
func writeImages(t *testing.T, dir string, n int) {
	t.Helper()
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, 20, 20))
		for y := range 20 {
			for x := range 20 {
				img.Set(x, y, color.RGBA{uint8(i * 30), uint8(x * 12), uint8(y * 12), 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "img"+strconv.Itoa(i)+".png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runCmd runs the command with args and returns its exit status and stderr.
func runCmd(ctx context.Context, args ...string) (int, string) {
	var stderr bytes.Buffer
	code := run(ctx, args, &stderr)
	return code, stderr.String()
}

func TestUsage(t *testing.T) {
	ctx := context.Background()
	if code, out := runCmd(ctx, "-h"); code != 0 || !strings.Contains(out, "usage: train") {
		t.Errorf("-h: exit %d, output %q", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "-data is required"},
		{[]string{"-data", "x", "-batch", "0"}, "-batch 0"},
		{[]string{"-data", "x", "-size", "100"}, "size = 100: must be a positive multiple of 2^(depth-1) = 8"},
		{[]string{"-data", "x", "-backend", "tpu"}, `-backend "tpu"`},
		{[]string{"-data", "x", "extra"}, "unexpected arguments"},
		{[]string{"-out", t.TempDir(), "-resume"}, "-resume"},
	} {
		code, out := runCmd(ctx, c.args...)
		if code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("train %q: exit %d, output %q; want 2 and %q", c.args, code, out, c.want)
		}
	}
	code, out := runCmd(ctx, "-data", filepath.Join(t.TempDir(), "none"), "-backend", "cpu")
	if code != 1 || !strings.Contains(out, "none") {
		t.Errorf("missing data folder: exit %d, output %q; want 1 naming it", code, out)
	}
}

func TestTrainAndResume(t *testing.T) {
	data, out := t.TempDir(), t.TempDir()
	writeImages(t, data, 6)
	ctx := context.Background()
	tiny := []string{"-data", data, "-out", out, "-backend", "cpu", "-wf", "4", "-depth", "2", "-size", "16", "-batch", "2", "-lr", "3e-3"}

	// Interrupted before the first step: last.safetensors is saved, exit 130.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	code, msg := runCmd(cancelled, append(tiny, "-epochs", "2")...)
	if code != 130 || !strings.Contains(msg, "resume with: train -out "+out+" -resume") {
		t.Fatalf("interrupted: exit %d, output:\n%s", code, msg)
	}
	// Resume takes every flag from the checkpoint.
	if code, msg := runCmd(ctx, "-out", out, "-resume"); code != 0 || !strings.Contains(msg, "reached -epochs 2") {
		t.Fatalf("resume: exit %d, output:\n%s", code, msg)
	}
	// The backend is the checkpoint's too (auto would pick another here).
	if o, _, err := parseArgs([]string{"-out", out, "-resume"}, io.Discard); err != nil || o.Backend != "cpu" {
		t.Errorf("resume: backend %q (%v), want the checkpoint's cpu", o.Backend, err)
	}
	if code, msg := runCmd(ctx, "-out", out, "-resume", "-wf", "8"); code != 2 || !strings.Contains(msg, "-wf 8 (the checkpoint has 4)") {
		t.Errorf("resume with -wf 8: exit %d, output:\n%s", code, msg)
	}
	if code, msg := runCmd(ctx, "-out", out, "-resume", "-epochs", "3", "-seed", "2"); code != 0 || !strings.Contains(msg, "-seed 2 instead of the checkpoint's 1") {
		t.Errorf("resume to 3 epochs with another seed: exit %d, output:\n%s", code, msg)
	}
	w, err := model.ReadWeights(filepath.Join(out, train.BestFile))
	if err != nil {
		t.Fatal(err)
	}
	if w.Config.WF != 4 || w.Config.Size != 16 {
		t.Errorf("best.safetensors has %s, want wf=4 size=16", w.Config)
	}
	log, err := os.ReadFile(filepath.Join(out, train.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "\n"); n != 3 {
		t.Errorf("train_log.jsonl has %d lines, want 3:\n%s", n, log)
	}
}

// TestResumeOnGPU: on the WebGPU backend (lavapipe in CI), 2 epochs then
// -resume to 3 give byte-identical checkpoints to 3 unbroken epochs. The
// resumed run takes its backend from the checkpoint. It needs an adapter:
// without one it fails.
func TestResumeOnGPU(t *testing.T) {
	if os.Getenv("XDG_RUNTIME_DIR") == "" {
		t.Setenv("XDG_RUNTIME_DIR", "/tmp")
	}
	data := t.TempDir()
	writeImages(t, data, 6)
	ctx := context.Background()
	tiny := []string{"-data", data, "-backend", "gpu", "-wf", "4", "-depth", "2", "-size", "16", "-batch", "2", "-lr", "3e-3"}
	unbroken, broken := t.TempDir(), t.TempDir()
	if code, msg := runCmd(ctx, append(tiny, "-out", unbroken, "-epochs", "3")...); code != 0 {
		t.Fatalf("unbroken run: exit %d:\n%s", code, msg)
	}
	if code, msg := runCmd(ctx, append(tiny, "-out", broken, "-epochs", "2")...); code != 0 {
		t.Fatalf("first half: exit %d:\n%s", code, msg)
	}
	if code, msg := runCmd(ctx, "-out", broken, "-resume", "-epochs", "3"); code != 0 || !strings.Contains(msg, "webgpu") {
		t.Fatalf("resume: exit %d, want 0 on the webgpu backend:\n%s", code, msg)
	}
	for _, f := range []string{train.BestFile, train.LastFile} {
		a, errA := os.ReadFile(filepath.Join(unbroken, f))
		b, errB := os.ReadFile(filepath.Join(broken, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the unbroken and the resumed run (%v, %v)", f, errA, errB)
		}
	}
}

// pageExport trains as the browser demo does (traintest.PageExport: the
// images of dir decoded in memory under their file names, no data folder
// recorded) for one epoch of a tiny network, calibrates, and writes the
// export to a file, which it returns.
func pageExport(t *testing.T, dir string) string {
	t.Helper()
	o := traintest.TinyOptions()
	tensors, names := traintest.FolderImages(t, dir, o.Size)
	return traintest.PageExport(t, o, tensors, names, t.TempDir(), "page-wf4-s16.safetensors").Path
}

// TestResumeFromExport: a model trained in the page and exported continues
// natively with -resume-from on the same images; the refusals name what is
// wrong.
func TestResumeFromExport(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, 6)
	export := pageExport(t, data)
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "run")
	if code, msg := runCmd(ctx, "-out", out, "-resume-from", export); code != 2 || !strings.Contains(msg, "give -data") {
		t.Errorf("-resume-from without -data: exit %d, want 2 and a request for -data:\n%s", code, msg)
	}
	code, msg := runCmd(ctx, "-data", data, "-out", out, "-resume-from", export, "-epochs", "2")
	if code != 0 || !strings.Contains(msg, "resuming after epoch 1, step 3") || strings.Contains(msg, "differ from those of the checkpoint") {
		t.Fatalf("-resume-from: exit %d, want 0, resuming after epoch 1 on the same images:\n%s", code, msg)
	}
	f, err := safetensors.ReadFile(filepath.Join(out, train.LastFile))
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["state.epoch"] != "2" || f.Metadata["state.step"] != "6" {
		t.Errorf("after -resume-from and one more epoch: state.epoch %q, state.step %q; want 2 and 6", f.Metadata["state.epoch"], f.Metadata["state.step"])
	}
	if _, err := model.ReadWeights(filepath.Join(out, train.BestFile)); err != nil {
		t.Errorf("best.safetensors: %v", err)
	}
	if code, msg := runCmd(ctx, "-data", data, "-out", out, "-resume-from", export); code != 2 || !strings.Contains(msg, "exists") {
		t.Errorf("-resume-from into a folder with a checkpoint: exit %d, want 2 and a refusal:\n%s", code, msg)
	}
	if code, msg := runCmd(ctx, "-data", data, "-out", out, "-resume", "-resume-from", export); code != 2 || !strings.Contains(msg, "exclude each other") {
		t.Errorf("-resume with -resume-from: exit %d, want 2:\n%s", code, msg)
	}
}
