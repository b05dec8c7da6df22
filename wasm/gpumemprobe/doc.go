//go:build !js

// Package gpumemprobe holds a browser test of the WebGPU backend's memory
// while training (probe_test.go) and the wasm program it runs (main.go,
// js/wasm only): a few training steps of a small network in headless
// Chromium (WebGPU on SwiftShader), with the resident memory of Chromium's
// GPU process read from /proc and the GPU buffers the page creates and
// destroys counted in testdata/index.html. docs/benchmarks.md ("Browser
// WebGPU training: GPU-process memory") has the measurements behind it.
package gpumemprobe
