// Package reftest runs the model-level PyTorch reference checks on any
// backend, so the CPU and WebGPU backends pass the same tests.
package reftest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// Tolerances of whole-network outputs against PyTorch: elementwise, and the
// normalised error ‖got−want‖/‖want‖.
const (
	NetAtol   = 1e-4
	NetRtol   = 1e-3
	NetRelErr = 1e-4
)

// NetworkCases are the folders under testdata/ref/ with a network reference.
var NetworkCases = []string{"wf4_s32_d4_att", "wf4_s32_d4_noatt", "wf8_s64_d3_att"}

// Network loads testdata/ref/<name>/weights.safetensors on be, runs the
// noise, the forward pass and the loss map on io.safetensors' inputs and
// compares every intermediate and output with PyTorch's.
func Network(t *testing.T, be backend.Backend, name string) {
	m, err := model.Load(be, testutil.RefPath(name, "weights.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	io := testutil.LoadRef(t, name, "io.safetensors")
	x0 := io.Upload(be, "x0")
	defer be.Free(x0)
	x := be.Noise(x0, float32(io.Float("lambda")), uint32(io.Int("seed")))
	defer be.Free(x)
	compare(t, be, io, "x", x)
	xhat, keep := m.ForwardKeep(x)
	defer be.Free(xhat)
	for i := range keep.E {
		for _, k := range []struct {
			name string
			t    backend.Tensor
		}{{"E", keep.E[i]}, {"D", keep.D[i]}, {"o", keep.O[i]}} {
			compare(t, be, io, fmt.Sprintf("%s.%d", k.name, i), k.t)
			be.Free(k.t)
		}
	}
	compare(t, be, io, "xhat", xhat)
	// Forward runs the graph without a tape (on the CPU: SKFF upsampling
	// as it reads, backend.UpsampleFuser): the same x̂.
	xf := m.Forward(x)
	defer be.Free(xf)
	compare(t, be, io, "xhat", xf)
	// Each image alone (batch 1; on the CPU the convolutions also write
	// into their concatenations, backend.ChannelWriter): its part of x̂.
	xs := x.Shape()
	_, wantX := io.Get("xhat")
	xdata := testutil.Download(t, be, x)
	one := backend.Shape{N: 1, C: xs.C, H: xs.H, W: xs.W}
	for n := range xs.N {
		part := func(v []float32) []float32 { return v[n*one.Len() : (n+1)*one.Len()] }
		xn := be.Upload(one, part(xdata))
		yn := m.Forward(xn)
		compareData(t, fmt.Sprintf("xhat of image %d at batch 1", n), testutil.Download(t, be, yn), part(wantX))
		be.Free(yn)
		be.Free(xn)
	}
	amap := be.LossMap(x0, xhat, m.Cfg.Alpha)
	defer be.Free(amap)
	compare(t, be, io, "map", amap)
}

// compare checks got against reference tensor name.
func compare(t *testing.T, be backend.Backend, ref *testutil.Ref, name string, got backend.Tensor) {
	t.Helper()
	s, want := ref.Get(name)
	if got.Shape() != s {
		t.Fatalf("%s: shape %v, want %v", name, got.Shape(), s)
	}
	compareData(t, name, testutil.Download(t, be, got), want)
}

// compareData checks data against want with the network tolerances.
func compareData(t *testing.T, name string, data, want []float32) {
	t.Helper()
	testutil.Close(t, name, data, want, NetAtol, NetRtol)
	if e := testutil.RelErr(data, want); e > NetRelErr {
		t.Errorf("%s: normalised error %.3g > %g", name, e, NetRelErr)
	}
}

// Modules checks RAM and SKFF, each against PyTorch's module outputs in
// ops.safetensors (the "ram.*" and "skff.*" tensors carry the modules'
// parameters under their spec names).
func Modules(t *testing.T, be backend.Backend) {
	ref := testutil.LoadRef(t, "ops.safetensors")
	params := func(prefix string) map[string]backend.Tensor {
		p := map[string]backend.Tensor{}
		for n := range ref.Tensors {
			if strings.HasPrefix(n, prefix) && (strings.HasSuffix(n, ".weight") || strings.HasSuffix(n, ".bias")) {
				p[n] = ref.Upload(be, n)
			}
		}
		return p
	}
	t.Run("ram", func(t *testing.T) {
		x := ref.Upload(be, "ram.x")
		got := model.RAM(be, params("ram."), "ram", x, true)
		defer be.Free(got)
		compare(t, be, ref, "ram.out", got)
	})
	t.Run("skff", func(t *testing.T) {
		var os []backend.Tensor
		for i := 0; ; i++ {
			if _, ok := ref.Tensors[fmt.Sprintf("skff.o.%d", i)]; !ok {
				break
			}
			os = append(os, ref.Upload(be, fmt.Sprintf("skff.o.%d", i)))
		}
		got := model.SKFF(be, params("skff."), os)
		defer be.Free(got)
		compare(t, be, ref, "skff.out", got)
	})
}

// Detect checks Model.Detect on testdata/ref/detect: the 32×32 PNG's
// tensor x0, with λ = 0 and with the weights' λ and seed 0.
func Detect(t *testing.T, be backend.Backend, x0 []float32) {
	m, err := model.Load(be, testutil.RefPath("wf4_s32_d4_att", "weights.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	ref := testutil.LoadRef(t, "detect", "expected.safetensors")
	s := backend.Shape{N: 1, C: 3, H: m.Cfg.Size, W: m.Cfg.Size}
	in := be.Upload(s, x0)
	defer be.Free(in)
	for _, c := range []struct {
		suffix string
		lambda float32
	}{{"l0", 0}, {"l0.3", m.Cfg.Lambda}} {
		d, err := m.Detect(in, c.lambda, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, recon := ref.Get("recon_" + c.suffix)
		_, amap := ref.Get("map_" + c.suffix)
		testutil.Close(t, "recon_"+c.suffix, d.Recon, recon, NetAtol, NetRtol)
		testutil.Close(t, "map_"+c.suffix, d.Map, amap, NetAtol, NetRtol)
	}
}
