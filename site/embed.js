// <noise2norm-demo>: the browser demo as a custom element. The demo page
// (index.html), the iframe version (frame.html) and any docs page use it:
//
//   <script type="module" src="…/embed.js"></script>
//   <noise2norm-demo model="textile-wf16-s128" backend="auto"></noise2norm-demo>
//
// Attributes: model (an id of models.json; default: its default model),
// backend ("auto" | "webgpu" | "cpu"; default auto), controls (show the
// model picker and the backend switch), paste (take images pasted anywhere
// on the page, not only inside the element), offline (register the demo's
// service worker, sw.js beside this file, so that the demo works offline
// once visited; off by default, so that embedding the element never puts
// a service worker on the host site). Worker, wasm, models and
// examples are found relative to this file, so it works from any sub-path;
// every element on a page shares one worker.
//
// element.detect(fileOrBlob) resolves with {score, normalizedScore,
// threshold, anomalous, backend, ms} (score: the raw score cmd/detect prints;
// the other three null for an uncalibrated model; ms: the detection's round
// trip) and, like every detection, fires "noise2norm-result" with the same
// object as detail. element.lastResult is the worker's full reply
// (protocol.js ResultReply: map, reconstruction, timings).
//
// "Use the camera" runs the same model on live camera frames (the rear
// camera where there is one): each frame's centre square is drawn at the
// model's size and sent as raw pixels; at most one frame is in flight, the
// camera's other frames are dropped. element.camera is that session's state
// ({running, paused, frames, flagged, fps, alarms, skipped, frame: the
// ImageData of the frame shown}).
//
// The `train` attribute adds the "Train your own" mode (train.js): the
// visitor trains a model on their own normal images in the worker, and
// the element then detects with it; such models are kept in IndexedDB
// (store.js) and listed in the picker under "Your models".
// element.train(filesOrBlobs, {preset, steps, seed, backend}) resolves with
// {losses, imagesPerSecond, backend, calibration, stopped, …} when the run
// ends, firing "noise2norm-train-progress" (detail: each train-progress
// message) and "noise2norm-trained" (detail: the trained message);
// element.stopTraining() ends it after its current step;
// element.exportWeights() resolves with the current model as a
// .safetensors Blob. These work without the attribute too.
import { sharedEngine, models, missingFeature, EngineError } from "./client.js";
import { registerOffline } from "./offline.js";
import { ERR, BACKENDS } from "./protocol.js";
import { TrainMode, saveBlob, fmt, mb, backendLabel } from "./train.js";

const BASE = new URL(".", import.meta.url);
/** The largest image accepted, in pixels (the worker checks the header before decoding). */
export const MAX_PIXELS = 16_000_000;
/** Files larger than this are refused before reading them. */
const MAX_FILE_BYTES = 200 * 1024 * 1024;
let sessions = 0;

const STYLE = `
:host { display: block; container-type: inline-size; --accent: #4f46e5; --accent-soft: #eef2ff;
  --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #ffffff; --panel: #f9fafb;
  --bad: #dc2626; --bad-soft: #fef2f2; --good: #059669; --good-soft: #ecfdf5;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); }
@media (prefers-color-scheme: dark) {
  :host { --fg: #e5e7eb; --muted: #9ca3af; --line: #374151; --bg: #111827; --panel: #1f2937;
    --accent: #818cf8; --accent-soft: #1e1b4b; --bad-soft: #3b0d0d; --good-soft: #052e25; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.card { background: var(--bg); border: 1px solid var(--line); border-radius: 16px; padding: 16px;
  box-shadow: 0 1px 2px rgba(0,0,0,.04), 0 8px 24px rgba(0,0,0,.06); display: grid; gap: 14px; }
.bar { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: center; }
.bar label, .bar legend { font-size: 13px; color: var(--muted); }
select { font: inherit; padding: 6px 10px; border-radius: 8px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
fieldset.seg { border: 0; padding: 0; margin: 0; display: flex; align-items: center; gap: 8px; }
.seg .opts { display: inline-flex; border: 1px solid var(--line); border-radius: 9px; overflow: hidden; }
.seg input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.seg .opts label { padding: 6px 12px; font-size: 14px; color: var(--fg); cursor: pointer; border-right: 1px solid var(--line); }
.seg .opts label:last-child { border-right: 0; }
.seg input:checked + label { background: var(--accent); color: #fff; }
.seg input:focus-visible + label { outline: 2px solid var(--accent); outline-offset: -4px; }
.chip { display: inline-flex; align-items: center; gap: 6px; padding: 4px 10px; border-radius: 999px;
  background: var(--panel); border: 1px solid var(--line); font-size: 13px; max-width: 100%; }
.chip .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--muted); flex: none; }
.chip.gpu .dot { background: #22c55e; } .chip.cpu .dot { background: #f59e0b; }
.chip span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.spacer { flex: 1; }
.meta { font-size: 13px; color: var(--muted); }
.note { font-size: 13px; color: var(--muted); margin: -6px 0 0; }
.progress { display: grid; gap: 6px; font-size: 13px; color: var(--muted); }
progress { width: 100%; height: 8px; appearance: none; border: 0; border-radius: 99px; background: var(--line); overflow: hidden; }
progress::-webkit-progress-bar { background: var(--line); border-radius: 99px; }
progress::-webkit-progress-value { background: var(--accent); border-radius: 99px; }
progress::-moz-progress-bar { background: var(--accent); }
.drop { border: 2px dashed var(--line); border-radius: 14px; padding: 22px 16px; text-align: center;
  background: var(--panel); cursor: pointer; transition: border-color .15s, background .15s; }
.drop:hover, .drop.over { border-color: var(--accent); background: var(--accent-soft); }
.drop:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.drop svg { width: 34px; height: 34px; color: var(--accent); }
.drop strong { display: block; font-size: 16px; margin: 4px 0 2px; }
.drop .sub { font-size: 13px; color: var(--muted); }
.coarse { display: none !important; }
@media (pointer: coarse) { .fine { display: none !important; } .coarse { display: block !important; } }
button { font: inherit; cursor: pointer; }
.linkish { background: none; border: 0; padding: 0; color: var(--accent); text-decoration: underline; font-size: inherit; }
.examples { display: flex; gap: 10px; flex-wrap: wrap; align-items: center; }
.examples .lbl { font-size: 13px; color: var(--muted); margin-right: 2px; }
.ex { display: grid; justify-items: center; gap: 3px; padding: 4px; border: 1px solid var(--line); border-radius: 10px;
  background: var(--bg); color: var(--fg); font-size: 12px; }
.ex:hover { border-color: var(--accent); }
.ex:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.ex img { width: 56px; height: 56px; border-radius: 7px; display: block; }
.ex .k { font-size: 10px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.msg { border-radius: 10px; padding: 10px 12px; background: var(--bad-soft); color: var(--bad); border: 1px solid currentColor; font-size: 14px; }
.msg.info { background: var(--accent-soft); color: var(--fg); border-color: var(--accent); }
.results { display: grid; gap: 14px; }
.panels { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; }
figure { margin: 0; display: grid; gap: 6px; }
figcaption { font-size: 13px; color: var(--muted); }
canvas { width: 100%; aspect-ratio: 1; border-radius: 10px; background: var(--panel); display: block; border: 1px solid var(--line); }
.busy canvas { opacity: .55; transition: opacity .2s; }
.score { display: grid; grid-template-columns: auto 1fr; gap: 8px 18px; align-items: center; padding: 12px 14px;
  border-radius: 12px; background: var(--panel); border: 1px solid var(--line); }
.verdict { font-weight: 650; font-size: 18px; padding: 6px 12px; border-radius: 10px; text-align: center; min-width: 8.5em; }
.verdict.anomalous { background: var(--bad-soft); color: var(--bad); }
.verdict.normal { background: var(--good-soft); color: var(--good); }
.verdict.none { background: var(--bg); color: var(--muted); font-size: 15px; border: 1px solid var(--line); }
.gauge { position: relative; height: 10px; border-radius: 99px; background: linear-gradient(90deg, #22c55e, #eab308 50%, #ef4444); }
.gauge .needle { position: absolute; top: -5px; width: 4px; height: 20px; background: var(--fg); border-radius: 2px; transform: translateX(-2px); }
.gauge .thr { position: absolute; top: -3px; bottom: -3px; width: 0; border-left: 2px dashed var(--fg); opacity: .6; }
.nums { font-size: 14px; display: flex; flex-wrap: wrap; gap: 4px 16px; }
.nums b { font-variant-numeric: tabular-nums; }
.sliders { display: grid; grid-template-columns: 1fr 1fr; gap: 10px 20px; }
.sliders label { display: grid; grid-template-columns: auto 1fr; gap: 2px 6px; font-size: 13px; color: var(--muted); }
.sliders input { grid-column: 1 / -1; }
input[type=range] { width: 100%; accent-color: var(--accent); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.btn { border: 1px solid var(--line); background: var(--bg); color: var(--fg); border-radius: 9px; padding: 7px 12px; font-size: 14px; }
.btn:hover { border-color: var(--accent); }
.btn:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.camrow { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; margin-top: -4px; }
.camera { display: grid; grid-template-columns: minmax(0, 300px) 1fr; gap: 12px 16px; align-items: start;
  padding: 12px; border-radius: 12px; background: var(--panel); border: 1px solid var(--line); }
.camview { position: relative; border-radius: 10px; overflow: hidden; background: #000; aspect-ratio: 4 / 3; max-height: 70vh;
  touch-action: none; cursor: crosshair; user-select: none; }
.camview video { width: 100%; height: 100%; object-fit: contain; display: block; }
.camview .guide { position: absolute; left: 0; top: 0; width: 0; height: 0;
  border: 2px solid rgba(255,255,255,.9); box-shadow: 0 0 0 999px rgba(0,0,0,.35); pointer-events: none; }
.camview .state { position: absolute; left: 8px; top: 8px; font-size: 12px; padding: 2px 8px; border-radius: 99px;
  background: rgba(0,0,0,.6); color: #fff; }
.camside { display: grid; gap: 10px; }
.camstats { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 14px; }
.camhint { margin: -6px 0 0; }
.camstats b { font-variant-numeric: tabular-nums; }
.alarm { border: 1px solid var(--line); border-radius: 10px; padding: 8px 10px; margin: 0; display: flex; flex-wrap: wrap;
  gap: 6px 14px; align-items: center; font-size: 14px; }
.alarm legend { font-size: 13px; color: var(--muted); padding: 0 4px; }
.alarm input[type=number] { width: 4.5em; font: inherit; padding: 2px 6px; border-radius: 6px; border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
.alarm .alnote { flex-basis: 100%; font-size: 13px; color: var(--muted); }
.camera-on .drop, .camera-on .examples, .camera-on .camrow { display: none; }
.alarmed .camview { outline: 4px solid var(--bad); }
.alarmtext { font-weight: 650; color: var(--bad); }
.btn.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
details { font-size: 13px; color: var(--muted); }
details dl { display: grid; grid-template-columns: auto auto auto auto; gap: 2px 14px; margin: 6px 0 0; }
details dd { margin: 0; font-variant-numeric: tabular-nums; color: var(--fg); }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@container (max-width: 560px) {
  .card { padding: 12px; gap: 12px; border-radius: 14px; }
  .panels { grid-template-columns: 1fr 1fr; }
  .panels figure.heat { grid-column: 1 / -1; order: -1; }
  .score { grid-template-columns: 1fr; }
  .sliders { grid-template-columns: 1fr; }
  .examples { display: grid; grid-template-columns: repeat(4, 1fr); }
  .examples .lbl { grid-column: 1 / -1; }
  .ex img { width: 100%; height: auto; aspect-ratio: 1; }
  details dl { grid-template-columns: auto auto; }
  .camera { grid-template-columns: 1fr; padding: 10px; }
}
`;

const TEMPLATE = `
<div class="card" part="card">
  <div class="bar">
    <label class="ctl" hidden>Model <select class="model"></select></label>
    <fieldset class="seg ctl" hidden>
      <legend>Backend</legend>
      <div class="opts" role="radiogroup">
        <input type="radio" name="be" id="be-auto" value="auto"><label for="be-auto">Auto</label>
        <input type="radio" name="be" id="be-webgpu" value="webgpu"><label for="be-webgpu">WebGPU</label>
        <input type="radio" name="be" id="be-cpu" value="cpu"><label for="be-cpu">CPU</label>
      </div>
    </fieldset>
    <span class="spacer"></span>
    <span class="chip" title=""><span class="dot"></span><span class="chiptext">Starting…</span></span>
    <span class="meta loadtime"></span>
  </div>
  <p class="note reason" hidden></p>
  <div class="progress" hidden>
    <span class="ptext">Loading…</span>
    <progress class="pbar" max="1"></progress>
  </div>
  <div class="drop" tabindex="0" role="button" aria-describedby="drop-sub">
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" aria-hidden="true"><path d="M12 16V4m0 0-4 4m4-4 4 4"/><path d="M4 16v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2"/></svg>
    <strong class="fine">Drop an image here</strong><strong class="coarse">Choose an image</strong>
    <span class="sub" id="drop-sub"><span class="fine">or paste one, or <span class="linkish">choose a file</span>. </span>It stays on this device: nothing is uploaded.</span>
    <input type="file" class="file" accept="image/*" hidden>
  </div>
  <div class="camrow">
    <button class="btn cam-start" type="button">Use the camera</button>
    <span class="meta">Live inspection of the centre square; frames stay on this device.</span>
  </div>
  <section class="camera" hidden aria-label="Camera">
    <div class="camview"><video class="video" playsinline muted autoplay></video><div class="guide" aria-hidden="true"></div><span class="state">Live</span></div>
    <div class="camside">
      <div class="camstats" aria-live="off">
        <span>Analysed <b class="fps">—</b> frames/s</span>
        <span><b class="c-frames">0</b> frames inspected</span>
        <span><b class="c-flagged">0</b> flagged</span>
        <span class="c-skipped meta"></span>
      </div>
      <p class="meta camhint">Drag on the video to choose the square analysed; tap it to go back to the centre.</p>
      <div class="actions">
        <button class="btn cam-pause" type="button" aria-pressed="false">Pause (freeze frame)</button>
        <button class="btn cam-save" type="button" disabled>Save frame + heatmap (PNG)</button>
        <button class="btn cam-stop" type="button">Stop camera</button>
      </div>
      <fieldset class="alarm">
        <legend>Alarm</legend>
        <label><input type="checkbox" class="al-sound"> Sound</label>
        <label><input type="checkbox" class="al-vib"> Vibrate</label>
        <label>after <input type="number" class="al-n" min="1" max="100" value="3"> anomalous frames in a row</label>
        <span class="alarmtext" role="alert"></span>
        <span class="alnote"></span>
      </fieldset>
    </div>
  </section>
  <div class="examples" hidden><span class="lbl" id="ex-lbl">Examples:</span></div>
  <div class="msg" role="alert" hidden></div>
  <section class="results" hidden aria-label="Result">
    <div class="panels">
      <figure><canvas class="c-input" role="img" aria-label="Input image"></canvas><figcaption>Input, as the model sees it</figcaption></figure>
      <figure><canvas class="c-recon" role="img" aria-label="Reconstruction"></canvas><figcaption>Reconstruction (normal-looking)</figcaption></figure>
      <figure class="heat"><canvas class="c-heat" role="img" aria-label="Anomaly heatmap over the input"></canvas><figcaption class="heatcap">Anomaly heatmap</figcaption></figure>
    </div>
    <div class="score">
      <div class="verdict none">—</div>
      <div class="gaugebox">
        <div class="gauge" aria-hidden="true"><div class="thr"></div><div class="needle"></div></div>
        <div class="nums"></div>
      </div>
    </div>
    <div class="sliders">
      <label>Heatmap opacity <input type="range" class="opacity" min="0" max="1" step="0.05" value="0.5"></label>
      <label>Sensitivity <span class="senshint" hidden>(needs a calibrated model)</span><input type="range" class="sens" min="0.05" max="0.95" step="0.05" value="0.5"></label>
    </div>
    <div class="actions">
      <button class="btn dl-png" type="button">Download overlay (PNG)</button>
      <button class="btn dl-npy" type="button">Download map (.npy)</button>
    </div>
    <details><summary>Timings</summary><dl class="times"></dl></details>
  </section>
  <p class="sr live" role="status" aria-live="polite"></p>
</div>`;

/** jetKnots are matplotlib's jet segments, as internal/imageio.Jet. */
const JET = [
  [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]],
  [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]],
  [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]],
];

/** jet returns the JET colour of t in [0,1] as three bytes. */
function jet(t) {
  t = Math.min(Math.max(t, 0), 1) || 0;
  return JET.map((ks) => {
    for (let i = 1; i < ks.length; i++) {
      if (t <= ks[i][0]) {
        const [t0, v0] = ks[i - 1], [t1, v1] = ks[i];
        return Math.round(255 * (v0 + (v1 - v0) * (t - t0) / (t1 - t0)));
      }
    }
    return 0;
  });
}

/** npy encodes an S×S float32 map as a NumPy .npy file (version 1.0, '<f4'), as detect writes it. */
export function npy(map, size) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${size}, ${size}), }`;
  header += " ".repeat(Math.max(0, 21 - String(size).length));
  const pad = 64 - ((6 + 4 + header.length + 1) % 64);
  header += " ".repeat(pad % 64) + "\n";
  const head = new Uint8Array(10 + header.length);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  for (let i = 0; i < header.length; i++) head[10 + i] = header.charCodeAt(i);
  return new Blob([head, new Float32Array(map)], { type: "application/octet-stream" });
}

const msText = (x) => (x >= 1000 ? (x / 1000).toFixed(2) + " s" : Math.round(x) + " ms");

export class Noise2NormDemo extends HTMLElement {
  static observedAttributes = ["model", "backend", "controls", "train"];

  constructor() {
    super();
    this.session = this.baseSession = `e${++sessions}`;
    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = `<style>${STYLE}</style>${TEMPLATE}`;
    const $ = (s) => root.querySelector(s);
    this.el = {
      card: $(".card"), model: $(".model"), seg: $(".seg"), chip: $(".chip"), chipText: $(".chiptext"),
      loadTime: $(".loadtime"), reason: $(".reason"), progress: $(".progress"), ptext: $(".ptext"), pbar: $(".pbar"),
      drop: $(".drop"), file: $(".file"), examples: $(".examples"), msg: $(".msg"), results: $(".results"),
      input: $(".c-input"), recon: $(".c-recon"), heat: $(".c-heat"), heatcap: $(".heatcap"),
      verdict: $(".verdict"), gauge: $(".gauge"), needle: $(".needle"), thr: $(".thr"), nums: $(".nums"),
      opacity: $(".opacity"), sens: $(".sens"), sensHint: $(".senshint"), times: $(".times"), live: $(".live"),
      dlPng: $(".dl-png"), dlNpy: $(".dl-npy"),
      camStart: $(".cam-start"), camera: $(".camera"), video: $(".video"), camState: $(".camview .state"),
      camView: $(".camview"), guide: $(".guide"),
      fps: $(".fps"), cFrames: $(".c-frames"), cFlagged: $(".c-flagged"), cSkipped: $(".c-skipped"),
      camPause: $(".cam-pause"), camSave: $(".cam-save"), camStop: $(".cam-stop"),
      alSound: $(".al-sound"), alVib: $(".al-vib"), alN: $(".al-n"), alarmText: $(".alarmtext"), alNote: $(".alnote"),
    };
    for (const id of ["be-auto", "be-webgpu", "be-cpu"]) {
      // ids are unique per shadow root; the labels' for= stay inside it.
      root.getElementById(id).addEventListener("change", (e) => this.setAttribute("backend", e.target.value));
    }
    this.bindInputs();
    this.training = new TrainMode(this);
    /** @type {import("./protocol.js").ResultReply|null} */
    this.lastResult = null;
    this.loaded = null;
    this.loading = null;
    this.lastBlob = null;
    /** The camera session, null while the camera is off. */
    this.camera = null;
    /** Resolves once the first load has been asked for (or the element found it cannot work). */
    this.begun = new Promise((resolve) => { this.markBegun = resolve; });
  }

  connectedCallback() {
    if (!this.started) {
      this.started = true;
      this.start();
    }
  }

  disconnectedCallback() {
    this.stopCamera(); // a removed element releases the camera
  }

  attributeChangedCallback(name, old, value) {
    if (name === "controls") {
      for (const c of this.shadowRoot.querySelectorAll(".ctl")) c.hidden = value === null;
      return;
    }
    if (name === "train") {
      this.training.setEnabled(value !== null);
      return;
    }
    if (this.quietAttributes) return; // train.js names the model the element already runs
    if (this.started && old !== value) this.reload(true);
  }

  get backendPref() {
    const b = (this.getAttribute("backend") || "auto").toLowerCase();
    return BACKENDS.includes(b) ? b : "auto";
  }

  /** start checks the browser, reads models.json and loads the model. */
  async start() {
    const missing = missingFeature();
    if (missing) {
      this.fatal(missing);
      return;
    }
    if (this.hasAttribute("offline")) {
      registerOffline(BASE, () => this.showMessage("An update of the demo is available: reload the page to use it.", true));
    }
    if (this.hasAttribute("paste")) {
      document.addEventListener("paste", (e) => this.onPaste(e));
    }
    this.engine = sharedEngine(BASE);
    this.engine.listeners.add((m) => this.onEngine(m));
    try {
      this.models = await models(BASE);
    } catch (e) {
      this.fatal(`The model list could not be read (${e.message}).`);
      return;
    }
    this.el.model.addEventListener("change", () => this.setAttribute("model", this.el.model.value));
    if (this.training.enabled) await this.training.refreshModels(); // "Your models" in the picker
    this.renderPicker();
    this.training.afterModels();
    this.reload(false);
  }

  /** renderPicker lists the shipped models, and those kept in this browser under "Your models". */
  renderPicker() {
    const opt = (m) => new Option(`${m.name} (${m.size}×${m.size})`, m.id);
    const shipped = this.models.filter((m) => !m.user), own = this.models.filter((m) => m.user);
    if (!own.length) {
      this.el.model.replaceChildren(...shipped.map(opt));
    } else {
      const a = document.createElement("optgroup"), b = document.createElement("optgroup");
      a.label = "Shipped models";
      b.label = "Your models";
      a.append(...shipped.map(opt));
      b.append(...own.map(opt));
      this.el.model.replaceChildren(a, b);
    }
    if (this.model) this.el.model.value = this.model.id;
  }

  /** fatal shows a message and disables the inputs: the element cannot work. */
  fatal(text) {
    this.showMessage(text);
    this.el.chipText.textContent = "Unavailable";
    this.el.drop.hidden = true;
    this.el.examples.hidden = true;
    for (const c of this.shadowRoot.querySelectorAll(".ctl")) c.hidden = true;
    this.el.progress.hidden = true;
    this.unusable = text;
    this.markBegun();
  }

  /** onEngine follows the shared worker's start and notices. */
  onEngine(m) {
    if (m.type === "progress" && !this.engine.isReady) this.showProgress();
    if (m.type === "notice") this.showMessage(m.message, true);
    if (m.type === "error" && m.id === 0) this.fatal(m.message);
  }

  showProgress(modelProgress) {
    const w = this.engine.wasmProgress;
    const el = this.el;
    el.progress.hidden = false;
    if (!this.engine.isReady) {
      el.ptext.textContent = `Loading the detector (n2n.wasm): ${mb(w.loaded)}${w.total ? " of " + mb(w.total) : ""}`;
      setBar(el.pbar, w.loaded, w.total);
    } else if (modelProgress) {
      el.ptext.textContent = `Loading the model: ${mb(modelProgress.loaded)}${modelProgress.total ? " of " + mb(modelProgress.total) : ""}`;
      setBar(el.pbar, modelProgress.loaded, modelProgress.total);
    } else {
      el.ptext.textContent = "Preparing the model…";
      el.pbar.removeAttribute("value");
    }
  }

  /** currentModel is the model the attribute names, or the default one. */
  currentModel() {
    const want = this.getAttribute("model");
    return this.models.find((m) => m.id === want) || this.models.find((m) => m.default) || this.models[0];
  }

  /** reload loads the model on the preferred backend; rerun repeats the last detection after. */
  reload(rerun) {
    if (!this.models || this.unusable) return;
    const model = this.currentModel();
    this.model = model;
    this.el.model.value = model.id;
    for (const r of this.shadowRoot.querySelectorAll("input[name=be]")) r.checked = r.value === this.backendPref;
    this.renderExamples(model);
    this.el.chipText.textContent = "Loading…";
    this.el.chip.className = "chip";
    this.showProgress();
    const t0 = performance.now();
    this.training.sessionReplaced(this.session);
    const p = (model.user ? this.training.loadStored(this.session, model, this.backendPref) : this.engine.load(this.session, model, this.backendPref, (pr) => this.showProgress(pr)))
      .then((loaded) => {
        this.loaded = loaded;
        this.el.progress.hidden = true;
        this.loadMs = performance.now() - t0;
        this.el.loadTime.textContent = `loaded in ${msText(this.loadMs)}`;
        this.showBackend(loaded.backend);
        this.el.sens.disabled = !loaded.calibration;
        this.el.sensHint.hidden = !!loaded.calibration;
        return loaded;
      });
    this.loading = p;
    this.markBegun();
    p.then(() => {
      if (rerun && this.lastBlob && this.loading === p) this.runDetect(this.lastBlob, this.lastName);
    }, (e) => {
      if (this.loading === p) {
        this.el.progress.hidden = true;
        this.el.chipText.textContent = "Not loaded";
        this.showMessage(e.message);
      }
    });
  }

  showBackend(b) {
    const el = this.el;
    el.chip.className = `chip ${b.kind === "webgpu" ? "gpu" : "cpu"}`;
    el.chipText.textContent = b.kind === "webgpu" ? `WebGPU · ${b.name}` : "CPU";
    el.chip.title = b.kind === "webgpu" ? `Running on WebGPU: ${b.name}` : `Running on the CPU (WebAssembly): ${b.reason}`;
    el.reason.hidden = b.kind === "webgpu" || b.reason === "chosen" || !b.reason;
    el.reason.textContent = `Running on the CPU: ${b.reason}.`.replace(/\.\.$/, ".");
  }

  renderExamples(model) {
    const box = this.el.examples;
    box.querySelectorAll(".ex").forEach((b) => b.remove());
    const list = model.examples || [];
    box.hidden = list.length === 0;
    for (const ex of list) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "ex";
      b.setAttribute("aria-label", `Example: ${ex.label} (${ex.kind === "good" ? "normal" : "defective"})`);
      const img = new Image();
      img.src = new URL(ex.file, BASE).href;
      img.alt = "";
      const label = document.createElement("span");
      label.textContent = ex.label;
      const kind = document.createElement("span");
      kind.className = "k";
      kind.textContent = ex.kind === "good" ? "normal" : "defect";
      b.append(img, label, kind);
      b.addEventListener("click", async () => {
        try {
          const r = await fetch(new URL(ex.file, BASE));
          if (!r.ok) throw new Error(`HTTP ${r.status}`);
          this.runDetect(await r.blob(), ex.label);
        } catch (e) {
          this.showMessage(`The example could not be loaded (${e.message}).`);
        }
      });
      box.append(b);
    }
  }

  bindInputs() {
    const { drop, file, opacity, sens, dlPng, dlNpy } = this.el;
    drop.addEventListener("click", () => file.click());
    drop.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        file.click();
      }
    });
    file.addEventListener("change", () => {
      const f = file.files && file.files[0];
      if (f) this.runDetect(f, f.name);
      file.value = "";
    });
    // The whole element takes a drop, not only the drop zone (a file
    // dropped beside it would make the browser leave the page).
    const card = this.el.card;
    card.addEventListener("dragover", (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
    card.addEventListener("dragleave", (e) => {
      if (!card.contains(e.relatedTarget)) drop.classList.remove("over");
    });
    card.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      if (this.training.active) {
        this.training.takeDrop(e.dataTransfer ? [...e.dataTransfer.files] : []);
        return;
      }
      const f = e.dataTransfer && e.dataTransfer.files[0];
      if (f) this.runDetect(f, f.name);
      else this.showMessage("Nothing to read in what was dropped: drop an image file.");
    });
    this.addEventListener("paste", (e) => this.onPaste(e));
    opacity.addEventListener("input", () => this.drawHeat());
    sens.addEventListener("input", () => { this.drawHeat(); this.drawScore(); });
    dlPng.addEventListener("click", () => this.el.heat.toBlob((b) => b && saveBlob(b, `${this.baseName()}_overlay.png`), "image/png"));
    dlNpy.addEventListener("click", () => this.lastResult && saveBlob(npy(this.lastResult.map, this.lastResult.size), `${this.baseName()}_map.npy`));
    const el = this.el;
    el.camStart.addEventListener("click", () => this.startCamera());
    el.camStop.addEventListener("click", () => this.stopCamera());
    el.camPause.addEventListener("click", () => this.pauseCamera(!(this.camera && this.camera.paused)));
    el.camSave.addEventListener("click", () => this.saveFrame());
    this.bindRegionDrag();
    el.alSound.addEventListener("change", () => {
      // An AudioContext may only start on a gesture: this one.
      if (el.alSound.checked && !this.audio && typeof AudioContext === "function") this.audio = new AudioContext();
    });
  }

  onPaste(e) {
    if (e.__n2nHandled) return;
    if (this.training.active) {
      e.__n2nHandled = true;
      this.training.takePaste(e);
      return;
    }
    const items = e.clipboardData ? [...e.clipboardData.items] : [];
    const item = items.find((i) => i.kind === "file");
    if (!item) return;
    e.__n2nHandled = true;
    e.preventDefault();
    const f = item.getAsFile();
    this.runDetect(f, f.name && f.name !== "image.png" ? f.name : "pasted image");
  }

  baseName() {
    return (this.lastName || "image").replace(/\.[^.]*$/, "").replace(/[^\w.-]+/g, "_") || "image";
  }

  showMessage(text, info = false) {
    const m = this.el.msg;
    m.textContent = text;
    m.className = info ? "msg info" : "msg";
    m.hidden = false;
  }

  /** runDetect is detect() for the UI: errors are shown, not thrown. */
  runDetect(blob, name) {
    this.detect(blob, name).catch(() => {});
  }

  /**
   * detect runs the model on a File or Blob.
   * @param {Blob} blob
   * @returns {Promise<{score:number, normalizedScore:number|null, threshold:number|null, anomalous:boolean|null, backend:string, ms:number}>}
   */
  async detect(blob, name) {
    if (this.unusable) throw new EngineError(ERR.WASM, this.unusable);
    if (!(blob instanceof Blob)) throw new TypeError("detect: want a File or Blob");
    const label = name || blob.name || "image";
    if (blob.size > MAX_FILE_BYTES) {
      const e = new EngineError(ERR.TOO_LARGE, `${label} is ${mb(blob.size)}; files over ${mb(MAX_FILE_BYTES)} are not read.`);
      this.showMessage(e.message);
      throw e;
    }
    this.el.card.classList.add("busy");
    this.el.live.textContent = `Analysing ${label}…`;
    try {
      await this.begun;
      if (this.unusable) throw new EngineError(ERR.WASM, this.unusable);
      await this.loading;
      const t0 = performance.now();
      const r = await this.engine.detect(this.session, blob, MAX_PIXELS);
      const ms = performance.now() - t0;
      this.lastResult = r;
      this.lastBlob = blob;
      this.lastName = label;
      this.lastMs = ms;
      this.el.msg.hidden = true;
      if (r.fellBack) this.showMessage(`${r.fellBack}; carrying on on the CPU.`, true);
      this.showBackend(r.backend);
      this.render();
      const out = {
        score: r.score, normalizedScore: r.normalizedScore, threshold: r.threshold, anomalous: r.anomalous,
        backend: backendLabel(r.backend), ms,
      };
      this.dispatchEvent(new CustomEvent("noise2norm-result", { detail: out, bubbles: true, composed: true }));
      return out;
    } catch (e) {
      const text = e.code === ERR.NOT_IMAGE ? `${label} could not be read: ${e.message}. Choose a PNG, JPEG, GIF, BMP, TIFF or WebP image.`
        : e.code === ERR.TOO_LARGE ? `${label} is too large: ${e.message.replace(/^image too large: /, "")}.`
        : `${label}: ${e.message}`;
      this.showMessage(text);
      this.el.live.textContent = text;
      throw e;
    } finally {
      this.el.card.classList.remove("busy");
    }
  }

  /** train trains a model on normal images in the worker; the element then detects with it (see the file comment). */
  train(filesOrBlobs, opts) {
    return this.training.train(filesOrBlobs, opts);
  }

  /** stopTraining stops the running training after its current step; train()'s promise resolves with stopped: true. */
  stopTraining() {
    return this.training.stopTraining();
  }

  /** continueTraining trains the last run (stopped or finished) for steps more, with its optimiser state. */
  continueTraining(steps) {
    return this.training.continueTraining(steps);
  }

  /** exportWeights resolves with the element's current model as a .safetensors Blob (File). */
  exportWeights() {
    return this.training.exportWeights();
  }

  /** cameraError is the sentence for a getUserMedia failure (or a browser without it). */
  cameraError(e) {
    if (!e) {
      return typeof isSecureContext === "boolean" && !isSecureContext
        ? "The camera needs a secure page: open the demo over https:// or from http://localhost (this browser offers no camera on other http:// pages)."
        : "This browser offers no camera access (no navigator.mediaDevices.getUserMedia).";
    }
    switch (e.name) {
      case "NotAllowedError":
      case "SecurityError":
        return "Camera permission was refused. Allow the camera for this site (in the address bar's site settings) and press \"Use the camera\" again.";
      case "NotFoundError":
      case "OverconstrainedError":
        return "No camera was found on this device.";
      case "NotReadableError":
      case "AbortError":
        return "The camera could not be started: another application may be using it.";
    }
    return `The camera could not be started (${e.name || "error"}: ${e.message}).`;
  }

  /** startCamera asks for the camera (the rear one where there is one) and starts the live loop. */
  async startCamera() {
    if (this.camera || this.unusable) return;
    const md = navigator.mediaDevices;
    if (!md || typeof md.getUserMedia !== "function") {
      this.showMessage(this.cameraError(null));
      return;
    }
    let stream;
    try {
      stream = await md.getUserMedia({ audio: false, video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } } });
    } catch (e) {
      this.showMessage(this.cameraError(e));
      return;
    }
    const el = this.el;
    el.msg.hidden = true;
    const cam = this.camera = {
      stream, frame: null, region: null, running: true, paused: false, frames: 0, flagged: 0, fps: 0, alarms: 0, skipped: 0,
      streak: 0, times: [], lastPresented: 0, anomalous: null,
    };
    el.video.srcObject = stream;
    el.camera.hidden = false;
    el.camStart.hidden = true;
    el.card.classList.add("camera-on"); // the file inputs make room for the frames
    el.camState.textContent = "Live";
    el.camPause.textContent = "Pause (freeze frame)";
    el.camPause.setAttribute("aria-pressed", "false");
    el.alarmText.textContent = "";
    this.updateCamStats();
    try {
      await el.video.play();
    } catch (e) {
      // autoplay of a muted video is allowed; carry on if the browser disagrees
    }
    this.cameraLoop(cam);
  }

  /** stopCamera ends the camera session; the last frame's result stays shown. */
  stopCamera() {
    const cam = this.camera;
    if (!cam) return;
    cam.running = false;
    for (const t of cam.stream.getTracks()) t.stop();
    this.el.video.srcObject = null;
    this.el.camera.hidden = true;
    this.el.camStart.hidden = false;
    this.el.card.classList.remove("alarmed", "camera-on");
    this.camera = null;
  }

  /** pauseCamera freezes (or resumes) the video and the analysis; the frozen frame's result stays. */
  pauseCamera(paused) {
    const cam = this.camera, el = this.el;
    if (!cam) return;
    cam.paused = paused;
    if (paused) el.video.pause();
    else el.video.play().catch(() => {});
    cam.times = [];
    el.camState.textContent = paused ? "Frozen" : "Live";
    el.camPause.textContent = paused ? "Resume" : "Pause (freeze frame)";
    el.camPause.setAttribute("aria-pressed", String(paused));
  }

  /**
   * videoBox is where the video's pixels lie in the view (object-fit:
   * contain): its scale (view px per video px) and offset.
   */
  videoBox() {
    const v = this.el.video, vw = v.videoWidth, vh = v.videoHeight;
    const W = this.el.camView.clientWidth, H = this.el.camView.clientHeight;
    if (!vw || !vh || !W || !H) return null;
    const k = Math.min(W / vw, H / vh);
    return { k, ox: (W - vw * k) / 2, oy: (H - vh * k) / 2, vw, vh };
  }

  /** region is the analysed square in video pixels: the dragged one, else the centre square. */
  region() {
    const v = this.el.video, w = v.videoWidth, h = v.videoHeight;
    const r = this.camera && this.camera.region;
    if (r && r.x + r.side <= w && r.y + r.side <= h) return r; // (a rotated camera may have moved it out)
    const side = Math.min(w, h);
    return { x: (w - side) / 2, y: (h - side) / 2, side };
  }

  /** placeGuide outlines the analysed square over the video. */
  placeGuide() {
    const v = this.el.video;
    if (v.videoWidth && v.videoHeight) this.el.camView.style.aspectRatio = `${v.videoWidth} / ${v.videoHeight}`;
    const b = this.videoBox(), g = this.el.guide;
    if (!b) return;
    const r = this.region();
    g.style.left = `${b.ox + r.x * b.k}px`;
    g.style.top = `${b.oy + r.y * b.k}px`;
    g.style.width = g.style.height = `${r.side * b.k}px`;
  }

  /**
   * bindRegionDrag lets a drag on the video choose the analysed square (its
   * side the larger of the drag's width and height, kept inside the video);
   * a tap (a drag under 16 video pixels) goes back to the centre square.
   */
  bindRegionDrag() {
    const view = this.el.camView;
    let start = null;
    const toVideo = (e) => {
      const b = this.videoBox(), rect = view.getBoundingClientRect();
      if (!b) return null;
      return { b, x: Math.min(Math.max((e.clientX - rect.left - b.ox) / b.k, 0), b.vw), y: Math.min(Math.max((e.clientY - rect.top - b.oy) / b.k, 0), b.vh) };
    };
    const regionTo = (p) => {
      const { vw, vh } = p.b;
      const dx = p.x - start.x, dy = p.y - start.y;
      let side = Math.max(Math.abs(dx), Math.abs(dy));
      // the square grows from the start point towards the pointer, inside the video
      side = Math.min(side, dx < 0 ? start.x : vw - start.x, dy < 0 ? start.y : vh - start.y);
      return { x: dx < 0 ? start.x - side : start.x, y: dy < 0 ? start.y - side : start.y, side };
    };
    view.addEventListener("pointerdown", (e) => {
      if (!this.camera) return;
      start = toVideo(e);
      try {
        if (start) view.setPointerCapture(e.pointerId);
      } catch (err) {
        // a pointer the browser does not track (synthetic events): no capture needed
      }
    });
    view.addEventListener("pointermove", (e) => {
      if (!start || !this.camera) return;
      const p = toVideo(e);
      if (!p) return;
      const r = regionTo(p);
      if (r.side >= 16) {
        this.camera.region = r;
        this.placeGuide();
      }
    });
    const end = (e) => {
      if (!start || !this.camera) return;
      const p = toVideo(e);
      const r = p && regionTo(p);
      this.camera.region = r && r.side >= 16 ? r : null;
      start = null;
      this.placeGuide();
    };
    view.addEventListener("pointerup", end);
    view.addEventListener("pointercancel", () => { start = null; });
  }

  /** nextVideoFrame resolves with the number of frames the video has presented so far (0 if unknown). */
  nextVideoFrame() {
    const v = this.el.video;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(0), 250);
      if (typeof v.requestVideoFrameCallback === "function") {
        v.requestVideoFrameCallback((_, meta) => { clearTimeout(timer); resolve(meta.presentedFrames || 0); });
      } else {
        requestAnimationFrame(() => { clearTimeout(timer); resolve(0); });
      }
    });
  }

  /** grabFrame draws the analysed square (region()) of the video at the model's size S and returns its pixels. */
  grabFrame(S) {
    const v = this.el.video, w = v.videoWidth, h = v.videoHeight;
    if (!w || !h) return null;
    if (!this.grabCanvas) this.grabCanvas = document.createElement("canvas");
    const c = this.grabCanvas;
    if (c.width !== S) { c.width = S; c.height = S; }
    const g = c.getContext("2d", { willReadFrequently: true });
    const r = this.region();
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = "high";
    g.drawImage(v, r.x, r.y, r.side, r.side, 0, 0, S, S);
    return g.getImageData(0, 0, S, S);
  }

  /**
   * cameraLoop analyses frames while the camera runs: one frame in flight at
   * most; frames the camera shows meanwhile are dropped, not queued.
   */
  async cameraLoop(cam) {
    const el = this.el;
    while (cam.running) {
      const presented = await this.nextVideoFrame();
      if (!cam.running) return;
      this.placeGuide(); // the video's size or the view's may have changed
      if (cam.paused || document.hidden) continue; // a hidden tab analyses nothing
      try {
        await this.begun;
        await this.loading;
      } catch (e) {
        this.stopCamera();
        return; // the load's failure is shown already
      }
      if (!cam.running || cam.paused || !this.loaded) continue;
      const frame = this.grabFrame(this.loaded.config.size);
      if (!frame) continue;
      const sent = new ImageData(new Uint8ClampedArray(frame.data), frame.width, frame.height); // frame's buffer is transferred
      if (presented && cam.lastPresented) cam.skipped += Math.max(0, presented - cam.lastPresented - 1);
      const t0 = performance.now();
      let r;
      try {
        r = await this.engine.detectPixels(this.session, frame);
      } catch (e) {
        if (cam.running) {
          this.showMessage(`The camera frame could not be analysed: ${e.message}`);
          this.stopCamera();
        }
        return;
      }
      if (!cam.running) return;
      const done = performance.now();
      // The frames the camera presents while this one is analysed are dropped
      // (counted at the next frame taken).
      cam.lastPresented = presented;
      if (cam.paused) continue; // paused meanwhile: keep the frozen frame's result
      cam.frame = sent;
      cam.frames++;
      cam.times.push(done);
      if (cam.times.length > 10) cam.times.shift();
      const n = cam.times.length;
      cam.fps = n >= 2 ? (n - 1) * 1000 / (cam.times[n - 1] - cam.times[0]) : 1000 / (done - t0);
      this.lastResult = r;
      this.lastBlob = null;
      this.lastName = `camera frame ${cam.frames}`;
      this.lastMs = done - t0;
      if (r.fellBack) this.showMessage(`${r.fellBack}; carrying on on the CPU.`, true);
      this.showBackend(r.backend);
      this.render();
      el.camSave.disabled = false;
      this.judgeFrame(cam, r);
      this.updateCamStats();
      const out = {
        score: r.score, normalizedScore: r.normalizedScore, threshold: r.threshold, anomalous: r.anomalous,
        backend: backendLabel(r.backend), ms: this.lastMs, camera: true,
      };
      this.dispatchEvent(new CustomEvent("noise2norm-result", { detail: out, bubbles: true, composed: true }));
    }
  }

  /** judgeFrame counts a frame's verdict and sounds the alarm after N anomalous frames in a row. */
  judgeFrame(cam, r) {
    const el = this.el;
    if (!r.calibrated) {
      cam.streak = 0;
      el.alSound.disabled = el.alVib.disabled = el.alN.disabled = true;
      el.alNote.textContent = "This model is uncalibrated: it gives no verdict, so there is no alarm and no frame is flagged.";
      return;
    }
    el.alSound.disabled = el.alVib.disabled = el.alN.disabled = false;
    el.alNote.textContent = "Anomalous: the score at or above the threshold the sensitivity slider sets.";
    const anomalous = r.normalizedScore >= 1 - Number(el.sens.value);
    if (anomalous) cam.flagged++;
    cam.streak = anomalous ? cam.streak + 1 : 0;
    const need = Math.max(1, Math.round(Number(el.alN.value)) || 1);
    if (cam.streak === need) {
      cam.alarms++;
      el.alarmText.textContent = `Alarm: ${need} anomalous frame${need > 1 ? "s" : ""} in a row.`;
      el.card.classList.add("alarmed");
      if (el.alSound.checked) this.beep();
      if (el.alVib.checked && typeof navigator.vibrate === "function") navigator.vibrate([200, 100, 200]);
    } else if (!anomalous) {
      el.alarmText.textContent = "";
      el.card.classList.remove("alarmed");
    }
    if (anomalous !== cam.anomalous) {
      el.live.textContent = `Camera: ${anomalous ? "anomalous" : "normal"}, score ${fmt(r.normalizedScore)}.`;
      cam.anomalous = anomalous;
    }
  }

  /** beep plays a short two-tone alarm through WebAudio. */
  beep() {
    const a = this.audio;
    if (!a) return;
    a.resume().catch(() => {});
    const t = a.currentTime;
    for (const [i, f] of [880, 660].entries()) {
      const o = a.createOscillator(), g = a.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, t + i * 0.18);
      g.gain.exponentialRampToValueAtTime(0.3, t + i * 0.18 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.18 + 0.16);
      o.connect(g).connect(a.destination);
      o.start(t + i * 0.18);
      o.stop(t + i * 0.18 + 0.17);
    }
  }

  updateCamStats() {
    const cam = this.camera, el = this.el;
    if (!cam) return;
    el.fps.textContent = cam.frames ? cam.fps.toFixed(cam.fps < 10 ? 2 : 1) : "—";
    el.cFrames.textContent = String(cam.frames);
    el.cFlagged.textContent = cam.frames && !this.lastResult.calibrated ? "—" : String(cam.flagged);
    el.cSkipped.textContent = cam.skipped ? `${cam.skipped} camera frames dropped while busy` : "";
  }

  /** saveFrame saves the analysed frame beside its heatmap, with a caption, as one PNG. */
  saveFrame() {
    const r = this.lastResult;
    if (!r || r.format !== "rgba") return;
    const heat = this.el.heat, D = heat.width, pad = 36;
    const c = document.createElement("canvas");
    c.width = 2 * D; c.height = D + pad;
    const g = c.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, c.width, c.height);
    g.imageSmoothingEnabled = true;
    g.drawImage(this.inputCanvas, 0, 0, D, D);
    g.drawImage(heat, D, 0, D, D);
    g.fillStyle = "#111";
    g.font = "16px system-ui, sans-serif";
    const verdict = r.calibrated ? `${r.normalizedScore >= 1 - Number(this.el.sens.value) ? "anomalous" : "normal"}, score ${fmt(r.normalizedScore)}` : `raw score ${fmt(r.score, 4)} (uncalibrated)`;
    g.fillText(`noise2norm · ${this.model ? this.model.id : ""} · ${verdict} · ${new Date().toISOString().slice(0, 19).replace("T", " ")}`, 10, D + 24);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    c.toBlob((b) => b && saveBlob(b, `camera_${stamp}_heatmap.png`), "image/png");
  }

  render() {
    const r = this.lastResult, el = this.el, S = r.size;
    el.results.hidden = false;
    putRGBA(el.input, r.input, S);
    putRGBA(el.recon, r.recon, S);
    // The heat colours: the normalised map (threshold at 0.5, green) when
    // calibrated, else the map's own range, as detect scales it.
    let values = r.map, lo = Infinity, hi = -Infinity;
    if (r.normalizedMap) {
      values = r.normalizedMap; lo = 0; hi = 1;
    } else {
      for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
    const jetData = new Uint8ClampedArray(S * S * 4);
    for (let i = 0; i < S * S; i++) {
      const [cr, cg, cb] = jet(hi > lo ? (values[i] - lo) / (hi - lo) : 0);
      jetData[4 * i] = cr; jetData[4 * i + 1] = cg; jetData[4 * i + 2] = cb; jetData[4 * i + 3] = 255;
    }
    this.jetCanvas = offscreen(jetData, S);
    this.inputCanvas = offscreen(r.input, S);
    el.heatcap.textContent = r.format === "rgba" ? (r.calibrated ? "Camera frame: heatmap, predicted region outlined" : "Camera frame: heatmap (scaled to this frame's own range)") : r.calibrated ? "Anomaly heatmap; predicted region outlined" : "Anomaly heatmap (scaled to this image's own range)";
    this.drawHeat();
    this.drawScore();
    const t = r.ms;
    el.times.innerHTML = "";
    for (const [k, v] of [["decode", t.decode], ["upload", t.upload], ["forward", t.forward], ["map", t.map],
      ["readback", t.readback], ["worker total", t.total], ["round trip", this.lastMs]]) {
      const dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = k; dd.textContent = msText(v);
      el.times.append(dt, dd);
    }
  }

  /** drawHeat composes input, JET map at the chosen opacity and the predicted region's outline. */
  drawHeat() {
    const r = this.lastResult;
    if (!r) return;
    const S = r.size, scale = Math.max(1, Math.ceil(512 / S)), D = S * scale;
    const c = this.el.heat;
    c.width = D; c.height = D;
    const g = c.getContext("2d");
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = "high";
    g.globalAlpha = 1;
    g.drawImage(this.inputCanvas, 0, 0, D, D);
    g.globalAlpha = Number(this.el.opacity.value);
    g.drawImage(this.jetCanvas, 0, 0, D, D);
    g.globalAlpha = 1;
    if (r.normalizedMap) {
      const tau = 1 - Number(this.el.sens.value);
      const m = r.normalizedMap, inside = (x, y) => x >= 0 && y >= 0 && x < S && y < S && m[y * S + x] >= tau;
      g.beginPath();
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          if (!inside(x, y)) continue;
          const X = x * scale, Y = y * scale;
          if (!inside(x, y - 1)) { g.moveTo(X, Y); g.lineTo(X + scale, Y); }
          if (!inside(x, y + 1)) { g.moveTo(X, Y + scale); g.lineTo(X + scale, Y + scale); }
          if (!inside(x - 1, y)) { g.moveTo(X, Y); g.lineTo(X, Y + scale); }
          if (!inside(x + 1, y)) { g.moveTo(X + scale, Y); g.lineTo(X + scale, Y + scale); }
        }
      }
      g.lineWidth = Math.max(2, scale * 0.75);
      g.strokeStyle = "rgba(0,0,0,.7)";
      g.stroke();
      g.lineWidth = Math.max(1, scale * 0.35);
      g.strokeStyle = "#fff";
      g.stroke();
    }
  }

  /** drawScore shows the verdict, gauge and numbers; the sensitivity moves the decision threshold. */
  drawScore() {
    const r = this.lastResult, el = this.el;
    if (!r) return;
    const parts = [];
    let summary;
    if (r.calibrated) {
      const tau = 1 - Number(el.sens.value);
      const anomalous = r.normalizedScore >= tau;
      el.verdict.className = `verdict ${anomalous ? "anomalous" : "normal"}`;
      el.verdict.textContent = anomalous ? "Anomalous" : "Normal";
      el.gauge.hidden = false;
      el.needle.style.left = `${Math.min(Math.max(r.normalizedScore, 0), 1) * 100}%`;
      el.thr.style.left = `${tau * 100}%`;
      parts.push(`Score <b>${fmt(r.normalizedScore)}</b> (threshold ${fmt(tau, 2)})`, `raw <b>${fmt(r.score, 4)}</b>`);
      summary = `${this.lastName}: ${anomalous ? "anomalous" : "normal"}, score ${fmt(r.normalizedScore)} against threshold ${fmt(tau, 2)}`;
    } else {
      el.verdict.className = "verdict none";
      el.verdict.textContent = "Uncalibrated";
      el.gauge.hidden = true;
      parts.push(`Raw score <b>${fmt(r.score, 4)}</b>`, "no threshold in this model, so no verdict");
      summary = `${this.lastName}: raw score ${fmt(r.score, 4)}; the model is uncalibrated, so there is no verdict`;
    }
    parts.push(`${r.backend.kind === "webgpu" ? "WebGPU" : "CPU"} <b>${msText(this.lastMs)}</b>`);
    el.nums.innerHTML = parts.map((p) => `<span>${p}</span>`).join("");
    if (this.camera && r.format === "rgba") return; // the camera announces verdict changes only
    el.live.textContent = `${summary}. Took ${msText(this.lastMs)} on ${r.backend.kind === "webgpu" ? "WebGPU" : "the CPU"}.`;
  }
}

function setBar(bar, loaded, total) {
  if (total > 0) {
    bar.max = total;
    bar.value = Math.min(loaded, total);
  } else {
    bar.removeAttribute("value");
  }
}

function putRGBA(canvas, rgba, S) {
  canvas.width = S; canvas.height = S;
  canvas.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(rgba), S, S), 0, 0);
}

function offscreen(rgba, S) {
  const c = document.createElement("canvas");
  putRGBA(c, rgba, S);
  return c;
}

if (!customElements.get("noise2norm-demo")) customElements.define("noise2norm-demo", Noise2NormDemo);
