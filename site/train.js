// The "Train your own" mode of <noise2norm-demo> (embed.js): the visitor
// adds normal images (drop, paste, pick, or the bundled samples), chooses a
// preset, trains in the demo's worker with a live loss curve, and the
// element then detects with the trained model. Trained and uploaded models
// are kept in IndexedDB (store.js) and listed in the model picker under
// "Your models". The element's script API (train, stopTraining,
// exportWeights) goes through the same code.
//
// The panel shows when the element has the `train` attribute; the API
// works without it (nothing is then kept in IndexedDB).
//
// Sessions: the element detects on host.session; a run trains on the other
// of two session names, so the current model keeps detecting while it
// trains, and the element switches to the trained session when the run
// ends (stopped or not).
import { EngineError } from "./client.js";
import { ERR, TRAIN_MIN_IMAGES, TRAIN_MAX_IMAGES } from "./protocol.js";
import { changes, listModels, getModel, putModel, renameModel, deleteModel, USER_PREFIX } from "./store.js";

const BASE = new URL(".", import.meta.url);

/** The bundled sample images' list (site/examples/train/textile/list.json). */
const SAMPLES = "examples/train/textile/list.json";

/** Each preset's network shape (the contract's; the worker's estimate reply says the measured one). */
const PRESET_SHAPES = { small: { wf: 8, size: 64 }, large: { wf: 16, size: 128 } };

/** Uploaded weight files larger than this are refused before reading them. */
const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

/** The redraw interval of the loss curve and progress text while training (ms). */
const DRAW_EVERY_MS = 250;

/** Extensions Go's decoders read (as detect does); files named otherwise with no image type are refused early. */
const IMAGE_EXT = /\.(png|jpe?g|gif|bmp|tiff?|webp)$/i;

export const TRAIN_STYLE = `
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin: -2px 0 0; }
.tab { border: 0; background: none; color: var(--muted); padding: 8px 14px; font-size: 15px; border-bottom: 3px solid transparent;
  margin-bottom: -1px; border-radius: 8px 8px 0 0; }
.tab[aria-selected=true] { color: var(--fg); border-bottom-color: var(--accent); font-weight: 600; }
.tab:hover { color: var(--fg); }
.tab:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
.train-on .drop:not(.tr-drop), .train-on .examples, .train-on .camrow, .train-on .camera, .train-on .results,
  .train-on .msg:not(.trmsg) { display: none !important; }
.train { display: grid; gap: 14px; }
.train h3 { font-size: 15px; margin: 0; }
.train .intro { margin: 0; font-size: 14px; color: var(--muted); }
.train .intro b { color: var(--fg); }
.tr-row { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; }
.thumbs { list-style: none; margin: 0; padding: 0; display: grid; align-items: start; grid-template-columns: repeat(auto-fill, minmax(76px, 1fr)); gap: 8px; }
.thumbs li { position: relative; border: 1px solid var(--line); border-radius: 9px; overflow: hidden; background: var(--panel); }
.thumbs img { display: block; width: 100%; aspect-ratio: 1; object-fit: cover; }
.thumbs .noprev { display: grid; place-items: center; aspect-ratio: 1; font-size: 11px; color: var(--muted); padding: 4px; text-align: center; }
.thumbs .nm { display: block; font-size: 11px; padding: 2px 5px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; color: var(--muted); }
.thumbs .rm { position: absolute; top: 3px; right: 3px; width: 26px; height: 26px; border-radius: 50%; border: 0;
  background: rgba(17,24,39,.72); color: #fff; font-size: 16px; line-height: 26px; padding: 0; }
.thumbs .rm:focus-visible { outline: 2px solid #fff; box-shadow: 0 0 0 4px var(--accent); }
.thumbs li.bad { border-color: var(--bad); }
.thumbs li.bad .nm { color: var(--bad); }
.thumbs li.bad::after { content: "skipped"; position: absolute; left: 4px; top: 4px; font-size: 10px; padding: 1px 6px; border-radius: 99px;
  background: var(--bad); color: #fff; }
.thumbs li.refused::after { content: "refused"; }
.thumbs li.checking::after { content: "checking…"; position: absolute; left: 4px; top: 4px; font-size: 10px; padding: 1px 6px; border-radius: 99px;
  background: var(--panel); color: var(--muted); border: 1px solid var(--line); }
.thumbs .why { display: block; font-size: 10.5px; line-height: 1.25; padding: 0 5px 4px; color: var(--bad); overflow-wrap: anywhere; }
.presets { border: 0; margin: 0; padding: 0; display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.presets legend { font-size: 13px; color: var(--muted); padding: 0; margin-bottom: 6px; }
.preset { position: relative; display: grid; gap: 2px; padding: 10px 12px; border: 1px solid var(--line); border-radius: 12px; cursor: pointer; background: var(--bg); }
.preset input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.preset:has(input:checked) { border-color: var(--accent); box-shadow: 0 0 0 1px var(--accent); background: var(--accent-soft); }
.preset:has(input:focus-visible) { outline: 2px solid var(--accent); outline-offset: 2px; }
.preset .pt { font-weight: 650; }
.preset .ps, .preset .pe { font-size: 13px; color: var(--muted); }
.estimate { margin: 0; font-size: 14px; padding: 8px 12px; border-radius: 10px; background: var(--panel); border: 1px solid var(--line); }
.estimate.slow { background: #fffbeb; border-color: #f59e0b; color: #78350f; }
@media (prefers-color-scheme: dark) { .estimate.slow { background: #2a1f05; color: #fde68a; } }
.tr-opts { display: flex; flex-wrap: wrap; gap: 10px 18px; align-items: center; font-size: 14px; }
.tr-opts label { display: inline-flex; gap: 6px; align-items: center; color: var(--muted); }
.tr-opts input[type=number] { width: 6em; }
.tr-opts input[type=text] { width: 14em; max-width: 100%; }
.tr-opts input[type=number], .tr-opts input[type=text], .mlist input[type=text] { font: inherit; padding: 4px 8px; border-radius: 7px;
  border: 1px solid var(--line); background: var(--bg); color: var(--fg); }
.run { display: grid; gap: 8px; }
.run .stats { display: flex; flex-wrap: wrap; gap: 2px 16px; font-size: 14px; }
.run .stats b { font-variant-numeric: tabular-nums; }
canvas.curve { aspect-ratio: 5 / 2; max-height: 260px; }
.legend { margin: -2px 0 0; font-size: 12px; color: var(--muted); display: flex; flex-wrap: wrap; gap: 2px 14px; }
.legend span::before { content: ""; display: inline-block; vertical-align: middle; margin-right: 5px; }
.lg-step::before { width: 16px; height: 0; border-top: 1px solid var(--accent); opacity: .45; }
.lg-mean::before { width: 16px; height: 0; border-top: 2.5px solid var(--accent); }
.lg-val::before { width: 8px; height: 8px; border-radius: 50%; background: #f59e0b; }
.lg-best::before { width: 9px; height: 9px; border-radius: 50%; border: 2px solid var(--good); box-sizing: border-box; }
.done { border-radius: 12px; padding: 12px 14px; background: var(--good-soft); border: 1px solid var(--good); display: grid; gap: 8px; font-size: 14px; }
.done.stopped { background: var(--panel); border-color: var(--line); }
.done p { margin: 0; }
.calnote { color: var(--fg); }
.calnote.warn { color: #92400e; }
@media (prefers-color-scheme: dark) { .calnote.warn { color: #fcd34d; } }
.models { display: grid; gap: 8px; border-top: 1px solid var(--line); padding-top: 12px; }
.mlist { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
.mlist li { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; padding: 6px 8px; border: 1px solid var(--line); border-radius: 10px; font-size: 13px; }
.mlist li.current { border-color: var(--accent); }
.mlist .mname { flex: 0 1 13em; min-width: 8em; }
.mlist .mmeta { color: var(--muted); flex: 1 1 16em; }
.mlist .btn { padding: 4px 9px; font-size: 13px; }
.trmsg { white-space: pre-line; }
@container (max-width: 560px) {
  .presets { grid-template-columns: 1fr; }
  .thumbs { grid-template-columns: repeat(6, 1fr); gap: 5px; }
  .thumbs .nm, .thumbs .why { display: none; } /* the list under the thumbnails names them and says why */
  .thumbs .rm { width: 22px; height: 22px; line-height: 22px; font-size: 14px; top: 2px; right: 2px; }
}
`;

const TABS = `
<div class="tabs" role="tablist" aria-label="Mode" hidden>
  <button type="button" class="tab tab-detect" role="tab" aria-selected="true" aria-controls="tr-detect-panel">Check images</button>
  <button type="button" class="tab tab-train" role="tab" aria-selected="false" aria-controls="tr-panel" tabindex="-1">Train your own</button>
</div>`;

const PANEL = `
<section class="train" id="tr-panel" role="tabpanel" aria-label="Train your own model" hidden data-state="idle">
  <p class="intro">Train a model on photos of <b>good</b> parts only: at least ${TRAIN_MIN_IMAGES} and at most ${TRAIN_MAX_IMAGES} images
    (twenty or more of the same kind of part, taken the same way, work best). Training runs in this page:
    <b>nothing is uploaded</b>.</p>
  <div class="drop tr-drop" tabindex="0" role="button" aria-describedby="tr-drop-sub">
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" aria-hidden="true"><path d="M12 16V4m0 0-4 4m4-4 4 4"/><path d="M4 16v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2"/></svg>
    <strong class="fine">Drop normal images here</strong><strong class="coarse">Choose normal images</strong>
    <span class="sub" id="tr-drop-sub"><span class="fine">or paste them, or <span class="linkish">choose files</span>. </span>PNG, JPEG, GIF, BMP, TIFF or WebP; ${TRAIN_MIN_IMAGES} to ${TRAIN_MAX_IMAGES} images.</span>
    <input type="file" class="tr-file" accept="image/*,.tif,.tiff" multiple hidden>
  </div>
  <div class="tr-row">
    <button type="button" class="btn tr-samples">Try with sample images</button>
    <button type="button" class="btn tr-clear" disabled>Remove all</button>
    <span class="meta tr-count" aria-live="polite"></span>
  </div>
  <ul class="thumbs" aria-label="Training images"></ul>
  <div class="msg trmsg tr-skipped" role="status" hidden></div>
  <fieldset class="presets">
    <legend>Model size</legend>
    <label class="preset"><input type="radio" name="tr-preset" value="small" checked>
      <span class="pt">Small, fast</span><span class="ps">64×64 pixels, wf 8: fits a phone</span><span class="pe" data-preset="small"></span></label>
    <label class="preset"><input type="radio" name="tr-preset" value="large">
      <span class="pt">Larger, better</span><span class="ps">128×128 pixels, wf 16: for a laptop GPU</span><span class="pe" data-preset="large"></span></label>
  </fieldset>
  <p class="estimate" aria-live="polite">Measuring how fast this device trains…</p>
  <div class="tr-opts">
    <label>Steps <input type="number" class="tr-steps" min="1" max="100000" step="1" inputmode="numeric"></label>
    <label>Name <input type="text" class="tr-name" maxlength="80" placeholder="My parts"></label>
    <label class="tr-basebox"><input type="checkbox" class="tr-base"> Start from a shipped model</label>
    <select class="tr-basesel" aria-label="Shipped model to start from" hidden></select>
  </div>
  <div class="actions">
    <button type="button" class="btn primary tr-start" disabled>Start training</button>
    <button type="button" class="btn tr-stop" hidden>Stop</button>
    <button type="button" class="btn tr-continue" hidden>Continue training</button>
  </div>
  <div class="msg trmsg tr-msg" role="alert" hidden></div>
  <div class="run" hidden>
    <div class="progress"><span class="tr-ptext">Starting…</span><progress class="tr-pbar" max="1"></progress></div>
    <div class="stats" aria-live="off"></div>
    <canvas class="curve" role="img" aria-label="Training loss per step"></canvas>
    <p class="legend" hidden><span class="lg-step">each step's loss</span> <span class="lg-mean">mean of the last 10 steps</span>
      <span class="lg-val">held-out loss, per epoch</span> <span class="lg-best" hidden>kept step (lowest held-out loss)</span></p>
  </div>
  <div class="done" hidden>
    <p class="dsum"></p>
    <p class="dbest"></p>
    <p class="calnote"></p>
    <div class="actions">
      <button type="button" class="btn primary tr-check">Check images with it</button>
      <button type="button" class="btn tr-download">Download (.safetensors)</button>
    </div>
  </div>
  <section class="models" aria-label="Your models">
    <h3>Your models</h3>
    <p class="meta tr-none">None yet. Models you train or upload are kept in this browser (IndexedDB) and listed in the model picker.</p>
    <ul class="mlist"></ul>
    <div class="tr-row">
      <button type="button" class="btn tr-upload">Upload a model (.safetensors)</button>
      <input type="file" class="tr-upfile" accept=".safetensors,application/octet-stream" hidden>
      <span class="meta">A noise2norm weights file, from <code>cmd/train</code> or downloaded here.</span>
    </div>
  </section>
</section>`;

/** fmt writes x with d decimals, "—" when it is missing or not finite. */
export const fmt = (x, d = 3) => (x == null || !isFinite(x) ? "—" : Number(x).toFixed(d));
/** mb writes a byte count as "3.2 MB", "48 MB" or "1.25 GB". */
export const mb = (n) => (n >= 1e9 ? (n / 1e9).toFixed(2) + " GB" : (n / 1e6).toFixed(n < 1e7 ? 1 : 0) + " MB");

/** duration says seconds as "12 s", "3 min 5 s" or "1 h 4 min". */
export function duration(s) {
  if (!isFinite(s) || s < 0) return "—";
  if (s < 60) return `${Math.max(1, Math.round(s))} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60), r = Math.round(s - 60 * m);
    return r ? `${m} min ${r} s` : `${m} min`;
  }
  const h = Math.floor(s / 3600);
  return `${h} h ${Math.round((s - 3600 * h) / 60)} min`;
}

/** backendLabel is a BackendInfo as the element's API results name it: "webgpu: name" or "cpu". */
export const backendLabel = (b) => (b.kind === "webgpu" ? `webgpu: ${b.name}` : "cpu");

/** backendText names where a run goes: "WebGPU (name)" or "the CPU". */
const backendText = (b) => (b && b.kind === "webgpu" ? `WebGPU (${b.name})` : "the CPU");

/** TrainMode is one element's training panel and API. */
export class TrainMode {
  /** @param {HTMLElement & {shadowRoot: ShadowRoot}} host the <noise2norm-demo> element */
  constructor(host) {
    this.host = host;
    const root = host.shadowRoot;
    const style = document.createElement("style");
    style.textContent = TRAIN_STYLE;
    root.append(style);
    const card = root.querySelector(".card");
    const bar = card.querySelector(".bar");
    bar.insertAdjacentHTML("afterend", TABS);
    card.querySelector(".drop").insertAdjacentHTML("beforebegin", PANEL);
    const $ = (s) => root.querySelector(s);
    this.el = {
      tabs: $(".tabs"), tabDetect: $(".tab-detect"), tabTrain: $(".tab-train"), panel: $(".train"),
      drop: $(".tr-drop"), file: $(".tr-file"), samples: $(".tr-samples"), clear: $(".tr-clear"), count: $(".tr-count"),
      thumbs: $(".thumbs"), skipped: $(".tr-skipped"), presets: root.querySelectorAll("input[name=tr-preset]"),
      estimate: $(".estimate"), steps: $(".tr-steps"), name: $(".tr-name"), base: $(".tr-base"), baseSel: $(".tr-basesel"),
      start: $(".tr-start"), stop: $(".tr-stop"), cont: $(".tr-continue"), msg: $(".tr-msg"),
      run: $(".run"), legend: $(".legend"), legendVal: $(".lg-val"), legendBest: $(".lg-best"), ptext: $(".tr-ptext"), pbar: $(".tr-pbar"), stats: $(".run .stats"), curve: $(".curve"),
      done: $(".done"), dsum: $(".dsum"), dbest: $(".dbest"), calnote: $(".calnote"), check: $(".tr-check"), download: $(".tr-download"),
      none: $(".tr-none"), list: $(".mlist"), upload: $(".tr-upload"), upfile: $(".tr-upfile"),
    };
    // The detection panel is the card's other children; give the tab its target.
    card.querySelector(".drop:not(.tr-drop)").id = "tr-detect-panel";
    /** @type {Array<{key: string, file: Blob, name: string, url: string, li: HTMLElement}>} */
    this.images = [];
    this.enabled = false;
    this.active = false;
    /** The current or last run: {session, preset, steps, losses, valLosses, marks, ...}; null before one. */
    this.run = null;
    /** estimates by "preset|backend": Promise of the EstimateReply */
    this.estimates = new Map();
    this.stepsEdited = false;
    this.userModels = [];
    /** Lines about files refused when they were added (not images at all), and from the worker at a run's start. */
    this.addNotes = [];
    this.startNotes = [];
    this.bind();
    this.updateImages();
  }

  /** setEnabled shows or hides the mode (the `train` attribute). */
  setEnabled(on) {
    this.enabled = on;
    this.el.tabs.hidden = !on;
    if (!on) this.show(false);
    if (on && !this.listening) {
      this.listening = true;
      changes.addEventListener("change", () => this.refreshModels());
    }
    if (on && this.host.models) this.refreshModels();
  }

  /** afterModels is called by the host once models.json is read. */
  afterModels() {
    if (this.enabled) this.refreshModels();
    this.renderBaseChoices();
  }

  /** show switches between the detection (false) and the training (true) panel. */
  show(train) {
    this.active = train && this.enabled;
    const { tabDetect, tabTrain, panel } = this.el;
    tabDetect.setAttribute("aria-selected", String(!this.active));
    tabTrain.setAttribute("aria-selected", String(this.active));
    tabDetect.tabIndex = this.active ? -1 : 0;
    tabTrain.tabIndex = this.active ? 0 : -1;
    panel.hidden = !this.active;
    this.host.el.card.classList.toggle("train-on", this.active);
    if (this.active) {
      if (this.host.camera) this.host.stopCamera();
      this.refreshEstimate();
      if (this.run && this.run.losses.length) this.draw();
    }
  }

  bind() {
    const el = this.el;
    el.tabDetect.addEventListener("click", () => this.show(false));
    el.tabTrain.addEventListener("click", () => this.show(true));
    el.tabs.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight" && e.key !== "Home" && e.key !== "End") return;
      e.preventDefault();
      const train = e.key === "ArrowRight" || e.key === "End";
      this.show(train);
      (train ? el.tabTrain : el.tabDetect).focus();
    });
    el.drop.addEventListener("click", () => el.file.click());
    el.drop.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        el.file.click();
      }
    });
    // The card takes the drop (embed.js); the training drop zone shows that it would.
    el.drop.addEventListener("dragover", () => el.drop.classList.add("over"));
    el.drop.addEventListener("dragleave", () => el.drop.classList.remove("over"));
    el.drop.addEventListener("drop", () => el.drop.classList.remove("over"));
    el.file.addEventListener("change", () => {
      this.addFiles([...(el.file.files || [])]);
      el.file.value = "";
    });
    el.samples.addEventListener("click", () => this.addSamples());
    el.clear.addEventListener("click", () => this.clearImages());
    for (const r of el.presets) r.addEventListener("change", () => { this.stepsEdited = false; this.refreshEstimate(); this.renderBaseChoices(); });
    el.steps.addEventListener("input", () => { this.stepsEdited = true; this.showEstimate(); });
    el.base.addEventListener("change", () => { el.baseSel.hidden = !el.base.checked; });
    el.start.addEventListener("click", () => this.startFromUI());
    el.stop.addEventListener("click", () => this.stopTraining().catch((e) => this.showMsg(e.message)));
    el.cont.addEventListener("click", () => this.continueFromUI());
    el.check.addEventListener("click", () => { this.show(false); this.el.tabDetect.focus(); });
    el.download.addEventListener("click", () => this.downloadCurrent());
    el.upload.addEventListener("click", () => el.upfile.click());
    el.upfile.addEventListener("change", () => {
      const f = el.upfile.files && el.upfile.files[0];
      el.upfile.value = "";
      if (f) this.upload(f).catch(() => {});
    });
  }

  /** takeDrop handles files dropped on the element while the panel shows. */
  takeDrop(files) {
    if (!files.length) {
      this.showMsg("Nothing to read in what was dropped: drop image files.");
      return;
    }
    this.addFiles(files);
  }

  /** takePaste handles a paste while the panel shows: every pasted file is added. */
  takePaste(e) {
    const files = e.clipboardData ? [...e.clipboardData.items].filter((i) => i.kind === "file").map((i) => i.getAsFile()).filter(Boolean) : [];
    if (!files.length) return;
    e.preventDefault();
    this.addFiles(files.map((f, i) => (f.name && f.name !== "image.png" ? f : new File([f], `pasted-${Date.now()}-${i + 1}.png`, { type: f.type }))));
  }

  showMsg(text, info = false) {
    const m = this.el.msg;
    m.textContent = text;
    m.className = `msg trmsg tr-msg${info ? " info" : ""}`;
    m.hidden = !text;
  }

  /**
   * addFiles adds images to the training set; files that are plainly not
   * images are refused at once and named, and every other one is decoded by
   * the worker (check-image, the decoders a run uses) as it is added: one
   * that cannot be read is marked refused with the reason and left out.
   * @param {Blob[]} files
   * @param {boolean} [samples] the files are the bundled sample images
   */
  addFiles(files, samples = false) {
    const refused = [];
    let over = 0;
    for (const f of files) {
      const name = f.name || `image-${this.images.length + 1}`;
      const key = `${name}|${f.size}|${f.lastModified || 0}`;
      if (this.images.some((im) => im.key === key)) continue; // the same file twice
      if (f.type && !f.type.startsWith("image/") || !f.type && !IMAGE_EXT.test(name)) {
        refused.push(`${name}: not an image file${f.type ? ` (${f.type})` : ""}`);
        continue;
      }
      if (f.size === 0) {
        refused.push(`${name}: empty file`);
        continue;
      }
      if (this.images.length >= TRAIN_MAX_IMAGES) {
        over++;
        continue;
      }
      const im = this.thumb({ key, file: f, name, sample: samples });
      this.images.push(im);
      this.check(im);
    }
    const lines = [];
    if (refused.length) lines.push(`Skipped, not images: ${refused.join("; ")}.`);
    if (over) lines.push(`${over} more image${over > 1 ? "s were" : " was"} not added: at most ${TRAIN_MAX_IMAGES} images train one model.`);
    this.addNotes = lines;
    this.startNotes = [];
    this.renderSkipped();
    this.updateImages();
  }

  /**
   * check has the worker decode an added image as a run would; if it cannot,
   * the image is marked refused with the reason (and not trained on). If
   * the worker cannot be asked, the image stays: a run names it if needed.
   */
  async check(im) {
    im.li.classList.add("checking");
    im.checked = (async () => {
      try {
        await this.host.begun;
        if (this.host.unusable) return;
        await this.host.engine.ready;
        const r = await this.host.engine.checkImage(im.file, im.name);
        if (!r.ok) this.refuse(im, r.message);
      } catch {
        // no worker: the run decides
      } finally {
        im.li.classList.remove("checking");
      }
    })();
    return im.checked;
  }

  /** refuse marks an added image unreadable, with why. */
  refuse(im, why) {
    if (!this.images.includes(im)) return; // removed meanwhile
    im.refused = why;
    im.li.classList.add("bad", "refused");
    const w = document.createElement("span");
    w.className = "why";
    w.textContent = why;
    im.li.title = `${im.name}: ${why}`;
    im.li.querySelector(".nm").after(w);
    const img = im.li.querySelector("img");
    if (img) { // whatever the browser made of it, it is not what a run would see
      const d = document.createElement("div");
      d.className = "noprev";
      d.textContent = "cannot be read";
      img.replaceWith(d);
    }
    this.renderSkipped();
    this.updateImages();
  }

  /** usable are the added images not refused. */
  usable() {
    return this.images.filter((im) => !im.refused);
  }

  /** renderSkipped lists the files refused when added, the images the worker cannot read, and what a run skipped. */
  renderSkipped() {
    const lines = [...this.addNotes];
    const refused = this.images.filter((im) => im.refused);
    if (refused.length) {
      lines.push(`Refused, not readable as images: ${refused.map((im) => `${im.name} (${im.refused})`).join("; ")}. `
        + `${refused.length > 1 ? "They are" : "It is"} not trained on; remove ${refused.length > 1 ? "them" : "it"} with ×.`);
    }
    this.showSkipped(lines.concat(this.startNotes));
  }

  /** thumb makes an image's thumbnail with its remove button. */
  thumb(im) {
    const li = document.createElement("li");
    im.url = URL.createObjectURL(im.file);
    const img = new Image();
    img.alt = "";
    img.decoding = "async";
    img.src = im.url;
    img.onerror = () => {
      // The browser cannot show it (TIFF, or a corrupt file): the worker's
      // decoders have the last word when training starts.
      const d = document.createElement("div");
      d.className = "noprev";
      d.textContent = "no preview";
      img.replaceWith(d);
    };
    const nm = document.createElement("span");
    nm.className = "nm";
    nm.textContent = im.name;
    nm.title = im.name;
    const rm = document.createElement("button");
    rm.type = "button";
    rm.className = "rm";
    rm.textContent = "×";
    rm.setAttribute("aria-label", `Remove ${im.name}`);
    rm.addEventListener("click", () => {
      const i = this.images.indexOf(im);
      if (i < 0) return;
      this.images.splice(i, 1);
      URL.revokeObjectURL(im.url);
      li.remove();
      if (im.refused) this.renderSkipped();
      this.updateImages();
      // Keep the keyboard where it was: the next remove button, else the drop zone.
      const next = this.el.thumbs.querySelectorAll(".rm")[Math.min(i, this.images.length - 1)];
      (next || this.el.drop).focus();
    });
    li.append(img, nm, rm);
    this.el.thumbs.append(li);
    im.li = li;
    return im;
  }

  clearImages() {
    for (const im of this.images) URL.revokeObjectURL(im.url);
    this.images = [];
    this.el.thumbs.replaceChildren();
    this.addNotes = [];
    this.startNotes = [];
    this.showSkipped([]);
    this.updateImages();
  }

  showSkipped(lines) {
    this.el.skipped.textContent = lines.join("\n");
    this.el.skipped.hidden = lines.length === 0;
  }

  /** updateImages says how many images there are and enables Start. */
  updateImages() {
    const n = this.usable().length, el = this.el, bad = this.images.length - n;
    const also = bad ? `; ${bad} refused` : "";
    el.count.textContent = n === 0 ? `No usable images yet (${TRAIN_MIN_IMAGES} to ${TRAIN_MAX_IMAGES})${also}.`
      : n < TRAIN_MIN_IMAGES ? `${n} image${n > 1 ? "s" : ""}: add at least ${TRAIN_MIN_IMAGES - n} more (minimum ${TRAIN_MIN_IMAGES})${also}.`
      : `${n} image${n > 1 ? "s" : ""} (at most ${TRAIN_MAX_IMAGES})${also}.`;
    el.clear.disabled = this.images.length === 0 || this.running();
    el.start.disabled = n < TRAIN_MIN_IMAGES || this.running();
    el.name.placeholder = n > 0 && this.images.every((im) => im.sample) ? "Textile samples" : `My parts ${this.userModels.length + 1}`;
  }

  /** addSamples fetches the bundled synthetic textile normals and adds them. */
  async addSamples() {
    const el = this.el;
    el.samples.disabled = true;
    try {
      const list = await (await okFetch(new URL(SAMPLES, BASE))).json();
      const dir = new URL(".", new URL(SAMPLES, BASE));
      const files = await Promise.all(list.normals.map(async (name) => {
        const blob = await (await okFetch(new URL(name, dir))).blob();
        return new File([blob], name, { type: "image/png", lastModified: 0 });
      }));
      this.samples = { dir, checks: list.checks || [] };
      this.addFiles(files, true);
    } catch (e) {
      this.showMsg(`The sample images could not be loaded (${e.message}).`);
    } finally {
      el.samples.disabled = false;
    }
  }

  get preset() {
    for (const r of this.el.presets) if (r.checked) return r.value;
    return "small";
  }

  /** estimateFor measures (once per preset and backend preference) one training step. */
  estimateFor(preset) {
    const key = `${preset}|${this.host.backendPref}`;
    if (!this.estimates.has(key)) {
      const p = (async () => {
        await this.host.begun;
        await this.host.engine.ready;
        return this.host.engine.estimate(preset, this.host.backendPref);
      })();
      p.catch(() => { p.failed = true; }); // shown, and asked again at the next refresh
      this.estimates.set(key, p);
    }
    return this.estimates.get(key);
  }

  /** refreshEstimate measures the chosen preset, then the other, and shows both. */
  async refreshEstimate() {
    if (!this.host.engine || this.host.unusable) return;
    const first = this.preset, other = first === "small" ? "large" : "small";
    for (const [key, p] of this.estimates) if (p.failed) this.estimates.delete(key);
    this.showEstimate();
    const e = await settled(this.estimateFor(first));
    this.showEstimate();
    // The other preset is timed too where that is quick (WebGPU); on the
    // CPU its step can take a minute, during which the worker does nothing
    // else, so it is timed when chosen.
    if (e.value && e.value.backend.kind === "webgpu" && !this.running()) {
      await settled(this.estimateFor(other));
      this.showEstimate();
    }
  }

  /** showEstimate writes what the measured estimates say for the chosen preset and steps. */
  async showEstimate() {
    const el = this.el, pref = this.host.backendPref;
    for (const span of this.host.shadowRoot.querySelectorAll(".preset .pe")) {
      const p = this.estimates.get(`${span.dataset.preset}|${pref}`);
      const e = p && await settled(p);
      span.textContent = !e ? (span.dataset.preset === this.preset ? "Measuring…" : "Choose it to measure its memory and speed here") : e.error ? "Could not be measured"
        : `Measured: ${mb(e.value.memoryBytes)} of memory, ${e.value.imagesPerSecond.toFixed(1)} images/s on ${e.value.backend.kind === "webgpu" ? "WebGPU" : "the CPU"}`;
    }
    const p = this.estimates.get(`${this.preset}|${pref}`);
    const e = p && await settled(p);
    if (!e) {
      el.estimate.textContent = "Measuring how fast this device trains…";
      el.estimate.className = "estimate";
      return;
    }
    if (e.error) {
      el.estimate.textContent = `One training step could not be timed: ${e.error.message}`;
      el.estimate.className = "estimate slow";
      return;
    }
    const est = e.value;
    if (!this.stepsEdited && est.defaultSteps && !this.running()) el.steps.value = String(est.defaultSteps);
    const steps = Math.max(1, Math.round(Number(el.steps.value)) || est.defaultSteps || 1);
    const total = steps * est.secondsPerStep;
    const per = `${fmt(est.secondsPerStep, est.secondsPerStep < 1 ? 2 : 1)} s a step of ${est.batch} images`;
    if (est.backend.kind === "cpu") {
      el.estimate.className = "estimate slow";
      el.estimate.textContent = `Training would run on the CPU (${est.backend.reason || "no WebGPU"}), which is slow: ${per}, about ${duration(total)} for ${steps} steps. A device with a GPU and WebGPU trains much faster.`;
    } else {
      el.estimate.className = "estimate";
      el.estimate.textContent = `Training runs on WebGPU (${est.backend.name})${est.backend.fallbackAdapter ? ", a software adapter, so slowly" : ""}: ${per}, about ${duration(total)} for ${steps} steps.`;
    }
  }

  running() {
    return !!(this.run && (this.run.state === "running" || this.run.state === "stopping"));
  }

  /** trainSession is the session a new run trains on: not the one the element detects with. */
  trainSession() {
    const a = this.host.baseSession, b = `${a}-b`;
    return this.host.session === a ? b : a;
  }

  renderBaseChoices() {
    const shape = PRESET_SHAPES[this.preset], sel = this.el.baseSel, chosen = sel.value;
    const list = (this.host.models || []).filter((m) => !m.user && m.wf === shape.wf && m.size === shape.size);
    sel.replaceChildren(...list.map((m) => new Option(m.name, m.id)));
    if (list.some((m) => m.id === chosen)) sel.value = chosen; // keep the visitor's choice
    this.el.base.disabled = list.length === 0;
    if (!list.length) this.el.base.checked = false;
    sel.hidden = !this.el.base.checked;
    this.el.base.parentElement.title = list.length ? "" : "No shipped model has this preset's shape";
  }

  startFromUI() {
    const el = this.el;
    const opts = {
      preset: this.preset,
      steps: Math.round(Number(el.steps.value)) || 0,
      seed: 1,
      backend: this.host.backendPref,
    };
    if (el.base.checked && el.baseSel.value) opts.baseModel = el.baseSel.value;
    const name = el.name.value.trim() || (this.images.every((im) => im.sample) ? "Textile samples" : `My parts ${this.userModels.length + 1}`);
    this.startRun(this.usable().map((im) => im.file), opts, name).catch(() => {});
  }

  /**
   * train is the element's train(): it trains on files (Files or Blobs, the
   * panel's images replaced by them) and resolves when training ends.
   * @param {Blob[]} files
   * @param {{preset?: string, steps?: number, seed?: number, backend?: string, base?: Blob|ArrayBuffer, name?: string}} [opts]
   */
  train(files, opts = {}) {
    if (!files || typeof files[Symbol.iterator] !== "function") return Promise.reject(new TypeError("train: want a list of Files or Blobs"));
    files = [...files];
    for (const f of files) if (!(f instanceof Blob)) return Promise.reject(new TypeError("train: every image must be a File or Blob"));
    if (this.running()) return Promise.reject(new EngineError(ERR.BAD_REQUEST, "a training run is going on: stop it first"));
    this.clearImages();
    for (const f of files) this.images.push(this.thumb({ key: `${f.name}|${Math.random()}`, file: f, name: f.name || `image-${this.images.length + 1}` }));
    this.updateImages();
    const o = { preset: opts.preset || "small", steps: opts.steps || 0, seed: opts.seed ?? 1, backend: opts.backend || this.host.backendPref };
    if (opts.base) o.base = opts.base;
    return this.startRun(files, o, opts.name || "");
  }

  /** startRun trains on files and adopts the result (see finish). */
  async startRun(files, opts, name) {
    if (this.host.unusable) throw new EngineError(ERR.WASM, this.host.unusable);
    if (this.running()) throw new EngineError(ERR.BAD_REQUEST, "a training run is going on: stop it first");
    const el = this.el, engine = this.host.engine;
    await this.host.begun;
    if (this.host.unusable) throw new EngineError(ERR.WASM, this.host.unusable);
    const session = this.trainSession();
    const run = this.run = {
      session, preset: opts.preset, name, seed: opts.seed, losses: [], valLosses: [], marks: [0], state: "running",
      startedSteps: 0, samples: files.length > 0 && this.usable().length === files.length && this.usable().every((im) => im.sample),
      storeId: null, stopRequested: false,
    };
    this.showMsg("");
    this.startNotes = [];
    this.renderSkipped();
    for (const im of this.images) if (!im.refused) im.li.classList.remove("bad");
    this.setRunning(true, "Reading the images…");
    try {
      if (opts.baseModel) {
        const m = this.host.models.find((x) => x.id === opts.baseModel);
        el.ptext.textContent = `Downloading ${m.name} to start from…`;
        opts.base = await (await okFetch(new URL(m.file, BASE))).arrayBuffer();
        run.base = m.id;
      }
      const msg = await engine.train(session, {
        images: files, preset: opts.preset, steps: opts.steps, seed: opts.seed, backend: opts.backend, base: opts.base,
      }, (m) => this.onProgress(run, m));
      return await this.finish(run, msg);
    } catch (e) {
      this.failed(run, e);
      throw e;
    }
  }

  /** continueFromUI trains the last run for the steps field's number of steps more. */
  continueFromUI() {
    this.continueTraining(Math.round(Number(this.el.steps.value)) || 0).catch(() => {});
  }

  /** continueTraining trains the last run for steps more (same optimiser state). */
  async continueTraining(steps) {
    const run = this.run;
    if (!run || this.running() || !run.continuable) throw new EngineError(ERR.BAD_REQUEST, "there is no stopped or finished run to continue");
    if (!(steps > 0)) {
      this.showMsg("Say how many steps to continue for in the Steps field.");
      throw new EngineError(ERR.BAD_REQUEST, "steps must be positive");
    }
    run.state = "running";
    run.stopRequested = false;
    run.marks.push(run.losses.length);
    this.showMsg("");
    this.setRunning(true, "Continuing…");
    try {
      const msg = await this.host.engine.continueTraining(run.session, steps, (m) => this.onProgress(run, m), this.host.backendPref);
      return await this.finish(run, msg);
    } catch (e) {
      this.failed(run, e);
      throw e;
    }
  }

  /** stopTraining asks the run to stop after its current step; its promise then resolves (stopped: true). */
  async stopTraining() {
    const run = this.run;
    if (!run || run.state !== "running") return;
    run.state = "stopping";
    run.stopRequested = true;
    this.el.stop.disabled = true;
    this.el.ptext.textContent = "Stopping after this step, then calibrating…";
    await this.host.engine.stopTraining(run.session);
  }

  setRunning(on, text) {
    const el = this.el;
    el.panel.dataset.state = on ? "running" : this.run ? this.run.state : "idle";
    el.stop.hidden = !on;
    el.stop.disabled = false;
    el.start.hidden = on;
    el.cont.hidden = on || !(this.run && this.run.continuable);
    for (const c of [el.samples, el.clear, el.base, el.baseSel, el.upload, ...el.presets]) c.disabled = on;
    for (const b of el.thumbs.querySelectorAll(".rm")) b.disabled = on;
    if (on) {
      el.run.hidden = false;
      el.done.hidden = true;
      el.ptext.textContent = text;
      el.pbar.removeAttribute("value");
      el.stats.textContent = "";
      (el.stop.hidden ? el.start : el.stop).focus({ preventScroll: true });
    } else {
      this.updateImages();
      this.renderBaseChoices();
    }
  }

  /** onProgress takes train-started and train-progress messages. */
  onProgress(run, m) {
    if (m.type === "train-decode") {
      if (run.state !== "running") return;
      this.el.ptext.textContent = `Reading the images: ${m.decoded} of ${m.total}${m.skipped ? ` (${m.name} could not be read)` : ""}`;
      this.el.pbar.max = m.total;
      this.el.pbar.value = m.decoded;
      return;
    }
    if (m.type === "train-started") {
      run.started = m;
      run.config = m.config;
      run.backend = m.backend;
      const bad = new Set(m.skipped.map((s) => s.name));
      for (const im of this.images) if (!im.refused) im.li.classList.toggle("bad", bad.has(im.name));
      this.startNotes = m.skipped.length ? [`Skipped, not readable as images: ${m.skipped.map((s) => `${s.name} (${s.message})`).join("; ")}. Training goes on with the other ${m.kept.length}.`] : [];
      this.renderSkipped();
      this.el.ptext.textContent = `Training on ${backendText(m.backend)}: ${m.trainImages} images to learn from, ${m.heldOut} held out to calibrate`;
      run.totalSteps = run.losses.length + m.steps;
      return;
    }
    if (m.type !== "train-progress") return;
    if (m.phase === "train") run.losses[run.marks[run.marks.length - 1] + m.step - 1] = m.loss;
    // A step's message carries the last finished epoch's held-out loss;
    // the calibrate message that of an epoch the last step finished.
    if (m.valLoss != null && m.epoch > 0 && !run.valLosses[m.epoch - 1]) {
      const perEpoch = run.started ? Math.ceil(run.started.trainImages / run.started.batch) : 0;
      run.valLosses[m.epoch - 1] = { step: perEpoch ? m.epoch * perEpoch : run.losses.length, loss: m.valLoss };
    }
    run.last = m;
    this.host.dispatchEvent(new CustomEvent("noise2norm-train-progress", { detail: m, bubbles: true, composed: true }));
    this.scheduleDraw();
  }

  /** scheduleDraw redraws the progress and curve at most every DRAW_EVERY_MS. */
  scheduleDraw() {
    if (this.drawTimer) return;
    const wait = Math.max(0, DRAW_EVERY_MS - (performance.now() - (this.lastDraw || 0)));
    this.drawTimer = setTimeout(() => {
      this.drawTimer = null;
      this.lastDraw = performance.now();
      this.drawProgress();
      this.draw();
    }, wait);
  }

  drawProgress() {
    const run = this.run, m = run && run.last, el = this.el;
    if (!m || !this.running()) return;
    if (m.phase === "calibrate") {
      el.ptext.textContent = `Calibrating on the ${run.started ? run.started.heldOut : ""} held-out images…`;
      el.pbar.removeAttribute("value");
      return;
    }
    el.pbar.max = m.steps;
    el.pbar.value = m.step;
    if (run.state === "running") el.ptext.textContent = `Training on ${backendText(run.backend)}: step ${m.step} of ${m.steps}`;
    const parts = [
      `Step <b>${m.step}</b> / ${m.steps}`,
      `<b>${fmt(m.imagesPerSecond, m.imagesPerSecond < 10 ? 2 : 1)}</b> images/s`,
      `about <b>${duration(m.etaSeconds)}</b> left`,
      `loss <b>${fmt(m.loss, 4)}</b>`,
    ];
    if (m.valLoss != null) parts.push(`held-out loss <b>${fmt(m.valLoss, 4)}</b>`);
    el.stats.innerHTML = parts.map((p) => `<span>${p}</span>`).join("");
  }

  /** finalStats replaces the progress line by the run's totals. */
  finalStats(run, msg) {
    const losses = run.losses.filter((x) => x != null), el = this.el;
    const parts = [
      `<b>${run.losses.length}</b> steps`,
      `<b>${fmt(msg.imagesPerSecond, msg.imagesPerSecond < 10 ? 2 : 1)}</b> images/s`,
      `last loss <b>${fmt(losses[losses.length - 1], 4)}</b>`,
    ];
    const v = run.valLosses.filter(Boolean);
    if (v.length) parts.push(`held-out loss <b>${fmt(v[v.length - 1].loss, 4)}</b>`);
    if (run.best) parts.push(`kept ${run.best.step === 0 ? "<b>the starting model</b>" : `step <b>${run.best.step}</b>`} (held-out loss <b>${fmt(run.best.valLoss, 4)}</b>)`);
    el.stats.innerHTML = parts.map((p) => `<span>${p}</span>`).join("");
  }

  /** draw draws the loss curve: every step's loss, its running mean, the held-out loss per epoch. */
  draw() {
    const run = this.run, c = this.el.curve;
    if (!run || c.offsetParent === null) return;
    const losses = run.losses.filter((x) => x != null);
    const dpr = Math.min(window.devicePixelRatio || 1, 3);
    const W = Math.max(200, c.clientWidth), H = Math.max(80, c.clientHeight);
    if (c.width !== Math.round(W * dpr) || c.height !== Math.round(H * dpr)) {
      c.width = Math.round(W * dpr);
      c.height = Math.round(H * dpr);
    }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    const css = getComputedStyle(this.host);
    const muted = css.getPropertyValue("--muted").trim() || "#666";
    const accent = css.getPropertyValue("--accent").trim() || "#4f46e5";
    const L = 52, R = 10, T = 12, B = 24;
    g.font = "11px system-ui, sans-serif";
    g.fillStyle = muted;
    if (losses.length === 0) {
      g.fillText("The loss curve appears with the first step.", L, H / 2);
      return;
    }
    const vals = run.valLosses.filter(Boolean);
    const all = losses.concat(vals.map((v) => v.loss));
    if (run.best && run.best.valLoss != null && !this.running()) all.push(run.best.valLoss);
    const startVal = run.best && run.best.startValLoss != null && !this.running() ? run.best.startValLoss : null;
    if (startVal != null) all.push(startVal);
    let lo = Math.min(...all), hi = Math.max(...all);
    if (hi - lo < 0.05 * Math.abs(hi)) { // a few nearly equal steps: do not magnify their noise
      const mid = (hi + lo) / 2, half = Math.max(0.025 * Math.abs(hi), 1e-6);
      lo = mid - half; hi = mid + half;
    }
    const pad = (hi - lo) * 0.06;
    lo -= pad; hi += pad;
    const n = Math.max(run.totalSteps || 0, run.losses.length, 2);
    const x = (i) => L + (W - L - R) * (i / (n - 1));
    const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
    // axes and labels
    g.strokeStyle = muted;
    g.globalAlpha = 0.35;
    g.lineWidth = 1;
    g.beginPath();
    for (const v of [lo + pad, (lo + hi) / 2, hi - pad]) { g.moveTo(L, y(v)); g.lineTo(W - R, y(v)); }
    g.stroke();
    g.globalAlpha = 1;
    g.textAlign = "right";
    for (const v of [lo + pad, (lo + hi) / 2, hi - pad]) g.fillText(v.toFixed(v < 0.1 ? 4 : 3), L - 6, y(v) + 4);
    g.textAlign = "left";
    g.fillText("step 1", L, H - 6);
    g.textAlign = "right";
    g.fillText(`step ${n}`, W - R, H - 6);
    g.textAlign = "center";
    g.fillText("training step", (L + W) / 2, H - 6);
    // the continue marks
    g.setLineDash([3, 3]);
    g.strokeStyle = muted;
    for (const k of run.marks.slice(1)) { g.beginPath(); g.moveTo(x(k), T); g.lineTo(x(k), H - B); g.stroke(); }
    g.setLineDash([]);
    // each step's loss, faint
    g.strokeStyle = accent;
    g.globalAlpha = 0.3;
    g.lineWidth = 1;
    g.beginPath();
    run.losses.forEach((v, i) => { if (v != null) (i ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v))); });
    g.stroke();
    // the running mean over 10 steps, strong
    g.globalAlpha = 1;
    g.lineWidth = 2;
    g.beginPath();
    let sum = 0, cnt = 0;
    const win = [];
    run.losses.forEach((v, i) => {
      if (v == null) return;
      win.push(v); sum += v; cnt++;
      if (win.length > 10) { sum -= win.shift(); cnt--; }
      const m = sum / cnt;
      i ? g.lineTo(x(i), y(m)) : g.moveTo(x(i), y(m));
    });
    g.stroke();
    // held-out loss per epoch
    g.fillStyle = "#f59e0b";
    for (const v of vals) { g.beginPath(); g.arc(x(v.step - 1), y(v.loss), 3.5, 0, 2 * Math.PI); g.fill(); }
    // the kept step: a ring at its held-out loss
    const best = run.best && this.running() === false ? run.best : null;
    if (best && best.step > 0 && best.valLoss != null) {
      const good = css.getPropertyValue("--good").trim() || "#16a34a";
      g.strokeStyle = good;
      g.lineWidth = 2.5;
      g.beginPath();
      g.arc(x(best.step - 1), y(Math.min(hi, Math.max(lo, best.valLoss))), 6.5, 0, 2 * Math.PI);
      g.stroke();
    }
    // a run from a given model: its starting held-out loss, dashed across (kept: solid and green)
    if (startVal != null) {
      const kept = best && best.step === 0;
      g.strokeStyle = kept ? (css.getPropertyValue("--good").trim() || "#16a34a") : muted;
      g.lineWidth = kept ? 2 : 1;
      g.setLineDash([6, 4]);
      g.beginPath(); g.moveTo(L, y(startVal)); g.lineTo(W - R, y(startVal)); g.stroke();
      g.setLineDash([]);
      g.fillStyle = g.strokeStyle;
      g.textAlign = "left";
      g.fillText(kept ? "starting model (kept)" : "starting model", L + 4, y(startVal) - 4);
    }
    this.el.legend.hidden = false;
    this.el.legendVal.hidden = vals.length === 0;
    this.el.legendBest.hidden = !best || !(best.step > 0);
    const first = losses.slice(0, 5), last = losses.slice(-5);
    c.setAttribute("aria-label", `Training loss over ${losses.length} steps: first steps ${fmt(mean(first), 4)}, last steps ${fmt(mean(last), 4)}`);
  }

  /**
   * finish makes the trained session the element's, keeps the model in
   * IndexedDB (with the `train` attribute), shows the summary and fires
   * noise2norm-trained.
   */
  async finish(run, msg) {
    run.state = msg.stopped ? "stopped" : "done";
    run.continuable = true;
    run.trained = msg;
    run.backend = msg.backend;
    run.config = msg.config;
    run.best = msg.best || null;
    this.drawTimer && clearTimeout(this.drawTimer);
    this.drawTimer = null;
    // msg.losses are this request's; run.losses already has them from the progress messages,
    // but a message lost to throttling never is: take the reply's.
    const off = run.marks[run.marks.length - 1];
    msg.losses.forEach((v, i) => { run.losses[off + i] = v; });
    run.losses.length = off + msg.losses.length;
    run.totalSteps = run.losses.length;
    const host = this.host;
    const entry = {
      id: run.storeId ? USER_PREFIX + run.storeId : `${USER_PREFIX}unsaved-${run.session}`,
      name: run.name || "Trained model", user: true, size: msg.config.size, wf: msg.config.wf,
      examples: run.samples && this.samples ? this.samples.checks.map((c) => ({ ...c, file: new URL(c.file, this.samples.dir).href })) : [],
    };
    this.adopt(run.session, { backend: msg.backend, config: msg.config, calibration: msg.calibration, model: entry.id }, entry);
    this.setRunning(false);
    this.el.panel.dataset.state = run.state;
    this.el.cont.hidden = false;
    this.el.cont.textContent = "Continue training";
    this.draw();
    this.showDone(run, msg);
    this.el.pbar.max = 1;
    this.el.pbar.value = 1;
    this.el.ptext.textContent = `${msg.stopped ? "Stopped" : "Done"}: ${run.losses.length} steps on ${backendText(msg.backend)}`
      + (run.best ? (run.best.step === 0 ? "; kept the starting model" : `; kept step ${run.best.step}`) : "");
    this.el.start.textContent = "Start a new training";
    this.finalStats(run, msg);
    host.showMessage(`Checking with your model "${entry.name}" now: drop an image${entry.examples.length ? " or click an example" : ""}.`, true);
    if (this.enabled) {
      try {
        await this.save(run, msg, entry);
      } catch (e) {
        this.showMsg(`The model works in this page but could not be kept in this browser: ${e.message}`);
      }
    }
    this.el.panel.dataset.state = run.state;
    host.dispatchEvent(new CustomEvent("noise2norm-trained", { detail: msg, bubbles: true, composed: true }));
    return {
      losses: msg.losses, imagesPerSecond: msg.imagesPerSecond, backend: backendLabel(msg.backend),
      calibration: msg.calibration, calibrationNote: msg.calibrationNote, stopped: msg.stopped, steps: msg.steps, heldOut: msg.heldOut,
      skipped: run.started ? run.started.skipped : [], model: run.storeId ? USER_PREFIX + run.storeId : null,
      best: msg.best || null, runSteps: msg.runSteps,
    };
  }

  failed(run, e) {
    run.state = run.continuable ? "stopped" : "error";
    this.setRunning(false);
    this.el.panel.dataset.state = "error";
    this.el.run.hidden = run.losses.length === 0;
    let text = e.message;
    if (e.code === ERR.TOO_FEW) text = `Not enough images to train on: ${e.message}`;
    this.showMsg(`Training failed: ${text}`);
    if (e.code === ERR.TOO_FEW) {
      // name the files the worker could not read
      const names = this.images.filter((im) => e.message.includes(im.name));
      for (const im of names) im.li.classList.add("bad");
    }
  }

  /** showDone writes the run's summary and the calibration's honest note. */
  showDone(run, msg) {
    const el = this.el;
    el.done.hidden = false;
    el.done.classList.toggle("stopped", msg.stopped);
    const losses = run.losses.filter((x) => x != null);
    const k = Math.min(5, Math.floor(losses.length / 2));
    const fell = k > 1 ? ` The loss went from ${fmt(mean(losses.slice(0, k)), 4)} (first ${k} steps) to ${fmt(mean(losses.slice(-k)), 4)} (last ${k}).`
      : k === 1 ? ` The loss went from ${fmt(losses[0], 4)} (first step) to ${fmt(losses[losses.length - 1], 4)} (last step).` : "";
    const part = run.marks.length > 1 ? `${run.losses.length} steps in all; this continuation ${msg.steps} steps` : `${msg.steps} steps`;
    el.dsum.textContent = `${msg.stopped ? "Stopped" : "Trained"}: ${part} in ${duration(msg.seconds)} on ${backendText(msg.backend)}, ${fmt(msg.imagesPerSecond, msg.imagesPerSecond < 10 ? 2 : 1)} images/s.${fell} The checker now uses this model.`
      + (msg.fellBack ? ` (${msg.fellBack}; the CPU took over.)` : "");
    el.dbest.textContent = bestText(msg.best, run.losses.length);
    let note;
    if (msg.calibration) {
      const h = msg.heldOut;
      note = `Calibrated without defect images: ${h} of your images ${h === 1 ? "was" : "were"} held out, and the threshold is the largest score among them. `
        + `So roughly 1 in ${h + 1} new good images will score above it and be called anomalous, and a defect is caught only if it scores higher than every held-out image.`;
      if (msg.calibrationNote) note += ` ${sentence(msg.calibrationNote)}`;
    } else {
      note = `Not calibrated.${msg.calibrationNote ? ` ${sentence(msg.calibrationNote)}` : ""} The checker shows raw scores, with no verdict.`;
    }
    el.calnote.textContent = note;
    el.calnote.classList.toggle("warn", !msg.calibration || msg.heldOut < 10 || !!msg.calibrationNote);
  }

  /**
   * adopt makes session the element's detection session with the given
   * model (trained or uploaded): the picker, chip and sliders follow.
   */
  adopt(session, loaded, entry) {
    const host = this.host;
    host.session = session;
    host.loaded = loaded;
    host.loading = Promise.resolve(loaded);
    host.model = entry;
    if (!host.models.some((m) => m.id === entry.id)) host.models = host.models.concat([entry]);
    host.renderPicker();
    host.showBackend(loaded.backend);
    host.el.sens.disabled = !loaded.calibration;
    host.el.sensHint.hidden = !!loaded.calibration;
    host.el.loadTime.textContent = "";
    host.el.msg.hidden = true;
    host.renderExamples(entry);
  }

  /** save keeps the run's model in IndexedDB (replacing its earlier save) and lists it. */
  async save(run, msg, entry) {
    const blob = await this.host.engine.exportWeights(run.session);
    const bytes = await blob.arrayBuffer();
    const rec = {
      name: run.name || `My model (${new Date().toLocaleString()})`, source: "trained", preset: run.preset,
      config: msg.config, calibration: msg.calibration, calibrationNote: msg.calibrationNote, heldOut: msg.heldOut,
      file: blob.name || "trained.safetensors", steps: run.losses.length, bestStep: run.best ? run.best.step : null,
      samples: run.samples, base: run.base || "", bytes,
    };
    if (run.storeId) {
      const old = await getModel(run.storeId);
      if (old) { rec.name = old.name; rec.created = old.created; }
      rec.id = run.storeId;
    }
    const id = await putModel(rec);
    const fresh = !run.storeId;
    run.storeId = id;
    if (fresh) {
      // the placeholder entry becomes the kept one
      const host = this.host;
      host.models = host.models.filter((m) => m !== entry);
      entry.id = USER_PREFIX + id;
      entry.name = rec.name;
      entry.storeId = id;
      host.loaded.model = entry.id;
      await this.refreshModels();
      host.model = host.models.find((m) => m.id === entry.id) || entry;
      host.renderPicker();
      this.nameQuietly(entry.id);
    }
  }

  /**
   * nameQuietly sets the element's model attribute to the model it already
   * detects with, without loading it again, so that a later reload (a
   * backend switch) loads that model and not the one the attribute named.
   */
  nameQuietly(id) {
    const host = this.host;
    host.quietAttributes = true;
    try {
      host.setAttribute("model", id);
    } finally {
      host.quietAttributes = false;
    }
  }

  /** downloadCurrent saves the element's current model as a .safetensors file. */
  async downloadCurrent() {
    try {
      const blob = await this.exportWeights();
      const host = this.host;
      saveBlob(blob, host.model && host.model.user && host.loaded ? fileName({ name: host.model.name, config: host.loaded.config }) : blob.name || "model.safetensors");
    } catch (e) {
      this.showMsg(`The download failed: ${e.message}`);
    }
  }

  /** exportWeights is the element's exportWeights(): the current model as one safetensors Blob. */
  async exportWeights() {
    await this.host.begun;
    await this.host.loading;
    return this.host.engine.exportWeights(this.host.session);
  }

  /** refreshModels reads the kept models and lists them in the panel and the picker. */
  async refreshModels() {
    let recs;
    try {
      recs = await listModels();
    } catch (e) {
      this.el.none.textContent = `Models cannot be kept in this browser: ${e.message}.`;
      return;
    }
    const host = this.host;
    const checks = this.samplesChecks();
    const entries = recs.map((r) => ({
      id: USER_PREFIX + r.id, storeId: r.id, name: r.name, user: true, size: r.config ? r.config.size : 0, wf: r.config ? r.config.wf : 0,
      examples: r.samples ? checks : [], rec: r,
    }));
    this.userModels = entries;
    if (host.models) {
      host.models = host.models.filter((m) => !m.user || !m.storeId).concat(entries); // shipped and unsaved ones, then the kept
      if (host.model && host.model.user && host.model.storeId) host.model = host.models.find((m) => m.id === host.model.id) || host.model;
      host.renderPicker();
    }
    this.renderList(entries);
  }

  /** samplesChecks are the bundled check images (good, hole, stain) of the sample set. */
  samplesChecks() {
    const dir = new URL(".", new URL(SAMPLES, BASE));
    return [
      { label: "Good", file: new URL("check-good.png", dir).href, kind: "good" },
      { label: "Hole", file: new URL("check-hole.png", dir).href, kind: "defect" },
      { label: "Stain", file: new URL("check-stain.png", dir).href, kind: "defect" },
    ];
  }

  renderList(entries) {
    const el = this.el, host = this.host;
    el.none.hidden = entries.length > 0;
    el.list.replaceChildren(...entries.map((m) => {
      const r = m.rec, li = document.createElement("li");
      li.dataset.id = m.id;
      li.classList.toggle("current", !!host.model && host.model.id === m.id);
      const name = document.createElement("input");
      name.type = "text";
      name.className = "mname";
      name.value = r.name;
      name.maxLength = 80;
      name.setAttribute("aria-label", "Model name");
      name.addEventListener("change", async () => {
        const v = name.value.trim();
        if (!v) { name.value = r.name; return; }
        try {
          await renameModel(r.id, v);
        } catch (e) {
          this.showMsg(`The model could not be renamed: ${e.message}`);
        }
      });
      name.addEventListener("keydown", (e) => { if (e.key === "Enter") name.blur(); });
      const meta = document.createElement("span");
      meta.className = "mmeta";
      const cfg = r.config || {};
      meta.textContent = `${r.source === "uploaded" ? "uploaded" : `trained${r.steps ? `, ${r.steps} steps` : ""}${r.bestStep === 0 ? " (kept the starting model)" : r.bestStep != null && r.bestStep !== r.steps ? ` (kept step ${r.bestStep})` : ""}${r.base ? `, from ${r.base}` : ""}`} · ${cfg.size}×${cfg.size}, wf ${cfg.wf} · ${r.calibration ? `calibrated on ${r.heldOut || "?"} images` : "uncalibrated"} · ${mb(r.byteLength)} · ${new Date(r.created).toLocaleDateString()}`;
      const use = button("Use", `Use ${r.name}`, () => host.setAttribute("model", m.id));
      const dl = button("Download", `Download ${r.name}`, async () => {
        const rec = await getModel(r.id);
        if (rec) saveBlob(new Blob([rec.bytes], { type: "application/octet-stream" }), fileName(rec));
      });
      const del = button("Delete", `Delete ${r.name}`, async () => {
        if (!confirm(`Delete the model "${r.name}" from this browser? This cannot be undone (download it first to keep a copy).`)) return;
        try {
          await deleteModel(r.id);
        } catch (e) {
          this.showMsg(`The model could not be deleted: ${e.message}`);
          return;
        }
        if (this.run && this.run.storeId === r.id) this.run.storeId = null;
        if (host.model && host.model.id === m.id) {
          // back to the default model
          if (host.getAttribute("model")) host.removeAttribute("model");
          else host.reload(false);
        }
      });
      li.append(name, meta, use, dl, del);
      return li;
    }));
  }

  /**
   * loadStored makes a kept model ready under session (the host's reload
   * for a "user:" model).
   */
  async loadStored(session, model, backend) {
    const rec = await getModel(model.storeId);
    if (!rec) throw new EngineError(ERR.MODEL, `the model "${model.name}" is no longer kept in this browser`);
    return this.host.engine.loadBytes(session, { id: model.id, name: rec.name }, rec.bytes, backend);
  }

  /**
   * upload checks a weights file by loading it (on the session the element
   * does not detect with, so a bad file changes nothing), then keeps it and
   * detects with it.
   * @param {File} file
   */
  async upload(file) {
    const host = this.host;
    this.showMsg("");
    if (file.size > MAX_UPLOAD_BYTES) {
      const e = new EngineError(ERR.MODEL, `${file.name} is ${mb(file.size)}; model files over ${mb(MAX_UPLOAD_BYTES)} are not read.`);
      this.showMsg(e.message);
      throw e;
    }
    if (this.running()) {
      this.showMsg("Wait for the training run to end (or stop it) before uploading a model.");
      throw new EngineError(ERR.BAD_REQUEST, "a training run is going on");
    }
    this.el.upload.disabled = true;
    try {
      await host.begun;
      const bytes = await file.arrayBuffer();
      const session = this.trainSession();
      let loaded;
      try {
        loaded = await host.engine.loadBytes(session, { id: `upload:${file.name}`, name: file.name }, bytes.slice(0), host.backendPref);
      } catch (e) {
        const err = new EngineError(e.code || ERR.MODEL, `${file.name} could not be loaded as a noise2norm model: ${e.message}. Nothing was changed.`);
        this.showMsg(err.message);
        throw err;
      }
      const name = file.name.replace(/\.safetensors$/i, "") || "Uploaded model";
      const entry = { id: `${USER_PREFIX}unsaved-${session}`, name, user: true, size: loaded.config.size, wf: loaded.config.wf, examples: [] };
      if (this.run && this.run.session === session) this.run.continuable = false; // its run is gone from that session
      this.el.cont.hidden = true;
      this.adopt(session, loaded, entry);
      const id = await putModel({
        name, source: "uploaded", preset: "", config: loaded.config, calibration: loaded.calibration, calibrationNote: "",
        file: file.name, bytes,
      });
      host.models = host.models.filter((m) => m !== entry);
      host.loaded.model = USER_PREFIX + id;
      await this.refreshModels();
      host.model = host.models.find((m) => m.id === USER_PREFIX + id) || entry;
      host.renderPicker();
      this.nameQuietly(host.model.id);
      this.renderList(this.userModels);
      this.showMsg(`${file.name} is loaded and kept in this browser; the checker uses it now (${loaded.config.size}×${loaded.config.size}, wf ${loaded.config.wf}, ${loaded.calibration ? "calibrated" : "uncalibrated"}).`, true);
      return host.model;
    } finally {
      this.el.upload.disabled = false;
    }
  }

  /** sessionReplaced is called by the host when it loads another model into session. */
  sessionReplaced(session) {
    if (this.run && this.run.session === session && !this.running()) {
      this.run.continuable = false;
      this.el.cont.hidden = true;
    }
    if (this.enabled) this.renderList(this.userModels);
    if (this.active) this.refreshEstimate(); // the backend may have changed
  }
}

/** okFetch fetches url and fails on an HTTP error. */
async function okFetch(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${new URL(url).pathname}: HTTP ${r.status}`);
  return r;
}

/** settled waits for p and says how it ended, without throwing. */
async function settled(p) {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

/**
 * bestText says which step's weights the model is: the lowest held-out
 * loss, by native train's rule for best.safetensors.
 * @param {import("./protocol.js").BestStep|null} best @param {number} steps of the run
 */
function bestText(best, steps) {
  if (!best) return "The model is the last step's weights (none could be validated on held-out images).";
  if (best.step === 0) {
    const trained = best.trainedValLoss != null ? ` → lowest after training ${fmt(best.trainedValLoss, 4)}` : "";
    return `Kept: the starting model — training did not lower its held-out loss (${fmt(best.valLoss, 4)}${trained}). `
      + "The checker and the download use the model you started from; Continue goes on from the last step.";
  }
  const which = best.step === steps ? `the last step, ${best.step}` : `step ${best.step} of ${steps}`;
  const when = best.midEpoch ? "validated where the run stopped, in the middle of an epoch" : `at the end of epoch ${best.epoch}`;
  const start = best.startValLoss != null ? ` (the starting model's was ${fmt(best.startValLoss, 4)})` : "";
  return `Kept: the weights of ${which} (${when}): their held-out loss, ${fmt(best.valLoss, 4)}, is the lowest of the run${start}, `
    + `as native train keeps best.safetensors.${best.step !== steps ? " Later steps did not lower it; Continue goes on from the last step." : ""}`;
}

/** sentence capitalises s and ends it with a full stop. */
const sentence = (s) => (s.charAt(0).toUpperCase() + s.slice(1)).replace(/([^.!?])$/, "$1.");

const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function button(text, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "btn";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

/** fileName is a kept model's download name. */
function fileName(rec) {
  const slug = (rec.name || "model").replace(/[^\w.-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 60) || "model";
  const cfg = rec.config || {};
  return `${slug}-wf${cfg.wf}-s${cfg.size}.safetensors`;
}

/** saveBlob offers blob to the visitor as a download named name. */
export function saveBlob(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
