//go:build !js

package demotest

import (
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
