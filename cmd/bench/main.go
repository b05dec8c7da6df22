//go:build !js

// Command bench times the N2N-M forward pass on this project's backends and,
// where Debian's python3-torch is installed, on PyTorch, in one run, and
// prints a table of milliseconds per forward, GFLOP/s and ratios to PyTorch.
//
//	bench [-backends cpu,gpu] [-wf 16,32] [-size 256] [-iters 5] [-threads N] [-python /usr/bin/python3]
//	bench -train [-batch 4] ...   training throughput instead: noise, forward,
//	                              loss, backward and AdamW step, in images/s
//	bench -conv ...               the network's 3×3 convolution shapes (wf 32,
//	                              S 256) alone, in GFLOP/s
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
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/native"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// result is one measured configuration.
type result struct {
	who      string
	wf, size int
	fwd, det float64 // median milliseconds: network forward; noise + forward + loss map
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backends := fs.String("backends", "cpu,gpu", "backends to time, comma-separated (cpu, gpu)")
	wfs := fs.String("wf", "16,32", "base widths, comma-separated")
	size := fs.Int("size", 256, "input side S")
	iters := fs.Int("iters", 5, "timed forwards per configuration (after one warm-up)")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "CPU threads, for the CPU backend and PyTorch")
	python := fs.String("python", "/usr/bin/python3", "Python with torch for the PyTorch peer (empty: skip it)")
	convMode := fs.Bool("conv", false, "time the network's 3×3 convolution shapes alone (GFLOP/s)")
	trainMode := fs.Bool("train", false, "time training steps (images/s) instead of forward passes")
	batch := fs.Int("batch", 4, "images per training step, with -train")
	script := fs.String("torch-script", filepath.Join("cmd", "bench", "torch_bench.py"), "the PyTorch peer's script")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var widths []int
	for _, s := range strings.Split(*wfs, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintf(stderr, "bench: -wf %q: %v\n", *wfs, err)
			return 2
		}
		widths = append(widths, w)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) }
	if *convMode {
		return runConv(stdout, stderr, *backends, *iters, *threads, *python, *script)
	}
	if *trainMode {
		return runTrain(stdout, stderr, *backends, widths, *size, *batch, *iters, *threads, *python, *script)
	}
	var results []result
	for _, name := range strings.Split(*backends, ",") {
		be, release, err := native.Select(strings.TrimSpace(name), *threads, logf)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		defer release()
		for _, wf := range widths {
			cfg := model.DefaultConfig()
			cfg.WF, cfg.Size = wf, *size
			fwd, det, err := timeForward(be, cfg, *iters)
			if err != nil {
				fmt.Fprintf(stderr, "bench: %s wf=%d: %v\n", be.Name(), wf, err)
				return 1
			}
			fmt.Fprintf(stderr, "%s wf=%d S=%d: forward %.1f ms, detect %.1f ms\n", be.Name(), wf, *size, fwd, det)
			results = append(results, result{short(be.Name()), wf, *size, fwd, det})
		}
	}
	if *python != "" {
		for _, wf := range widths {
			fwd, det, err := timeTorch(*python, *script, wf, *size, *iters, *threads)
			if err != nil {
				fmt.Fprintf(stderr, "bench: PyTorch peer skipped: %v\n", err)
				break
			}
			fmt.Fprintf(stderr, "pytorch wf=%d S=%d: forward %.1f ms, detect %.1f ms\n", wf, *size, fwd, det)
			results = append(results, result{"pytorch", wf, *size, fwd, det})
		}
	}
	printTable(stdout, results, *threads)
	return 0
}

// timeForward returns the median milliseconds of iters network forwards
// (x → x̂, read back) and of iters Detects (noise, forward, loss map, read
// back) of a seeded random network on be, each after one warm-up.
func timeForward(be backend.Backend, cfg model.Config, iters int) (fwd, det float64, err error) {
	m, err := model.New(be, &model.Weights{Config: cfg, Params: model.InitParams(cfg, 1)})
	if err != nil {
		return 0, 0, err
	}
	defer m.Free()
	s := backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}
	rng := rand.New(rand.NewPCG(2, 2))
	img := make([]float32, s.Len())
	for i := range img {
		img[i] = 2*rng.Float32() - 1
	}
	x0 := be.Upload(s, img)
	defer be.Free(x0)
	fwd, err = medianMS(iters, func() error {
		xhat := m.Forward(x0)
		defer be.Free(xhat)
		_, err := be.Download(xhat)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	det, err = medianMS(iters, func() error {
		_, err := m.Detect(x0, cfg.Lambda, 0)
		return err
	})
	return fwd, det, err
}

// medianMS runs f once to warm up (pipeline compiles, allocations), then
// iters times, and returns the median milliseconds.
func medianMS(iters int, f func() error) (float64, error) {
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
	return median(times), nil
}

// short names a backend for the table: "cpu", "webgpu".
func short(name string) string {
	if i := strings.Index(name, " "); i > 0 {
		return name[:i]
	}
	return name
}

// timeTorch runs the PyTorch peer script and returns its median
// milliseconds of the forward pass and of forward plus loss map.
func timeTorch(python, script string, wf, size, iters, threads int) (fwd, det float64, err error) {
	out, err := exec.Command(python, script, strconv.Itoa(wf), strconv.Itoa(size), strconv.Itoa(iters), strconv.Itoa(threads)).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return 0, 0, fmt.Errorf("%s %s: %v: %s", python, script, err, lastLine(string(ee.Stderr)))
		}
		return 0, 0, err
	}
	var r struct{ Forward, Detect []float64 }
	if err := json.Unmarshal(out, &r); err != nil {
		return 0, 0, fmt.Errorf("torch_bench.py output %q: %v", out, err)
	}
	return median(r.Forward), median(r.Detect), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// printTable writes one row per result: times, the forward's GFLOP/s, and
// the ratio of each time to PyTorch's for the same configuration.
func printTable(w io.Writer, results []result, threads int) {
	fmt.Fprintf(w, "batch 1, median ms; forward = network only, detect = noise + network + MS-SSIM/L1 map; CPU threads %d\n", threads)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backend\twf\tS\tforward ms\tGFLOP/s\t× PyTorch\tdetect ms\t× PyTorch\t")
	for _, r := range results {
		cfg := model.DefaultConfig()
		cfg.WF, cfg.Size = r.wf, r.size
		gflops := float64(model.FLOPs(cfg)) / (r.fwd * 1e6)
		rf, rd := "-", "-"
		for _, p := range results {
			if p.who == "pytorch" && p.wf == r.wf && p.size == r.size {
				rf, rd = fmt.Sprintf("%.2f", r.fwd/p.fwd), fmt.Sprintf("%.2f", r.det/p.det)
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%s\t%.1f\t%s\t\n", r.who, r.wf, r.size, r.fwd, gflops, rf, r.det, rd)
	}
	tw.Flush()
}

// runTrain times training steps on each backend and PyTorch and prints
// images/s with ratios to PyTorch.
func runTrain(stdout, stderr io.Writer, backends string, widths []int, size, batch, iters, threads int, python, script string) int {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) }
	var results []result // fwd holds ms per step
	for _, name := range strings.Split(backends, ",") {
		be, release, err := native.Select(strings.TrimSpace(name), threads, logf)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		defer release()
		for _, wf := range widths {
			cfg := model.DefaultConfig()
			cfg.WF, cfg.Size = wf, size
			ms, err := timeTrainStep(be, cfg, batch, iters)
			if err != nil {
				fmt.Fprintf(stderr, "bench: %s wf=%d: %v\n", be.Name(), wf, err)
				return 1
			}
			fmt.Fprintf(stderr, "%s wf=%d S=%d batch %d: %.0f ms/step\n", be.Name(), wf, size, batch, ms)
			results = append(results, result{who: short(be.Name()), wf: wf, size: size, fwd: ms})
		}
	}
	if python != "" {
		for _, wf := range widths {
			out, err := exec.Command(python, script, strconv.Itoa(wf), strconv.Itoa(size), strconv.Itoa(iters), strconv.Itoa(threads), strconv.Itoa(batch)).Output()
			var r struct{ Step []float64 }
			if err == nil {
				err = json.Unmarshal(out, &r)
			}
			if err != nil || len(r.Step) == 0 {
				fmt.Fprintf(stderr, "bench: PyTorch peer skipped: %v\n", err)
				break
			}
			ms := median(r.Step)
			fmt.Fprintf(stderr, "pytorch wf=%d S=%d batch %d: %.0f ms/step\n", wf, size, batch, ms)
			results = append(results, result{who: "pytorch", wf: wf, size: size, fwd: ms})
		}
	}
	fmt.Fprintf(stdout, "training step (noise + forward + loss + backward + AdamW), batch %d, median; CPU threads %d\n", batch, threads)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backend\twf\tS\tms/step\timages/s\t× PyTorch images/s\t")
	for _, r := range results {
		ratio := "-"
		for _, p := range results {
			if p.who == "pytorch" && p.wf == r.wf && p.size == r.size {
				ratio = fmt.Sprintf("%.2f", p.fwd/r.fwd)
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%s\t\n", r.who, r.wf, r.size, r.fwd, float64(batch)*1000/r.fwd, ratio)
	}
	tw.Flush()
	return 0
}

// timeTrainStep returns the median milliseconds of a training step on be:
// noise, forward, loss, backward, AdamW update, loss read back.
func timeTrainStep(be backend.Backend, cfg model.Config, batch, iters int) (float64, error) {
	m, err := model.New(be, &model.Weights{Config: cfg, Params: model.InitParams(cfg, 1)})
	if err != nil {
		return 0, err
	}
	defer m.Free()
	if _, ok := be.(backend.Trainer); !ok {
		return 0, fmt.Errorf("backend %s cannot train", be.Name())
	}
	opt := model.NewAdamW(m, model.DefaultAdamW())
	defer opt.Free()
	s := backend.Shape{N: batch, C: 3, H: cfg.Size, W: cfg.Size}
	rng := rand.New(rand.NewPCG(3, 3))
	img := make([]float32, s.Len())
	for i := range img {
		img[i] = 2*rng.Float32() - 1
	}
	x0 := be.Upload(s, img)
	defer be.Free(x0)
	seed := uint32(0)
	return medianMS(iters, func() error {
		seed++
		_, grads, err := m.LossAndGrads(x0, cfg.Lambda, seed)
		if err != nil {
			return err
		}
		opt.Step(grads, 1e-4)
		return nil
	})
}

// convShapes are the Block convolutions of the default network (wf 32,
// S 256), level by level: C→C at side S/2^i.
var convShapes = []struct{ c, side int }{{32, 256}, {64, 128}, {128, 64}, {256, 32}}

// runConv times each 3×3 convolution shape (bias, ReLU, batch 1) on each
// backend and PyTorch and prints GFLOP/s.
func runConv(stdout, stderr io.Writer, backends string, iters, threads int, python, script string) int {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", args...) }
	type row struct {
		who     string
		c, side int
		ms      float64
	}
	var rows []row
	for _, name := range strings.Split(backends, ",") {
		be, release, err := native.Select(strings.TrimSpace(name), threads, logf)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		defer release()
		for _, sh := range convShapes {
			rng := rand.New(rand.NewPCG(4, 4))
			rnd := func(s backend.Shape) backend.Tensor {
				v := make([]float32, s.Len())
				for i := range v {
					v[i] = rng.Float32() - 0.5
				}
				return be.Upload(s, v)
			}
			x := rnd(backend.Shape{N: 1, C: sh.c, H: sh.side, W: sh.side})
			w := rnd(backend.Shape{N: sh.c, C: sh.c, H: 3, W: 3})
			b := rnd(backend.Shape{N: 1, C: sh.c, H: 1, W: 1})
			ms, err := medianMS(iters, func() error {
				y := be.Conv2D(x, w, b, backend.ReLU)
				defer be.Free(y)
				_, err := be.Download(y)
				return err
			})
			be.Free(x)
			be.Free(w)
			be.Free(b)
			if err != nil {
				fmt.Fprintf(stderr, "bench: %s conv %d: %v\n", be.Name(), sh.c, err)
				return 1
			}
			rows = append(rows, row{short(be.Name()), sh.c, sh.side, ms})
		}
	}
	if python != "" {
		for _, sh := range convShapes {
			out, err := exec.Command(python, script, "conv", strconv.Itoa(sh.c), strconv.Itoa(sh.c), strconv.Itoa(sh.side), "3", strconv.Itoa(iters), strconv.Itoa(threads)).Output()
			var r struct{ Conv []float64 }
			if err == nil {
				err = json.Unmarshal(out, &r)
			}
			if err != nil || len(r.Conv) == 0 {
				fmt.Fprintf(stderr, "bench: PyTorch peer skipped: %v\n", err)
				break
			}
			rows = append(rows, row{"pytorch", sh.c, sh.side, median(r.Conv)})
		}
	}
	fmt.Fprintf(stdout, "3×3 convolution with bias and ReLU, batch 1, median (upload excluded, readback included); CPU threads %d\n", threads)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "backend\tC→C\tside\tms\tGFLOP/s\t× PyTorch time\t")
	for _, r := range rows {
		ratio := "-"
		for _, p := range rows {
			if p.who == "pytorch" && p.c == r.c && p.side == r.side {
				ratio = fmt.Sprintf("%.2f", r.ms/p.ms)
			}
		}
		flops := 2 * 9 * float64(r.c*r.c) * float64(r.side*r.side)
		fmt.Fprintf(tw, "%s\t%d→%d\t%d\t%.1f\t%.1f\t%s\t\n", r.who, r.c, r.c, r.side, r.ms, flops/(r.ms*1e6), ratio)
	}
	tw.Flush()
	return 0
}
