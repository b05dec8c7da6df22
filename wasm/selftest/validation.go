//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall/js"

	"github.com/cogentcore/webgpu/jsx"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/gpu"
)

// Validation is the outcome of checkValidation.
type Validation struct {
	OK       bool   `json:"ok"`       // all of the below as expected
	Control  string `json:"control"`  // a clean upload and download ("" when right)
	Reported string `json:"reported"` // the error Download returned after the injected one
	Sticky   string `json:"sticky"`   // the error of the next Download
	Err      string `json:"err,omitempty"`
}

// checkValidation shows that a device validation error reaches Download as
// an error, not as silent zeros. It wraps a GPUDevice of its own with
// gpu.NewFromJS, and while the backend's error scopes are open (after an
// Upload) creates a shader module from text that is not WGSL directly on
// that device. (The package's hook for compiling WGSL into a kernel,
// CompileForTest, is test-only, so the invalid WGSL cannot go through the
// backend's own kernel path from here.)
func checkValidation() (v Validation) {
	defer func() {
		if p := recover(); p != nil {
			v.Err = fmt.Sprintf("panic: %v", p)
			v.OK = false
		}
	}()
	dev, err := requestDevice()
	if err != nil {
		v.Err = err.Error()
		return v
	}
	be, err := gpu.NewFromJS(dev, "validation check")
	if err != nil {
		v.Err = err.Error()
		return v
	}
	s := backend.Shape{N: 1, C: 1, H: 1, W: 4}
	data := []float32{1, 2, 3, 4}
	t := be.Upload(s, data)
	got, err := be.Download(t)
	switch {
	case err != nil:
		v.Control = err.Error()
	case !slices.Equal(got, data):
		v.Control = fmt.Sprintf("downloaded %v, uploaded %v", got, data)
	}
	t2 := be.Upload(s, data)
	dev.Call("createShaderModule", map[string]any{"code": "this is not WGSL"})
	if _, err := be.Download(t2); err != nil {
		v.Reported = err.Error()
	}
	if _, err := be.Download(t); err != nil {
		v.Sticky = err.Error()
	}
	v.OK = v.Control == "" && strings.Contains(v.Reported, "validation") && v.Sticky != ""
	return v
}

// requestDevice asks navigator.gpu for an adapter and a device with default
// limits.
func requestDevice() (js.Value, error) {
	adapter, ok := jsx.Await(js.Global().Get("navigator").Get("gpu").Call("requestAdapter"))
	if !ok || !adapter.Truthy() {
		return js.Value{}, errors.New("requestAdapter found no adapter")
	}
	dev, ok := jsx.Await(adapter.Call("requestDevice"))
	if !ok || !dev.Truthy() {
		return js.Value{}, fmt.Errorf("requestDevice failed: %v", dev)
	}
	return dev, nil
}
