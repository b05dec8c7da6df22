//go:build !js

package gpumemprobe

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	browserutil "github.com/noise2norm/noise2norm/internal/testutil/browser"
)

// The probe's training run: small enough that a step takes seconds on
// SwiftShader. N2N_PROBE_CONFIG (the same JSON) replaces it for
// measurements at other sizes (docs/benchmarks.md).
const defaultProbeConfig = `{"WF":4,"Size":32,"Batch":1,"Steps":3}`

// gpuProcessLimit bounds the resident memory of Chromium's GPU process
// during the run. The run peaks near 200 MiB with the kernels the browser
// uses now; compiling conv_dw3x3 on SwiftShader (what the browser did
// before it switched to the generic conv_dw) passed 1 GiB within 15 s.
const gpuProcessLimit = 1 << 30

// stepGrowthLimit bounds how much the GPU process may grow from the end of
// the first training step to the end of the last (a per-step leak).
const stepGrowthLimit = 64 << 20

// counts mirrors globalThis.probeCounts (testdata/index.html).
type counts struct {
	Buffers        int      `json:"buffers"`        // GPUDevice.createBuffer calls
	BufferBytes    float64  `json:"bufferBytes"`    // their sizes
	Destroyed      int      `json:"destroyed"`      // GPUBuffer.destroy calls (first per buffer)
	DestroyedBytes float64  `json:"destroyedBytes"` // their sizes
	BindGroups     int      `json:"bindGroups"`
	Encoders       int      `json:"encoders"`
	Pipelines      int      `json:"pipelines"`
	Submits        int      `json:"submits"`
	Uncaptured     []string `json:"uncaptured"` // WebGPU errors no error scope caught
}

// gpuProcessRSS returns the resident bytes (VmRSS) of the GPU process of
// the Chromium running with profile, 0 if there is none.
func gpuProcessRSS(profile string) int64 {
	pids, _ := filepath.Glob("/proc/[0-9]*")
	var rss int64
	for _, dir := range pids {
		raw, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		// Chromium's child processes rewrite their command line as one
		// space-separated string.
		args := strings.Fields(strings.ReplaceAll(string(raw), "\x00", " "))
		if !slices.Contains(args, "--type=gpu-process") || !slices.Contains(args, "--user-data-dir="+profile) {
			continue
		}
		status, err := os.ReadFile(filepath.Join(dir, "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				rss = max(rss, kb*1024)
			}
		}
	}
	return rss
}

var stepLine = regexp.MustCompile(`probe step (\d+) ms (\d+) live (\d+) created (\d+)`)

// TestTrainingGPUProcessMemory trains a few steps on WebGPU in headless
// Chromium and asserts that Chromium's GPU process stays under
// gpuProcessLimit, does not grow by more than stepGrowthLimit from the
// first step to the last, and that every GPU buffer the page created was
// destroyed when the backend closed.
func TestTrainingGPUProcessMemory(t *testing.T) {
	probeConfig := defaultProbeConfig
	if env := os.Getenv("N2N_PROBE_CONFIG"); env != "" {
		probeConfig = env
	}
	var cfg struct{ Steps int }
	if err := json.Unmarshal([]byte(probeConfig), &cfg); err != nil || cfg.Steps < 1 {
		t.Fatalf("probe config %s: want {\"WF\":..,\"Size\":..,\"Batch\":..,\"Steps\":..} with Steps ≥ 1 (%v)", probeConfig, err)
	}
	chromium := browserutil.Chromium(t)
	dir := t.TempDir()
	wasm := filepath.Join(dir, "probe.wasm")
	if err := browserutil.BuildWasm("github.com/noise2norm/noise2norm/wasm/gpumemprobe", wasm); err != nil {
		t.Fatal(err)
	}
	wasmExec, err := browserutil.WasmExec()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(browserutil.FileServer(map[string]string{
		"/":             filepath.Join("testdata", "index.html"),
		"/probe.wasm":   wasm,
		"/wasm_exec.js": wasmExec,
	})) // listens on 127.0.0.1 only
	defer srv.Close()

	profile := filepath.Join(dir, "profile")
	var (
		mu       sync.Mutex
		peak     int64   // the GPU process's largest VmRSS seen
		stepRSS  []int64 // its VmRSS as each step was logged
		overSeen bool
	)
	tab := browserutil.Start(chromium, profile, true, func(m chromedp.ConsoleMessage) {
		rss := gpuProcessRSS(profile)
		if stepLine.MatchString(m.String()) {
			mu.Lock()
			stepRSS = append(stepRSS, rss)
			mu.Unlock()
			t.Logf("%s; GPU process %d MiB", m.String(), rss>>20)
		}
	})
	defer tab.Close()
	ctx := tab.Ctx
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
			}
			rss := gpuProcessRSS(profile)
			mu.Lock()
			peak = max(peak, rss)
			over := rss > gpuProcessLimit
			overSeen = overSeen || over
			mu.Unlock()
			if over { // stop before it takes the machine's memory
				tab.Close()
				return
			}
		}
	}()

	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/#"+url.PathEscape(probeConfig))); err != nil {
		t.Fatalf("chromium (%s) did not open the page: %v (run .ci/chromium)", chromium, err)
	}
	done, err := chromedp.Run(ctx, chromedp.Poll[string]("globalThis.probeDone",
		chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(10*time.Minute)))
	close(stop)
	<-sampled
	// The console events arrive on their own goroutine: the last step's line
	// can come after probeDone was read, so give it a moment.
	for wait := time.Now(); time.Since(wait) < 10*time.Second; time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		logged := len(stepRSS)
		mu.Unlock()
		if logged >= cfg.Steps {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%v; GPU process peak VmRSS %d MiB (sampled every 0.5 s)", time.Since(start).Round(time.Second), peak>>20)
	if overSeen {
		t.Fatalf("Chromium's GPU process passed %d MiB (its VmRSS reached %d MiB); stopped", gpuProcessLimit>>20, peak>>20)
	}
	if err != nil || done != "ok" {
		for _, line := range tab.Console() {
			t.Logf("console %s", line)
		}
		t.Fatalf("the probe did not finish: %q (%v)", done, err)
	}
	c, err := chromedp.Run(ctx, chromedp.Evaluate[counts]("globalThis.probeCounts"))
	if err != nil {
		t.Fatalf("reading probeCounts: %v", err)
	}
	t.Logf("page: %d buffers created (%.1f MiB), %d destroyed (%.1f MiB); %d bind groups, %d command encoders, %d pipelines, %d submits",
		c.Buffers, c.BufferBytes/(1<<20), c.Destroyed, c.DestroyedBytes/(1<<20), c.BindGroups, c.Encoders, c.Pipelines, c.Submits)
	for _, e := range c.Uncaptured {
		t.Errorf("a WebGPU error escaped the error scopes: %s", e)
	}
	if c.Buffers == 0 || c.Destroyed != c.Buffers || c.DestroyedBytes != c.BufferBytes {
		t.Errorf("the page created %d GPU buffers (%.0f bytes) and destroyed %d (%.0f bytes) by the time the backend closed; want all destroyed",
			c.Buffers, c.BufferBytes, c.Destroyed, c.DestroyedBytes)
	}
	if len(stepRSS) != cfg.Steps {
		t.Fatalf("%d steps logged, want %d", len(stepRSS), cfg.Steps)
	}
	if grow := stepRSS[len(stepRSS)-1] - stepRSS[0]; grow > stepGrowthLimit {
		t.Errorf("the GPU process grew by %d MiB from step 1 to step %d (%s); want at most %d MiB",
			grow>>20, cfg.Steps, fmt.Sprint(stepRSS), stepGrowthLimit>>20)
	}
}
