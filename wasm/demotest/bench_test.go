//go:build !js

package demotest

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BenchmarkDemo measures the demo page in headless Chromium per backend:
// first-heatmap-ms is the time from opening the page (cold: a new browser
// profile) to the first heatmap of a bundled example (page, wasm, weights
// and one detection); then each iteration detects the example again, and
// detect-ms is the page's round trip per detection, worker-ms the worker's
// own time (decode to readback). WebGPU runs on SwiftShader, chosen
// explicitly: `go test -run '^$' -bench Demo -benchtime 3x ./wasm/demotest`.
func BenchmarkDemo(b *testing.B) {
	for _, c := range []struct {
		name   string
		webgpu bool
		query  string
	}{
		{"cpu", false, ""},
		{"webgpu-swiftshader", true, "?backend=webgpu"},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := newServer(b)
			br := newBrowser(b, c.webgpu)
			file := example("hole")
			start := time.Now()
			br.run(b, "opening the page", chromedp.Navigate(srv.URL+"/index.html"+c.query))
			loadedBackend(b, br)
			upload(b, br, file)
			first := time.Since(start)
			var detectMS, workerMS float64
			b.ResetTimer()
			for range b.N {
				r := upload(b, br, file)
				detectMS += eval[float64](b, br, demoJS+`.lastMs`)
				workerMS += r.MS.Total
			}
			b.ReportMetric(float64(first.Milliseconds()), "first-heatmap-ms")
			b.ReportMetric(detectMS/float64(b.N), "detect-ms")
			b.ReportMetric(workerMS/float64(b.N), "worker-ms")
		})
	}
}

// BenchmarkCamera measures the camera mode in headless Chromium per
// backend, with Chromium's fake camera: after two frames (the
// first detections warm up), each iteration is one analysed frame, and
// frames/s is how many the page analysed per second of wall time (one in
// flight at a time, the camera's other frames dropped); page-fps is the
// figure the page shows at the end (its last ten frames).
// `go test -run '^$' -bench Camera -benchtime 5x ./wasm/demotest`.
func BenchmarkCamera(b *testing.B) {
	for _, c := range []struct {
		name   string
		webgpu bool
		query  string
	}{
		{"cpu", false, "?backend=cpu"},
		{"webgpu-swiftshader", true, "?backend=webgpu"},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := newServer(b)
			br := newBrowser(b, c.webgpu, fakeCamera...)
			br.run(b, "opening the page", chromedp.Navigate(srv.URL+"/index.html"+c.query))
			loadedBackend(b, br)
			eval[bool](b, br, `(() => { `+shadow(".cam-start")+`.click(); return true; })()`)
			poll[bool](b, br, "two camera frames", `(`+demoJS+`.camera?.frames || 0) >= 2`, 3*time.Minute)
			// The clock starts as a frame completes.
			from := eval[int](b, br, demoJS+`.camera.frames`) + 1
			poll[bool](b, br, "the next frame", fmt.Sprintf(`%s.camera.frames >= %d`, demoJS, from), time.Minute)
			b.ResetTimer()
			start := time.Now()
			poll[bool](b, br, "the measured frames", fmt.Sprintf(`%s.camera.frames >= %d`, demoJS, from+b.N), 10*time.Minute)
			elapsed := time.Since(start)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "frames/s")
			b.ReportMetric(eval[float64](b, br, demoJS+`.camera.fps`), "page-fps")
		})
	}
}
