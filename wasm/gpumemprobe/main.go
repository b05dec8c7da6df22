//go:build js && wasm

// Command gpumemprobe runs training steps of the network on the WebGPU
// backend in the page (navigator.gpu) and logs each step on the console as
// "probe step I ms T live L created C" (the backend's tensor-buffer bytes,
// gpu.Backend.MemStats), so that probe_test.go can watch Chromium's GPU
// process step by step.
//
// The page sets globalThis.probeConfig = {WF, Size, Batch, Steps} before
// running it; at the end globalThis.probeDone is "ok" or the error.
package main

import (
	"encoding/json"
	"fmt"
	"syscall/js"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/internal/model"
)

// config is what the page asks for.
type config struct {
	WF, Size, Batch, Steps int // base width, input side, images per step, training steps
}

func main() {
	done := make(chan string)
	// Waiting on the GPU blocks on promises: a goroutine of its own.
	go func() { done <- run() }()
	js.Global().Set("probeDone", <-done)
}

// run trains c.Steps steps on a fixed input and closes the backend.
func run() (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprintf("panic: %v", p)
		}
	}()
	var c config
	if err := json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", js.Global().Get("probeConfig")).String()), &c); err != nil {
		return "probeConfig: " + err.Error()
	}
	g, err := gpu.OpenBrowser()
	if err != nil {
		return err.Error()
	}
	defer g.Close()
	cfg := model.DefaultConfig()
	cfg.WF, cfg.Size = c.WF, c.Size
	m, err := model.New(g, &model.Weights{Config: cfg, Params: model.InitParams(cfg, 1)})
	if err != nil {
		return err.Error()
	}
	defer m.Free()
	data := make([]float32, c.Batch*3*c.Size*c.Size)
	for i := range data {
		data[i] = float32(i%97) / 97
	}
	xb := g.Upload(backend.Shape{N: c.Batch, C: 3, H: c.Size, W: c.Size}, data)
	defer g.Free(xb)
	opt := model.NewAdamW(m, model.DefaultAdamW())
	defer opt.Free()
	for i := 1; i <= c.Steps; i++ {
		t0 := time.Now()
		_, grads, err := m.LossAndGrads(xb, cfg.Lambda, uint32(i))
		if err != nil {
			return err.Error()
		}
		opt.Step(grads, 1e-4)
		// A read-back, so that the step has run on the GPU when it returns.
		if _, err := g.Download(xb); err != nil {
			return err.Error()
		}
		ms := g.MemStats()
		js.Global().Get("console").Call("log", fmt.Sprintf("probe step %d ms %d live %d created %d", i, time.Since(t0).Milliseconds(), ms.Live, ms.Created))
	}
	return "ok"
}
