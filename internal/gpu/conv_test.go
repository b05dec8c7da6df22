//go:build !js

package gpu_test

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// Conv2D tolerances: a float32 sum of up to Cin·k·k products, accumulated in
// a different order than the CPU's.
const convAtol, convRtol = 1e-4, 1e-3

// convCase is one Conv2D on seeded random x (N,Cin,H,W) in [−1, 1), w
// (Cout,Cin,k,k) in [−0.5, 0.5) and, with bias, a bias in [−1, 1).
type convCase struct {
	x          backend.Shape
	cout, k    int
	bias       bool
	act        backend.Activation
	kernelPath string // which kernel Conv2D picks, for the test's name
}

func (c convCase) String() string {
	return fmt.Sprintf("%s/x%v/cout%d/k%d/bias=%t/%v", c.kernelPath, c.x, c.cout, c.k, c.bias, c.act)
}

// convCases cover every kernel on awkward sizes: odd channel counts, output
// channel counts below, at and between multiples of the 8-channel group,
// widths and pixel counts that are not multiples of the 8-pixel run or the
// 64-invocation workgroup, planes of one row, one column and one pixel,
// batch 2, bias and none, every activation.
var convCases = []convCase{
	{x: sh(2, 5, 13, 19), cout: 7, k: 3, bias: true, act: backend.ReLU, kernelPath: "conv3x3"},
	{x: sh(1, 3, 9, 8), cout: 16, k: 3, bias: false, act: backend.Linear, kernelPath: "conv3x3"},
	{x: sh(2, 17, 6, 33), cout: 9, k: 3, bias: true, act: backend.Sigmoid, kernelPath: "conv3x3"},
	{x: sh(2, 6, 10, 17), cout: 20, k: 3, bias: false, act: backend.ReLU, kernelPath: "conv3x3"},
	{x: sh(1, 4, 7, 1), cout: 3, k: 3, bias: true, act: backend.Linear, kernelPath: "conv3x3"},
	{x: sh(2, 3, 1, 21), cout: 5, k: 3, bias: true, act: backend.Linear, kernelPath: "conv3x3"},
	{x: sh(2, 4, 1, 1), cout: 5, k: 3, bias: true, act: backend.Sigmoid, kernelPath: "conv3x3"},
	{x: sh(1, 32, 35, 70), cout: 32, k: 3, bias: true, act: backend.ReLU, kernelPath: "conv3x3"},
	{x: sh(3, 10, 33, 65), cout: 12, k: 3, bias: true, act: backend.Sigmoid, kernelPath: "conv3x3"},
	{x: sh(2, 7, 17, 32), cout: 8, k: 3, bias: false, act: backend.ReLU, kernelPath: "conv3x3"},
	{x: sh(2, 13, 7, 9), cout: 11, k: 1, bias: true, act: backend.ReLU, kernelPath: "conv1x1"},
	{x: sh(1, 1, 5, 5), cout: 3, k: 1, bias: false, act: backend.Sigmoid, kernelPath: "conv1x1"},
	{x: sh(2, 40, 23, 29), cout: 17, k: 1, bias: true, act: backend.Linear, kernelPath: "conv1x1"},
	{x: sh(2, 37, 1, 1), cout: 6, k: 1, bias: true, act: backend.Sigmoid, kernelPath: "conv_fc"},
	{x: sh(1, 32, 1, 1), cout: 4, k: 1, bias: false, act: backend.ReLU, kernelPath: "conv_fc"},
	{x: sh(2, 3, 6, 7), cout: 4, k: 5, bias: true, act: backend.Linear, kernelPath: "conv_direct"},
	{x: sh(1, 2, 4, 9), cout: 3, k: 7, bias: false, act: backend.ReLU, kernelPath: "conv_direct"},
}

// TestConv2D compares Conv2D with the CPU backend's on convCases with
// each kernel family forced, whatever the adapter: the kernels tuned for
// CPU adapters (conv3x3_cpu, conv1x1_cpu), the GPU kernels the cases name
// (register), and those with conv3x3_tiled for 3×3 (tiled).
func TestConv2D(t *testing.T) {
	for _, family := range []string{gpu.ConvCPU, gpu.ConvRegister, gpu.ConvTiled} {
		t.Run(family, func(t *testing.T) {
			defer dev.UseConvKernels(family)()
			if got := dev.ConvKernels(); got != family {
				t.Fatalf("ConvKernels() = %q after choosing %q", got, family)
			}
			testConv2D(t)
		})
	}
}

// TestConvKernelsChoice: a bad family name is an error and changes
// nothing; auto is cpu on a CPU adapter (lavapipe), register on others.
func TestConvKernelsChoice(t *testing.T) {
	defer dev.UseConvKernels(gpu.ConvTiled)()
	if err := dev.SetConvKernels("fast"); err == nil || dev.ConvKernels() != gpu.ConvTiled {
		t.Errorf("SetConvKernels(\"fast\"): error %v, family now %q", err, dev.ConvKernels())
	}
	want := gpu.ConvRegister
	if dev.CPUAdapter() {
		want = gpu.ConvCPU
	}
	if err := dev.SetConvKernels(gpu.ConvAuto); err != nil || dev.ConvKernels() != want {
		t.Errorf("auto on %s: error %v, family %q, want %q", dev.Name(), err, dev.ConvKernels(), want)
	}
}

// testConv2D runs TestConv2D's comparisons with the current kernel choice.
func testConv2D(t *testing.T) {
	for i, c := range convCases {
		t.Run(c.String(), func(t *testing.T) {
			seed := uint64(100 * i)
			xv := testutil.Random(seed, c.x.Len(), -1, 1)
			ws := sh(c.cout, c.x.C, c.k, c.k)
			wv := testutil.Random(seed+1, ws.Len(), -0.5, 0.5)
			var bv []float32
			if c.bias {
				bv = testutil.Random(seed+2, c.cout, -1, 1)
			}
			want := runConv(t, ref, c, xv, wv, bv)
			got := runConv(t, dev, c, xv, wv, bv)
			testutil.Close(t, c.String(), got, want, convAtol, convRtol)
		})
	}
}

// runConv uploads the inputs of c to be, runs Conv2D, checks the output's
// shape and returns its values; it frees what it allocated.
func runConv(t *testing.T, be backend.Backend, c convCase, xv, wv, bv []float32) []float32 {
	t.Helper()
	x := be.Upload(c.x, xv)
	w := be.Upload(sh(c.cout, c.x.C, c.k, c.k), wv)
	var bias backend.Tensor
	if bv != nil {
		bias = be.Upload(sh(1, c.cout, 1, 1), bv)
	}
	out := be.Conv2D(x, w, bias, c.act)
	if want := sh(c.x.N, c.cout, c.x.H, c.x.W); out.Shape() != want {
		t.Fatalf("%s on %s: output shape %v, want %v", c, be.Name(), out.Shape(), want)
	}
	got, err := be.Download(out)
	if err != nil {
		t.Fatalf("%s on %s: download: %v", c, be.Name(), err)
	}
	for _, tt := range []backend.Tensor{x, w, bias, out} {
		be.Free(tt)
	}
	return got
}
