//go:build !js

package gpu_test

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/model/reftest"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// The reference outputs of testdata/ref, written by PyTorch, run on the
// device: primitive ops, the network's modules and Detect.

func TestOpsAgainstPyTorch(t *testing.T) { testutil.PrimitiveOps(t, dev) }

func TestModulesAgainstPyTorch(t *testing.T) { reftest.Modules(t, dev) }

func TestDetectAgainstPyTorch(t *testing.T) {
	_, x0 := testutil.LoadRef(t, "detect", "expected.safetensors").Get("x0")
	reftest.Detect(t, dev, x0)
}

func TestNetworkAgainstPyTorch(t *testing.T) {
	for _, name := range reftest.NetworkCases {
		t.Run(name, func(t *testing.T) { reftest.Network(t, dev, name) })
	}
}

// TestTrainStepAgainstPyTorch: loss, every gradient and two AdamW steps on
// the device against PyTorch.
func TestTrainStepAgainstPyTorch(t *testing.T) {
	for _, file := range reftest.TrainCases {
		t.Run(file, func(t *testing.T) { reftest.TrainStep(t, dev, file) })
	}
}
