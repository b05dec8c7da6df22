//go:build !js

package gpu_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/native"
)

// dev is the device every test of the package shares; ref is the CPU
// reference backend its ops are compared with.
var (
	dev *gpu.Backend
	ref = cpu.New()
)

// TestMain opens one device for the package. Without an adapter the test
// binary fails: GPU tests never pass by skipping.
func TestMain(m *testing.M) {
	if os.Getenv("XDG_RUNTIME_DIR") == "" {
		os.Setenv("XDG_RUNTIME_DIR", "/tmp") // quiets Mesa's lavapipe
	}
	var err error
	dev, err = native.Open(native.Options{Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }})
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: no WebGPU device:", err)
		os.Exit(1)
	}
	code := m.Run()
	dev.Close()
	os.Exit(code)
}
