//go:build js

package gpu

import (
	"errors"
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"github.com/cogentcore/webgpu/jsx"
	"github.com/cogentcore/webgpu/wgpu"
)

// BrowserAdapter is navigator.gpu's adapter with what the page needs to
// know of it.
type BrowserAdapter struct {
	Value js.Value // the GPUAdapter
	Name  string   // vendor, architecture, device and description, as the browser reports them
	// Software is set for a software rasteriser: flagged isFallbackAdapter,
	// or named like one (Chromium does not always flag SwiftShader).
	Software bool
}

// softwareAdapters are substrings (lower case) of the names of software
// rasterisers.
var softwareAdapters = []string{"swiftshader", "llvmpipe", "lavapipe", "warp", "microsoft basic render"}

// RequestBrowserAdapter asks navigator.gpu for an adapter. Like every call
// that waits on the GPU in the browser, it blocks its goroutine on a
// promise: call it from a goroutine, never from a js.Func callback. A
// browser that never answers (seen with Chromium on some software Vulkan
// set-ups) gets an error after openTimeout instead of a hang.
func RequestBrowserAdapter() (*BrowserAdapter, error) {
	gpu := js.Global().Get("navigator").Get("gpu")
	if !gpu.Truthy() {
		return nil, errors.New("this browser has no WebGPU (navigator.gpu is undefined)")
	}
	adapter, ok, err := Await(gpu.Call("requestAdapter"), "navigator.gpu.requestAdapter")
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("navigator.gpu.requestAdapter failed: %v", JSError(adapter))
	case !adapter.Truthy():
		return nil, errors.New("this browser offers no WebGPU adapter")
	}
	a := &BrowserAdapter{Value: adapter, Name: "WebGPU adapter"}
	if info := adapter.Get("info"); info.Truthy() {
		var parts []string
		for _, k := range []string{"vendor", "architecture", "device", "description"} {
			if v := info.Get(k); v.Type() == js.TypeString && v.String() != "" && !containsFold(parts, v.String()) {
				parts = append(parts, v.String())
			}
		}
		if len(parts) > 0 {
			a.Name = strings.Join(parts, " ")
		}
		a.Software = info.Get("isFallbackAdapter").Truthy()
	}
	if adapter.Get("isFallbackAdapter").Truthy() { // the flag's older place
		a.Software = true
	}
	lower := strings.ToLower(a.Name)
	for _, s := range softwareAdapters {
		if strings.Contains(lower, s) {
			a.Software = true
		}
	}
	return a, nil
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

// Open requests a device with the adapter's largest storage-buffer limits
// and wraps it; it also returns the GPUDevice (for its lost promise). Call
// it from a goroutine, as RequestBrowserAdapter.
func (a *BrowserAdapter) Open() (*Backend, js.Value, error) {
	limits := a.Value.Get("limits")
	desc := map[string]any{"requiredLimits": map[string]any{
		"maxStorageBufferBindingSize": limits.Get("maxStorageBufferBindingSize"),
		"maxBufferSize":               limits.Get("maxBufferSize"),
	}}
	device, ok, err := Await(a.Value.Call("requestDevice", desc), "requestDevice")
	if err != nil {
		return nil, js.Undefined(), err
	}
	if !ok || !device.Truthy() {
		return nil, js.Undefined(), fmt.Errorf("requestDevice failed: %v", JSError(device))
	}
	be, err := NewFromJS(device, a.Name)
	if err != nil {
		return nil, js.Undefined(), err
	}
	return be, device, nil
}

// OpenBrowser opens navigator.gpu's adapter (RequestBrowserAdapter, Open).
func OpenBrowser() (*Backend, error) {
	a, err := RequestBrowserAdapter()
	if err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	be, _, err := a.Open()
	if err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	return be, nil
}

// openTimeout bounds each promise Await waits for.
const openTimeout = 30 * time.Second

// Await waits for promise p like jsx.Await, but at most openTimeout; what
// names the call in the error. ok is false when the promise was rejected
// (v is then the reason). Call it from a goroutine, never from a js.Func
// callback.
func Await(p js.Value, what string) (v js.Value, ok bool, err error) {
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
	case <-time.After(openTimeout):
		return js.Undefined(), false, fmt.Errorf("%s did not answer within %v", what, openTimeout)
	}
}

// JSError is a rejected promise's reason as a Go error.
func JSError(v js.Value) error {
	if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
		return errors.New(v.Get("message").String())
	}
	return fmt.Errorf("%v", v)
}

// NewFromJS wraps a GPUDevice obtained in JavaScript. The wgpu library
// reports no errors in the browser, so the Backend wraps each batch of
// work, up to Download, in validation and out-of-memory error scopes on
// this device.
func NewFromJS(device js.Value, adapter string) (*Backend, error) {
	d := wgpu.NewDevice(device)
	b, err := newBackend(&d, adapter, false, errorScope{dev: device})
	if err != nil {
		return nil, err
	}
	b.genericWeightGrad = true
	return b, nil
}

// errorScope holds the GPUDevice whose error scopes are open while open.
type errorScope struct {
	dev  js.Value
	open bool
}

func (s *errorScope) begin() {
	if s.open {
		return
	}
	s.dev.Call("pushErrorScope", "out-of-memory")
	s.dev.Call("pushErrorScope", "validation")
	s.open = true
}

// end pops the scopes begin pushed and returns the errors they caught.
func (s *errorScope) end() error {
	if !s.open {
		return nil
	}
	s.open = false
	var errs []error
	for _, filter := range []string{"validation", "out-of-memory"} {
		e, ok := jsx.Await(s.dev.Call("popErrorScope"))
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("gpu: popErrorScope: %v", e))
		case e.Truthy():
			errs = append(errs, fmt.Errorf("gpu: %s error: %s", filter, e.Get("message").String()))
		}
	}
	return errors.Join(errs...)
}

// waitIdle is a no-op in the browser, which has no device poll: work that
// was submitted completes on its own, and destroying buffers it uses is
// deferred by the browser until it has.
func (b *Backend) waitIdle() {}
