//go:build !js

package main

import (
	"fmt"
	"io"
	"os"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/native"
)

// openBackend returns the backend that name selects and the function that
// releases it:
//   - "cpu": the CPU backend;
//   - "gpu": the best WebGPU adapter, whatever its kind, or an error;
//   - "auto": a discrete, integrated or unknown-kind GPU adapter, else the
//     CPU backend, with a note on stderr. A CPU adapter (Mesa's lavapipe) is
//     not taken: it runs the network several times slower than the CPU
//     backend (wf=32, S=256 on 2 cores: about 3.5 s against 0.7 s).
//
// N2N_ADAPTER, when set, names the adapter for "gpu" and "auto" (see
// native.Options).
func openBackend(name string, stderr io.Writer) (backend.Backend, func(), error) {
	if name == "cpu" {
		return cpu.New(), func() {}, nil
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "detect: "+format+"\n", args...) }
	kinds := []string{"discrete", "integrated", "unknown"}
	if name == "gpu" || os.Getenv("N2N_ADAPTER") != "" {
		kinds = []string{""} // native.Open's own choice
	}
	var err error
	for _, kind := range kinds {
		g, e := native.Open(native.Options{Adapter: kind, Logf: logf})
		if e == nil {
			return g, g.Close, nil
		}
		err = e
	}
	if name == "gpu" {
		return nil, nil, err
	}
	fmt.Fprintf(stderr, "detect: no GPU adapter (%v); using the CPU backend (-backend gpu takes a CPU adapter)\n", err)
	return cpu.New(), func() {}, nil
}
