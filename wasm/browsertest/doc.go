// Package browsertest runs the WebGPU backend in a real browser: its test
// builds wasm/selftest for GOOS=js GOARCH=wasm, serves it from 127.0.0.1
// with Go's wasm_exec.js and testdata/index.html, opens the page in
// headless Chromium (WebGPU on SwiftShader's Vulkan) through chromedp and
// fails unless every op the self-test compares with the CPU backend is
// within tolerance, a device validation error is reported and no WebGPU
// error escaped the backend's error scopes. Chromium comes from Debian's
// package: run .ci/chromium (as root) to install it.
package browsertest
