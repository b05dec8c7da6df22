// The models a visitor trained in the page or uploaded, kept in this
// browser's IndexedDB (database "noise2norm", object store "models") so
// that they survive a reload. One record per model:
//
//   {id, name, created (ms since 1970), source: "trained"|"uploaded",
//    preset ("small"|"large"|""), config: {size, wf, depth, lambda, alpha},
//    calibration (protocol.js CalibrationInfo or null), calibrationNote,
//    file (the suggested download name), bytes: ArrayBuffer (the
//    safetensors file, as the worker's export gives it)}
//
// Every element on a page shares this module; `changes` fires "change"
// after every write, so that each element's model picker follows.

const DB_NAME = "noise2norm";
const DB_VERSION = 1;
const STORE = "models";

/** Fires "change" (no detail) after a model is added, renamed or deleted. */
export const changes = new EventTarget();

/** @type {Promise<IDBDatabase>|null} */
let opening = null;

/** open opens (and on first use creates) the database. */
function open() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    if (typeof indexedDB === "undefined") {
      reject(new Error("this browser offers no IndexedDB, so models cannot be kept"));
      return;
    }
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "id" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(new Error(`IndexedDB could not be opened: ${req.error && req.error.message}`));
    req.onblocked = () => reject(new Error("IndexedDB is blocked by another tab of this site; close it and reload"));
  });
  opening.catch(() => { opening = null; });
  return opening;
}

/**
 * run runs fn on the store in a transaction and resolves with the result
 * of the request fn returns, once the transaction has committed.
 * @param {"readonly"|"readwrite"} mode @param {(s: IDBObjectStore) => IDBRequest} fn
 */
async function run(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = fn(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(new Error(`IndexedDB: ${tx.error && tx.error.message}`));
    tx.onabort = () => reject(new Error(`IndexedDB: ${tx.error ? tx.error.message : "aborted"} (is the browser's storage full?)`));
  });
}

/**
 * listModels returns every kept model without its bytes (their size in
 * `byteLength` instead), oldest first.
 * @returns {Promise<Array<object>>}
 */
export async function listModels() {
  const all = await run("readonly", (s) => s.getAll());
  return all.map(({ bytes, ...rest }) => ({ ...rest, byteLength: bytes ? bytes.byteLength : 0 }))
    .sort((a, b) => a.created - b.created);
}

/** getModel returns one kept model with its bytes, or undefined. */
export function getModel(id) {
  return run("readonly", (s) => s.get(id));
}

/**
 * putModel keeps a model (a new id when it has none) and returns its id.
 * @param {object} rec see the file comment; bytes is stored as given
 */
export async function putModel(rec) {
  const id = rec.id || newID();
  await run("readwrite", (s) => s.put({ created: Date.now(), ...rec, id }));
  changes.dispatchEvent(new Event("change"));
  return id;
}

/** renameModel changes a kept model's name. */
export async function renameModel(id, name) {
  const rec = await getModel(id);
  if (!rec) throw new Error("that model is no longer kept");
  rec.name = name;
  await run("readwrite", (s) => s.put(rec));
  changes.dispatchEvent(new Event("change"));
}

/** deleteModel removes a kept model. */
export async function deleteModel(id) {
  await run("readwrite", (s) => s.delete(id));
  changes.dispatchEvent(new Event("change"));
}

/** newID is a fresh random id (time-ordered prefix). */
function newID() {
  const rand = typeof crypto !== "undefined" && crypto.getRandomValues
    ? Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("")
    : Math.random().toString(16).slice(2, 14);
  return `${Date.now().toString(36)}-${rand}`;
}

/** USER_PREFIX marks a kept model's id in the model picker and the model attribute ("user:ID"). */
export const USER_PREFIX = "user:";
