package model

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/safetensors"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// TestWeightsRoundTrip writes seeded weights and reads them back unchanged.
func TestWeightsRoundTrip(t *testing.T) {
	cfg := Config{WF: 4, Depth: 3, Size: 16, Lambda: 0.3, Alpha: 0.84, Attention: true}
	w := &Weights{Config: cfg, Meta: map[string]string{"note": "kept"}, Params: InitParams(cfg, 1)}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config != cfg || got.Meta["note"] != "kept" {
		t.Fatalf("config %v meta %v, want %v and note kept", got.Config, got.Meta, cfg)
	}
	for name, v := range w.Params {
		testutil.Close(t, name, got.Params[name], v, 0, 0)
	}
}

// TestPyTorchWeightsMatchSpecs reads the weights PyTorch wrote.
func TestPyTorchWeightsMatchSpecs(t *testing.T) {
	w, err := ReadWeights(testutil.RefPath("wf4_s32_d4_att", "weights.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Params) != len(ParamSpecs(w.Config)) {
		t.Fatalf("%d params, want %d", len(w.Params), len(ParamSpecs(w.Config)))
	}
}

// TestWeightsRefusals: each way a file can mismatch the spec is named.
func TestWeightsRefusals(t *testing.T) {
	good := func() *safetensors.File {
		f, err := safetensors.ReadFile(testutil.RefPath("wf4_s32_d4_att", "weights.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	cases := []struct {
		name, want string
		edit       func(f *safetensors.File)
	}{
		{"format", `format = "onnx"`, func(f *safetensors.File) { f.Metadata["format"] = "onnx" }},
		{"version", `version = "2"`, func(f *safetensors.File) { f.Metadata["version"] = "2" }},
		{"no wf", `"wf" = ""`, func(f *safetensors.File) { delete(f.Metadata, "wf") }},
		{"bad size", "size = 30", func(f *safetensors.File) { f.Metadata["size"] = "30" }},
		{"attention", `"attention" = "maybe"`, func(f *safetensors.File) { f.Metadata["attention"] = "maybe" }},
		{"missing", "missing tensors head.bias", func(f *safetensors.File) { delete(f.Tensors, "head.bias") }},
		{"misshapen", "head.weight has shape [3 4 1 9], want [3 4 3 3]", func(f *safetensors.File) {
			h := f.Tensors["head.weight"]
			h.Shape = []int{3, 4, 1, 9}
			f.Tensors["head.weight"] = h
		}},
		{"extra", "unexpected tensors bogus", func(f *safetensors.File) {
			f.Tensors["bogus"] = safetensors.Tensor{Shape: []int{1}, Data: []float32{0}}
		}},
		{"attention off but fc present", "unexpected tensors dram.0.fc1.bias", func(f *safetensors.File) {
			f.Metadata["attention"] = "false"
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := good()
			c.edit(f)
			_, err := FromSafetensors(f)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestFLOPs checks the count on a hand-computed depth-1 network: stem
// (3→wf, 3×3), eblock (two wf→wf 3×3), side (wf→wf 3×3), head (wf→3, 3×3)
// at S×S, plus the 1×1-spatial SKFF convs.
func TestFLOPs(t *testing.T) {
	c := Config{WF: 8, Depth: 1, Size: 16, Lambda: 0.3, Alpha: 0.84, Attention: true}
	px := int64(16 * 16)
	want := 2*px*9*(8*3+8*8+8*8+8*8+3*8) + 2*(4*8+8*4)
	if got := FLOPs(c); got != want {
		t.Fatalf("FLOPs = %d, want %d", got, want)
	}
}
