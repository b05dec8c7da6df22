//go:build !js

// Command train trains an N2N-M network on the normal training images of a
// data set and writes into the output folder:
//
//	best.safetensors   the weights of the lowest validation loss (for detect),
//	                   calibrated at the end from the normal images (maps of
//	                   the training images, threshold from the validation
//	                   ones; docs/evaluation.md); with -val 0 the lowest
//	                   training loss, uncalibrated (calibrate with eval
//	                   -calibrate)
//	last.safetensors   the latest weights, AdamW state and run state (-resume)
//	train_log.jsonl    one JSON object per epoch (epoch, step, lr, train_loss,
//	                   val_loss, images_per_s, seconds, best)
//	loss.png           training and validation loss by epoch
//
// Usage:
//
//	train -data DIR [-category NAME] [-out DIR] [-wf 32] [-size 256]
//	      [-depth 4] [-no-attention] [-epochs 500] [-batch 4] [-lr 1e-4]
//	      [-eta-min 1e-6] [-tmax 100] [-lambda 0.3|auto] [-alpha 0.84]
//	      [-lambda-candidates 0,0.1,0.2,0.3,0.4] [-lambda-search-epochs 10]
//	      [-patience 20] [-val 0.2] [-seed 1] [-max-pixels N]
//	      [-backend auto|cpu|gpu] [-resume | -resume-from FILE]
//
// -data is an MVTec AD or MPDD root with -category (CATEGORY/train/good),
// a VisA root with -category (split_csv/1cls.csv), a category folder
// (train/good) or a folder of images. Ctrl-C (SIGINT or SIGTERM) finishes
// the current step, saves last.safetensors and exits with status 130;
// "train -out DIR -resume" then continues exactly where it stopped, taking
// every flag it is not given from the checkpoint. "train -data DIR -out
// DIR2 -resume-from FILE" continues a checkpoint kept elsewhere, such as a
// model trained in the browser demo and downloaded from it (its weights,
// optimiser state and run state in one file; -data is then the folder of the
// images the page trained on, under the same file names): FILE is copied to
// DIR2/last.safetensors (which must not exist) and the run resumed from it
// as with -resume (docs/training.md). Exit status: 0 done,
// 1 failure, 2 usage error (0 for -h), 130 interrupted.
//
// -lambda auto chooses λ for the data set without defect samples: it
// trains each of -lambda-candidates for -lambda-search-epochs epochs (in
// OUT/lambda_search/lambda-<λ>/), scores each on the held-out images
// against copies with pasted synthetic defects (image AUROC), and trains
// the best λ fully into OUT; the choice and each trial's AUROC and
// validation loss are in best.safetensors's metadata "lambda_auto", the
// first line of train_log.jsonl and OUT/lambda_search/choice.json.
//
// It builds for native platforms only: it opens WebGPU through package
// native.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/noise2norm/noise2norm/internal/lambdasearch"
	"github.com/noise2norm/noise2norm/internal/train"
	"github.com/noise2norm/noise2norm/native"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C ends the process at once
		fmt.Fprintln(os.Stderr, "\ntrain: interrupted: finishing the current step and saving (Ctrl-C again quits without saving)")
	}()
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// parseArgs parses args into training options.
// Every error has been reported on stderr; flag.ErrHelp means -h.
// resumeFrom is -resume-from's checkpoint file, "" without it.
func parseArgs(args []string, stderr io.Writer) (o train.Options, resumeFrom string, err error) {
	o = train.DefaultOptions()
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: train -data DIR [-category NAME] [flags]   or   train -out DIR -resume [flags]   or   train -data DIR -out DIR -resume-from FILE [flags]")
		fs.PrintDefaults()
	}
	o.Register(fs)
	fs.StringVar(&resumeFrom, "resume-from", "", "continue the checkpoint FILE (a last.safetensors, or a model trained in the browser demo and exported) in a new -out folder: FILE is copied to OUT/last.safetensors; flags not given take the checkpoint's values")
	if err := fs.Parse(args); err != nil {
		return o, "", err // flag has printed it, with the usage text
	}
	problem := func(err error) (train.Options, string, error) {
		fmt.Fprintf(stderr, "train: %v (train -h for help)\n", err)
		return o, "", err
	}
	if fs.NArg() > 0 {
		return problem(fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if resumeFrom != "" {
		if o.Resume {
			return problem(errors.New("-resume and -resume-from exclude each other: -resume continues OUT/last.safetensors, -resume-from FILE another checkpoint"))
		}
		last := filepath.Join(o.Out, train.LastFile)
		if _, err := os.Stat(last); err == nil {
			return problem(fmt.Errorf("-resume-from: %s exists: continue it with -resume, or choose another -out", last))
		}
		saved, err := train.ReadCheckpointFlags(resumeFrom)
		if err != nil {
			return problem(fmt.Errorf("-resume-from: %w", err))
		}
		// The page's checkpoints record no data folder.
		if saved["data"] == "" {
			delete(saved, "data")
		}
		note := func(format string, args ...any) { fmt.Fprintf(stderr, "train: note: "+format+"\n", args...) }
		if err := train.ApplyCheckpointFlags(fs, saved, note); err != nil {
			return problem(err)
		}
		if o.Data == "" {
			return problem(errors.New("-resume-from: give -data, the folder of the images the run trained on (the same files under the same names)"))
		}
	}
	if o.Resume {
		saved, err := train.ReadResumeFlags(o.Out)
		if err != nil {
			return problem(fmt.Errorf("-resume: %w", err))
		}
		note := func(format string, args ...any) { fmt.Fprintf(stderr, "train: note: "+format+"\n", args...) }
		if err := train.ApplyCheckpointFlags(fs, saved, note); err != nil {
			return problem(err)
		}
	}
	if err := o.Validate(); err != nil {
		return problem(err)
	}
	return o, resumeFrom, nil
}

// copyCheckpoint copies the checkpoint file from to out/last.safetensors,
// creating out.
func copyCheckpoint(from, out string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, train.LastFile), b, 0o644)
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	o, resumeFrom, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if resumeFrom != "" {
		if err := copyCheckpoint(resumeFrom, o.Out); err != nil {
			fmt.Fprintf(stderr, "train: -resume-from: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "train: copied %s to %s; continuing it\n", resumeFrom, filepath.Join(o.Out, train.LastFile))
		o.Resume = true
	}
	be, closeBackend, err := native.Select(o.Backend, 0, func(format string, args ...any) { fmt.Fprintf(stderr, "train: "+format+"\n", args...) })
	if err != nil {
		fmt.Fprintf(stderr, "train: %v\n", err)
		return 1
	}
	defer closeBackend()
	if o.LambdaAuto {
		err = lambdasearch.Run(ctx, be, o, stderr)
	} else {
		err = train.Run(ctx, be, o, stderr)
	}
	switch {
	case errors.Is(err, train.ErrInterrupted):
		return 130
	case err != nil:
		fmt.Fprintf(stderr, "train: %v\n", err)
		return 1
	}
	return 0
}
