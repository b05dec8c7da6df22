// The demo's dedicated Web Worker (a module worker): it fetches n2n.wasm
// (built from wasm/demo) and model weights with byte-count progress, sets
// globalThis.wasm before go.run (the WebGPU bindings read the wasm memory
// through it), and relays the page's requests (protocol.js) to the Go
// program's n2nHandle. Everything it fetches is relative to its own URL, so
// the demo works from any sub-path.
import { PROTOCOL_VERSION, MSG, ERR } from "./protocol.js";

const started = performance.now();
/** @type {Map<string, Promise<ArrayBuffer>>} weights by URL, fetched once */
const weightsCache = new Map();

/** @param {object} msg @param {Transferable[]} [transfer] */
function reply(msg, transfer) {
  postMessage({ v: PROTOCOL_VERSION, ...msg }, transfer || []);
}

/**
 * fetchCounted fetches url and returns a Response whose body reports its
 * progress as ProgressReply messages while it is read.
 * @param {string} url @param {"wasm"|"model"} what @param {number} id
 * @param {string} type the Content-Type of the returned Response
 * @returns {Promise<Response>}
 */
async function fetchCounted(url, what, id, type) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${new URL(url).pathname}: HTTP ${res.status} ${res.statusText}`);
  // With Content-Encoding the length is that of the compressed bytes; the
  // stream gives decompressed ones, so the total is then unknown.
  const encoded = res.headers.get("Content-Encoding");
  const total = encoded && encoded !== "identity" ? 0 : Number(res.headers.get("Content-Length")) || 0;
  if (!res.body || typeof TransformStream !== "function") return res;
  let loaded = 0, last = 0;
  const counter = new TransformStream({
    transform(chunk, ctl) {
      loaded += chunk.byteLength;
      const now = performance.now();
      if (now - last > 50) {
        last = now;
        reply({ type: MSG.PROGRESS, id, what, loaded, total });
      }
      ctl.enqueue(chunk);
    },
    flush() {
      reply({ type: MSG.PROGRESS, id, what, loaded, total: loaded });
    },
  });
  return new Response(res.body.pipeThrough(counter), { headers: { "Content-Type": type } });
}

/** fetchBytes downloads url with progress (see fetchCounted). */
async function fetchBytes(url, what, id) {
  return (await fetchCounted(url, what, id, "application/octet-stream")).arrayBuffer();
}

/** Resolves when n2n.wasm has called n2nReady; rejects when it cannot run. */
const ready = (async () => {
  try {
    await import("./wasm_exec.js"); // defines globalThis.Go
  } catch (e) {
    throw new Error(`wasm_exec.js could not be loaded (${e.message}); was the site built with "make wasm"?`);
  }
  const hint = (e) => { e.message += e.message.includes("HTTP 404") ? ' (was the site built with "make wasm"?)' : ""; throw e; };
  const go = new Go();
  const res = await fetchCounted(new URL("n2n.wasm", import.meta.url).href, "wasm", 0, "application/wasm").catch(hint);
  // Compiled while it downloads where the browser can.
  const result = typeof WebAssembly.instantiateStreaming === "function"
    ? await WebAssembly.instantiateStreaming(res, go.importObject)
    : await WebAssembly.instantiate(await res.arrayBuffer(), go.importObject);
  globalThis.wasm = result; // before go.run: jsx reads wasm.instance.exports.mem
  const running = new Promise((resolve) => { globalThis.n2nReady = resolve; });
  go.run(result.instance).then(() => {
    reply({ type: MSG.ERROR, id: 0, code: ERR.WASM, message: "the detector (n2n.wasm) stopped; reload the page" });
  });
  await running;
})();

ready.then(
  () => reply({ type: MSG.READY, ms: performance.now() - started }),
  (e) => reply({ type: MSG.ERROR, id: 0, code: ERR.WASM, message: `the detector could not start: ${e.message}` }),
);

/** @param {MessageEvent} ev */
onmessage = async (ev) => {
  const msg = ev.data;
  const id = msg && msg.id || 0;
  try {
    await ready;
  } catch (e) {
    reply({ type: MSG.ERROR, id, code: ERR.WASM, message: `the detector could not start: ${e.message}` });
    return;
  }
  if (!msg || msg.v !== PROTOCOL_VERSION) {
    reply({ type: MSG.ERROR, id, code: ERR.VERSION, message: `protocol version ${msg && msg.v}, the worker speaks ${PROTOCOL_VERSION}; reload the page` });
    return;
  }
  if (msg.type === MSG.LOAD && msg.weights) { // bytes the page holds: nothing to fetch
    globalThis.n2nHandle(msg);
    return;
  }
  if (msg.type === MSG.LOAD) {
    let weights;
    try {
      let p = weightsCache.get(msg.url);
      if (!p) {
        p = fetchBytes(msg.url, "model", id);
        weightsCache.set(msg.url, p);
        p.catch(() => weightsCache.delete(msg.url));
      }
      weights = (await p).slice(0); // a copy: Go takes its own
    } catch (e) {
      reply({ type: MSG.ERROR, id, code: ERR.MODEL, message: `the model ${msg.model} could not be downloaded: ${e.message}${e.message.includes("HTTP 404") ? ' (was the site built with "make wasm"?)' : ""}` });
      return;
    }
    globalThis.n2nHandle({ ...msg, weights });
    return;
  }
  globalThis.n2nHandle(msg);
};
