//go:build js && wasm

package main

// The messages between the page and the worker, mirroring site/protocol.js
// field for field (keep the two files in step; bump ProtocolVersion in both
// when a message changes). Requests come from the page through
// site/worker.js as plain objects; replies go back through postMessage.
// Float32 arrays travel as transferred Float32Array/Uint8ClampedArray
// buffers, not JSON.

// ProtocolVersion is site/protocol.js's PROTOCOL_VERSION. A request with
// another version is refused with an error reply.
const ProtocolVersion = 5

// Message types, the "type" field of every message.
const (
	TypeLoad     = "load"          // page → worker: loadRequest
	TypeDetect   = "detect"        // page → worker: detectRequest
	TypeLoseGPU  = "lose-gpu"      // page → worker: destroy the WebGPU device, as a driver reset would (for tests); answered by TypeDone
	TypePixels   = "detect-pixels" // page → worker: pixelsRequest (camera frames), answered by resultReply
	TypeDone     = "done"          // worker → page: {v, type, id}, a request without a result is done
	TypeLoaded   = "loaded"        // worker → page: loadedReply
	TypeResult   = "result"        // worker → page: resultReply
	TypeError    = "error"         // worker → page: errorReply
	TypeProgress = "progress"      // worker → page: progress of a fetch (sent by worker.js)
	TypeNotice   = "notice"        // worker → page: noticeReply, unrequested (device lost)

	// Training (since version 3).
	TypeTrainEstimate = "train-estimate" // page → worker: estimateRequest, answered by TypeEstimate
	TypeTrain         = "train"          // page → worker: trainRequest, answered by TypeTrainStarted, TypeTrainProgress…, TypeTrained
	TypeTrainStop     = "train-stop"     // page → worker: stop a session's run after its step; answered by TypeDone
	TypeTrainContinue = "train-continue" // page → worker: continueRequest, answered as TypeTrain
	TypeExport        = "export"         // page → worker: {id, session}, answered by TypeExported
	TypeEstimate      = "estimate"       // worker → page: estimateReply
	TypeTrainStarted  = "train-started"  // worker → page: trainStartedReply
	TypeTrainProgress = "train-progress" // worker → page: trainProgressReply, after every step
	TypeTrained       = "trained"        // worker → page: trainedReply
	TypeExported      = "exported"       // worker → page: exportedReply

	// Since version 4.
	TypeTrainDecode  = "train-decode"  // worker → page: trainDecodeReply, after each image of a train request is decoded
	TypeCheckImage   = "check-image"   // page → worker: checkImageRequest, answered by TypeImageChecked
	TypeImageChecked = "image-checked" // worker → page: imageCheckedReply
)

// Error codes of errorReply.Code.
const (
	CodeNotImage = "not-image"   // the file is not an image in a format the decoder knows, or corrupt
	CodeTooLarge = "too-large"   // the image has more pixels than maxPixels
	CodeModel    = "model"       // the weights could not be fetched, read or loaded
	CodeVersion  = "version"     // the request's protocol version is not ProtocolVersion
	CodeBadInput = "bad-request" // a malformed request (unknown type, missing field, unknown session)
	CodeTooFew   = "too-few"     // a train request has fewer usable images than trainMinImages
	CodeInternal = "internal"    // anything else (a device error, a panic)
)

// Backend preferences of loadRequest.Backend.
const (
	PrefAuto   = "auto"   // WebGPU on a hardware adapter, else the CPU backend
	PrefWebGPU = "webgpu" // WebGPU on whatever adapter there is (software ones included), else the CPU
	PrefCPU    = "cpu"    // the CPU backend
)

// loadRequest asks the worker to make a model ready on a backend:
// {v, type: "load", id, session, model, backend, weights}. The page sends
// the weights' url; worker.js fetches it (reporting progress) and passes
// the bytes on as weights, an ArrayBuffer. session names the loaded model
// in later detect requests.
type loadRequest struct {
	ID      int
	Session string
	Model   string
	Backend string
	Weights []byte
}

// loadedReply answers loadRequest:
// {v, type: "loaded", id, session, model, backend: backendInfo, config:
// {size, wf, depth, lambda, alpha}, calibration: calibrationInfo | null,
// ms: {parse, open, upload}}.
type loadedReply struct {
	ID          int
	Session     string
	Model       string
	Backend     backendInfo
	Size, WF    int
	Depth       int
	Lambda      float64
	Alpha       float64
	Calibration *calibrationInfo
	ParseMS     float64
	OpenMS      float64
	UploadMS    float64
}

// backendInfo says where a model runs: {kind: "webgpu" | "cpu", name,
// adapter, fallbackAdapter, reason}. name is what the page shows ("CPU" or
// the adapter's name); adapter is the WebGPU adapter seen, if any, even when
// the CPU backend was chosen; reason says why the CPU backend was chosen.
type backendInfo struct {
	Kind            string
	Name            string
	Adapter         string
	FallbackAdapter bool
	Reason          string
	SIMD            bool // on the CPU: its convolutions run the WebAssembly SIMD kernel (internal/cpu/gemm_wasm.go)
}

// calibrationInfo is the weights' calibration (model.Calibration):
// {threshold, scoreMin, scoreMax, rule}, on the calibrated score's scale.
type calibrationInfo struct {
	Threshold float64
	ScoreMin  float64
	ScoreMax  float64
	Rule      string
}

// detectRequest runs a loaded model on one image file's bytes:
// {v, type: "detect", id, session, image: ArrayBuffer, maxPixels}.
type detectRequest struct {
	ID        int
	Session   string
	Image     []byte
	MaxPixels int
}

// pixelsRequest runs a loaded model on raw pixels, a camera frame as the
// page's canvas gives them: {v, type: "detect-pixels", id, session, width,
// height, pixels: Uint8ClampedArray (width·height·4 RGBA, row-major, not
// premultiplied, as ImageData.data)}. The pixels become an image.NRGBA,
// what Go's PNG decoder gives for an 8-bit RGBA PNG of the same pixels, so
// the map equals that of such a file dropped on the page.
type pixelsRequest struct {
	ID            int
	Session       string
	Width, Height int
	Pixels        []byte
}

// resultReply answers detectRequest and pixelsRequest (format "rgba"):
// {v, type: "result", id, session, score, calibrated, normalizedScore,
// threshold, anomalous, size, width, height, format, map: Float32Array
// (S·S, row-major; raw, as detect's NAME_map.npy), normalizedMap:
// Float32Array | null (the calibrated map, threshold at 0.5), input,
// recon: Uint8ClampedArray (S·S·4 RGBA: the resized input the network saw
// and its reconstruction), backend: backendInfo, fellBack, ms: {decode,
// upload, forward, map, readback, total}}. normalizedScore, threshold and
// anomalous are null when the model is uncalibrated. fellBack is a message
// when the GPU failed during this request and it ran on the CPU instead.
type resultReply struct {
	ID              int
	Session         string
	Score           float32
	Calibrated      bool
	NormalizedScore float64
	Threshold       float64
	Anomalous       bool
	Size            int
	Width, Height   int
	Format          string
	Map             []float32
	NormalizedMap   []float32
	Input, Recon    []uint8
	Backend         backendInfo
	FellBack        string
	Timings         timings
}

// timings are a detection's stages in milliseconds of wall time in the
// worker. On WebGPU, ops are recorded and run when a result is read back:
// forward ends with the reconstruction on the host (its readback
// included), map with the anomaly map on the host; readback is the part of
// both spent in Download.
type timings struct {
	Decode, Upload, Forward, Map, Readback, Total float64
}

// errorReply reports a failed request: {v, type: "error", id, code,
// message}.
type errorReply struct {
	ID      int
	Code    string
	Message string
}

// noticeReply tells the page something it did not ask about:
// {v, type: "notice", kind: "device-lost", message}.
type noticeReply struct {
	Kind    string
	Message string
}

// The fewest and most images of a trainRequest (site/protocol.js's
// TRAIN_MIN_IMAGES and TRAIN_MAX_IMAGES; train.MinTrainImages and
// train.MaxTrainImages).
const (
	trainMinImages = 4
	trainMaxImages = 200
)

// estimateRequest times one training step of a preset: {v, type:
// "train-estimate", id, preset, backend}.
type estimateRequest struct {
	ID      int
	Preset  string
	Backend string
}

// estimateReply answers estimateRequest: {v, type: "estimate", id, preset,
// backend: backendInfo, secondsPerStep, imagesPerSecond, memoryBytes, batch,
// defaultSteps, config: {size, wf, depth, lambda, alpha}}. memoryBytes is
// the measured high-water mark of the backend's live tensor bytes during
// the steps, beyond what it held before (parameters, AdamW moments,
// activations and gradients).
type estimateReply struct {
	ID              int
	Preset          string
	Backend         backendInfo
	SecondsPerStep  float64
	ImagesPerSecond float64
	MemoryBytes     int64
	Batch           int
	DefaultSteps    int
	Config          configInfo
}

// configInfo is a network's configuration: {size, wf, depth, lambda, alpha}.
type configInfo struct {
	Size, WF, Depth int
	Lambda, Alpha   float64
}

// namedBytes is one image of a trainRequest: {name, bytes: ArrayBuffer}.
type namedBytes struct {
	Name  string
	Bytes []byte
}

// trainRequest trains a model on normal images: {v, type: "train", id,
// session, backend, preset, steps, seed, images: [{name, bytes}], base?:
// ArrayBuffer, valFraction?}. ValFraction is −1 when not given (then 0.2);
// Steps 0 takes the preset's.
type trainRequest struct {
	ID          int
	Session     string
	Backend     string
	Preset      string
	Steps       int
	Seed        uint64
	Images      []namedBytes
	Base        []byte
	ValFraction float64
}

// continueRequest continues a session's run: {v, type: "train-continue",
// id, session, steps, backend?}.
type continueRequest struct {
	ID      int
	Session string
	Steps   int
	Backend string
}

// sessionRequest is a request naming only a session: train-stop and export,
// {v, type, id, session}.
type sessionRequest struct {
	ID      int
	Session string
}

// skippedImage is a file of a trainRequest that was left out: {name, code,
// message}.
type skippedImage struct {
	Name, Code, Message string
}

// trainStartedReply: {v, type: "train-started", id, session, kept: [names],
// skipped: [skippedImage], trainImages, heldOut, backend, config, batch,
// steps, seed}.
type trainStartedReply struct {
	ID          int
	Session     string
	Kept        []string
	Skipped     []skippedImage
	TrainImages int
	HeldOut     int
	Backend     backendInfo
	Config      configInfo
	Batch       int
	Steps       int
	Seed        uint64
}

// trainProgressReply: {v, type: "train-progress", id, session, step, steps,
// epoch, loss, valLoss (null before the first epoch ends), imagesPerSecond,
// etaSeconds, elapsedSeconds, phase: "train" | "calibrate"}.
type trainProgressReply struct {
	ID              int
	Session         string
	Step, Steps     int
	Epoch           int
	Loss            float64
	ValLoss         float64 // NaN: none yet
	ImagesPerSecond float64
	ETASeconds      float64
	ElapsedSeconds  float64
	Phase           string
}

// trainedReply answers trainRequest and continueRequest: {v, type:
// "trained", id, session, stopped, steps, losses: [per step], valLosses:
// [per epoch], imagesPerSecond, seconds, backend, config, calibration:
// calibrationInfo | null, calibrationNote, heldOut, fellBack}.
type trainedReply struct {
	ID              int
	Session         string
	Stopped         bool
	Steps           int
	Losses          []float64
	ValLosses       []float64
	ImagesPerSecond float64
	Seconds         float64
	Backend         backendInfo
	Config          configInfo
	Calibration     *calibrationInfo
	CalibrationNote string
	HeldOut         int
	FellBack        string
	RunSteps        int       // steps of the whole run (all its requests) so far (since version 4)
	Best            *bestInfo // the kept weights (since version 4); nil only if nothing was validated
}

// bestInfo is the step whose weights a trained session detects with and
// exports: the lowest held-out loss of the run (train.Best): {step (of the
// whole run, 1-based; 0: the weights a run from a given model started
// with), epoch (epochs finished then), valLoss, midEpoch, startValLoss
// (since version 5: the starting model's held-out loss, null from
// scratch), trainedValLoss (since version 5: the lowest held-out loss of a
// trained step, null before one)}.
type bestInfo struct {
	Step, Epoch    int
	ValLoss        float64
	MidEpoch       bool
	StartValLoss   float64 // NaN: the run started from scratch
	TrainedValLoss float64 // NaN: no trained step validated
}

// trainDecodeReply (since version 4): {v, type: "train-decode", id,
// session, decoded, total, name, skipped}: a train request's image number
// decoded (1-based) of total is read (or skipped: named in train-started).
type trainDecodeReply struct {
	ID             int
	Session        string
	Decoded, Total int
	Name           string
	Skipped        bool
}

// checkImageRequest (since version 4): {v, type: "check-image", id, name,
// bytes: ArrayBuffer, maxPixels?}: decode an image file as a train or
// detect request would, to refuse it when it is added.
type checkImageRequest struct {
	ID        int
	Name      string
	Bytes     []byte
	MaxPixels int
}

// imageCheckedReply (since version 4) answers checkImageRequest: {v, type:
// "image-checked", id, name, ok, code ("" or the error code a train request
// would skip it with), message, width, height, format}.
type imageCheckedReply struct {
	ID            int
	Name          string
	OK            bool
	Code, Message string
	Width, Height int
	Format        string
}

// exportedReply answers an export request: {v, type: "exported", id,
// session, name, weights: ArrayBuffer (transferred)}.
type exportedReply struct {
	ID      int
	Session string
	Name    string
	Weights []byte
}
