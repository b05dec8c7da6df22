package train

import (
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLambdaFlags(t *testing.T) {
	parse := func(args ...string) (Options, error) {
		o := DefaultOptions()
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(&strings.Builder{})
		o.Register(fs)
		err := fs.Parse(args)
		if err == nil {
			o.Data = "d"
			err = o.Validate()
		}
		return o, err
	}
	o, err := parse("-lambda", "auto", "-lambda-candidates", "0.1, 0.3", "-lambda-search-epochs", "4")
	if err != nil || !o.LambdaAuto || !slices.Equal(o.LambdaCandidates, []float64{0.1, 0.3}) || o.LambdaSearchEpochs != 4 {
		t.Errorf("-lambda auto: %+v, %v", o, err)
	}
	if v := o.flagValues(); v["lambda"] != "auto" || v["lambda-candidates"] != "0.1,0.3" {
		t.Errorf("saved flags lambda %q, lambda-candidates %q", v["lambda"], v["lambda-candidates"])
	}
	if o, err = parse("-lambda", "0.2"); err != nil || o.LambdaAuto || o.Lambda != 0.2 {
		t.Errorf("-lambda 0.2: %+v, %v", o, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-lambda", "often"}, "want a number or auto"},
		{[]string{"-lambda", "auto", "-lambda-candidates", "0.3"}, "at least two"},
		{[]string{"-lambda", "auto", "-lambda-candidates", "0.1,1.5"}, "1.5: want 0 ≤ λ < 1"},
		{[]string{"-lambda", "auto", "-lambda-candidates", "0.1,0.1"}, "listed twice"},
		{[]string{"-lambda", "auto", "-lambda-search-epochs", "0"}, "-lambda-search-epochs 0"},
		{[]string{"-lambda-candidates", "0.1,x"}, `"x" is not a number`},
		{[]string{"-lambda", "auto", "-val", "0"}, "-val 0 leaves none"},
	} {
		if _, err := parse(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error with %q", c.args, err, c.want)
		}
	}
}

func TestTrialOptions(t *testing.T) {
	o := DefaultOptions()
	o.Out, o.Epochs, o.LambdaAuto, o.LambdaSearchEpochs = "out", 50, true, 8
	tr := o.TrialOptions(0.1)
	if tr.LambdaAuto || tr.Lambda != 0.1 || tr.Epochs != 8 || tr.Out != filepath.Join("out", "lambda_search", "lambda-0.1") || tr.WF != o.WF || tr.Seed != o.Seed {
		t.Errorf("TrialOptions(0.1) = %+v", tr)
	}
	o.Epochs = 5
	if tr := o.TrialOptions(0); tr.Epochs != 5 {
		t.Errorf("trial epochs %d with -epochs 5, want 5", tr.Epochs)
	}
}
