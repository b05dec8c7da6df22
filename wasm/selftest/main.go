//go:build js && wasm

// Command selftest checks the WebGPU backend (internal/gpu) in a browser
// against the CPU backend (internal/cpu): it opens navigator.gpu's device
// with gpu.OpenBrowser, runs a handful of ops and one small network forward
// on seeded random inputs on both backends, checks that a device
// validation error comes back from Download, and publishes a Report as a
// JSON string in the global variable n2nSelftest (and in the text of the
// page's element #result). wasm/browsertest runs it in headless Chromium.
package main

import (
	"encoding/json"
	"fmt"
	"syscall/js"
	"time"

	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/gpu"
)

// Report is what the self-test publishes; wasm/browsertest decodes the
// same JSON.
type Report struct {
	Adapter    string     `json:"adapter"`    // the GPU backend's Name
	OpenMS     float64    `json:"openMs"`     // gpu.OpenBrowser
	TotalMS    float64    `json:"totalMs"`    // everything, device open included
	Checks     []Check    `json:"checks"`     // one per op or network
	Validation Validation `json:"validation"` // the device-error check
	Error      string     `json:"error"`      // a failure that stopped the run
}

// main runs the self-test and publishes its report.
func main() {
	done := make(chan Report)
	// Waiting on the GPU blocks on promises: it must happen on a goroutine
	// of its own, never inside a js.Func callback.
	go func() { done <- run() }()
	r := <-done
	out, err := json.Marshal(r)
	if err != nil {
		out = []byte(fmt.Sprintf(`{"error": %q}`, "selftest: "+err.Error()))
	}
	if el := js.Global().Get("document").Call("getElementById", "result"); el.Truthy() {
		el.Set("textContent", string(out))
	}
	js.Global().Set("n2nSelftest", string(out))
}

// run opens the browser's device and runs every check.
func run() (r Report) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			r.Error = fmt.Sprintf("panic: %v", p)
		}
		r.TotalMS = ms(time.Since(start))
	}()
	stage("opening the device (gpu.OpenBrowser)")
	be, err := gpu.OpenBrowser()
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Adapter = be.Name()
	r.OpenMS = ms(time.Since(start))
	ref := cpu.New()
	for _, c := range checks {
		stage(c.name)
		r.Checks = append(r.Checks, c.compare(be, ref))
	}
	be.Close()
	stage("validation error check")
	r.Validation = checkValidation()
	return r
}

// stage logs what the self-test starts doing and records it in the global
// n2nSelftestStage, which the harness reports if the report never comes.
func stage(s string) {
	fmt.Println("selftest:", s)
	js.Global().Set("n2nSelftestStage", s)
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
