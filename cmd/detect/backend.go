//go:build !js

package main

import (
	"errors"
	"io"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
)

// openBackend returns the backend that name selects and the function that
// releases it. The WebGPU backend is not wired in yet: "gpu" is an error and
// "auto" is the CPU backend.
func openBackend(name string, stderr io.Writer) (backend.Backend, func(), error) {
	if name == "gpu" {
		return nil, nil, errors.New("-backend gpu: the WebGPU backend is not wired into detect yet")
	}
	return cpu.New(), func() {}, nil
}
