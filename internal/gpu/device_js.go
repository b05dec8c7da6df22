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

// OpenBrowser requests navigator.gpu's adapter and a device with the
// adapter's largest storage-buffer limits, and wraps it. Like every call
// that waits on the GPU in the browser, it blocks its goroutine on a
// promise: call it from a goroutine, never from a js.Func callback. A
// browser that never answers the adapter or device request (seen with
// Chromium on some software Vulkan set-ups) gets an error after
// openTimeout instead of a hang.
func OpenBrowser() (*Backend, error) {
	gpu := js.Global().Get("navigator").Get("gpu")
	if !gpu.Truthy() {
		return nil, errors.New("gpu: this browser has no WebGPU (navigator.gpu is undefined)")
	}
	adapter, ok, err := awaitTimeout(gpu.Call("requestAdapter"), "navigator.gpu.requestAdapter")
	if err != nil {
		return nil, err
	}
	if !ok || !adapter.Truthy() {
		return nil, errors.New("gpu: navigator.gpu.requestAdapter found no adapter")
	}
	limits := adapter.Get("limits")
	desc := map[string]any{"requiredLimits": map[string]any{
		"maxStorageBufferBindingSize": limits.Get("maxStorageBufferBindingSize"),
		"maxBufferSize":               limits.Get("maxBufferSize"),
	}}
	device, ok, err := awaitTimeout(adapter.Call("requestDevice", desc), "requestDevice")
	if err != nil {
		return nil, err
	}
	if !ok || !device.Truthy() {
		return nil, fmt.Errorf("gpu: requestDevice failed: %v", device)
	}
	name := "browser"
	if info := adapter.Get("info"); info.Truthy() {
		var parts []string
		for _, k := range []string{"vendor", "architecture", "description"} {
			if v := info.Get(k).String(); v != "" {
				parts = append(parts, v)
			}
		}
		name = strings.Join(parts, " ")
	}
	return NewFromJS(device, name)
}

// openTimeout bounds each promise OpenBrowser waits for.
const openTimeout = 30 * time.Second

// awaitTimeout waits for promise p like jsx.Await, but at most openTimeout;
// what names the call in the error.
func awaitTimeout(p js.Value, what string) (js.Value, bool, error) {
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
		return js.Undefined(), false, fmt.Errorf("gpu: %s did not answer within %v", what, openTimeout)
	}
}

// NewFromJS wraps a GPUDevice obtained in JavaScript. The wgpu library
// reports no errors in the browser, so the Backend wraps each batch of
// work, up to Download, in validation and out-of-memory error scopes on
// this device.
func NewFromJS(device js.Value, adapter string) (*Backend, error) {
	d := wgpu.NewDevice(device)
	return newBackend(&d, adapter, false, errorScope{dev: device})
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
