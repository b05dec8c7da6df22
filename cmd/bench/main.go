//go:build !js

// Command bench times this project's backends and, where Debian's
// python3-torch is installed, PyTorch on the same work, in one run, and
// prints tables with ratios to PyTorch:
//
//	bench [-backends cpu,gpu] [-wf 16,32] [-size 256] [-iters 5] [-stat median|min] [-threads N] [-python /usr/bin/python3]
//	      the forward pass (network alone, and with noise and loss map), batch 1
//	bench -train [-batch 4] ...   training steps (noise, forward, loss, backward,
//	                              AdamW) in images/s
//	bench -conv ...               the network's 3×3 convolution shapes (wf 32,
//	                              S 256) alone, in GFLOP/s
//	bench -peers ...              the forward pass, also beside onnxruntime-node
//	                              (see peers.go): same weights and input, the
//	                              outputs compared, time ratios printed
//	bench -versus ...             every row of issue 11's table in one run
//	                              (see versus.go)
//	bench -gpu-profile ...        the WebGPU backend per kernel (dispatches,
//	                              ms, share) by timestamp queries or a
//	                              submit+wait per dispatch; -gpu-conv
//	                              register,tiled runs the gpu rows once per
//	                              conv kernel family (see gpuprofile.go)
//	bench -browser cpu,webgpu ... this project's wasm builds beside
//	                              onnxruntime-web in headless Chromium (see
//	                              browser.go)
//
// The backends' rows also give the peak memory of their tensors (the CPU
// backend's with op scratch, the WebGPU backend's as its pooled buffers;
// weights, input and output included) during one forward, one detection or
// one training step.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/native"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// bench holds the flags every mode shares.
type bench struct {
	stderr             io.Writer
	backends           []string
	iters, threads     int
	python, script     string
	widths             []int
	size, batch        int
	logf               func(format string, args ...any)
	rows               []row
	peer               string            // the peer's name in rows: "pytorch"
	ratioOfTimes       bool              // ratios are time/peer time (else peer time/time)
	peers              bool              // also run onnxruntime-node (-peers)
	peersDir           string            // where the peers' packages and files go
	node, npm          string            // Debian's node and npm
	outputs            map[int][]float32 // the CPU backend's forward output per wf, for the peers
	browserRows        []string          // -browser: cpu, webgpu (browser.go)
	browserTrain       int               // -browser-train: images per training step in the page (0: none)
	browserPeers       bool              // -browser-peers: also time onnxruntime-web (else ours only)
	browserTrainWebGPU bool              // -browser-train-webgpu: the training step on the WebGPU rows too
	webgpuIters        int               // -browser-webgpu-iters: timed runs of the browser WebGPU rows
	ort                []peerResult      // onnxruntime-node's forwards, by forward with -peers
	browserTimeout     time.Duration     // -browser-timeout: per page
	ortWebGPUBuild     string            // -ort-webgpu-build: onnxruntime-web's build for the webgpu row
	// The WebGPU backend's options (gpuprofile.go).
	gpuConv       []string // -gpu-conv: conv kernel families to run the gpu rows with
	whoSuffix     string   // appended to the backend's row names (webgpu/tiled)
	profileMethod string   // -gpu-profile-method
	profileWork   []string // -gpu-profile-work
}

// row is one measured configuration: who ran it, what (a label such as
// "wf=32"), its milliseconds (summary of the runs) (one or two measurements) and, for the
// CPU backend, the peak bytes of each measurement (else nil).
type row struct {
	who, what string
	ms        []float64
	peak      []int64
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backends := fs.String("backends", "cpu,gpu", "backends to time, comma-separated (cpu, gpu)")
	wfs := fs.String("wf", "16,32", "base widths, comma-separated")
	size := fs.Int("size", 256, "input side S")
	iters := fs.Int("iters", 5, "timed runs per configuration (after one warm-up)")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "CPU threads, for the CPU backend and PyTorch")
	python := fs.String("python", "/usr/bin/python3", "Python with torch for the PyTorch peer (empty: skip it)")
	script := fs.String("torch-script", filepath.Join("cmd", "bench", "torch_bench.py"), "the PyTorch peer's script")
	convMode := fs.Bool("conv", false, "time the network's 3×3 convolution shapes alone (GFLOP/s)")
	trainMode := fs.Bool("train", false, "time training steps (images/s) instead of forward passes")
	batch := fs.Int("batch", 4, "images per training step, with -train")
	peers := fs.Bool("peers", false, "forward pass: also time onnxruntime-node on an ONNX export of the same network (installs it into -peers-dir with npm)")
	peersDir := fs.String("peers-dir", filepath.Join("out", "peers"), "folder for the peers' npm packages, ONNX files and data")
	node := fs.String("node", "node", "Node.js for the onnxruntime-node peer")
	npm := fs.String("npm", "npm", "npm that installs onnxruntime-node into -peers-dir")
	browserRows := fs.String("browser", "", "time this project's wasm builds beside onnxruntime-web in headless Chromium instead: cpu (Go wasm vs the wasm build, SIMD, 1 thread), webgpu (on SwiftShader, vs the WebGPU build), comma-separated (see browser.go)")
	browserTrain := fs.Int("browser-train", 0, "with -browser: also one training step of this many images in the page on the CPU rows (peak memory)")
	webgpuIters := fs.Int("browser-webgpu-iters", 2, "with -browser webgpu or -versus: timed runs of the browser WebGPU rows, at most -iters (SwiftShader is slow: see docs/benchmarks.md for the measured times)")
	browserTrainWebGPU := fs.Bool("browser-train-webgpu", false, "with -browser-train: the training step on the WebGPU rows too (slow on SwiftShader; see docs/benchmarks.md)")
	browserPeers := fs.Bool("browser-peers", true, "with -browser: also time onnxruntime-web (false: ours only, for the memory figures)")
	versus := fs.Bool("versus", false, "every row of issue 11's table in one run, at the first width of -wf: browser WebGPU and CPU beside onnxruntime-web, the native CPU forward beside onnxruntime-node, detection and a training step beside PyTorch (versus.go)")
	browserTimeout := fs.Duration("browser-timeout", 30*time.Minute, "with -browser: the longest one page may take")
	ortWebGPUBuild := fs.String("ort-webgpu-build", "webgpu", "with -browser webgpu: onnxruntime-web's build, webgpu (dist/ort.webgpu.min.js) or jsep (dist/ort.min.js)")
	stat := fs.String("stat", "median", "how timed runs are summarised: median or min")
	gpuConv := fs.String("gpu-conv", "", "WebGPU backend: run its rows once per conv kernel family, comma-separated: auto, cpu (lavapipe-tuned), register (conv3x3), tiled (conv3x3_tiled); empty: the backend's choice or N2N_GPU_CONV (see gpuprofile.go)")
	gpuProfile := fs.Bool("gpu-profile", false, "profile the WebGPU backend per kernel (dispatches, ms, share) instead of timing; -wf, -size, -iters, -batch, -gpu-conv apply (see gpuprofile.go)")
	profileMethod := fs.String("gpu-profile-method", "auto", "with -gpu-profile: auto (timestamp queries where the device has them), timestamps, or cpu (host clock around a submit+wait per dispatch)")
	profileWork := fs.String("gpu-profile-work", "forward,detect,train", "with -gpu-profile: what to profile, comma-separated: forward, detect, train")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if os.Getenv("XDG_RUNTIME_DIR") == "" {
		os.Setenv("XDG_RUNTIME_DIR", "/tmp") // quiets Mesa's lavapipe, as the GPU tests do
	}
	switch *stat {
	case "median":
		summary, statName = median, "median"
	case "min":
		summary, statName = slices.Min[[]float64], "fastest of the runs"
	default:
		fmt.Fprintf(stderr, "bench: -stat %q: want median or min\n", *stat)
		return 2
	}
	b := &bench{
		stderr: stderr, iters: *iters, threads: *threads, python: *python, script: *script,
		size: *size, batch: *batch, peer: "pytorch",
		peers: *peers, peersDir: *peersDir, node: *node, npm: *npm, outputs: map[int][]float32{},
		logf:         func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) },
		browserTrain: *browserTrain, browserPeers: *browserPeers, browserTrainWebGPU: *browserTrainWebGPU, webgpuIters: *webgpuIters, browserTimeout: *browserTimeout, ortWebGPUBuild: *ortWebGPUBuild,
	}
	b.gpuConv, b.profileMethod, b.profileWork = splitList(*gpuConv), *profileMethod, splitList(*profileWork)
	b.browserRows = splitList(*browserRows)
	for _, s := range strings.Split(*backends, ",") {
		b.backends = append(b.backends, strings.TrimSpace(s))
	}
	for _, s := range strings.Split(*wfs, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintf(stderr, "bench: -wf %q: %v\n", *wfs, err)
			return 2
		}
		b.widths = append(b.widths, w)
	}
	var err error
	switch {
	case *gpuProfile:
		err = b.gpuProfile(stdout)
	case *versus:
		err = b.versus(stdout)
	case len(b.browserRows) > 0:
		err = b.browser(stdout)
	case *convMode:
		err = b.conv(stdout)
	case *trainMode:
		err = b.train(stdout)
	default:
		err = b.forward(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	return 0
}

// eachBackend opens every backend of -backends in turn and calls f with it.
func (b *bench) eachBackend(f func(be backend.Backend) error) error {
	for _, name := range b.backends {
		be, release, err := native.Select(name, b.threads, b.logf)
		if err != nil {
			return err
		}
		err = b.eachGPUFamily(be, f)
		release()
		if err != nil {
			return fmt.Errorf("%s: %w", be.Name(), err)
		}
	}
	return nil
}

// add records a row and reports it on stderr as it comes.
func (b *bench) add(who, what string, ms ...float64) {
	if who != b.peer {
		who += b.whoSuffix
	}
	fmt.Fprintf(b.stderr, "%s %s: %v ms\n", who, what, ms)
	b.rows = append(b.rows, row{who: who, what: what, ms: ms})
}

// addPeak records the peak bytes of the last row's measurements.
func (b *bench) addPeak(peak ...int64) {
	fmt.Fprintf(b.stderr, "  peak %v bytes\n", peak)
	b.rows[len(b.rows)-1].peak = peak
}

// peakOf runs f once and returns the backend's peak bytes of tensors (and,
// on the CPU backend, op scratch) during it, or −1 when be does not count
// them. The WebGPU backend counts its tensor buffers (sizes rounded up to
// 256 bytes).
func peakOf(be backend.Backend, f func() error) (int64, error) {
	switch m := be.(type) {
	case *cpu.Backend:
		m.ResetPeak()
		err := f()
		return m.MemStats().Peak, err
	case *gpu.Backend:
		m.ResetPeak()
		err := f()
		return m.MemStats().Peak, err
	}
	return -1, nil
}

// torch runs the PyTorch peer script with args and decodes its JSON line
// into out; false (with a note) when there is no peer or it failed.
func (b *bench) torch(out any, args ...string) bool {
	if b.python == "" {
		return false
	}
	raw, err := exec.Command(b.python, append([]string{b.script}, args...)...).Output()
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			err = fmt.Errorf("%v: %s", err, lastLine(string(ee.Stderr)))
		}
		b.logf("PyTorch peer skipped: %s %s: %v", b.python, b.script, err)
		b.python = ""
		return false
	}
	return true
}

func itoa(v int) string { return strconv.Itoa(v) }

// forward times the network forward and Detect per width.
func (b *bench) forward(w io.Writer) error {
	if b.peers {
		if err := b.setupPeers(); err != nil {
			return err
		}
	}
	err := b.eachBackend(func(be backend.Backend) error {
		for _, wf := range b.widths {
			fwd, det, peaks, err := b.timeForward(be, b.config(wf))
			if err != nil {
				return err
			}
			b.add(short(be.Name()), fmt.Sprintf("wf=%d", wf), fwd, det)
			if peaks[0] >= 0 {
				b.addPeak(peaks[:]...)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, wf := range b.widths {
		var r struct{ Forward, Detect []float64 }
		if !b.torch(&r, itoa(wf), itoa(b.size), itoa(b.iters), itoa(b.threads)) {
			break
		}
		b.add(b.peer, fmt.Sprintf("wf=%d", wf), summary(r.Forward), summary(r.Detect))
	}
	b.ort = nil
	if b.peers {
		for _, wf := range b.widths {
			r, err := b.runORT(b.config(wf))
			if err != nil {
				return err
			}
			b.ort = append(b.ort, r)
		}
	}
	b.ratioOfTimes = true
	fmt.Fprintf(w, "S %d, batch 1, %s ms; forward = network only, detect = noise + network + MS-SSIM/L1 map; CPU threads %d; peak = the backend's tensors at once (CPU: with op scratch; WebGPU: tensor buffers) during one forward / detect\n", b.size, statName, b.threads)
	b.table(w, []string{"forward ms", "detect ms"}, "forward", func(r row) string {
		var wf int
		fmt.Sscanf(r.what, "wf=%d", &wf)
		return fmt.Sprintf("%.1f GFLOP/s", float64(model.FLOPs(b.config(wf)))/(r.ms[0]*1e6))
	})
	if b.peers {
		return b.peerTable(w, b.ort)
	}
	return nil
}

// train times training steps per width.
func (b *bench) train(w io.Writer) error {
	err := b.eachBackend(func(be backend.Backend) error {
		for _, wf := range b.widths {
			ms, peak, err := b.timeTrainStep(be, b.config(wf))
			if err != nil {
				return err
			}
			b.add(short(be.Name()), fmt.Sprintf("wf=%d", wf), ms)
			if peak >= 0 {
				b.addPeak(peak)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, wf := range b.widths {
		var r struct{ Step []float64 }
		if !b.torch(&r, itoa(wf), itoa(b.size), itoa(b.iters), itoa(b.threads), itoa(b.batch)) {
			break
		}
		b.add(b.peer, fmt.Sprintf("wf=%d", wf), summary(r.Step))
	}
	fmt.Fprintf(w, "training step (noise + forward + loss + backward + AdamW), S %d, batch %d, %s; CPU threads %d; ratio of images/s; peak = the backend's tensors at once (CPU: with op scratch; WebGPU: tensor buffers) during one step (weights and AdamW state included)\n", b.size, b.batch, statName, b.threads)
	b.table(w, []string{"ms/step"}, "throughput", func(r row) string {
		return fmt.Sprintf("%.2f images/s", float64(b.batch)*1000/r.ms[0])
	})
	return nil
}

// convShapes are the Block convolutions of the default network (wf 32,
// S 256), level by level: C→C at side S/2^i.
var convShapes = []struct{ c, side int }{{32, 256}, {64, 128}, {128, 64}, {256, 32}}

// conv times each 3×3 convolution shape (bias, ReLU, batch 1).
func (b *bench) conv(w io.Writer) error {
	label := func(c, side int) string { return fmt.Sprintf("%d→%d@%d²", c, c, side) }
	err := b.eachBackend(func(be backend.Backend) error {
		rng := rand.New(rand.NewPCG(4, 4))
		for _, sh := range convShapes {
			x := randomTensor(be, rng, backend.Shape{N: 1, C: sh.c, H: sh.side, W: sh.side})
			wt := randomTensor(be, rng, backend.Shape{N: sh.c, C: sh.c, H: 3, W: 3})
			bias := randomTensor(be, rng, backend.Shape{N: 1, C: sh.c, H: 1, W: 1})
			ms, err := timeMS(b.iters, func() error {
				y := be.Conv2D(x, wt, bias, backend.ReLU)
				defer be.Free(y)
				_, err := be.Download(y)
				return err
			})
			for _, t := range []backend.Tensor{x, wt, bias} {
				be.Free(t)
			}
			if err != nil {
				return err
			}
			b.add(short(be.Name()), label(sh.c, sh.side), ms)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, sh := range convShapes {
		var r struct{ Conv []float64 }
		if !b.torch(&r, "conv", itoa(sh.c), itoa(sh.c), itoa(sh.side), "3", itoa(b.iters), itoa(b.threads)) {
			break
		}
		b.add(b.peer, label(sh.c, sh.side), summary(r.Conv))
	}
	b.ratioOfTimes = true
	fmt.Fprintf(w, "3×3 convolution with bias and ReLU, batch 1, %s (upload excluded, readback included); CPU threads %d\n", statName, b.threads)
	b.table(w, []string{"ms"}, "conv", func(r row) string {
		var c, side int
		fmt.Sscanf(r.what, "%d→%d@%d²", &c, &c, &side)
		return fmt.Sprintf("%.1f GFLOP/s", 2*9*float64(c*c*side*side)/(r.ms[0]*1e6))
	})
	return nil
}

// table prints the rows: who, what, each measurement with its ratio to the
// peer's for the same what, and extra(row).
func (b *bench) table(w io.Writer, columns []string, extraHead string, extra func(row) string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "backend\tcase\t"
	for _, c := range columns {
		head += c + "\t× PyTorch\t"
	}
	peaks := false
	for _, r := range b.rows {
		peaks = peaks || r.peak != nil
	}
	if peaks {
		for _, c := range columns {
			head += "peak MiB (" + strings.TrimSuffix(strings.TrimPrefix(c, "ms/"), " ms") + ")\t"
		}
	}
	fmt.Fprintln(tw, head+extraHead+"\t")
	for _, r := range b.rows {
		var peer *row
		for i := range b.rows {
			if b.rows[i].who == b.peer && b.rows[i].what == r.what {
				peer = &b.rows[i]
			}
		}
		line := r.who + "\t" + r.what + "\t"
		for i, ms := range r.ms {
			ratio := "-"
			if peer != nil {
				if b.ratioOfTimes {
					ratio = fmt.Sprintf("%.2f", ms/peer.ms[i])
				} else {
					ratio = fmt.Sprintf("%.2f", peer.ms[i]/ms)
				}
			}
			line += fmt.Sprintf("%.1f\t%s\t", ms, ratio)
		}
		for i := range columns {
			if !peaks {
				break
			}
			if i >= len(r.peak) {
				line += "-\t"
			} else {
				line += fmt.Sprintf("%.1f\t", float64(r.peak[i])/(1<<20))
			}
		}
		fmt.Fprintln(tw, line+extra(r)+"\t")
	}
	tw.Flush()
}

func (b *bench) config(wf int) model.Config {
	cfg := model.DefaultConfig()
	cfg.WF, cfg.Size = wf, b.size
	return cfg
}

// newModel is a seeded random network of cfg on be with a random input
// batch of n images in [−1,1].
func newModel(be backend.Backend, cfg model.Config, n int) (*model.Model, backend.Tensor, error) {
	m, err := model.New(be, &model.Weights{Config: cfg, Params: model.InitParams(cfg, 1)})
	if err != nil {
		return nil, nil, err
	}
	return m, be.Upload(inputShape(cfg, n), inputData(cfg, n)), nil
}

// inputShape is the shape of a batch of n input images.
func inputShape(cfg model.Config, n int) backend.Shape {
	return backend.Shape{N: n, C: 3, H: cfg.Size, W: cfg.Size}
}

// inputData is the seeded random input batch of n images in [−1,1] that
// every backend and peer gets.
func inputData(cfg model.Config, n int) []float32 {
	rng := rand.New(rand.NewPCG(2, 2))
	v := make([]float32, inputShape(cfg, n).Len())
	for i := range v {
		v[i] = 2*rng.Float32() - 1
	}
	return v
}

// randomTensor uploads uniform values in [−1,1) of shape s.
func randomTensor(be backend.Backend, rng *rand.Rand, s backend.Shape) backend.Tensor {
	v := make([]float32, s.Len())
	for i := range v {
		v[i] = 2*rng.Float32() - 1
	}
	return be.Upload(s, v)
}

// timeForward returns the milliseconds (summary) of network forwards (x → x̂,
// read back) and of Detects (noise, forward, loss map, read back), and the
// peak bytes of one of each (−1 where the backend does not count them). The
// CPU backend's forward output is kept for the peers.
func (b *bench) timeForward(be backend.Backend, cfg model.Config) (fwd, det float64, peaks [2]int64, err error) {
	m, x0, err := newModel(be, cfg, 1)
	if err != nil {
		return 0, 0, peaks, err
	}
	defer m.Free()
	defer be.Free(x0)
	forward := func() error {
		xhat := m.Forward(x0)
		defer be.Free(xhat)
		out, err := be.Download(xhat)
		if short(be.Name()) == "cpu" {
			b.outputs[cfg.WF] = out
		}
		return err
	}
	detect := func() error {
		_, err := m.Detect(x0, cfg.Lambda, 0)
		return err
	}
	if fwd, err = timeMS(b.iters, forward); err != nil {
		return 0, 0, peaks, err
	}
	if det, err = timeMS(b.iters, detect); err != nil {
		return 0, 0, peaks, err
	}
	if peaks[0], err = peakOf(be, forward); err != nil {
		return 0, 0, peaks, err
	}
	peaks[1], err = peakOf(be, detect)
	return fwd, det, peaks, err
}

// timeTrainStep returns the milliseconds (summary) of a training step of
// -batch images: noise, forward, loss, backward, AdamW update; and the peak
// bytes of one more step (−1 where the backend does not count them).
func (b *bench) timeTrainStep(be backend.Backend, cfg model.Config) (float64, int64, error) {
	if _, ok := be.(backend.Trainer); !ok {
		return 0, 0, fmt.Errorf("backend %s cannot train", be.Name())
	}
	m, x0, err := newModel(be, cfg, b.batch)
	if err != nil {
		return 0, 0, err
	}
	defer m.Free()
	defer be.Free(x0)
	opt := model.NewAdamW(m, model.DefaultAdamW())
	defer opt.Free()
	step := trainStep(m, opt, x0, cfg.Lambda)
	ms, err := timeMS(b.iters, step)
	if err != nil {
		return 0, 0, err
	}
	peak, err := peakOf(be, step)
	return ms, peak, err
}

// trainStep returns one training step of m on the batch x0 at noise weight
// lambda: LossAndGrads with the next noise seed (1, 2, ...), then opt's
// AdamW update at learning rate 1e-4.
func trainStep(m *model.Model, opt *model.AdamW, x0 backend.Tensor, lambda float32) func() error {
	seed := uint32(0)
	return func() error {
		seed++
		_, grads, err := m.LossAndGrads(x0, lambda, seed)
		if err != nil {
			return err
		}
		opt.Step(grads, 1e-4)
		return nil
	}
}

// timeMS runs f once to warm up (pipeline compiles, allocations), then
// iters times, and returns the summary of their milliseconds.
func timeMS(iters int, f func() error) (float64, error) {
	var times []float64
	for i := 0; i <= iters; i++ {
		t0 := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if i > 0 {
			times = append(times, float64(time.Since(t0).Microseconds())/1000)
		}
	}
	return summary(times), nil
}

// short names a backend for the table: "cpu", "webgpu".
func short(name string) string {
	if i := strings.Index(name, " "); i > 0 {
		return name[:i]
	}
	return name
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// summary reduces the timed runs of one configuration to one figure: the
// median, or with -stat min the fastest run (on a shared machine, the run
// least slowed down by other tenants).
var summary = median

// statName names summary in table headers.
var statName = "median"

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}
