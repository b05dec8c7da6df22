package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/noise2norm/noise2norm/internal/atomicfile"
	"github.com/noise2norm/noise2norm/internal/backend"
)

// The λ search's files in the output folder.
const (
	SearchDir   = "lambda_search"             // OUT/lambda_search/lambda-<λ>/: one trial run each
	ChoiceFile  = "lambda_search/choice.json" // the LambdaChoice, once made
	SearchFlags = "lambda_search/flags.json"  // the run's flags, for -resume before the final run exists
	// MetaLambdaAuto is the weights' metadata key holding the LambdaChoice
	// as JSON, and the key of its line in train_log.jsonl.
	MetaLambdaAuto = "lambda_auto"
)

// LambdaTrial is one candidate λ of the search: a short run's results.
type LambdaTrial struct {
	Lambda     float64 `json:"lambda"`
	ImageAUROC float64 `json:"image_auroc"` // percent: held-out normal images against their pasted-defect copies
	ValLoss    float64 `json:"val_loss"`    // the short run's best validation loss (at its own λ, so not comparable across λ)
	BestEpoch  int     `json:"best_epoch"`
	Epochs     int     `json:"epochs"`  // epochs run
	Seconds    float64 `json:"seconds"` // training and scoring
}

// LambdaChoice is what -lambda auto chose and why: recorded as JSON in
// the weights' metadata (MetaLambdaAuto), in train_log.jsonl and in
// OUT/lambda_search/choice.json.
type LambdaChoice struct {
	Chosen       float64       `json:"chosen"`
	Rule         string        `json:"rule"`
	SearchEpochs int           `json:"search_epochs"`
	NNormal      int           `json:"n_normal"`
	NDefective   int           `json:"n_defective"`
	Kinds        []string      `json:"defect_kinds"`
	Trials       []LambdaTrial `json:"trials"`
}

// lambdaFlag is the -lambda flag: a number, or auto.
type lambdaFlag struct{ o *Options }

func (f *lambdaFlag) String() string {
	switch {
	case f == nil || f.o == nil:
		return ""
	case f.o.LambdaAuto:
		return "auto"
	}
	return strconv.FormatFloat(f.o.Lambda, 'g', -1, 64)
}

func (f *lambdaFlag) Set(s string) error {
	if s == "auto" {
		f.o.LambdaAuto = true
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("want a number or auto")
	}
	f.o.Lambda, f.o.LambdaAuto = v, false
	return nil
}

// floatList is a comma-separated list of numbers.
type floatList []float64

func (l *floatList) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(*l))
	for i, v := range *l {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

func (l *floatList) Set(s string) error {
	var vs []float64
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", part)
		}
		vs = append(vs, v)
	}
	*l = vs
	return nil
}

// validateLambdaSearch checks the settings of -lambda auto.
func (o *Options) validateLambdaSearch() error {
	if len(o.LambdaCandidates) < 2 {
		return fmt.Errorf("-lambda-candidates %v: want at least two values to choose from", o.LambdaCandidates)
	}
	for i, v := range o.LambdaCandidates {
		if !(v >= 0 && v < 1) {
			return fmt.Errorf("-lambda-candidates: %g: want 0 ≤ λ < 1", v)
		}
		if slices.Contains(o.LambdaCandidates[:i], v) {
			return fmt.Errorf("-lambda-candidates: %g is listed twice", v)
		}
	}
	if o.Val == 0 {
		return errors.New("-lambda auto needs held-out images to score the candidates with: -val 0 leaves none")
	}
	if o.LambdaSearchEpochs < 1 {
		return fmt.Errorf("-lambda-search-epochs %d: want at least 1", o.LambdaSearchEpochs)
	}
	return nil
}

// TrialOptions are the options of the λ search's short run of candidate
// lambda: o's settings at that λ for at most LambdaSearchEpochs epochs, in
// OUT/lambda_search/lambda-<λ>.
func (o Options) TrialOptions(lambda float64) Options {
	t := o
	t.LambdaAuto = false
	t.Lambda = lambda
	t.Epochs = min(o.LambdaSearchEpochs, o.Epochs)
	t.Out = filepath.Join(o.Out, SearchDir, "lambda-"+strconv.FormatFloat(lambda, 'g', -1, 64))
	return t
}

// ReadChoice reads OUT/lambda_search/choice.json: nil when there is none.
func ReadChoice(out string) (*LambdaChoice, error) {
	var c LambdaChoice
	err := ReadJSON(filepath.Join(out, ChoiceFile), &c)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// RunChosen is Run for the λ that a search chose: choice (see LambdaChoice)
// is recorded in best.safetensors's metadata and as the first line of
// train_log.jsonl. o must not ask for -lambda auto.
func RunChosen(ctx context.Context, be backend.Backend, o Options, logw io.Writer, choice *LambdaChoice) error {
	if o.LambdaAuto {
		return errors.New("RunChosen: the options still ask for -lambda auto")
	}
	return run(ctx, be, o, logw, choice)
}

// RunStatus is where the run in a training folder stands.
type RunStatus struct {
	Epochs    int     // epochs completed
	BestEpoch int     // 1-based epoch of the lowest validation loss
	BestVal   float64 // that loss
}

// ReadRunStatus reads the status of the run in out from its
// last.safetensors.
func ReadRunStatus(out string) (RunStatus, error) {
	ck, err := readLast(filepath.Join(out, LastFile))
	if err != nil {
		return RunStatus{}, err
	}
	return RunStatus{Epochs: ck.State.Epoch, BestEpoch: ck.State.BestEpoch, BestVal: ck.State.BestVal}, nil
}

// ReadResumeFlags returns the flags of the run in out: those of
// last.safetensors, or, while -lambda auto is still searching, those the
// search saved.
func ReadResumeFlags(out string) (map[string]string, error) {
	flags, err := ReadCheckpointFlags(filepath.Join(out, LastFile))
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return flags, err
	}
	var saved map[string]string
	if e := ReadJSON(filepath.Join(out, SearchFlags), &saved); e != nil {
		return nil, err // the checkpoint's error says what is missing
	}
	return saved, nil
}

// WriteJSON writes v as indented JSON to path, atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// ReadJSON decodes the JSON file at path into v; errors name the file.
func ReadJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// WriteSearchFlags saves o's flags as OUT/lambda_search/flags.json, from
// which ReadResumeFlags resumes a search that has no final run yet.
func WriteSearchFlags(o Options) error {
	return WriteJSON(filepath.Join(o.Out, SearchFlags), o.flagValues())
}
