//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"github.com/cogentcore/webgpu/jsx"
	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/gpu"
)

// softwareAdapters are substrings (lower case) of the names of software
// rasterisers, which Chromium does not always flag with isFallbackAdapter.
var softwareAdapters = []string{"swiftshader", "llvmpipe", "lavapipe", "warp", "microsoft basic render"}

// webGPU is the browser's WebGPU state, probed once: the adapter seen and,
// once opened, the device and its backend, shared by every model on it.
type webGPU struct {
	probed   bool
	adapter  js.Value // the GPUAdapter, or undefined
	name     string   // the adapter's name, "" without one
	software bool     // flagged isFallbackAdapter or named as a software rasteriser
	probeErr string   // why there is no adapter

	be     *gpu.Backend
	device js.Value
	lost   chan string // receives the reason once, when the device is lost
	lostBy string      // why the device was lost, "" while it is not
}

// probe asks navigator.gpu for an adapter, once.
func (g *webGPU) probe() {
	if g.probed {
		return
	}
	g.probed = true
	nav := js.Global().Get("navigator")
	gpuObj := nav.Get("gpu")
	if !gpuObj.Truthy() {
		g.probeErr = "this browser has no WebGPU (navigator.gpu is undefined)"
		return
	}
	adapter, ok, err := await(gpuObj.Call("requestAdapter"), "navigator.gpu.requestAdapter")
	switch {
	case err != nil:
		g.probeErr = err.Error()
		return
	case !ok:
		g.probeErr = fmt.Sprintf("navigator.gpu.requestAdapter failed: %v", jsError(adapter))
		return
	case !adapter.Truthy():
		g.probeErr = "this browser offers no WebGPU adapter"
		return
	}
	g.adapter = adapter
	g.name = "WebGPU adapter"
	info := adapter.Get("info")
	if info.Truthy() {
		var parts []string
		for _, k := range []string{"vendor", "architecture", "device", "description"} {
			if v := info.Get(k); v.Type() == js.TypeString && v.String() != "" && !containsFold(parts, v.String()) {
				parts = append(parts, v.String())
			}
		}
		if len(parts) > 0 {
			g.name = strings.Join(parts, " ")
		}
		g.software = info.Get("isFallbackAdapter").Truthy()
	}
	if adapter.Get("isFallbackAdapter").Truthy() { // the older place of the flag
		g.software = true
	}
	lower := strings.ToLower(g.name)
	for _, s := range softwareAdapters {
		if strings.Contains(lower, s) {
			g.software = true
		}
	}
}

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// open requests the device (once) with the adapter's largest storage
// buffer limits, as gpu.OpenBrowser does, and watches for its loss.
func (g *webGPU) open() error {
	if g.be != nil {
		return nil
	}
	limits := g.adapter.Get("limits")
	desc := map[string]any{"requiredLimits": map[string]any{
		"maxStorageBufferBindingSize": limits.Get("maxStorageBufferBindingSize"),
		"maxBufferSize":               limits.Get("maxBufferSize"),
	}}
	device, ok, err := await(g.adapter.Call("requestDevice", desc), "requestDevice")
	if err != nil {
		return err
	}
	if !ok || !device.Truthy() {
		return fmt.Errorf("requestDevice failed: %v", jsError(device))
	}
	be, err := gpu.NewFromJS(device, g.name)
	if err != nil {
		return err
	}
	g.be, g.device = be, device
	g.lost = make(chan string, 1)
	// The callback only records the loss: the handling goroutine moves the
	// models to the CPU on its next request.
	var onLost js.Func
	onLost = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "the GPU device was lost"
		if len(args) > 0 && args[0].Truthy() {
			if m := args[0].Get("message").String(); m != "" {
				msg += ": " + m
			}
		}
		g.lost <- msg
		post(map[string]any{"v": ProtocolVersion, "type": TypeNotice, "kind": "device-lost", "message": msg + "; carrying on on the CPU"}, nil)
		onLost.Release()
		return nil
	})
	device.Get("lost").Call("then", onLost)
	return nil
}

// destroy destroys the device, if one is open; its lost promise then
// resolves as on a real loss.
func (g *webGPU) destroy() {
	if g.be != nil {
		g.device.Call("destroy")
	}
}

// isLost reports whether the device has been lost (and why).
func (g *webGPU) isLost() (string, bool) {
	if g.lostBy == "" && g.lost != nil {
		select {
		case g.lostBy = <-g.lost:
		default:
		}
	}
	return g.lostBy, g.lostBy != ""
}

// choose returns the backend for preference pref (PrefAuto, PrefWebGPU,
// PrefCPU) and what the page should say about it.
func (w *worker) choose(pref string) (backend.Backend, backendInfo) {
	g := &w.gpu
	cpuInfo := func(reason string) (backend.Backend, backendInfo) {
		return w.cpu, backendInfo{Kind: "cpu", Name: "CPU", Adapter: g.name, FallbackAdapter: g.software, Reason: reason}
	}
	if pref == PrefCPU {
		return cpuInfo("chosen")
	}
	if why, lost := g.isLost(); lost {
		return cpuInfo(why)
	}
	g.probe()
	switch {
	case g.probeErr != "":
		return cpuInfo(g.probeErr)
	case g.software && pref != PrefWebGPU:
		return cpuInfo(g.name + " is a software adapter; the CPU backend is faster (choose WebGPU to use it anyway)")
	}
	if err := g.open(); err != nil {
		return cpuInfo(fmt.Sprintf("opening the WebGPU device failed: %v", err))
	}
	return g.be, backendInfo{Kind: "webgpu", Name: g.name, Adapter: g.name, FallbackAdapter: g.software}
}

// awaitTimeout bounds each promise await waits for: some software Vulkan
// set-ups never answer the adapter or device request.
const awaitTimeout = 30 * time.Second

// await waits for promise p like jsx.Await, at most awaitTimeout; what
// names the call in the error. Call it from a goroutine, never from a
// js.Func callback.
func await(p js.Value, what string) (js.Value, bool, error) {
	type result struct {
		v  js.Value
		ok bool
	}
	done := make(chan result, 1)
	go func() {
		v, ok := jsx.Await(p)
		done <- result{v, ok}
	}()
	select {
	case r := <-done:
		return r.v, r.ok, nil
	case <-time.After(awaitTimeout):
		return js.Undefined(), false, fmt.Errorf("%s did not answer within %v", what, awaitTimeout)
	}
}

// jsError is a rejected promise's reason as a Go error.
func jsError(v js.Value) error {
	if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
		return errors.New(v.Get("message").String())
	}
	return fmt.Errorf("%v", v)
}

// newCPU is the CPU backend.
func newCPU() backend.Backend { return cpu.New() }
