// Package lambdasearch chooses the noise weight λ for a data set without
// defect samples (train -lambda auto): short training runs at a few λ,
// each scored by how well it tells held-out normal images from copies of
// them with synthetic defects pasted in, then a full run of the winner.
//
// It is a package of its own, not part of train, because it draws the
// defects with package synth, whose tests use train.
package lambdasearch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/metrics"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/synth"
	"github.com/noise2norm/noise2norm/internal/train"
)

// trialFile is, in a trial's folder, its scored train.LambdaTrial.
const trialFile = "trial.json"

// pasteStream is the second PCG word of the pasted defects' random numbers.
const pasteStream = 0x7061737465 // "paste"

// Rule says how Choose picks, for people reading the record.
const Rule = "highest image AUROC (raw score: the map's maximum, detect's noise seed 0) of the held-out normal images against copies of them with one pasted defect of each kind; ties go to the candidate listed first"

// Run is train.Run with -lambda auto: it trains each of o.LambdaCandidates
// for o.LambdaSearchEpochs epochs (OUT/lambda_search/lambda-<λ>/, each a
// complete training folder), scores each trial's best weights on the
// held-out normal images and on copies of them with pasted synthetic
// defects (synth.Paste: one copy per kind), chooses the λ of the highest
// image AUROC (Choose), and then trains the chosen λ with o's settings into
// OUT. The choice and every trial's evidence go into best.safetensors's
// metadata (MetaLambdaAuto), the first line of train_log.jsonl and
// OUT/lambda_search/choice.json.
//
// With o.Resume it continues an interrupted search: scored trials are
// reused, an unfinished trial is resumed, and the final run is resumed when
// OUT/last.safetensors exists. Without it, an output folder that holds a
// search or a run is refused.
func Run(ctx context.Context, be backend.Backend, o train.Options, logw io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if !o.LambdaAuto {
		return errors.New("lambdasearch.Run: the options do not ask for -lambda auto")
	}
	searchDir := filepath.Join(o.Out, train.SearchDir)
	if !o.Resume {
		for _, p := range []string{filepath.Join(o.Out, train.LastFile), searchDir} {
			if _, err := os.Stat(p); err == nil {
				return fmt.Errorf("%s exists: continue that run with -resume, or choose another -out", p)
			}
		}
	}
	if err := os.MkdirAll(searchDir, 0o755); err != nil {
		return err
	}
	if err := train.WriteSearchFlags(o); err != nil {
		return err
	}
	choice, err := train.ReadChoice(o.Out)
	if err != nil {
		return err
	}
	if choice == nil {
		if choice, err = search(ctx, be, o, logw); err != nil {
			return err
		}
		if err := train.WriteJSON(filepath.Join(o.Out, train.ChoiceFile), choice); err != nil {
			return err
		}
	}
	fmt.Fprintf(logw, "λ search: chose λ %g (%s); training it with -epochs %d into %s\n", choice.Chosen, summary(choice), o.Epochs, o.Out)
	final := o
	final.LambdaAuto = false
	final.Lambda = choice.Chosen
	if _, err := os.Stat(filepath.Join(o.Out, train.LastFile)); err == nil && o.Resume {
		flags, err := train.ReadCheckpointFlags(filepath.Join(o.Out, train.LastFile))
		if err != nil {
			return err
		}
		if want := strconv.FormatFloat(choice.Chosen, 'g', -1, 64); flags["lambda"] != want {
			return fmt.Errorf("%s was trained with λ %s, but the search chose %s", filepath.Join(o.Out, train.LastFile), flags["lambda"], want)
		}
		final.Resume = true
	} else {
		final.Resume = false
	}
	return train.RunChosen(ctx, be, final, logw, choice)
}

// search runs and scores every candidate.
func search(ctx context.Context, be backend.Backend, o train.Options, logw io.Writer) (*train.LambdaChoice, error) {
	ds, err := train.LoadDataset(o.Data, o.Category, o.Size, o.MaxPixels, o.Val, o.Seed, io.Discard)
	if err != nil {
		return nil, err
	}
	normal, defective, err := pastedSet(ds.Val, o.Size, o.Seed)
	if err != nil {
		return nil, err
	}
	choice := &train.LambdaChoice{Rule: Rule, SearchEpochs: min(o.LambdaSearchEpochs, o.Epochs),
		NNormal: len(normal), NDefective: len(defective), Kinds: synth.PasteKinds()}
	for i, lambda := range o.LambdaCandidates {
		t := o.TrialOptions(lambda)
		fmt.Fprintf(logw, "λ search: trial %d/%d, λ %g, %d epochs, in %s\n", i+1, len(o.LambdaCandidates), lambda, t.Epochs, t.Out)
		var trial train.LambdaTrial
		if err := train.ReadJSON(filepath.Join(t.Out, trialFile), &trial); err == nil {
			fmt.Fprintf(logw, "λ search: reusing the scored trial in %s\n", t.Out)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		} else {
			start := time.Now()
			_, err := os.Stat(filepath.Join(t.Out, train.LastFile))
			t.Resume = err == nil
			if err := train.Run(ctx, be, t, logw); err != nil {
				if errors.Is(err, train.ErrInterrupted) {
					fmt.Fprintf(logw, "λ search interrupted; continue it with: train -out %s -resume\n", o.Out)
				}
				return nil, fmt.Errorf("λ search, trial λ %g: %w", lambda, err)
			}
			if trial, err = scoreTrial(be, t, normal, defective); err != nil {
				return nil, fmt.Errorf("λ search, trial λ %g: %w", lambda, err)
			}
			trial.Seconds = time.Since(start).Seconds()
			if err := train.WriteJSON(filepath.Join(t.Out, trialFile), trial); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(logw, "λ search: λ %g: image AUROC %.2f %% on %d normal and %d pasted-defect images, best validation loss %.6g (epoch %d)\n",
			lambda, trial.ImageAUROC, len(normal), len(defective), trial.ValLoss, trial.BestEpoch)
		choice.Trials = append(choice.Trials, trial)
	}
	choice.Chosen = Choose(choice.Trials)
	return choice, nil
}

// Choose returns the λ of the trial with the highest image AUROC; ties go
// to the first such trial.
func Choose(trials []train.LambdaTrial) float64 {
	best := 0
	for i, t := range trials {
		if t.ImageAUROC > trials[best].ImageAUROC {
			best = i
		}
	}
	return trials[best].Lambda
}

// summary lists each trial's AUROC, for the log.
func summary(c *train.LambdaChoice) string {
	parts := make([]string, len(c.Trials))
	for i, t := range c.Trials {
		parts[i] = fmt.Sprintf("λ %g: %.2f", t.Lambda, t.ImageAUROC)
	}
	return "image AUROC " + strings.Join(parts, ", ")
}

// pastedSet returns the held-out normal images val ((3,S,S) in [−1,1]) and
// their defective copies: each image with one pasted defect of every
// synth.PasteKinds kind (a patch's donor is the next held-out image), in
// image-major order, seeded by seed.
func pastedSet(val [][]float32, size int, seed uint64) (normal, defective [][]float32, err error) {
	unit := func(x []float32) []float32 { // [−1,1] → [0,1]
		out := make([]float32, len(x))
		for i, v := range x {
			out[i] = (v + 1) / 2
		}
		return out
	}
	kinds := synth.PasteKinds()
	for i, x := range val {
		normal = append(normal, x)
		donor := unit(val[(i+1)%len(val)])
		for k, kind := range kinds {
			img := unit(x)
			rng := rand.New(rand.NewPCG(seed, pasteStream^uint64(i*len(kinds)+k)<<8))
			if _, err := synth.Paste(img, size, kind, donor, rng); err != nil {
				return nil, nil, err
			}
			for j, v := range img {
				img[j] = min(max(v, 0), 1)*2 - 1
			}
			defective = append(defective, img)
		}
	}
	return normal, defective, nil
}

// scoreTrial scores the trial run's best weights: the image AUROC of
// normal against defective, each image's score the maximum of detect's map
// (the weights' λ, noise seed 0, one image at a time).
func scoreTrial(be backend.Backend, t train.Options, normal, defective [][]float32) (train.LambdaTrial, error) {
	w, err := model.ReadWeights(filepath.Join(t.Out, train.BestFile))
	if err != nil {
		return train.LambdaTrial{}, err
	}
	m, err := model.New(be, w)
	if err != nil {
		return train.LambdaTrial{}, err
	}
	defer m.Free()
	var scores []float64
	var labels []bool
	for _, set := range []struct {
		images [][]float32
		label  bool
	}{{normal, false}, {defective, true}} {
		for _, x := range set.images {
			xt := be.Upload(backend.Shape{N: 1, C: 3, H: t.Size, W: t.Size}, x)
			d, err := m.Detect(xt, w.Config.Lambda, 0)
			be.Free(xt)
			if err != nil {
				return train.LambdaTrial{}, err
			}
			scores = append(scores, float64(d.Scores[0]))
			labels = append(labels, set.label)
		}
	}
	auroc := metrics.AUROC(scores, labels)
	if math.IsNaN(auroc) {
		return train.LambdaTrial{}, fmt.Errorf("the scores of %s are not all numbers", filepath.Join(t.Out, train.BestFile))
	}
	st, err := train.ReadRunStatus(t.Out)
	if err != nil {
		return train.LambdaTrial{}, err
	}
	return train.LambdaTrial{
		Lambda:     t.Lambda,
		ImageAUROC: 100 * auroc,
		ValLoss:    st.BestVal,
		BestEpoch:  st.BestEpoch,
		Epochs:     st.Epochs,
	}, nil
}
