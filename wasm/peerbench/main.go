//go:build js && wasm

// Command peerbench is this project's side of the browser rows of
// `go run ./cmd/bench -browser` (cmd/bench/browser.go): in the bench's page
// it builds the bench's network (model.InitParams(cfg, 1), the weights the
// ONNX peer file was exported from) on the CPU backend (Go wasm, one
// thread) or the WebGPU backend (navigator.gpu), times forward passes on
// the page's input and, if asked, training steps, and hands back a Report
// and the first forward's output.
//
// The page sets, before running it, globalThis.n2nBenchConfig (a Config as
// a JS object) and globalThis.n2nBenchInput (the (1,3,S,S) input image as a
// Float32Array). peerbench sets globalThis.n2nBenchOutput (a Float32Array,
// (1,3,S,S)) and then calls globalThis.n2nBenchDone with the Report as a
// JSON string.
package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/internal/model"
)

// Config is what the page asks for.
type Config struct {
	Backend string // "cpu" or "webgpu"
	WF      int    // base width
	Size    int    // input side S
	Iters   int    // timed forwards after one warm-up
	Batch   int    // images per training step; 0: no training steps
}

// Report is what peerbench hands back (JSON).
type Report struct {
	Backend     string    `json:"backend"`     // the backend's Name
	ForwardMS   []float64 `json:"forwardMs"`   // each timed forward: network, read back
	ForwardPeak int64     `json:"forwardPeak"` // the backend's peak tensor bytes during one forward (weights and input included)
	TrainMS     []float64 `json:"trainMs"`     // each timed training step (one, after a warm-up one)
	TrainPeak   int64     `json:"trainPeak"`   // the backend's peak tensor bytes during one training step
	HeapSys     uint64    `json:"heapSys"`     // Go's runtime.MemStats.Sys at the end: what the Go runtime took from the wasm memory
	Error       string    `json:"error"`
}

func main() {
	done := make(chan Report)
	// Waiting on the GPU blocks on promises: it must happen on a goroutine
	// of its own, never inside a js.Func callback.
	go func() { done <- run() }()
	r := <-done
	out, err := json.Marshal(r)
	if err != nil {
		out = []byte(fmt.Sprintf(`{"error": %q}`, "peerbench: "+err.Error()))
	}
	js.Global().Call("n2nBenchDone", string(out))
}

// run reads the page's config and input and measures.
func run() (r Report) {
	defer func() {
		if p := recover(); p != nil {
			r.Error = fmt.Sprintf("panic: %v", p)
		}
	}()
	var c Config
	if err := json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", js.Global().Get("n2nBenchConfig")).String()), &c); err != nil {
		r.Error = "n2nBenchConfig: " + err.Error()
		return r
	}
	input := floatsFromJS(js.Global().Get("n2nBenchInput"))
	cfg := model.DefaultConfig()
	cfg.WF, cfg.Size = c.WF, c.Size
	if want := 3 * c.Size * c.Size; len(input) != want {
		r.Error = fmt.Sprintf("n2nBenchInput has %d values, want %d (1×3×%d×%d)", len(input), want, c.Size, c.Size)
		return r
	}
	var be backend.Backend
	switch c.Backend {
	case "cpu":
		be = cpu.New()
	case "webgpu":
		g, err := gpu.OpenBrowser()
		if err != nil {
			r.Error = err.Error()
			return r
		}
		defer g.Close()
		be = g
	default:
		r.Error = fmt.Sprintf("backend %q: want cpu or webgpu", c.Backend)
		return r
	}
	r.Backend = be.Name()
	if c.Backend == "cpu" { // which convolution kernel the CPU backend runs (internal/cpu/gemm_wasm.go)
		if ok, err := cpu.SIMD(); ok {
			r.Backend += ", WebAssembly SIMD"
		} else {
			r.Backend += ", pure Go (" + err.Error() + ")"
		}
	}
	if err := measure(be, cfg, c, input, &r); err != nil {
		r.Error = err.Error()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapSys = ms.Sys
	return r
}

// measure times c.Iters forwards after a warm-up one (the first one's
// output goes to n2nBenchOutput), one more for the peak, and with c.Batch
// a warm-up and a timed training step of c.Batch copies of the input.
func measure(be backend.Backend, cfg model.Config, c Config, input []float32, r *Report) error {
	m, err := model.New(be, &model.Weights{Config: cfg, Params: model.InitParams(cfg, 1)})
	if err != nil {
		return err
	}
	defer m.Free()
	x0 := be.Upload(backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}, input)
	defer be.Free(x0)
	forward := func(keep bool) error {
		xhat := m.Forward(x0)
		defer be.Free(xhat)
		out, err := be.Download(xhat)
		if err == nil && keep {
			js.Global().Set("n2nBenchOutput", floatsToJS(out))
		}
		return err
	}
	for i := 0; i <= c.Iters; i++ {
		t0 := time.Now()
		if err := forward(i == 0); err != nil {
			return err
		}
		if i > 0 {
			r.ForwardMS = append(r.ForwardMS, ms(time.Since(t0)))
		}
	}
	if r.ForwardPeak, err = peakOf(be, func() error { return forward(false) }); err != nil {
		return err
	}
	if c.Batch <= 0 {
		return nil
	}
	batch := make([]float32, 0, c.Batch*len(input))
	for range c.Batch {
		batch = append(batch, input...)
	}
	xb := be.Upload(backend.Shape{N: c.Batch, C: 3, H: cfg.Size, W: cfg.Size}, batch)
	defer be.Free(xb)
	opt := model.NewAdamW(m, model.DefaultAdamW())
	defer opt.Free()
	seed := uint32(0)
	step := func() error {
		seed++
		_, grads, err := m.LossAndGrads(xb, cfg.Lambda, seed)
		if err != nil {
			return err
		}
		opt.Step(grads, 1e-4)
		// A value read back, so that the GPU's step is finished when it
		// returns.
		_, err = be.Download(x0)
		return err
	}
	if err := step(); err != nil { // warm-up
		return err
	}
	t0 := time.Now()
	r.TrainPeak, err = peakOf(be, step)
	r.TrainMS = append(r.TrainMS, ms(time.Since(t0)))
	return err
}

// peakOf runs f once and returns the backend's peak tensor bytes during it.
func peakOf(be backend.Backend, f func() error) (int64, error) {
	switch b := be.(type) {
	case *cpu.Backend:
		b.ResetPeak()
		err := f()
		return b.MemStats().Peak, err
	case *gpu.Backend:
		b.ResetPeak()
		err := f()
		return b.MemStats().Peak, err
	}
	return -1, f()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// floatsFromJS copies a Float32Array.
func floatsFromJS(v js.Value) []float32 {
	n := v.Get("length").Int()
	out := make([]float32, n)
	if n == 0 {
		return out
	}
	bytes := unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), 4*n)
	js.CopyBytesToGo(bytes, js.Global().Get("Uint8Array").New(v.Get("buffer"), v.Get("byteOffset"), 4*n))
	return out
}

// floatsToJS copies v into a new Float32Array.
func floatsToJS(v []float32) js.Value {
	arr := js.Global().Get("Float32Array").New(len(v))
	if len(v) > 0 {
		bytes := unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
		js.CopyBytesToJS(js.Global().Get("Uint8Array").New(arr.Get("buffer")), bytes)
	}
	return arr
}
