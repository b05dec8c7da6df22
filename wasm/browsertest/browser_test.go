//go:build !js

package browsertest

import (
	"context"
	"encoding/json"
	browserutil "github.com/noise2norm/noise2norm/internal/testutil/browser"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/noise2norm/noise2norm/internal/backend/optest"
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
	chromium := browserutil.Chromium(t)
	dir := t.TempDir()
	wasm := filepath.Join(dir, "selftest.wasm")
	start := time.Now()
	build := exec.Command("go", "build", "-o", wasm, "github.com/noise2norm/noise2norm/wasm/selftest")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building wasm/selftest: %v\n%s", err, out)
	}
	t.Logf("built selftest.wasm in %v", time.Since(start).Round(time.Millisecond))

	mux := http.NewServeMux()
	files := map[string]string{
		"/":              filepath.Join("testdata", "index.html"),
		"/wasm_exec.js":  wasmExec(t),
		"/selftest.wasm": wasm,
	}
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	for path, file := range files {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				http.NotFound(w, r)
				return
			}
			http.ServeFile(w, r, file)
		})
	}
	srv := httptest.NewServer(mux) // listens on 127.0.0.1 only
	defer srv.Close()

	opts := browserutil.Options(chromium, filepath.Join(dir, "profile"), true)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	// Console starts the browser: it must run before, not beside, the
	// first action.
	messages := chromedp.Console(ctx)
	var (
		mu      sync.Mutex
		console []string
	)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m.String())
			mu.Unlock()
		}
	}()
	defer func() {
		if !t.Failed() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, line := range console {
			t.Logf("console %s", line)
		}
	}()

	start = time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("chromium (%s) did not open the page: %v (run .ci/chromium)", chromium, err)
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

// wasmExec returns the path of the Go toolchain's wasm_exec.js.
func wasmExec(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	root := strings.TrimSpace(string(out))
	for _, p := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} {
		if f := filepath.Join(root, p); fileExists(f) {
			return f
		}
	}
	t.Fatalf("no wasm_exec.js under %s", root)
	return ""
}

// fileExists reports whether path names a file.
func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
