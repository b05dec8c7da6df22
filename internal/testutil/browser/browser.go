//go:build !js

// Package browser starts headless Chromium the way every browser test of
// this project runs it (wasm/browsertest, wasm/demotest, internal/serve):
// Debian's chromium from PATH, no sandbox, a throw-away profile, nothing
// that calls out to the network, and optionally WebGPU on SwiftShader's
// Vulkan. A missing Chromium fails the test; it never skips.
package browser

import (
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Chromium returns the path of Chromium, failing t if there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("no chromium on PATH: run .ci/chromium (as root it installs Debian's chromium and chromium-driver)")
	return ""
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
