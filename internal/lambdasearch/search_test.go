package lambdasearch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/synth"
	"github.com/noise2norm/noise2norm/internal/train"
)

// tinyData writes a synthetic textile set of 10 training images at 32².
func tinyData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	o := synth.Options{Category: "textile", Size: 32, Train: 10, Seed: 3}
	if err := synth.Generate(dir, o, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tinyAuto is -lambda auto on a wf 4, depth 3, 32² network: three
// candidates of 2 epochs (4 steps of 2 images each), a final run of 3.
func tinyAuto(t *testing.T, data string) train.Options {
	o := train.DefaultOptions()
	o.Data, o.Category, o.Out = data, "textile", t.TempDir()
	o.WF, o.Depth, o.Size = 4, 3, 32
	o.Epochs, o.Batch, o.LR, o.TMax = 3, 2, 3e-3, 3
	o.LambdaAuto, o.LambdaCandidates, o.LambdaSearchEpochs = true, []float64{0, 0.2, 0.4}, 2
	return o
}

// logChoice reads the λ search's line, the first of train_log.jsonl in
// dir, and counts the epoch lines after it.
func logChoice(t *testing.T, dir string) (*train.LambdaChoice, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, train.LogFile))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var first map[string]*train.LambdaChoice
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &first) != nil || first[train.MetaLambdaAuto] == nil {
		t.Fatalf("train_log.jsonl does not start with a lambda_auto line:\n%s", b)
	}
	epochs := 0
	for sc.Scan() {
		epochs++
	}
	return first[train.MetaLambdaAuto], epochs
}

func TestAutoRecordsItsChoiceAndEvidence(t *testing.T) {
	data := tinyData(t)
	o := tinyAuto(t, data)
	var log bytes.Buffer
	if err := Run(context.Background(), cpu.New(), o, &log); err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	w, err := model.ReadWeights(filepath.Join(o.Out, train.BestFile))
	if err != nil {
		t.Fatal(err)
	}
	var meta train.LambdaChoice
	if err := json.Unmarshal([]byte(w.Meta[train.MetaLambdaAuto]), &meta); err != nil {
		t.Fatalf("best.safetensors metadata %s = %q: %v", train.MetaLambdaAuto, w.Meta[train.MetaLambdaAuto], err)
	}
	if len(meta.Trials) != 3 || meta.NNormal != 2 || meta.NDefective != 2*len(synth.PasteKinds()) || meta.SearchEpochs != 2 || meta.Rule != Rule {
		t.Fatalf("recorded choice %+v: want 3 trials of 2 epochs on 2 normal and 6 pasted images", meta)
	}
	for i, tr := range meta.Trials {
		if tr.Lambda != o.LambdaCandidates[i] || !(tr.ImageAUROC >= 0 && tr.ImageAUROC <= 100) || !(tr.ValLoss > 0) || tr.Epochs != 2 || tr.BestEpoch < 1 || !(tr.Seconds > 0) {
			t.Errorf("trial %d = %+v: want λ %g, AUROC in [0,100], positive loss and time, 2 epochs", i, tr, o.LambdaCandidates[i])
		}
	}
	if meta.Chosen != Choose(meta.Trials) || float32(meta.Chosen) != w.Config.Lambda {
		t.Errorf("chose λ %g, weights have λ %g; Choose says %g", meta.Chosen, w.Config.Lambda, Choose(meta.Trials))
	}
	logged, epochs := logChoice(t, o.Out)
	if !reflect.DeepEqual(logged, &meta) || epochs != 3 {
		t.Errorf("train_log.jsonl: choice %+v and %d epoch lines; want the metadata's choice and 3", logged, epochs)
	}
	// The final run's checkpoint holds the chosen λ, not auto.
	flags, err := train.ReadResumeFlags(o.Out)
	if want := strconv.FormatFloat(meta.Chosen, 'g', -1, 64); err != nil || flags["lambda"] != want {
		t.Errorf("final run's flags: lambda %q, %v; want %s", flags["lambda"], err, want)
	}
	// The final run is the fixed-λ run at the chosen λ, bit for bit.
	fixed := o
	fixed.LambdaAuto, fixed.Lambda, fixed.Out = false, meta.Chosen, t.TempDir()
	if err := train.Run(context.Background(), cpu.New(), fixed, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	wf, err := model.ReadWeights(filepath.Join(fixed.Out, train.BestFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(wf.Params, w.Params) {
		t.Errorf("the final run's weights differ from those of train -lambda %g", meta.Chosen)
	}
	// The same seed chooses the same way, with the same evidence.
	o2 := o
	o2.Out = t.TempDir()
	if err := Run(context.Background(), cpu.New(), o2, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	again, err := train.ReadChoice(o2.Out)
	if err != nil {
		t.Fatal(err)
	}
	for i := range again.Trials {
		again.Trials[i].Seconds = meta.Trials[i].Seconds
	}
	if !reflect.DeepEqual(again, &meta) {
		t.Errorf("a second run chose\n%+v\nthe first\n%+v", again, meta)
	}
	// A fresh search into a used folder is refused.
	err = Run(context.Background(), cpu.New(), o, &log)
	if err == nil || !strings.Contains(err.Error(), "-resume") {
		t.Errorf("a second search into %s: %v, want a refusal that suggests -resume", o.Out, err)
	}
	// Resuming a final run whose λ is not the recorded choice is refused.
	other := meta
	other.Chosen = o.LambdaCandidates[0]
	if other.Chosen == meta.Chosen {
		other.Chosen = o.LambdaCandidates[1]
	}
	if err := train.WriteJSON(filepath.Join(o.Out, train.ChoiceFile), other); err != nil {
		t.Fatal(err)
	}
	o.Resume = true
	err = Run(context.Background(), cpu.New(), o, &log)
	if err == nil || !strings.Contains(err.Error(), "but the search chose") {
		t.Errorf("resuming a final run of another λ: %v, want a refusal", err)
	}
}

// interruptAfter is a context whose Err reports cancellation from its n-th
// call on: train.Run checks it before each step and validation batch.
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

func TestAutoResumesAnInterruptedSearch(t *testing.T) {
	data := tinyData(t)
	whole := tinyAuto(t, data)
	if err := Run(context.Background(), cpu.New(), whole, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	want, _ := train.ReadChoice(whole.Out)

	o := tinyAuto(t, data)
	// 2 epochs of 4 steps and 1 validation batch each: 10 checks a trial;
	// stop in the middle of the second trial.
	var log bytes.Buffer
	err := Run(&interruptAfter{Context: context.Background(), n: 14}, cpu.New(), o, &log)
	if !errors.Is(err, train.ErrInterrupted) || !strings.Contains(log.String(), "train -out "+o.Out+" -resume") {
		t.Fatalf("interrupted search: %v, want ErrInterrupted and how to resume it:\n%s", err, log.String())
	}
	flags, err := train.ReadResumeFlags(o.Out)
	if err != nil || flags["lambda"] != "auto" {
		t.Fatalf("resume flags of an unfinished search: lambda %q, %v; want auto", flags["lambda"], err)
	}
	o.Resume = true
	log.Reset()
	if err := Run(context.Background(), cpu.New(), o, &log); err != nil {
		t.Fatalf("resumed search: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "reusing the scored trial") {
		t.Errorf("the resumed search did not reuse the first trial:\n%s", log.String())
	}
	got, _ := train.ReadChoice(o.Out)
	for i := range got.Trials {
		got.Trials[i].Seconds = want.Trials[i].Seconds
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("interrupted and resumed search chose\n%+v\nan unbroken one\n%+v", got, want)
	}
}

func TestChooseTakesTheHighestAUROCAndTheFirstOfATie(t *testing.T) {
	trials := []train.LambdaTrial{{Lambda: 0, ImageAUROC: 60}, {Lambda: 0.1, ImageAUROC: 80}, {Lambda: 0.2, ImageAUROC: 80}, {Lambda: 0.3, ImageAUROC: 70}}
	if got := Choose(trials); got != 0.1 {
		t.Errorf("Choose = %g, want 0.1", got)
	}
}

func TestPastedSetIsSeeded(t *testing.T) {
	const size = 16
	val := [][]float32{make([]float32, 3*size*size), make([]float32, 3*size*size)}
	for i := range val[1] {
		val[1][i] = 0.5
	}
	n, d, err := pastedSet(val, size, 1)
	if err != nil {
		t.Fatal(err)
	}
	_, d2, _ := pastedSet(val, size, 1)
	_, d3, _ := pastedSet(val, size, 2)
	if len(n) != 2 || len(d) != 2*len(synth.PasteKinds()) || !reflect.DeepEqual(d, d2) || reflect.DeepEqual(d, d3) {
		t.Errorf("pastedSet: %d normal, %d defective; same seed equal %v, other seed equal %v", len(n), len(d), reflect.DeepEqual(d, d2), reflect.DeepEqual(d, d3))
	}
	for i, img := range d {
		if reflect.DeepEqual(img, val[i/len(synth.PasteKinds())]) {
			t.Errorf("defective image %d is its normal image unchanged", i)
		}
	}
}
