//go:build !js

package browsertest

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/noise2norm/noise2norm/internal/backend/optest"
	browserutil "github.com/noise2norm/noise2norm/internal/testutil/browser"
)

// report mirrors wasm/selftest's Report (JSON).
type report struct {
	Adapter string  `json:"adapter"`
	OpenMS  float64 `json:"openMs"`
	TotalMS float64 `json:"totalMs"`
	Checks  []struct {
		Name    string  `json:"name"`
		Shape   string  `json:"shape"`
		OK      bool    `json:"ok"`
		Bad     int     `json:"bad"`
		MaxDiff float64 `json:"maxDiff"`
		WorstAt int     `json:"worstAt"`
		Got     float32 `json:"got"`
		Want    float32 `json:"want"`
		GPUMS   float64 `json:"gpuMs"`
		CPUMS   float64 `json:"cpuMs"`
		Err     string  `json:"err"`
	} `json:"checks"`
	Validation struct {
		OK       bool   `json:"ok"`
		Control  string `json:"control"`
		Reported string `json:"reported"`
		Sticky   string `json:"sticky"`
		Err      string `json:"err"`
	} `json:"validation"`
	Error string `json:"error"`
}

// wantChecks is how many checks wasm/selftest runs: the forward cases of
// the op table, its 3×3 Conv2D cases again on the tiled kernels, and
// three more (an Add chain, a network forward twice).
var wantChecks = func() int {
	n := 3
	for _, c := range optest.Cases {
		if !c.Backward {
			n++
		}
		if c.Op == "Conv2D" && strings.Contains(c.Name, "/k3/") {
			n++
		}
	}
	return n
}()

// TestSelfTestInBrowser runs wasm/selftest in headless Chromium and
// asserts its report (see the package doc).
func TestSelfTestInBrowser(t *testing.T) {
	dir := t.TempDir()
	wasm := filepath.Join(dir, "selftest.wasm")
	start := time.Now()
	if err := browserutil.BuildWasm("github.com/noise2norm/noise2norm/wasm/selftest", wasm); err != nil {
		t.Fatal(err)
	}
	t.Logf("built selftest.wasm in %v", time.Since(start).Round(time.Millisecond))
	wasmExec, err := browserutil.WasmExec()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(browserutil.FileServer(map[string]string{
		"/":              filepath.Join("testdata", "index.html"),
		"/wasm_exec.js":  wasmExec,
		"/selftest.wasm": wasm,
	})) // listens on 127.0.0.1 only
	t.Cleanup(srv.Close) // after the browser closes

	tab := browserutil.New(t, true)
	ctx := tab.Ctx

	start = time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("chromium (%s) did not open the page: %v (run .ci/chromium)", tab.Path, err)
	}
	pctx, pcancel := context.WithTimeout(ctx, 5*time.Minute)
	defer pcancel()
	raw, err := chromedp.Run(pctx, chromedp.Poll[string]("globalThis.n2nSelftest",
		chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(5*time.Minute)))
	if err != nil {
		stage, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("String(globalThis.n2nSelftestStage)"))
		t.Fatalf("no self-test report after %v (%v); the self-test was at: %s", time.Since(start).Round(time.Second), err, stage)
	}
	t.Logf("report after %v: %s", time.Since(start).Round(time.Millisecond), raw)
	var r report
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatalf("decoding the report: %v", err)
	}
	uncaptured, err := chromedp.Run(ctx, chromedp.Evaluate[[]string]("globalThis.n2nUncaptured"))
	if err != nil {
		t.Fatalf("reading n2nUncaptured: %v", err)
	}
	checkReport(t, &r, uncaptured)
}

// checkReport fails t for every part of r that did not pass.
func checkReport(t *testing.T, r *report, uncaptured []string) {
	t.Helper()
	if r.Error != "" {
		if strings.Contains(r.Error, "adapter") || strings.Contains(r.Error, "WebGPU") {
			t.Fatalf("self-test: %s (WebGPU needs Debian's chromium with SwiftShader: run .ci/chromium)", r.Error)
		}
		t.Fatalf("self-test: %s", r.Error)
	}
	if r.Adapter == "" {
		t.Errorf("the report names no adapter")
	}
	t.Logf("adapter %q, device opened in %.0f ms, self-test took %.0f ms", r.Adapter, r.OpenMS, r.TotalMS)
	if len(r.Checks) != wantChecks {
		t.Errorf("%d checks reported, want %d", len(r.Checks), wantChecks)
	}
	for _, c := range r.Checks {
		t.Logf("%-50s %-12s max|diff| %.3g  gpu %7.1f ms  cpu %6.1f ms", c.Name, c.Shape, c.MaxDiff, c.GPUMS, c.CPUMS)
		switch {
		case c.Err != "":
			t.Errorf("%s: %s", c.Name, c.Err)
		case !c.OK:
			t.Errorf("%s %s: %d values off (atol 1e-4, rtol 1e-3); worst |diff| %g at %d (got %g want %g)",
				c.Name, c.Shape, c.Bad, c.MaxDiff, c.WorstAt, c.Got, c.Want)
		}
	}
	v := r.Validation
	t.Logf("validation: reported %q, then %q", v.Reported, v.Sticky)
	if !v.OK {
		t.Errorf("validation check failed: err %q, control download %q, reported %q, next download %q",
			v.Err, v.Control, v.Reported, v.Sticky)
	}
	for _, e := range uncaptured {
		t.Errorf("a WebGPU error escaped the error scopes: %s", e)
	}
}
