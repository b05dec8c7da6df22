package model_test

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/model/reftest"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

func TestModulesAgainstPyTorch(t *testing.T) { reftest.Modules(t, cpu.New()) }

func TestNetworkAgainstPyTorch(t *testing.T) {
	for _, name := range reftest.NetworkCases {
		t.Run(name, func(t *testing.T) { reftest.Network(t, cpu.New(), name) })
	}
}

// TestDetectAgainstPyTorch runs Detect on the decoded test PNG's x0, with
// and without noise.
func TestDetectAgainstPyTorch(t *testing.T) {
	_, x0 := testutil.LoadRef(t, "detect", "expected.safetensors").Get("x0")
	reftest.Detect(t, cpu.New(), x0)
}
