//go:build !js

package native

import (
	"fmt"
	"os"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
)

// Select returns the backend that name chooses, and the function that
// releases it:
//   - "cpu": the CPU backend with threads goroutines (≤ 0: all cores);
//   - "gpu": the best WebGPU adapter of any kind (Open's choice), or an error;
//   - "auto": a discrete, integrated or unknown-kind GPU adapter, else the
//     CPU backend with a note through logf. A CPU adapter (Mesa's lavapipe)
//     is not taken: it runs the network several times slower than the CPU
//     backend (see docs/benchmarks.md).
//
// N2N_ADAPTER, when set, names the adapter for "gpu" and "auto" (see Options).
func Select(name string, threads int, logf func(format string, args ...any)) (backend.Backend, func(), error) {
	switch name {
	case "cpu":
		be := cpu.New()
		if threads > 0 {
			be.Threads = threads
		}
		return be, func() {}, nil
	case "gpu", "auto":
	default:
		return nil, nil, fmt.Errorf("backend %q: want auto, cpu or gpu", name)
	}
	want := "gpu" // auto: any adapter but a CPU one
	if name == "gpu" || os.Getenv("N2N_ADAPTER") != "" {
		want = "" // Open's own choice
	}
	g, err := Open(Options{Adapter: want, Logf: logf})
	if err == nil {
		return g, g.Close, nil
	}
	if name == "gpu" {
		return nil, nil, err
	}
	logf("using the CPU backend: %v (-backend gpu takes a CPU adapter too)", err)
	return Select("cpu", threads, logf)
}
