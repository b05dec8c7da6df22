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

// decodeEstimate reads an estimateRequest.
func decodeEstimate(msg js.Value) estimateRequest {
	return estimateRequest{ID: intField(msg, "id"), Preset: stringField(msg, "preset"), Backend: stringField(msg, "backend")}
}

// decodeTrain reads a trainRequest; images without bytes keep a nil Bytes
// (reported as not images).
func decodeTrain(msg js.Value) trainRequest {
	r := trainRequest{
		ID:          intField(msg, "id"),
		Session:     stringField(msg, "session"),
		Backend:     stringField(msg, "backend"),
		Preset:      stringField(msg, "preset"),
		Steps:       intField(msg, "steps"),
		Seed:        1,
		Base:        bytesOf(msg.Get("base")),
		ValFraction: -1,
	}
	if f := msg.Get("seed"); f.Type() == js.TypeNumber && f.Float() >= 0 {
		r.Seed = uint64(f.Float())
	}
	if f := msg.Get("valFraction"); f.Type() == js.TypeNumber {
		r.ValFraction = f.Float()
	}
	if imgs := msg.Get("images"); imgs.Type() == js.TypeObject && imgs.Get("length").Type() == js.TypeNumber {
		for i := range imgs.Get("length").Int() {
			im := imgs.Index(i)
			if im.Type() != js.TypeObject {
				r.Images = append(r.Images, namedBytes{})
				continue
			}
			r.Images = append(r.Images, namedBytes{Name: stringField(im, "name"), Bytes: bytesOf(im.Get("bytes"))})
		}
	}
	return r
}

// decodeContinue reads a continueRequest.
func decodeContinue(msg js.Value) continueRequest {
	return continueRequest{ID: intField(msg, "id"), Session: stringField(msg, "session"), Steps: intField(msg, "steps"), Backend: stringField(msg, "backend")}
}

// decodeSession reads a sessionRequest.
func decodeSession(msg js.Value) sessionRequest {
	return sessionRequest{ID: intField(msg, "id"), Session: stringField(msg, "session")}
}

func (c configInfo) js() map[string]any {
	return map[string]any{"size": c.Size, "wf": c.WF, "depth": c.Depth, "lambda": c.Lambda, "alpha": c.Alpha}
}

// floats is vs as a JavaScript array of numbers (NaN as null).
func floats(vs []float64) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = jsNumber(v)
	}
	return out
}

func (r estimateReply) js() map[string]any {
	return map[string]any{
		"v": ProtocolVersion, "type": TypeEstimate, "id": r.ID, "preset": r.Preset,
		"backend": r.Backend.js(), "secondsPerStep": r.SecondsPerStep, "imagesPerSecond": r.ImagesPerSecond,
		"memoryBytes": r.MemoryBytes, "batch": r.Batch, "defaultSteps": r.DefaultSteps, "config": r.Config.js(),
	}
}

func (r trainStartedReply) js() map[string]any {
	kept := make([]any, len(r.Kept))
	for i, k := range r.Kept {
		kept[i] = k
	}
	skipped := make([]any, len(r.Skipped))
	for i, s := range r.Skipped {
		skipped[i] = map[string]any{"name": s.Name, "code": s.Code, "message": s.Message}
	}
	return map[string]any{
		"v": ProtocolVersion, "type": TypeTrainStarted, "id": r.ID, "session": r.Session,
		"kept": kept, "skipped": skipped, "trainImages": r.TrainImages, "heldOut": r.HeldOut,
		"backend": r.Backend.js(), "config": r.Config.js(), "batch": r.Batch, "steps": r.Steps, "seed": float64(r.Seed),
	}
}

func (r trainProgressReply) js() map[string]any {
	return map[string]any{
		"v": ProtocolVersion, "type": TypeTrainProgress, "id": r.ID, "session": r.Session,
		"step": r.Step, "steps": r.Steps, "epoch": r.Epoch, "loss": jsNumber(r.Loss), "valLoss": jsNumber(r.ValLoss),
		"imagesPerSecond": r.ImagesPerSecond, "etaSeconds": r.ETASeconds, "elapsedSeconds": r.ElapsedSeconds, "phase": r.Phase,
	}
}

func (r trainedReply) js() map[string]any {
	var fellBack any
	if r.FellBack != "" {
		fellBack = r.FellBack
	}
	return map[string]any{
		"v": ProtocolVersion, "type": TypeTrained, "id": r.ID, "session": r.Session,
		"stopped": r.Stopped, "steps": r.Steps, "losses": floats(r.Losses), "valLosses": floats(r.ValLosses),
		"imagesPerSecond": r.ImagesPerSecond, "seconds": r.Seconds, "backend": r.Backend.js(), "config": r.Config.js(),
		"calibration": r.Calibration.js(), "calibrationNote": r.CalibrationNote, "heldOut": r.HeldOut, "fellBack": fellBack,
		"runSteps": r.RunSteps, "best": r.Best.js(),
	}
}

// js is b as the page sees it, null when b is nil.
func (b *bestInfo) js() any {
	if b == nil {
		return nil
	}
	return map[string]any{"step": b.Step, "epoch": b.Epoch, "valLoss": jsNumber(b.ValLoss), "midEpoch": b.MidEpoch,
		"startValLoss": jsNumber(b.StartValLoss), "trainedValLoss": jsNumber(b.TrainedValLoss)}
}

func (r trainDecodeReply) js() map[string]any {
	return map[string]any{
		"v": ProtocolVersion, "type": TypeTrainDecode, "id": r.ID, "session": r.Session,
		"decoded": r.Decoded, "total": r.Total, "name": r.Name, "skipped": r.Skipped,
	}
}

// decodeCheckImage reads a checkImageRequest.
func decodeCheckImage(msg js.Value) checkImageRequest {
	return checkImageRequest{
		ID:        intField(msg, "id"),
		Name:      stringField(msg, "name"),
		Bytes:     bytesOf(msg.Get("bytes")),
		MaxPixels: intField(msg, "maxPixels"),
	}
}

func (r imageCheckedReply) js() map[string]any {
	return map[string]any{
		"v": ProtocolVersion, "type": TypeImageChecked, "id": r.ID, "name": r.Name, "ok": r.OK,
		"code": r.Code, "message": r.Message, "width": r.Width, "height": r.Height, "format": r.Format,
	}
}

// js converts r, its weights into a transferred ArrayBuffer.
func (r exportedReply) js(transfer *[]any) map[string]any {
	u8 := js.Global().Get("Uint8Array").New(len(r.Weights))
	js.CopyBytesToJS(u8, r.Weights)
	buf := u8.Get("buffer")
	*transfer = append(*transfer, buf)
	return map[string]any{"v": ProtocolVersion, "type": TypeExported, "id": r.ID, "session": r.Session, "name": r.Name, "weights": buf}
}
