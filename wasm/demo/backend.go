//go:build js && wasm

package main

import (
	"fmt"
	"syscall/js"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/gpu"
)

// webGPU is the browser's WebGPU state, probed once: the adapter seen and,
// once opened, the device and its backend, shared by every model on it.
type webGPU struct {
	probed   bool
	adapter  *gpu.BrowserAdapter // nil without one
	name     string              // the adapter's name, "" without one
	software bool                // a software rasteriser (gpu.BrowserAdapter.Software)
	probeErr string              // why there is no adapter

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
	a, err := gpu.RequestBrowserAdapter()
	if err != nil {
		g.probeErr = err.Error()
		return
	}
	g.adapter, g.name, g.software = a, a.Name, a.Software
}

// open requests the device (once) with the adapter's largest storage
// buffer limits, as gpu.OpenBrowser does, and watches for its loss.
func (g *webGPU) open() error {
	if g.be != nil {
		return nil
	}
	be, device, err := g.adapter.Open()
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
		return w.cpu, backendInfo{Adapter: g.name, FallbackAdapter: g.software}.onCPU(reason)
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

// onCPU is b's adapter facts on the CPU backend, for reason (chosen, or why
// WebGPU was left).
func (b backendInfo) onCPU(reason string) backendInfo {
	return backendInfo{Kind: "cpu", Name: "CPU", Adapter: b.Adapter, FallbackAdapter: b.FallbackAdapter, Reason: reason, SIMD: cpuSIMD()}
}

// cpuSIMD reports whether the CPU backend's convolutions run the
// WebAssembly SIMD kernel (which needs globalThis.wasm, set by worker.js).
func cpuSIMD() bool {
	ok, _ := cpu.SIMD()
	return ok
}

// newCPU is the CPU backend.
func newCPU() backend.Backend { return cpu.New() }
