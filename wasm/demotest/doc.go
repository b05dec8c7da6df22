// Package demotest tests the browser demo (site/, wasm/demo) end to end in
// Debian's headless Chromium through chromedp: it builds n2n.wasm into a
// temporary copy of site/ with the shipped weights, serves it from
// 127.0.0.1, and checks that a bundled example dropped through the file
// input gives the score and map that the native CPU backend gives for the
// same file and weights (on WebGPU, SwiftShader chosen explicitly; and
// through the CPU fallback of a browser without WebGPU), that a corrupt
// file shows a message and the page keeps working, that the embed snippet
// works from a sub-path with its detect() method and event, that the camera
// mode (Chromium's fake camera) analyses frames with the same map as the
// same pixels dropped as a PNG, counts and raises its alarm, and says when
// the camera is refused or missing, that after one visit the service worker
// lets a reload detect with the server gone and offers a new version, and
// that no request leaves the page's origin. It saves screenshots (desktop and
// phone-sized) under out/screenshots/ (or $N2N_SCREENSHOTS) and logs where.
// Chromium comes from .ci/chromium.
package demotest
