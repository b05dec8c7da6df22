// The messages between the demo page (client.js) and its Web Worker
// (worker.js, running n2n.wasm built from wasm/demo). One file, typed with
// JSDoc and versioned: wasm/demo/protocol.go mirrors it field for field.
// Change a message: change both files and bump PROTOCOL_VERSION in both.
// Every message carries {v: PROTOCOL_VERSION, type}; requests carry an id
// that the reply repeats.

/** The protocol version; wasm/demo's ProtocolVersion. */
export const PROTOCOL_VERSION = 5;

/** Message types. */
export const MSG = Object.freeze({
  // page → worker
  LOAD: "load",
  DETECT: "detect",
  DETECT_PIXELS: "detect-pixels", // raw RGBA pixels: camera frames (since version 2)
  LOSE_GPU: "lose-gpu", // destroy the WebGPU device, as a driver reset would (a test hook)
  TRAIN_ESTIMATE: "train-estimate", // time one training step of a preset (since version 3)
  TRAIN: "train", // train a model on the page's normal images (since version 3)
  TRAIN_STOP: "train-stop", // stop a session's training after its current step (since version 3)
  TRAIN_CONTINUE: "train-continue", // train a session's last run for more steps (since version 3)
  EXPORT: "export", // a session's model as one safetensors file (since version 3)
  CHECK_IMAGE: "check-image", // can a train request read this file? (since version 4)
  // worker → page
  READY: "ready",
  PROGRESS: "progress",
  LOADED: "loaded",
  RESULT: "result",
  ERROR: "error",
  NOTICE: "notice",
  DONE: "done", // a request without a result is done: {v, type, id}
  ESTIMATE: "estimate", // answers train-estimate
  TRAIN_STARTED: "train-started", // a train/train-continue request's images are decoded and split
  TRAIN_PROGRESS: "train-progress", // after every training step
  TRAINED: "trained", // answers train/train-continue: the session now detects with the trained model
  EXPORTED: "exported", // answers export
  TRAIN_DECODE: "train-decode", // a train request's image is decoded, before train-started (since version 4)
  IMAGE_CHECKED: "image-checked", // answers check-image (since version 4)
});

/** Error codes of an ErrorReply. */
export const ERR = Object.freeze({
  NOT_IMAGE: "not-image", // not an image in a known format, or corrupt
  TOO_LARGE: "too-large", // more pixels than maxPixels
  MODEL: "model", // weights could not be fetched, read or loaded
  WASM: "wasm", // n2n.wasm could not be fetched or started
  VERSION: "version", // protocol version mismatch
  BAD_REQUEST: "bad-request",
  TOO_FEW: "too-few", // a train request has fewer usable images than the minimum (since version 3)
  INTERNAL: "internal",
});

/** Training presets (internal/train's Presets; the worker's train-estimate measures them). */
export const PRESETS = Object.freeze(["small", "large"]);

/** The fewest and most images a train request may carry. */
export const TRAIN_MIN_IMAGES = 4;
export const TRAIN_MAX_IMAGES = 200;

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
 * @property {string} [url]    absolute URL of its safetensors file
 * @property {ArrayBuffer} [weights]  instead of url (since version 3): the safetensors bytes the
 *   page holds (IndexedDB, an uploaded file), transferred; worker.js passes them on unfetched
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

/**
 * A network configuration (the spec's config).
 * @typedef {{size:number, wf:number, depth:number, lambda:number, alpha:number}} ModelConfig
 */

/** @typedef {"small"|"large"} Preset */

/**
 * Page → worker (since version 3): one timed training step of a preset, on
 * random weights and random images of the preset's shape. Answered by an
 * EstimateReply.
 * @typedef {object} TrainEstimateRequest
 * @property {number} v
 * @property {"train-estimate"} type
 * @property {number} id
 * @property {Preset} preset
 * @property {BackendPref} backend
 */

/**
 * Worker → page: the answer to a TrainEstimateRequest.
 * @typedef {object} EstimateReply
 * @property {number} v
 * @property {"estimate"} type
 * @property {number} id
 * @property {Preset} preset
 * @property {BackendInfo} backend
 * @property {number} secondsPerStep   wall time of one optimiser step (the first, warm-up step excluded)
 * @property {number} imagesPerSecond  batch / secondsPerStep
 * @property {number} memoryBytes      measured peak bytes the backend held during that step
 * @property {number} batch
 * @property {number} defaultSteps     the preset's suggested number of steps
 * @property {ModelConfig} config
 */

/**
 * One image of a TrainRequest.
 * @typedef {{name: string, bytes: ArrayBuffer}} TrainImage
 */

/**
 * Page → worker (since version 3): train a model on normal images and make
 * `session` a detection session with it (as after a load). The images are
 * decoded as detect decodes them; files that are not images are named in
 * train-started.skipped and left out. valFraction of them (at least one) are
 * held out, chosen with the seed as cmd/train does, for the validation loss
 * and the calibration (threshold: the largest held-out score). Replies:
 * TrainDecodeReply after each image is decoded (since version 4),
 * TrainStartedReply, TrainProgressReply after every step, then TrainedReply
 * (or an ErrorReply: code "too-few" when fewer than TRAIN_MIN_IMAGES remain).
 * The session then detects with, and exports, the run's best weights (the
 * lowest held-out loss, TrainedReply.best), not necessarily the last step's.
 * @typedef {object} TrainRequest
 * @property {number} v
 * @property {"train"} type
 * @property {number} id
 * @property {string} session
 * @property {BackendPref} backend
 * @property {Preset} preset
 * @property {number} steps  optimiser steps (default: the preset's)
 * @property {number} seed   of the split, shuffles, initial weights and noise (default 1)
 * @property {TrainImage[]} images  TRAIN_MIN_IMAGES..TRAIN_MAX_IMAGES files (buffers transferred)
 * @property {ArrayBuffer} [base]  safetensors of a model of the preset's shape to start from (fine-tuning)
 * @property {number} [valFraction]  the held-out share, default 0.2
 */

/**
 * Page → worker (since version 3): continue the session's last run (same
 * optimiser state, shuffles and noise, as cmd/train -resume) for `steps`
 * more. Replies as a TrainRequest's.
 * @typedef {object} TrainContinueRequest
 * @property {number} v
 * @property {"train-continue"} type
 * @property {number} id
 * @property {string} session
 * @property {number} steps
 * @property {BackendPref} [backend]  default: the run's backend
 */

/**
 * Page → worker (since version 3): stop the session's run after its current
 * step; the run calibrates what it has and answers its train request with a
 * TrainedReply {stopped: true}. This request is answered by {type: "done"}.
 * @typedef {object} TrainStopRequest
 * @property {number} v
 * @property {"train-stop"} type
 * @property {number} id
 * @property {string} session
 */

/**
 * Worker → page (since version 4): one image of a train request is decoded
 * (or found unreadable: it is then named in train-started.skipped). Sent for
 * every image, in the request's order, before TrainStartedReply.
 * @typedef {object} TrainDecodeReply
 * @property {number} v
 * @property {"train-decode"} type
 * @property {number} id       the train request's
 * @property {string} session
 * @property {number} decoded  images read so far, this one included (1..total)
 * @property {number} total    images in the request
 * @property {string} name     this image's name
 * @property {boolean} skipped it could not be read
 */

/**
 * Page → worker (since version 4): decode one image file as a train (or
 * detect) request would, so that the page can refuse a file it cannot
 * train on when it is added. Answered by ImageCheckedReply.
 * @typedef {object} CheckImageRequest
 * @property {number} v
 * @property {"check-image"} type
 * @property {number} id
 * @property {string} name
 * @property {ArrayBuffer} bytes   the file's bytes (transferred)
 * @property {number} [maxPixels]  default 16 000 000, as a train request's
 */

/**
 * Worker → page (since version 4): the answer to a CheckImageRequest.
 * @typedef {object} ImageCheckedReply
 * @property {number} v
 * @property {"image-checked"} type
 * @property {number} id
 * @property {string} name
 * @property {boolean} ok        a train request would use it
 * @property {string} code       "" or the ERR code it would be skipped with (not-image, too-large)
 * @property {string} message    "" or why it cannot be read
 * @property {number} width      0 when not ok
 * @property {number} height
 * @property {string} format     "png", "jpeg", …; "" when not ok
 */

/**
 * A file of a TrainRequest that was left out.
 * @typedef {{name: string, code: string, message: string}} SkippedImage
 */

/**
 * Worker → page: a train (or train-continue) request's images are decoded
 * and split, and training starts.
 * @typedef {object} TrainStartedReply
 * @property {number} v
 * @property {"train-started"} type
 * @property {number} id
 * @property {string} session
 * @property {string[]} kept          names of the images used (training and held out)
 * @property {SkippedImage[]} skipped files that are not usable images, with why
 * @property {number} trainImages
 * @property {number} heldOut
 * @property {BackendInfo} backend
 * @property {ModelConfig} config
 * @property {number} batch
 * @property {number} steps   steps this request runs
 * @property {number} seed
 */

/**
 * Worker → page: one training step is done (or calibration runs).
 * @typedef {object} TrainProgressReply
 * @property {number} v
 * @property {"train-progress"} type
 * @property {number} id
 * @property {string} session
 * @property {number} step     steps done in this request
 * @property {number} steps    steps this request runs
 * @property {number} epoch    epochs done in the run (an epoch: one pass over the training images)
 * @property {number} loss     this step's training loss
 * @property {number|null} valLoss  the last finished epoch's validation loss, null before one
 * @property {number} imagesPerSecond  training images per second so far in this request
 * @property {number} etaSeconds
 * @property {number} elapsedSeconds
 * @property {"train"|"calibrate"} phase
 */

/**
 * Worker → page: the answer to a train or train-continue request. The
 * session now detects with the trained model.
 * @typedef {object} TrainedReply
 * @property {number} v
 * @property {"trained"} type
 * @property {number} id
 * @property {string} session
 * @property {boolean} stopped  a train-stop ended it early
 * @property {number} steps     steps done in this request
 * @property {number[]} losses  per-step training losses of this request
 * @property {number[]} valLosses  per finished epoch of this request
 * @property {number} imagesPerSecond  training steps only
 * @property {number} seconds   wall time of this request
 * @property {BackendInfo} backend
 * @property {ModelConfig} config
 * @property {CalibrationInfo|null} calibration
 * @property {string} calibrationNote  "" or an honest note (too few held-out images)
 * @property {number} heldOut
 * @property {string|null} fellBack  set when WebGPU failed during training and the CPU took over
 * @property {number} runSteps  steps of the whole run so far, all its requests (since version 4)
 * @property {BestStep|null} best  the step whose weights the session now detects with and exports
 *   (since version 4; null only when nothing could be validated)
 */

/**
 * The kept step of a run (since version 4): the lowest held-out loss, by native train's rule for
 * best.safetensors (the loss after every epoch; on ties the earlier), with one addition: a request
 * that ends in the middle of an epoch (stopped, or a step count that is not a whole number of
 * epochs) has its last step validated too. A run continued later goes on from its last step, not
 * from this one; the export's checkpoint part is the run as it stood at this step. A run that starts
 * from a given model (a shipped, uploaded or saved one) has its starting weights validated before its
 * first step (since version 5): they are step 0, kept until a trained step has a lower held-out loss;
 * step 0's export is the run before its first step (train -resume-from starts it afresh from them).
 * @typedef {object} BestStep
 * @property {number} step      1-based step of the whole run (0: the starting weights)
 * @property {number} epoch     epochs finished then
 * @property {number} valLoss   its held-out loss
 * @property {boolean} midEpoch validated in the middle of an epoch (the end of a request)
 * @property {number|null} startValLoss   the starting model's held-out loss (since version 5; null from scratch)
 * @property {number|null} trainedValLoss the lowest held-out loss of a trained step (since version 5; null before one)
 */

/**
 * Page → worker (since version 3): a session's model as one safetensors file.
 * @typedef {object} ExportRequest
 * @property {number} v
 * @property {"export"} type
 * @property {number} id
 * @property {string} session
 */

/**
 * Worker → page: the answer to an ExportRequest. weights holds the spec's
 * weights, the calibration (calib.* tensors and metadata) when calibrated,
 * and, for a model trained in the page, the checkpoint (adam.m.*, adam.v.*,
 * state.*, flag.*, data.fingerprint) cmd/train -resume-from continues. For a
 * model trained in the page (since version 4) all of it is of the run's best
 * step (TrainedReply.best): its weights and calibration, and the run as it
 * stood then.
 * @typedef {object} ExportedReply
 * @property {number} v
 * @property {"exported"} type
 * @property {number} id
 * @property {string} session
 * @property {string} name   suggested file name, e.g. "trained-wf8-s64.safetensors"
 * @property {ArrayBuffer} weights
 */

/** @typedef {LoadRequest|DetectRequest|DetectPixelsRequest|LoseGPURequest|TrainEstimateRequest|TrainRequest|TrainContinueRequest|TrainStopRequest|ExportRequest|CheckImageRequest} Request */
/** @typedef {ReadyReply|ProgressReply|LoadedReply|ResultReply|ErrorReply|NoticeReply|EstimateReply|TrainStartedReply|TrainProgressReply|TrainedReply|ExportedReply|TrainDecodeReply|ImageCheckedReply} Reply */
