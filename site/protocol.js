// The messages between the demo page (client.js) and its Web Worker
// (worker.js, running n2n.wasm built from wasm/demo). One file, typed with
// JSDoc and versioned: wasm/demo/protocol.go mirrors it field for field.
// Change a message: change both files and bump PROTOCOL_VERSION in both.
// Every message carries {v: PROTOCOL_VERSION, type}; requests carry an id
// that the reply repeats.

/** The protocol version; wasm/demo's ProtocolVersion. */
export const PROTOCOL_VERSION = 2;

/** Message types. */
export const MSG = Object.freeze({
  // page → worker
  LOAD: "load",
  DETECT: "detect",
  DETECT_PIXELS: "detect-pixels", // raw RGBA pixels: camera frames (since version 2)
  LOSE_GPU: "lose-gpu", // destroy the WebGPU device, as a driver reset would (a test hook)
  // worker → page
  READY: "ready",
  PROGRESS: "progress",
  LOADED: "loaded",
  RESULT: "result",
  ERROR: "error",
  NOTICE: "notice",
  DONE: "done", // a request without a result is done: {v, type, id}
});

/** Error codes of an ErrorReply. */
export const ERR = Object.freeze({
  NOT_IMAGE: "not-image", // not an image in a known format, or corrupt
  TOO_LARGE: "too-large", // more pixels than maxPixels
  MODEL: "model", // weights could not be fetched, read or loaded
  WASM: "wasm", // n2n.wasm could not be fetched or started
  VERSION: "version", // protocol version mismatch
  BAD_REQUEST: "bad-request",
  INTERNAL: "internal",
});

/** Backend preferences. */
export const BACKENDS = Object.freeze(["auto", "webgpu", "cpu"]);

/**
 * @typedef {"auto"|"webgpu"|"cpu"} BackendPref
 *   auto: WebGPU on a hardware adapter, else the CPU backend;
 *   webgpu: WebGPU on any adapter (software ones too), else the CPU;
 *   cpu: the CPU backend (Go compiled to WebAssembly).
 */

/**
 * Page → worker: fetch a model (the worker reports progress) and make it
 * ready on a backend under the name `session`. worker.js fetches `url` and
 * hands the Go side the bytes as `weights` (an ArrayBuffer) instead.
 * @typedef {object} LoadRequest
 * @property {number} v
 * @property {"load"} type
 * @property {number} id
 * @property {string} session  the name detect requests use
 * @property {string} model    the model's id (site/models.json)
 * @property {string} url      absolute URL of its safetensors file
 * @property {BackendPref} backend
 */

/**
 * Page → worker: run a session's model on one image file.
 * @typedef {object} DetectRequest
 * @property {number} v
 * @property {"detect"} type
 * @property {number} id
 * @property {string} session
 * @property {ArrayBuffer} image  the file's bytes (transferred); decoded in Go, as cmd/detect decodes
 * @property {number} [maxPixels] refuse larger images (default 16 000 000)
 */

/**
 * Page → worker: run a session's model on raw pixels (a camera frame, as a
 * canvas's getImageData gives them). The worker builds the image Go's PNG
 * decoder would give for an 8-bit RGBA PNG of these pixels, so the map is
 * that of such a file dropped on the page. Answered by a ResultReply with
 * format "rgba".
 * @typedef {object} DetectPixelsRequest
 * @property {number} v
 * @property {"detect-pixels"} type
 * @property {number} id
 * @property {string} session
 * @property {number} width
 * @property {number} height
 * @property {Uint8ClampedArray} pixels  width·height·4 RGBA, row-major, not premultiplied (ImageData.data; its buffer transferred)
 */

/**
 * Worker → page: n2n.wasm is running.
 * @typedef {object} ReadyReply
 * @property {number} v
 * @property {"ready"} type
 * @property {number} ms  time from the worker's start
 */

/**
 * Worker → page: bytes of a download so far.
 * @typedef {object} ProgressReply
 * @property {number} v
 * @property {"progress"} type
 * @property {number} id      the load request's id; 0 for n2n.wasm
 * @property {"wasm"|"model"} what
 * @property {number} loaded  bytes received
 * @property {number} total   bytes expected, 0 when unknown
 */

/**
 * Where a model runs.
 * @typedef {object} BackendInfo
 * @property {"webgpu"|"cpu"} kind
 * @property {string} name      what to show: the adapter's name or "CPU"
 * @property {string} adapter   the WebGPU adapter seen, "" if none (even on the CPU)
 * @property {boolean} fallbackAdapter  the adapter is a software rasteriser
 * @property {string} reason    why the CPU backend runs, "" on WebGPU
 * @property {boolean} simd     on the CPU: its convolutions run the WebAssembly SIMD kernel
 *   (it needs the engine's SIMD and globalThis.wasm, which worker.js sets)
 */

/**
 * A model's score calibration (from its weights).
 * @typedef {object} CalibrationInfo
 * @property {number} threshold  on the calibrated score (the maximum of the calibrated map:
 *   the raw map standardised per pixel when the weights have calib.map_mean/map_std, else the
 *   raw map); normalised to 0.5
 * @property {number} scoreMin
 * @property {number} scoreMax
 * @property {string} rule       how the threshold was chosen
 */

/**
 * Worker → page: the model is ready.
 * @typedef {object} LoadedReply
 * @property {number} v
 * @property {"loaded"} type
 * @property {number} id
 * @property {string} session
 * @property {string} model
 * @property {BackendInfo} backend
 * @property {{size:number, wf:number, depth:number, lambda:number, alpha:number}} config
 * @property {CalibrationInfo|null} calibration  null: uncalibrated
 * @property {{fetch?:number, parse:number, open:number, upload:number}} ms
 */

/**
 * Worker → page: a detection (of a DetectRequest or a DetectPixelsRequest).
 * @typedef {object} ResultReply
 * @property {number} v
 * @property {"result"} type
 * @property {number} id
 * @property {string} session
 * @property {number} score      the raw score: the map's maximum, what cmd/detect prints
 * @property {boolean} calibrated
 * @property {number|null} normalizedScore  threshold at 0.5; null uncalibrated
 * @property {number|null} threshold        the calibrated-score threshold; null uncalibrated
 * @property {boolean|null} anomalous       calibrated score ≥ threshold; null uncalibrated
 * @property {number} size       S: the map is S×S
 * @property {number} width      the image's own size
 * @property {number} height
 * @property {string} format     "png", "jpeg", …; "rgba" for a DetectPixelsRequest
 * @property {Float32Array} map  S·S, row-major: detect's NAME_map.npy
 * @property {Float32Array|null} normalizedMap  per pixel, threshold at 0.5; null uncalibrated
 * @property {Uint8ClampedArray} input  S·S·4 RGBA: the resized image the network saw
 * @property {Uint8ClampedArray} recon  S·S·4 RGBA: its reconstruction
 * @property {BackendInfo} backend
 * @property {string|null} fellBack  set when WebGPU failed during this request and the CPU took over
 * @property {{decode:number, upload:number, forward:number, map:number, readback:number, total:number}} ms
 *   worker wall time per stage; on WebGPU forward and map include waiting for the GPU,
 *   readback is the part of both spent copying results back
 */

/**
 * Worker → page: a request failed.
 * @typedef {object} ErrorReply
 * @property {number} v
 * @property {"error"} type
 * @property {number} id   0 when no request is to blame (n2n.wasm failed)
 * @property {string} code one of ERR
 * @property {string} message  a sentence for the visitor
 */

/**
 * Worker → page, unrequested.
 * @typedef {object} NoticeReply
 * @property {number} v
 * @property {"notice"} type
 * @property {"device-lost"} kind
 * @property {string} message
 */

/**
 * Page → worker: destroy the WebGPU device, as a driver reset would, so that
 * a test can check the fallback to the CPU. Answered by {v, type: "done", id}.
 * @typedef {object} LoseGPURequest
 * @property {number} v
 * @property {"lose-gpu"} type
 * @property {number} id
 */

/** @typedef {LoadRequest|DetectRequest|DetectPixelsRequest|LoseGPURequest} Request */
/** @typedef {ReadyReply|ProgressReply|LoadedReply|ResultReply|ErrorReply|NoticeReply} Reply */
