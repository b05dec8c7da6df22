//go:build js && wasm

// Command demo is the browser demo's engine (site/n2n.wasm). It runs inside
// the dedicated Web Worker site/worker.js, never on the page's thread: the
// worker passes it each request of site/protocol.js through the global
// function n2nHandle, and it answers with postMessage. It loads N2N-M
// weights (safetensors, float32 or float16), runs them on WebGPU
// (internal/gpu) where the browser has a hardware adapter, or where the
// page asks for WebGPU explicitly, and on the CPU backend (internal/cpu)
// otherwise, and answers detect requests with what cmd/detect computes for
// the same image file: the image decoded in Go from the file's bytes,
// resized with imageio.ToTensor, noised with the weights' λ and seed 0, so
// the raw score and map equal detect's (to float32 rounding across
// backends).
//
// It also trains (protocol version 3, train.go): a train request's normal
// images are decoded as detect decodes them and trained on with
// internal/train's Session, the code cmd/train runs, for a preset of
// train.Presets, in a goroutine of its own that yields to the event loop
// after every step, so that train-stop and detect requests are answered
// meanwhile; the result is calibrated on held-out images, detects at once,
// and exports as one safetensors file (weights, calibration, checkpoint)
// that cmd/detect, cmd/eval and cmd/train -resume-from read.
//
// Waiting on the GPU blocks on JavaScript promises, which must never happen
// inside a js.Func callback: n2nHandle only queues the request, and one
// goroutine handles the queue in order. Whatever runs ops on a backend (a
// request, or one training step) holds worker.compute.
package main

import (
	"fmt"
	"runtime/debug"
	"sync"
	"syscall/js"
)

func main() {
	q := &queue{wake: make(chan struct{}, 1)}
	handle := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) == 1 {
			q.push(args[0])
		}
		return nil
	})
	js.Global().Set("n2nHandle", handle)
	if ready := js.Global().Get("n2nReady"); ready.Type() == js.TypeFunction {
		ready.Invoke(ProtocolVersion)
	}
	w := newWorker()
	for {
		msg := q.pop()
		w.handleSafely(msg)
	}
}

// queue holds the requests n2nHandle received and not yet handled; push
// never blocks (it runs inside a js.Func callback).
type queue struct {
	mu    sync.Mutex
	items []js.Value
	wake  chan struct{}
}

func (q *queue) push(v js.Value) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pop waits for the oldest request and removes it.
func (q *queue) pop() js.Value {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			v := q.items[0]
			q.items[0] = js.Undefined()
			q.items = q.items[1:]
			q.mu.Unlock()
			return v
		}
		q.mu.Unlock()
		<-q.wake
	}
}

// locked runs f holding the compute lock (a training run may be between
// two steps).
func (w *worker) locked(f func()) {
	w.compute.Lock()
	defer w.compute.Unlock()
	f()
}

// handleSafely handles one request, turning a panic into an error reply so
// that the worker keeps serving.
func (w *worker) handleSafely(msg js.Value) {
	id := 0
	if v := msg.Get("id"); v.Type() == js.TypeNumber {
		id = v.Int()
	}
	defer func() {
		if p := recover(); p != nil {
			fmt.Printf("n2n: panic handling request %d: %v\n%s", id, p, debug.Stack())
			w.postError(id, CodeInternal, fmt.Sprintf("internal error: %v", p))
		}
	}()
	if v := msg.Get("v"); v.Type() != js.TypeNumber || v.Int() != ProtocolVersion {
		w.postError(id, CodeVersion, fmt.Sprintf("protocol version %v, this worker speaks %d (reload the page)", v, ProtocolVersion))
		return
	}
	switch t := msg.Get("type").String(); t {
	case TypeLoad:
		w.locked(func() { w.load(decodeLoad(msg)) })
	case TypeDetect:
		w.locked(func() { w.detect(decodeDetect(msg)) })
	case TypePixels:
		w.locked(func() { w.detectPixels(decodePixels(msg)) })
	case TypeLoseGPU:
		w.gpu.destroy()
		post(map[string]any{"v": ProtocolVersion, "type": TypeDone, "id": id}, nil)
	case TypeTrainEstimate:
		w.estimate(decodeEstimate(msg))
	case TypeTrain:
		w.startTrain(decodeTrain(msg))
	case TypeTrainContinue:
		w.continueTrain(decodeContinue(msg))
	case TypeTrainStop:
		w.stopTrain(decodeSession(msg))
	case TypeExport:
		w.export(decodeSession(msg))
	case TypeCheckImage:
		w.checkImage(decodeCheckImage(msg))
	default:
		w.postError(id, CodeBadInput, fmt.Sprintf("unknown request type %q", t))
	}
}
