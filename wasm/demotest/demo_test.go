//go:build !js

package demotest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/infer"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/model/reftest"
	"github.com/noise2norm/noise2norm/internal/serve"
	"github.com/noise2norm/noise2norm/internal/testutil"
	browserutil "github.com/noise2norm/noise2norm/internal/testutil/browser"
)

// modelID is the shipped model the tests run (site/models.json); its
// forward takes about a second on SwiftShader.
const modelID = "textile-wf16-s128"

// siteDir is the temporary copy of site/ that TestMain builds.
var siteDir string

// TestMain builds the site once for every test (buildSite).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "n2n-site-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	start := time.Now()
	if err := buildSite(dir); err != nil {
		fmt.Fprintln(os.Stderr, "demotest: building the site:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "demotest: site built in %s (%v)\n", dir, time.Since(start).Round(time.Millisecond))
	siteDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildSite fills dir with what `make wasm` puts in site/: n2n.wasm,
// wasm_exec.js and the shipped models' float16 copies (cmd/export -f16).
func buildSite(dir string) error {
	root := testutil.RepoRoot()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(root, "site"))); err != nil {
		return err
	}
	// Whatever a local `make wasm` left there is rebuilt from this tree.
	for _, p := range []string{"n2n.wasm", "wasm_exec.js", "models"} {
		os.RemoveAll(filepath.Join(dir, p))
	}
	if err := browserutil.BuildWasm("github.com/noise2norm/noise2norm/wasm/demo", filepath.Join(dir, "n2n.wasm"), "-trimpath", "-ldflags=-s -w"); err != nil {
		return err
	}
	wasmExec, err := browserutil.WasmExec()
	if err != nil {
		return err
	}
	if err := copyFile(wasmExec, filepath.Join(dir, "wasm_exec.js")); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "models"), 0o755); err != nil {
		return err
	}
	// The float16 copies of every shipped model, as `make wasm` writes them
	// for those models.json lists (the service worker precaches each of
	// those; the others are exported too and never fetched).
	exportBin := dir + "-export"
	defer os.Remove(exportBin)
	buildExport := exec.Command("go", "build", "-o", exportBin, "./cmd/export")
	buildExport.Dir = root
	if out, err := buildExport.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/export: %v\n%s", err, out)
	}
	weights, err := filepath.Glob(filepath.Join(root, "weights", "*.safetensors"))
	if err != nil || len(weights) == 0 {
		return fmt.Errorf("no weights/*.safetensors (%v)", err)
	}
	for _, w := range weights {
		export := exec.Command(exportBin, "-f16", w, filepath.Join(dir, "models", filepath.Base(w)))
		if out, err := export.CombinedOutput(); err != nil {
			return fmt.Errorf("export -f16 %s: %v\n%s", w, err, out)
		}
	}
	shipped := filepath.Join(dir, "models", modelID+".safetensors")
	if err := addTestModels(dir, shipped); err != nil {
		return err
	}
	return writeServiceWorkerVersion(dir)
}

// calibratedID and uncalibratedID are test-only models: the site's weights
// with a made-up calibration (per-pixel statistics included), and with no
// calibration at all, to check both of the page's paths whatever the
// shipped weights carry.
const (
	calibratedID   = "test-calibrated"
	uncalibratedID = "test-uncalibrated"
)

// testCalibration is that made-up calibration: raw maps standardised by a
// constant mean 0.3 and spread 0.2, threshold 2 on that scale.
func testCalibration(size int) *model.Calibration {
	mean, std := make([]float32, size*size), make([]float32, size*size)
	for i := range mean {
		mean[i], std[i] = 0.3, 0.2
	}
	return &model.Calibration{ScoreMin: 0, ScoreMax: 4, Threshold: 2, Rule: "demotest: made up", MapMean: mean, MapStd: std}
}

// addTestModels writes the calibrated and the uncalibrated copy of weights
// into dir's models/ and lists them in dir's models.json.
func addTestModels(dir, weights string) error {
	listPath := filepath.Join(dir, "models.json")
	raw, err := os.ReadFile(listPath)
	if err != nil {
		return err
	}
	var list []map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("site/models.json: %v", err)
	}
	var shippedEntry map[string]any
	for _, e := range list {
		if e["id"] == modelID {
			shippedEntry = e
		}
	}
	if shippedEntry == nil {
		return fmt.Errorf("site/models.json does not list %s", modelID)
	}
	for _, m := range []struct {
		id, name  string
		calibrate func(*model.Weights) error
	}{
		{calibratedID, "Textile, test calibration", func(w *model.Weights) error { return testCalibration(w.Config.Size).Store(w) }},
		{uncalibratedID, "Textile, uncalibrated", func(w *model.Weights) error {
			for _, k := range []string{model.MetaScoreMin, model.MetaScoreMax, model.MetaThreshold, model.MetaThresholdRule, model.MetaCalibratedMap} {
				delete(w.Meta, k)
			}
			w.Calib = nil
			return nil
		}},
	} {
		w, err := model.ReadWeights(weights)
		if err != nil {
			return err
		}
		if err := m.calibrate(w); err != nil {
			return err
		}
		if err := w.WriteFile(filepath.Join(dir, "models", m.id+".safetensors")); err != nil {
			return err
		}
		entry := maps.Clone(shippedEntry)
		entry["id"], entry["name"], entry["default"] = m.id, m.name, false
		entry["file"] = "models/" + m.id + ".safetensors"
		list = append(list, entry)
	}
	out, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return os.WriteFile(listPath, out, 0o644)
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// embedPage is a page outside the site's folder that embeds the demo with
// the documented snippet, two elements sharing one worker.
const embedPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>embed test</title>
<script type="module" src="../sub/dir/embed.js"></script></head>
<body><h1>Some docs page</h1>
<noise2norm-demo id="first" backend="cpu"></noise2norm-demo>
<noise2norm-demo id="second" model="` + uncalibratedID + `" backend="cpu"></noise2norm-demo>
<script>
window.n2nEvents = [];
document.addEventListener("noise2norm-result", (e) => n2nEvents.push({id: e.target.id, detail: e.detail}));
</script></body></html>`

// server serves the site with the demo's own server (internal/serve) at /
// and at /sub/dir/, and the embed test page at /elsewhere/page.html, and
// records every path asked for.
type server struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string

	offline   atomic.Bool       // every request fails, as with the network cut
	refused   []string          // paths asked for while offline (under mu)
	overrides map[string]string // path → body served instead of the file (text/javascript); set before use
}

func newServer(t testing.TB) *server {
	s := &server{overrides: map[string]string{}}
	files, err := serve.Handler(siteDir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", files)
	mux.Handle("/sub/dir/", http.StripPrefix("/sub/dir", files))
	mux.HandleFunc("/elsewhere/page.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, embedPage)
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.offline.Load() {
			s.mu.Lock()
			s.refused = append(s.refused, r.URL.Path)
			s.mu.Unlock()
			panic(http.ErrAbortHandler) // the connection drops: a network error, no response
		}
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		body, ok := s.overrides[r.URL.Path]
		s.mu.Unlock()
		if ok {
			w.Header().Set("Content-Type", "text/javascript")
			w.Header().Set("Cache-Control", "no-cache")
			io.WriteString(w, body)
			return
		}
		mux.ServeHTTP(w, r)
	})) // 127.0.0.1 only
	t.Cleanup(s.Close)
	return s
}

// count is how many requests asked for a path ending in suffix.
func (s *server) count(suffix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.paths {
		if strings.HasSuffix(p, suffix) {
			n++
		}
	}
	return n
}

// checkSameOrigin fails t for every request that the page or its workers
// made outside origin, and unless the recording saw the worker's own
// fetches (n2n.wasm, the weights).
func (b *browser) checkSameOrigin(t testing.TB, origin string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	sawWasm, sawModel := false, false
	for _, u := range b.requests {
		switch {
		case strings.HasPrefix(u, origin+"/"):
			sawWasm = sawWasm || strings.HasSuffix(u, "/n2n.wasm")
			sawModel = sawModel || strings.HasSuffix(u, ".safetensors")
		case strings.HasPrefix(u, "data:"), strings.HasPrefix(u, "blob:"+origin+"/"):
		default:
			t.Errorf("a request left the page's origin %s: %s", origin, u)
		}
	}
	if !sawWasm || !sawModel {
		t.Errorf("the request log misses the worker's fetches (n2n.wasm seen %v, weights seen %v): %v", sawWasm, sawModel, b.requests)
	}
	t.Logf("%d requests from the page and its workers, all to %s; %d requests of the browser itself (no frame) not counted", len(b.requests), origin, b.browserRequests)
}

// browser is a headless Chromium tab with its console and every request it
// made recorded.
type browser struct {
	tab      *browserutil.Tab // its console: tab.Console
	ctx      context.Context  // tab.Ctx
	mu       sync.Mutex
	requests []string // URLs the page and its workers asked for

	browserRequests int // requests of the browser itself (component updates and such)
}

// newBrowser starts Chromium; webgpu turns on WebGPU (SwiftShader's Vulkan)
// as wasm/browsertest does; without it navigator.gpu.requestAdapter gives
// null.
// extra adds Chromium flags (the fake camera's, for instance).
func newBrowser(t testing.TB, webgpu bool, extra ...chromedp.ExecAllocatorOption) *browser {
	tab := browserutil.New(t, webgpu, append([]chromedp.ExecAllocatorOption{chromedp.WindowSize(1280, 900)}, extra...)...)
	ctx := tab.Ctx
	b := &browser{tab: tab, ctx: ctx}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("chromium (%s) did not start: %v (run .ci/chromium)", tab.Path, err)
	}
	// Every request of every target, workers included, pauses in the
	// browser-wide Fetch domain: record it and let it go on.
	if _, err := chromedp.CallBrowser(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.Fatalf("Fetch.enable: %v", err)
	}
	go func() {
		for ev, err := range chromedp.BrowserEvents(ctx, fetch.RequestPaused) {
			if err != nil {
				return
			}
			b.mu.Lock()
			if ev.FrameID != "" {
				b.requests = append(b.requests, ev.Request.URL)
			} else {
				b.browserRequests++
			}
			b.mu.Unlock()
			go chromedp.CallBrowser(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}
	}()
	return b
}

// run runs actions with a time limit.
func (b *browser) run(t testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) into T.
func eval[T any](t testing.TB, b *browser, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %.80q: %v", expr, err)
	}
	return v
}

// poll waits until expr is truthy and returns it.
func poll[T any](t testing.TB, b *browser, what, expr string, limit time.Duration) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, limit+10*time.Second)
	defer cancel()
	start := time.Now()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(limit)))
	if err != nil {
		msg, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](demoJS+`.shadowRoot.querySelector(".msg").textContent`))
		t.Fatalf("waiting for %s: %v after %v (the page's message: %q)", what, err, time.Since(start).Round(time.Millisecond), msg)
	}
	t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
	return v
}

// demoJS is the page's demo element.
const demoJS = `document.querySelector("noise2norm-demo")`

// fileInput is the element's file input, inside its shadow root.
const fileInput = chromedp.JSPath(`document.querySelector("noise2norm-demo").shadowRoot.querySelector("input.file")`)

// loadedBackend waits until the page's element has loaded its model and
// returns where it runs.
func loadedBackend(t testing.TB, b *browser) backendInfo {
	t.Helper()
	raw := poll[string](t, b, "the model to load", `(() => { const d = `+demoJS+`; return d && d.loaded ? JSON.stringify(d.loaded.backend) : ""; })()`, 90*time.Second)
	var info backendInfo
	if err := json.Unmarshal([]byte(raw), &info); err != nil {
		t.Fatal(err)
	}
	return info
}

// backendInfo mirrors site/protocol.js's BackendInfo.
type backendInfo struct {
	Kind            string `json:"kind"`
	Name            string `json:"name"`
	Adapter         string `json:"adapter"`
	FallbackAdapter bool   `json:"fallbackAdapter"`
	Reason          string `json:"reason"`
	SIMD            bool   `json:"simd"`
}

// pageResult is the part of a ResultReply the tests check.
type pageResult struct {
	ID         int         `json:"id"`
	Score      float64     `json:"score"`
	Calibrated bool        `json:"calibrated"`
	Normalized *float64    `json:"normalizedScore"`
	Threshold  *float64    `json:"threshold"`
	Anomalous  *bool       `json:"anomalous"`
	Size       int         `json:"size"`
	Map        []float32   `json:"map"`
	Backend    backendInfo `json:"backend"`
	FellBack   string      `json:"fellBack"`
	MS         struct {
		Decode, Upload, Forward, Map, Readback, Total float64
	} `json:"ms"`
}

// lastResultID is the id of the element's last result, 0 before any.
func lastResultID(t testing.TB, b *browser) int {
	return eval[int](t, b, `(`+demoJS+`.lastResult || {id: 0}).id`)
}

// upload sets file on the element's file input and waits for a new result.
func upload(t testing.TB, b *browser, file string) pageResult {
	t.Helper()
	before := lastResultID(t, b)
	b.run(t, "setting the file input", chromedp.SetUploadFiles(fileInput, []string{file}))
	raw := poll[string](t, b, "the result of "+filepath.Base(file), fmt.Sprintf(`(() => {
		const r = %s.lastResult;
		if (!r || r.id === %d) return "";
		return JSON.stringify({id: r.id, score: r.score, calibrated: r.calibrated, normalizedScore: r.normalizedScore, threshold: r.threshold, anomalous: r.anomalous, fellBack: r.fellBack, size: r.size, map: Array.from(r.map), backend: r.backend, ms: r.ms});
	})()`, demoJS, before), 2*time.Minute)
	var r pageResult
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s on %s (%s): score %.6g; worker ms: decode %.0f upload %.0f forward %.0f map %.0f readback %.0f total %.0f",
		filepath.Base(file), r.Backend.Kind, r.Backend.Name, r.Score, r.MS.Decode, r.MS.Upload, r.MS.Forward, r.MS.Map, r.MS.Readback, r.MS.Total)
	return r
}

// example is the path of a bundled example in the built site.
func example(name string) string {
	return filepath.Join(siteDir, "examples", modelID, name+".png")
}

// nativeDetect is what cmd/detect computes for the image file with the
// site's weights on the CPU backend (internal/infer, the weights' λ, seed
// 0): the raw score and map.
func nativeDetect(t testing.TB, file string) (score float32, amap []float32) {
	t.Helper()
	return nativeScore(t, filepath.Join(siteDir, "models", modelID+".safetensors"), file)
}

// nativeScore is what the native CPU backend computes for file with the
// weights file (cmd/detect's score and map).
func nativeScore(t testing.TB, weights, file string) (score float32, amap []float32) {
	t.Helper()
	m, err := model.Load(cpu.New(), weights)
	if err != nil {
		t.Fatalf("loading %s natively: %v", filepath.Base(weights), err)
	}
	defer m.Free()
	return detectNative(t, m, file)
}

// detectNative is m's score and map of file, as cmd/detect computes them
// (detect's λ, noise seed 0, the weights' calibration).
func detectNative(t testing.TB, m *model.Model, file string) (score float32, amap []float32) {
	t.Helper()
	img, err := imageio.LoadRGB(file, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := infer.Run(m, [][]float32{imageio.ToTensor(img, m.Cfg.Size)}, infer.Lambda(m, -1), 0, m.Calibration())
	if err != nil {
		t.Fatal(err)
	}
	return res[0].Score, res[0].Map
}

// checkSameAsNative compares a page result with the native detection of
// the same file, to the tolerances of the whole-network reference tests.
func checkSameAsNative(t testing.TB, r pageResult, file string) {
	t.Helper()
	score, amap := nativeDetect(t, file)
	if d := math.Abs(r.Score - float64(score)); d > reftest.NetAtol+reftest.NetRtol*math.Abs(float64(score)) {
		t.Errorf("%s: the page's score %.7g, native detect's %.7g (|diff| %.3g)", filepath.Base(file), r.Score, score, d)
	}
	if r.Size*r.Size != len(amap) {
		t.Fatalf("%s: the page's map is %d×%d, native's has %d values", filepath.Base(file), r.Size, r.Size, len(amap))
	}
	testutil.Close(t, "map of "+filepath.Base(file), r.Map, amap, reftest.NetAtol, reftest.NetRtol)
	if e := testutil.RelErr(r.Map, amap); e > reftest.NetRelErr {
		t.Errorf("%s: the map's normalised error %.3g > %g", filepath.Base(file), e, reftest.NetRelErr)
	}
	if got := slices.Max(r.Map); got != float32(r.Score) {
		t.Errorf("%s: score %g is not the map's maximum %g", filepath.Base(file), r.Score, got)
	}
}

// screenshot saves a full-page PNG under the screenshot folder.
func screenshot(t testing.TB, b *browser, name string) {
	t.Helper()
	dir := os.Getenv("N2N_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(testutil.RepoRoot(), "out", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, time.Minute)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// phone makes the viewport phone-sized (390×844 CSS pixels, 2× density).
func phone(t testing.TB, b *browser) {
	b.run(t, "emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// examplesInSite lists the bundled examples of the built site (to check
// that models.json names files that exist).
func examplesInSite(t testing.TB) []string {
	var list []string
	err := fs.WalkDir(os.DirFS(siteDir), "examples", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			list = append(list, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return list
}
