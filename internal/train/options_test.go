package train

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/model"
)

func TestApplyCheckpointFlags(t *testing.T) {
	saved := DefaultOptions()
	saved.Data, saved.WF, saved.LR, saved.Epochs = "/data/mvtec", 16, 3e-4, 10
	parse := func(args ...string) (*Options, *flag.FlagSet) {
		o := DefaultOptions()
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		o.Register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return &o, fs
	}
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }

	o, fs := parse("-out", "x", "-resume", "-epochs", "20", "-lr", "1e-3")
	if err := ApplyCheckpointFlags(fs, saved.flagValues(), note); err != nil {
		t.Fatal(err)
	}
	if o.Data != "/data/mvtec" || o.WF != 16 || o.Epochs != 20 || o.LR != 1e-3 || o.Out != "x" || !o.Resume {
		t.Errorf("merged options %+v: want data and wf from the checkpoint, epochs, lr and out from the command line", *o)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "-lr 0.001 instead of the checkpoint's 0.0003") {
		t.Errorf("notes %q: want one about -lr only", notes)
	}

	_, fs = parse("-wf", "32", "-size", "256", "-no-attention")
	err := ApplyCheckpointFlags(fs, saved.flagValues(), note)
	wantErr(t, "model flags changed", err, "cannot change the model", "-no-attention true (the checkpoint has false)", "-wf 32 (the checkpoint has 16)")
	if err != nil && strings.Contains(err.Error(), "-size") {
		t.Errorf("error %q names -size, which is unchanged", err)
	}

	_, fs = parse()
	wantErr(t, "unknown flag", ApplyCheckpointFlags(fs, map[string]string{"bogus": "1"}, note), "-bogus")
}

func TestDefaultOptionsMatchTheSpec(t *testing.T) {
	o := DefaultOptions()
	if got, want := o.Config(), model.DefaultConfig(); got != want {
		t.Errorf("DefaultOptions().Config() = %+v, want model.DefaultConfig() %+v", got, want)
	}
	if o.LR != 1e-4 || o.EtaMin != 1e-6 || o.TMax != 100 || o.Epochs != 500 || o.Val != 0.2 || o.Patience != 20 {
		t.Errorf("training defaults %+v differ from the spec's (lr 1e-4, eta_min 1e-6, T_max 100, 500 epochs, 20%% validation, patience 20)", o)
	}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "-data") {
		t.Errorf("DefaultOptions().Validate() = %v, want -data required", err)
	}
}
