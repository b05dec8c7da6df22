//go:build !js

package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/model"
	browserutil "github.com/noise2norm/noise2norm/internal/testutil/browser"
)

// The browser rows (-browser): this project's wasm builds beside
// onnxruntime-web in Debian's Chromium, one fresh headless browser per case,
// every case with the same flags (internal/testutil/browser.Options with
// WebGPU on SwiftShader's Vulkan, as the browser tests run it). The page
// (browser.html) and everything it loads come from a server on 127.0.0.1:
// wasm/peerbench built for js/wasm, Go's wasm_exec.js, onnxruntime-web's
// dist/ from -peers-dir, and the same ONNX file and input the
// onnxruntime-node peer gets.

//go:embed browser.html
var browserPage []byte

// browserCase is one browser row: ours on a backend beside an
// onnxruntime-web build.
type browserCase struct {
	path    string // the row's name
	backend string // peerbench's backend and onnxruntime-web's execution provider: cpu (wasm) or webgpu
	build   string // onnxruntime-web's build (browser.html's ortBuilds)
	peer    string // the peer's name in the table
}

// browserCases are the rows -browser can ask for, by name.
func (b *bench) browserCases() map[string]browserCase {
	return map[string]browserCase{
		"webgpu": {"browser WebGPU (SwiftShader)", "webgpu", b.ortWebGPUBuild, "onnxruntime-web " + b.ortWebGPUBuild + " build, webgpu EP"},
		"cpu":    {"browser CPU (Go wasm, 1 thread)", "cpu", "wasm", "onnxruntime-web wasm, SIMD, 1 thread"},
	}
}

// pageReport is what browser.html reports for one case.
type pageReport struct {
	MS          []float64 `json:"ms"`          // each timed forward
	Error       string    `json:"error"`       // why the case failed
	Backend     string    `json:"backend"`     // ours: the backend's Name
	ForwardPeak int64     `json:"forwardPeak"` // ours: peak tensor bytes during one forward
	TrainMS     []float64 `json:"trainMs"`     // ours: the timed training step
	TrainPeak   int64     `json:"trainPeak"`   // ours: peak tensor bytes during one training step
	HeapSys     int64     `json:"heapSys"`     // ours: Go runtime's Sys
	WasmMemory  int64     `json:"wasmMemory"`  // ours: the wasm linear memory's size at the end
	SessionMS   float64   `json:"sessionMs"`   // peer: InferenceSession.create
	Version     string    `json:"version"`     // peer: onnxruntime-web's version
	Adapter     string    `json:"adapter"`     // peer on webgpu: navigator.gpu's adapter

	// The peak resident memory (VmHWM) of the page's renderer process and
	// of Chromium's GPU process (where WebGPU on SwiftShader runs), read
	// from /proc by the harness as the page finishes; 0 where unknown.
	RendererHWM, GPUProcessHWM int64 `json:"-"`
}

// browserRow is one measured browser row.
type browserRow struct {
	c                browserCase
	wf               int
	iters            int // timed runs of each side
	ours, peer       pageReport
	oursMS, peerMS   float64 // summaries
	vsPeer, vsNative float64 // normalised errors of our browser output against the peer's and the native CPU backend's
}

// browserServer serves the bench page and records the output it posts.
type browserServer struct {
	url    string
	mu     sync.Mutex
	output []byte
}

// browser runs the -browser rows for each width and prints their table.
func (b *bench) browser(w io.Writer) error {
	rows, err := b.measureBrowser()
	if err != nil {
		return err
	}
	return b.browserTable(w, rows)
}

// measureBrowser measures the -browser rows for each width.
func (b *bench) measureBrowser() ([]browserRow, error) {
	chromium, err := browserutil.Find()
	if err != nil {
		return nil, err
	}
	cases := b.browserCases()
	var want []browserCase
	for _, name := range b.browserRows {
		c, ok := cases[name]
		if !ok {
			return nil, fmt.Errorf("-browser %q: want cpu, webgpu or both, comma-separated", name)
		}
		want = append(want, c)
	}
	if err := b.setupPeers(); err != nil {
		return nil, err
	}
	wasm := filepath.Join(b.peersDir, "peerbench.wasm")
	b.logf("building wasm/peerbench for js/wasm")
	if err := browserutil.BuildWasm("github.com/noise2norm/noise2norm/wasm/peerbench", wasm); err != nil {
		return nil, err
	}
	srv, stop, err := b.serveBrowser(wasm)
	if err != nil {
		return nil, err
	}
	defer stop()
	var rows []browserRow
	for _, wf := range b.widths {
		cfg := b.config(wf)
		if _, _, err := b.prepareONNX(cfg); err != nil {
			return nil, err
		}
		native, err := nativeOutput(cfg, b.threads)
		if err != nil {
			return nil, err
		}
		for _, c := range want {
			r := browserRow{c: c, wf: wf}
			r.iters = b.iters
			if c.backend == "webgpu" {
				r.iters = max(1, min(b.iters, b.webgpuIters))
			}
			query := fmt.Sprintf("wf=%d&size=%d&iters=%d&backend=%s", wf, b.size, r.iters, c.backend)
			batch := b.browserTrain
			if c.backend == "webgpu" && !b.browserTrainWebGPU {
				batch = 0
			}
			ours, err := b.runPage(chromium, srv, fmt.Sprintf("who=ours&batch=%d&%s", batch, query), &r.ours)
			if err != nil {
				return nil, fmt.Errorf("%s, ours, wf %d: %w", c.path, wf, err)
			}
			r.oursMS, r.vsNative = summary(r.ours.MS), normError(ours, native)
			r.peerMS, r.vsPeer = math.NaN(), math.NaN()
			if b.browserPeers {
				peer, err := b.runPage(chromium, srv, fmt.Sprintf("who=ort&build=%s&%s", c.build, query), &r.peer)
				if err != nil {
					return nil, fmt.Errorf("%s, %s, wf %d: %w", c.path, c.peer, wf, err)
				}
				r.peerMS, r.vsPeer = summary(r.peer.MS), normError(ours, peer)
			}
			fmt.Fprintf(b.stderr, "%s wf=%d: ours %v ms (%s), normalised error vs native CPU %.3g\n", c.path, wf, r.ours.MS, r.ours.Backend, r.vsNative)
			if b.browserPeers {
				fmt.Fprintf(b.stderr, "  %s %v ms (adapter %q, session %.0f ms), normalised error of ours vs it %.3g\n",
					c.peer, r.peer.MS, r.peer.Adapter, r.peer.SessionMS, r.vsPeer)
			}
			if (b.browserPeers && !(r.vsPeer <= peerTolerance)) || !(r.vsNative <= peerTolerance) {
				return nil, fmt.Errorf("%s wf %d: outputs differ: normalised error %.3g against %s, %.3g against the native CPU backend (limit %g)",
					c.path, wf, r.vsPeer, c.peer, r.vsNative, peerTolerance)
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// browserTable prints the browser rows.
func (b *bench) browserTable(w io.Writer, rows []browserRow) error {
	version := ""
	if len(rows) > 0 && rows[0].peer.Version != "" {
		version = " " + rows[0].peer.Version
	}
	fmt.Fprintf(w, "\nbrowser: headless Chromium (WebGPU on SwiftShader), S %d, batch 1, %s (runs column: timed runs after a warm-up), same weights, ONNX file and input; onnxruntime-web%s; ratio = peer ms / ours ms (above 1: ours is faster); error = ‖ours − other‖/‖other‖ of the outputs; peak = our backend's tensors at once (forward; training step of %d images), wasm = the page's Go wasm memory at the end; renderer and GPU process = Chromium's processes' peak resident memory (VmHWM)\n",
		b.size, statName, version, b.browserTrain)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tpath\truns\tours ms\tpeer\tpeer ms\tratio\terror vs peer\tvs native cpu\tpeak MiB (forward)\tpeak MiB (train)\ttrain ms\twasm MiB\trenderer MiB\tGPU process MiB\tpeer renderer MiB\tpeer GPU process MiB\t")
	mib := func(v int64) string {
		if v <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", float64(v)/(1<<20))
	}
	for _, r := range rows {
		train := "-"
		if len(r.ours.TrainMS) > 0 {
			train = fmt.Sprintf("%.0f", summary(r.ours.TrainMS))
		}
		peer, peerMS, ratio, vsPeer := r.c.peer, fmt.Sprintf("%.1f", r.peerMS), fmt.Sprintf("%.2f", r.peerMS/r.oursMS), fmt.Sprintf("%.1e", r.vsPeer)
		if math.IsNaN(r.peerMS) {
			peer, peerMS, ratio, vsPeer = "(not run)", "-", "-", "-"
		}
		fmt.Fprintf(tw, "wf=%d\t%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%.1e\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.wf, r.c.path, r.iters, r.oursMS, peer, peerMS, ratio, vsPeer, r.vsNative,
			mib(r.ours.ForwardPeak), mib(r.ours.TrainPeak), train, mib(r.ours.WasmMemory),
			mib(r.ours.RendererHWM), mib(r.ours.GPUProcessHWM), mib(r.peer.RendererHWM), mib(r.peer.GPUProcessHWM))
	}
	return tw.Flush()
}

// serveBrowser starts the page's server on 127.0.0.1.
func (b *bench) serveBrowser(wasm string) (*browserServer, func(), error) {
	wasmExec, err := browserutil.WasmExec()
	if err != nil {
		return nil, nil, err
	}
	s := &browserServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /bench.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(browserPage)
	})
	mux.HandleFunc("GET /wasm_exec.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, wasmExec) })
	mux.HandleFunc("GET /peerbench.wasm", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, wasm) })
	mux.Handle("GET /ort/", http.StripPrefix("/ort/", http.FileServer(http.Dir(filepath.Join(b.peersDir, "node_modules", "onnxruntime-web", "dist")))))
	mux.Handle("GET /data/", http.StripPrefix("/data/", http.FileServer(http.Dir(b.peersDir))))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("POST /result/output", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.output = body
		s.mu.Unlock()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	hs := &http.Server{Handler: mux}
	go hs.Serve(ln)
	s.url = "http://" + ln.Addr().String()
	return s, func() { hs.Close() }, nil
}

// runPage opens the bench page with query in a fresh headless Chromium,
// waits for its report (decoded into r) and returns the output it posted.
func (b *bench) runPage(chromium string, srv *browserServer, query string, r *pageReport) ([]float32, error) {
	profile, err := os.MkdirTemp("", "n2n-bench-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	srv.mu.Lock()
	srv.output = nil
	srv.mu.Unlock()
	tab := browserutil.Start(chromium, profile, true, nil)
	defer tab.Close()
	ctx := tab.Ctx
	b.logf("chromium: %s", query)
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.url+"/bench.html?"+query)); err != nil {
		return nil, fmt.Errorf("chromium (%s) did not open the page: %w", chromium, err)
	}
	pctx, pcancel := context.WithTimeout(ctx, b.browserTimeout)
	defer pcancel()
	raw, err := chromedp.Run(pctx, chromedp.Poll[string]("globalThis.n2nBenchReport",
		chromedp.WithPollingInterval(500*time.Millisecond), chromedp.WithPollingTimeout(b.browserTimeout)))
	if err != nil {
		stage, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("String(globalThis.n2nBenchStage)"))
		return nil, fmt.Errorf("no report after %v (%v); the page was at: %s\nconsole:\n%s", time.Since(start).Round(time.Second), err, stage, tab.ConsoleTail(8))
	}
	if err := json.Unmarshal([]byte(raw), r); err != nil {
		return nil, fmt.Errorf("decoding the page's report: %w", err)
	}
	r.RendererHWM, r.GPUProcessHWM = chromiumPeakRSS(profile)
	if r.Error != "" {
		return nil, fmt.Errorf("the page: %s\nconsole:\n%s", r.Error, tab.ConsoleTail(8))
	}
	if len(r.MS) == 0 {
		return nil, fmt.Errorf("the page reported no timed run")
	}
	srv.mu.Lock()
	raw8 := srv.output
	srv.mu.Unlock()
	out, err := floatsOf(raw8)
	if err != nil {
		return nil, fmt.Errorf("the page's output: %w", err)
	}
	if want := 3 * b.size * b.size; len(out) != want {
		return nil, fmt.Errorf("the page posted %d output values, want %d", len(out), want)
	}
	return out, nil
}

// nativeOutput is the native CPU backend's forward output of the bench's
// network and input.
func nativeOutput(cfg model.Config, threads int) ([]float32, error) {
	be := cpu.New()
	be.Threads = threads
	m, x0, err := newModel(be, cfg, 1)
	if err != nil {
		return nil, err
	}
	defer m.Free()
	defer be.Free(x0)
	xhat := m.Forward(x0)
	defer be.Free(xhat)
	return be.Download(xhat)
}

// chromiumPeakRSS returns the peak resident bytes (VmHWM, Linux's /proc) of
// the largest renderer process and of the GPU process of the Chromium
// running with profile; 0 where there is no /proc or no such process.
func chromiumPeakRSS(profile string) (renderer, gpuProcess int64) {
	pids, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range pids {
		raw, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil {
			continue
		}
		// Chromium's child processes rewrite their command line as one
		// space-separated string.
		args := strings.Fields(strings.ReplaceAll(string(raw), "\x00", " "))
		if !slices.Contains(args, "--user-data-dir="+profile) {
			continue
		}
		status, err := os.ReadFile(filepath.Join(dir, "status"))
		if err != nil {
			continue
		}
		var hwm int64
		for _, line := range strings.Split(string(status), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				fmt.Sscanf(strings.TrimSpace(rest), "%d", &hwm)
				hwm *= 1024 // kB
			}
		}
		switch {
		case slices.Contains(args, "--type=gpu-process"):
			gpuProcess = max(gpuProcess, hwm)
		case slices.Contains(args, "--type=renderer"):
			renderer = max(renderer, hwm)
		}
	}
	return renderer, gpuProcess
}
