//go:build js && wasm

package main

import (
	"math"
	"syscall/js"
	"unsafe"
)

// The conversions between protocol.go's structs and the JavaScript objects
// of site/protocol.js.

// decodeLoad reads a loadRequest; weights is an ArrayBuffer or typed array.
func decodeLoad(msg js.Value) loadRequest {
	return loadRequest{
		ID:      intField(msg, "id"),
		Session: stringField(msg, "session"),
		Model:   stringField(msg, "model"),
		Backend: stringField(msg, "backend"),
		Weights: bytesOf(msg.Get("weights")),
	}
}

// decodeDetect reads a detectRequest.
func decodeDetect(msg js.Value) detectRequest {
	return detectRequest{
		ID:        intField(msg, "id"),
		Session:   stringField(msg, "session"),
		Image:     bytesOf(msg.Get("image")),
		MaxPixels: intField(msg, "maxPixels"),
	}
}

// decodePixels reads a pixelsRequest.
func decodePixels(msg js.Value) pixelsRequest {
	return pixelsRequest{
		ID:      intField(msg, "id"),
		Session: stringField(msg, "session"),
		Width:   intField(msg, "width"),
		Height:  intField(msg, "height"),
		Pixels:  bytesOf(msg.Get("pixels")),
	}
}

func intField(v js.Value, name string) int {
	if f := v.Get(name); f.Type() == js.TypeNumber {
		return f.Int()
	}
	return 0
}

func stringField(v js.Value, name string) string {
	if f := v.Get(name); f.Type() == js.TypeString {
		return f.String()
	}
	return ""
}

// bytesOf copies an ArrayBuffer or typed array into Go; nil for anything
// else.
func bytesOf(v js.Value) []byte {
	if v.Type() != js.TypeObject {
		return nil
	}
	var u8 js.Value
	switch {
	case v.InstanceOf(js.Global().Get("ArrayBuffer")):
		u8 = js.Global().Get("Uint8Array").New(v)
	case v.Get("buffer").Truthy() && v.Get("byteLength").Type() == js.TypeNumber:
		u8 = js.Global().Get("Uint8Array").New(v.Get("buffer"), v.Get("byteOffset"), v.Get("byteLength"))
	default:
		return nil
	}
	b := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(b, u8)
	return b
}

// float32Array copies v into a new Float32Array; its buffer goes into
// *transfer.
func float32Array(v []float32, transfer *[]any) js.Value {
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v)) // wasm is little-endian, as Float32Array
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	buf := u8.Get("buffer")
	*transfer = append(*transfer, buf)
	return js.Global().Get("Float32Array").New(buf)
}

// clampedArray copies b into a new Uint8ClampedArray (what ImageData
// takes); its buffer goes into *transfer.
func clampedArray(b []byte, transfer *[]any) js.Value {
	u8 := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(u8, b)
	buf := u8.Get("buffer")
	*transfer = append(*transfer, buf)
	return js.Global().Get("Uint8ClampedArray").New(buf)
}

// jsNumber is x as a JavaScript number, or null when x is NaN (JSON has no
// NaN and the page treats null as "not available").
func jsNumber(x float64) any {
	if math.IsNaN(x) {
		return nil
	}
	return x
}

func (b backendInfo) js() map[string]any {
	return map[string]any{
		"kind":            b.Kind,
		"name":            b.Name,
		"adapter":         b.Adapter,
		"fallbackAdapter": b.FallbackAdapter,
		"reason":          b.Reason,
		"simd":            b.SIMD,
	}
}

func (c *calibrationInfo) js() any {
	if c == nil {
		return nil
	}
	return map[string]any{
		"threshold": c.Threshold,
		"scoreMin":  c.ScoreMin,
		"scoreMax":  c.ScoreMax,
		"rule":      c.Rule,
	}
}

func (r loadedReply) js() map[string]any {
	return map[string]any{
		"v":       ProtocolVersion,
		"type":    TypeLoaded,
		"id":      r.ID,
		"session": r.Session,
		"model":   r.Model,
		"backend": r.Backend.js(),
		"config": map[string]any{
			"size": r.Size, "wf": r.WF, "depth": r.Depth, "lambda": r.Lambda, "alpha": r.Alpha,
		},
		"calibration": r.Calibration.js(),
		"ms":          map[string]any{"parse": r.ParseMS, "open": r.OpenMS, "upload": r.UploadMS},
	}
}

// js converts r, moving its arrays into transferable buffers listed in
// *transfer.
func (r resultReply) js(transfer *[]any) map[string]any {
	var nmap any
	if r.NormalizedMap != nil {
		nmap = float32Array(r.NormalizedMap, transfer)
	}
	var normalized, threshold, anomalous any
	if r.Calibrated {
		normalized, threshold, anomalous = jsNumber(r.NormalizedScore), jsNumber(r.Threshold), r.Anomalous
	}
	var fellBack any
	if r.FellBack != "" {
		fellBack = r.FellBack
	}
	t := r.Timings
	return map[string]any{
		"v":               ProtocolVersion,
		"type":            TypeResult,
		"id":              r.ID,
		"session":         r.Session,
		"score":           float64(r.Score),
		"calibrated":      r.Calibrated,
		"normalizedScore": normalized,
		"threshold":       threshold,
		"anomalous":       anomalous,
		"size":            r.Size,
		"width":           r.Width,
		"height":          r.Height,
		"format":          r.Format,
		"map":             float32Array(r.Map, transfer),
		"normalizedMap":   nmap,
		"input":           clampedArray(r.Input, transfer),
		"recon":           clampedArray(r.Recon, transfer),
		"backend":         r.Backend.js(),
		"fellBack":        fellBack,
		"ms": map[string]any{
			"decode": t.Decode, "upload": t.Upload, "forward": t.Forward,
			"map": t.Map, "readback": t.Readback, "total": t.Total,
		},
	}
}

// post sends msg to the page, transferring the buffers in transfer.
func post(msg map[string]any, transfer []any) {
	js.Global().Call("postMessage", msg, transfer)
}
