//go:build !js

package demotest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/noise2norm/noise2norm/internal/serve"
)

// BenchmarkPageTrainAB times the page's training step on the CPU backend
// (train-estimate: one warm-up step, one timed step, small and large
// presets) with this tree's n2n.wasm and with another build of it,
// N2N_OTHER_WASM (for example main's, to measure a change), in one
// Chromium page: two Engines, one per build, from the same site, their
// estimates alternating (which build goes first alternates too), so that
// both see the same load on shared cores. The metrics are the median and
// the best images/s of each build and preset over -benchtime rounds (load
// only slows a step down), and the largest memory the estimates report:
//
//	(cd ../main && GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o /tmp/other.wasm ./wasm/demo)
//	N2N_OTHER_WASM=/tmp/other.wasm go test ./wasm/demotest/ -run '^$' -bench PageTrainAB -benchtime 3x -timeout 30m
func BenchmarkPageTrainAB(b *testing.B) {
	other := os.Getenv("N2N_OTHER_WASM")
	if other == "" {
		b.Fatal("N2N_OTHER_WASM must name the other n2n.wasm build (see the doc comment)")
	}
	// otherDir is the site with the other build's n2n.wasm, served under
	// /other/ beside this tree's site at /.
	otherDir := b.TempDir()
	if err := os.CopyFS(otherDir, os.DirFS(siteDir)); err != nil {
		b.Fatal(err)
	}
	if err := copyFile(other, filepath.Join(otherDir, "n2n.wasm")); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	for prefix, dir := range map[string]string{"/": siteDir, "/other/": otherDir} {
		h, err := serve.Handler(dir, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		mux.Handle(prefix, http.StripPrefix(prefix[:len(prefix)-1], h))
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	br := newBrowser(b, false)
	br.run(b, "opening a same-origin document", chromedp.Navigate(srv.URL+"/models.json"))
	evalLong[bool](b, br, `(async () => {
		const { Engine } = await import("/client.js");
		window.E = { this: new Engine(new URL("/", location.href)), other: new Engine(new URL("/other/", location.href)) };
		await E.this.ready;
		await E.other.ready;
		return true;
	})()`, 2*time.Minute)
	builds := []string{"this", "other"}
	rates := map[string][]float64{}
	mem := map[string]float64{} // the largest memoryBytes of each
	round := 0
	for b.Loop() {
		for _, preset := range []string{"small", "large"} {
			order := builds
			if round%2 == 1 {
				order = []string{builds[1], builds[0]}
			}
			for _, build := range order {
				raw := evalLong[string](b, br, fmt.Sprintf(`(async () => JSON.stringify(await E[%q].estimate(%q, "cpu")))()`, build, preset), 8*time.Minute)
				var e struct {
					SecondsPerStep  float64 `json:"secondsPerStep"`
					ImagesPerSecond float64 `json:"imagesPerSecond"`
					MemoryBytes     float64 `json:"memoryBytes"`
				}
				if err := json.Unmarshal([]byte(raw), &e); err != nil {
					b.Fatal(err)
				}
				if !(e.ImagesPerSecond > 0) {
					b.Fatalf("estimate of %s on %s's build: %s", preset, build, raw)
				}
				key := preset + "-" + build
				rates[key] = append(rates[key], e.ImagesPerSecond)
				mem[key] = max(mem[key], e.MemoryBytes)
				b.Logf("round %d, %s preset, %s build: %.3f s/step, %.2f images/s, %.1f MiB", round+1, preset, build, e.SecondsPerStep, e.ImagesPerSecond, e.MemoryBytes/(1<<20))
			}
		}
		round++
	}
	for key, r := range rates {
		slices.Sort(r)
		b.ReportMetric(r[len(r)/2], key+"-median-img/s")
		b.ReportMetric(r[len(r)-1], key+"-best-img/s")
		b.ReportMetric(mem[key]/(1<<20), key+"-MiB")
	}
	b.ReportMetric(0, "ns/op")
}
