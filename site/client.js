// The page side of the demo's worker: one Worker per base URL, shared by
// every <noise2norm-demo> element on a page; requests are matched to
// replies by id. Messages are protocol.js's.
import { PROTOCOL_VERSION, MSG, ERR } from "./protocol.js";

/** An error reply as an Error, with its code. */
export class EngineError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** What the browser lacks to run the demo, or "" when nothing. */
export function missingFeature() {
  if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
    return "This browser cannot run WebAssembly, which the detector is written in. Try a current Firefox, Chrome, Edge or Safari.";
  }
  if (typeof Worker !== "function") {
    return "This browser has no Web Workers, which keep the page responsive while the detector runs. Try a current Firefox, Chrome, Edge or Safari.";
  }
  return "";
}

/** The worker and its requests in flight. */
export class Engine {
  /** @param {URL} base the folder holding worker.js, n2n.wasm, models.json */
  constructor(base) {
    this.base = base;
    this.nextId = 1;
    /** @type {Map<number, {resolve: Function, reject: Function, onProgress?: Function}>} */
    this.pending = new Map();
    /** @type {Set<(msg: object) => void>} listeners of ready/progress(wasm)/notice/error(0) */
    this.listeners = new Set();
    this.wasmProgress = { loaded: 0, total: 0 };
    this.readyError = null;
    this.isReady = false;
    this.started = performance.now();
    this.worker = new Worker(new URL("worker.js", base), { type: "module" });
    this.worker.onmessage = (ev) => this.receive(ev.data);
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      this.fail(new EngineError(ERR.WASM, `the detector's worker failed to start${ev.message ? ": " + ev.message : ""}`));
    };
    this.ready = new Promise((resolve, reject) => { this.resolveReady = resolve; this.rejectReady = reject; });
    this.ready.catch(() => {}); // reported through listeners too
  }

  /** @param {Error} err fail every request in flight and later ones */
  fail(err) {
    this.readyError = err;
    this.rejectReady(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.emit({ type: MSG.ERROR, id: 0, code: err.code || ERR.WASM, message: err.message });
  }

  /** @param {object} msg */
  emit(msg) {
    for (const l of this.listeners) l(msg);
  }

  /** @param {object} msg a Reply of protocol.js */
  receive(msg) {
    if (!msg || msg.v !== PROTOCOL_VERSION) {
      this.fail(new EngineError(ERR.VERSION, "the detector's worker speaks another protocol version; reload the page"));
      return;
    }
    switch (msg.type) {
      case MSG.READY:
        this.isReady = true;
        this.readyMs = performance.now() - this.started;
        this.resolveReady();
        this.emit(msg);
        return;
      case MSG.PROGRESS:
        if (msg.id === 0) {
          this.wasmProgress = msg;
          this.emit(msg);
        } else {
          const p = this.pending.get(msg.id);
          if (p && p.onProgress) p.onProgress(msg);
        }
        return;
      case MSG.NOTICE:
        this.emit(msg);
        return;
      case MSG.TRAIN_DECODE:
      case MSG.TRAIN_STARTED:
      case MSG.TRAIN_PROGRESS: {
        const p = this.pending.get(msg.id);
        if (p && p.onProgress) p.onProgress(msg);
        return;
      }
      case MSG.ERROR:
        if (msg.id === 0) {
          this.fail(new EngineError(msg.code, msg.message));
          return;
        }
        break;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.type === MSG.ERROR) p.reject(new EngineError(msg.code, msg.message));
    else p.resolve(msg);
  }

  /**
   * request sends a request and resolves with its reply.
   * @param {object} msg without v and id
   * @param {Transferable[]} [transfer]
   * @param {(p: object) => void} [onProgress]
   */
  request(msg, transfer, onProgress) {
    if (this.readyError) return Promise.reject(this.readyError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ v: PROTOCOL_VERSION, id, ...msg }, transfer || []);
    });
  }

  /**
   * load makes model ready under session on backend pref.
   * @param {string} session @param {{id: string, file: string}} model @param {string} backend
   * @param {(p: object) => void} [onProgress]
   * @returns {Promise<import("./protocol.js").LoadedReply>}
   */
  load(session, model, backend, onProgress) {
    const url = new URL(model.file, this.base).href;
    return this.request({ type: MSG.LOAD, session, model: model.id, url, backend }, [], onProgress);
  }

  /**
   * detect runs session's model on a file or blob.
   * @param {string} session @param {Blob} blob @param {number} [maxPixels]
   * @returns {Promise<import("./protocol.js").ResultReply>}
   */
  async detect(session, blob, maxPixels) {
    const image = await blob.arrayBuffer();
    return this.request({ type: MSG.DETECT, session, image, maxPixels }, [image]);
  }

  /**
   * detectPixels runs session's model on RGBA pixels (a camera frame); the
   * ImageData's buffer is transferred to the worker.
   * @param {string} session @param {ImageData} frame
   * @returns {Promise<import("./protocol.js").ResultReply>}
   */
  detectPixels(session, frame) {
    const pixels = frame.data;
    return this.request({ type: MSG.DETECT_PIXELS, session, width: frame.width, height: frame.height, pixels }, [pixels.buffer]);
  }

  /**
   * loadBytes makes a model the page holds (IndexedDB, an uploaded file)
   * ready under session; the bytes are transferred (pass a copy to keep them).
   * @param {string} session @param {{id: string, name?: string}} model
   * @param {ArrayBuffer|Blob} bytes safetensors @param {string} backend
   * @returns {Promise<import("./protocol.js").LoadedReply>}
   */
  async loadBytes(session, model, bytes, backend) {
    const weights = bytes instanceof ArrayBuffer ? bytes : await bytes.arrayBuffer();
    return this.request({ type: MSG.LOAD, session, model: model.id, weights, backend }, [weights]);
  }

  /**
   * estimate times one training step of a preset on a backend.
   * @param {import("./protocol.js").Preset} preset @param {string} backend
   * @returns {Promise<import("./protocol.js").EstimateReply>}
   */
  estimate(preset, backend) {
    return this.request({ type: MSG.TRAIN_ESTIMATE, preset, backend });
  }

  /**
   * train trains a model on normal images and makes session detect with it.
   * images are Files/Blobs (named by their name, else "image-N") or
   * {name, bytes}; their bytes are transferred. onProgress gets every
   * train-decode message (one per image, since version 4), train-started
   * and every train-progress message.
   * @param {string} session
   * @param {{images: Array<Blob|{name: string, bytes: ArrayBuffer}>, preset?: string, steps?: number,
   *   seed?: number, backend?: string, base?: ArrayBuffer|Blob, valFraction?: number}} opts
   * @param {(msg: object) => void} [onProgress]
   * @returns {Promise<import("./protocol.js").TrainedReply>}
   */
  async train(session, opts, onProgress) {
    const images = await Promise.all((opts.images || []).map(async (f, i) => {
      if (f instanceof Blob) return { name: f.name || `image-${i + 1}`, bytes: await f.arrayBuffer() };
      return { name: f.name || `image-${i + 1}`, bytes: f.bytes };
    }));
    let base;
    if (opts.base) base = opts.base instanceof ArrayBuffer ? opts.base : await opts.base.arrayBuffer();
    const transfer = images.map((im) => im.bytes);
    if (base) transfer.push(base);
    const msg = {
      type: MSG.TRAIN, session, images, preset: opts.preset || "small", steps: opts.steps || 0,
      seed: opts.seed ?? 1, backend: opts.backend || "auto",
    };
    if (base) msg.base = base;
    if (opts.valFraction !== undefined) msg.valFraction = opts.valFraction;
    return this.request(msg, transfer, onProgress);
  }

  /**
   * checkImage asks the worker whether a train request could read an image
   * file (decoded with the same decoders), to refuse it when it is added.
   * @param {Blob} file @param {string} [name] default: file.name
   * @returns {Promise<import("./protocol.js").ImageCheckedReply>}
   */
  async checkImage(file, name) {
    const bytes = await file.arrayBuffer();
    return this.request({ type: MSG.CHECK_IMAGE, name: name || file.name || "image", bytes }, [bytes]);
  }

  /**
   * stopTraining stops session's run after its current step; its train
   * promise then resolves with stopped: true.
   * @param {string} session @returns {Promise<object>} the done reply
   */
  stopTraining(session) {
    return this.request({ type: MSG.TRAIN_STOP, session });
  }

  /**
   * continueTraining trains session's last run for steps more (same
   * optimiser state, shuffles and noise).
   * @param {string} session @param {number} steps @param {(msg: object) => void} [onProgress]
   * @param {string} [backend]
   * @returns {Promise<import("./protocol.js").TrainedReply>}
   */
  continueTraining(session, steps, onProgress, backend) {
    const msg = { type: MSG.TRAIN_CONTINUE, session, steps };
    if (backend) msg.backend = backend;
    return this.request(msg, [], onProgress);
  }

  /**
   * exportWeights returns session's model as one safetensors file (a File,
   * named as the worker suggests, where the browser has File; else a Blob).
   * @param {string} session @returns {Promise<Blob>}
   */
  async exportWeights(session) {
    const r = await this.request({ type: MSG.EXPORT, session });
    const type = "application/octet-stream";
    return typeof File === "function" ? new File([r.weights], r.name, { type }) : new Blob([r.weights], { type });
  }
}

const engines = new Map();

/** sharedEngine returns the one Engine for base, starting it on first use. */
export function sharedEngine(base) {
  const key = base.href;
  if (!engines.has(key)) engines.set(key, new Engine(base));
  return engines.get(key);
}

const modelLists = new Map();

/**
 * models fetches base's models.json once.
 * @returns {Promise<Array<{id:string, name:string, file:string, wf:number, size:number, description:string, default?:boolean, examples?:Array<{label:string, file:string, kind:string}>}>>}
 */
export function models(base) {
  const key = base.href;
  if (!modelLists.has(key)) {
    modelLists.set(key, fetch(new URL("models.json", base)).then((r) => {
      if (!r.ok) throw new Error(`models.json: HTTP ${r.status}`);
      return r.json();
    }));
  }
  return modelLists.get(key);
}
