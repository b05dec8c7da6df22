package train

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
)

func TestCheckpointRoundTrip(t *testing.T) {
	cfg := model.Config{WF: 4, Depth: 2, Size: 16, Lambda: 0.3, Alpha: 0.84, Attention: true}
	params := model.InitParams(cfg, 3)
	adam := map[string][]float32{}
	for name, v := range params {
		adam["adam.m."+name] = v
		adam["adam.v."+name] = make([]float32, len(v))
	}
	o := DefaultOptions()
	tenth := 0.1
	o.Data, o.LR = "/data", tenth+0.2 // 0.30000000000000004 must read back bit-exact
	want := &checkpoint{
		Weights: &model.Weights{Config: cfg, Params: params},
		Flags:   o.flagValues(),
		State: state{Epoch: 2, Batch: 1, Step: 7, BestVal: 1.0 / 3, BestEpoch: 1, SinceBest: 1,
			LossSum: math.Pi, Images: 2, Seconds: 0.5, TrainLoss: []float64{0.7, 0.6}, ValLoss: []float64{1.0 / 3, 0.4}},
		Adam:        adam,
		Fingerprint: "0123456789abcdef",
	}
	path := filepath.Join(t.TempDir(), LastFile)
	if err := writeLast(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := readLast(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.State, want.State) || !reflect.DeepEqual(got.Flags, want.Flags) ||
		!reflect.DeepEqual(got.Adam, want.Adam) || !reflect.DeepEqual(got.Weights.Params, params) ||
		got.Weights.Config != cfg || got.Fingerprint != want.Fingerprint {
		t.Errorf("read back state %+v, flags %v; want %+v, %v", got.State, got.Flags, want.State, want.Flags)
	}
	if got.Flags["lr"] != "0.30000000000000004" {
		t.Errorf("flag lr saved as %q, want the float64's shortest exact spelling", got.Flags["lr"])
	}
	// last.safetensors reads as its weights (detect and eval accept it).
	asWeights, err := model.ReadWeights(path)
	if err != nil {
		t.Fatalf("last as weights: %v", err)
	}
	if !asWeights.Checkpoint || !reflect.DeepEqual(asWeights.Params, params) {
		t.Errorf("last as weights: checkpoint %t, parameters equal %t; want true, true", asWeights.Checkpoint, reflect.DeepEqual(asWeights.Params, params))
	}

	// A missing state key is named.
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	delete(f.Metadata, "state.step")
	_, err = fromSafetensors(f)
	wantErr(t, "no state.step", err, `"state.step"`)
	f.Metadata["state.step"] = "seven"
	_, err = fromSafetensors(f)
	wantErr(t, "bad state.step", err, `"state.step"`, "seven")
	f.Metadata["state.step"] = "7"
	f.Metadata["state.val_loss"] = "0.5"
	_, err = fromSafetensors(f)
	wantErr(t, "short history", err, "1 validation losses for 2 epochs")
}

func TestWriteBestIsPlainWeights(t *testing.T) {
	cfg := model.Config{WF: 2, Depth: 1, Size: 8, Lambda: 0.3, Alpha: 0.84}
	params := model.InitParams(cfg, 1)
	path := filepath.Join(t.TempDir(), BestFile)
	if err := writeBest(path, cfg, params, 12, 0.25); err != nil {
		t.Fatal(err)
	}
	w, err := model.ReadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	if w.Config != cfg || w.Meta["best_epoch"] != "12" || w.Meta["val_loss"] != "0.25" || !reflect.DeepEqual(w.Params, params) {
		t.Errorf("best.safetensors read back as %s, meta %v", w.Config, w.Meta)
	}
}
