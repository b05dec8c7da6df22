//go:build !js

// Package browser starts headless Chromium the way every browser test of
// this project runs it (wasm/browsertest, wasm/demotest, wasm/gpumemprobe,
// internal/serve) and cmd/bench's browser rows: Debian's chromium from
// PATH, no sandbox, a throw-away profile, nothing that calls out to the
// network, and optionally WebGPU on SwiftShader's Vulkan; a tab with its
// console recorded (Start, New); and the pieces of a page that runs a Go
// wasm build (BuildWasm, WasmExec, FileServer). A missing Chromium fails
// the test; it never skips.
package browser

import (
	"errors"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Chromium returns the path of Chromium, failing t if there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	path, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Find returns the path of Chromium on PATH (cmd/bench's browser rows use
// it outside tests).
func Find() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("no chromium on PATH: run .ci/chromium (as root it installs Debian's chromium and chromium-driver)")
}

// Options are the allocator options for headless Chromium at path with its
// profile in profileDir; webgpu turns on WebGPU on SwiftShader's Vulkan
// (without it navigator.gpu.requestAdapter gives null, as in a browser
// without WebGPU); extra options come last.
func Options(path, profileDir string, webgpu bool, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.UserDataDir(profileDir),
		// No network here: keep Chromium from calling out.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-pings", true),
	)
	if webgpu {
		opts = append(opts,
			chromedp.Flag("enable-unsafe-webgpu", true),
			chromedp.Flag("enable-features", "NetworkService,NetworkServiceInProcess,Vulkan"),
			chromedp.Flag("use-vulkan", "swiftshader"),
		)
	}
	return append(opts, extra...)
}
