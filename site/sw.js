// The demo's service worker: makes the demo work without a network once
// visited. It precaches the page, its scripts, wasm_exec.js, n2n.wasm,
// every model of models.json with its examples, and the training mode's
// sample images into a cache named after the
// site's version, and answers the demo's requests from that cache (the
// network for anything else). Its scope is its own folder, so the demo can
// sit under any sub-path; every URL here is relative to this file.
//
// The version is sw-version.js's N2N_VERSION, a hash of the site's files
// that `make wasm` writes (git-ignored). A new version installs beside the
// old one and waits; the page (offline.js) then offers a reload, which
// activates it ("skip-waiting") and drops the old cache. Without
// sw-version.js (a site not built by make wasm) the version is "dev" and
// the network is asked first, the cache only when it fails.
let version = "dev";
try {
  importScripts("sw-version.js");
  version = self.N2N_VERSION || version;
} catch (e) {
  // not built by make wasm: "dev"
}
const PREFIX = "n2n-";
const CACHE = PREFIX + version;
/** The page and what it loads before any model; models.json adds the models and examples. */
const CORE = [
  "./", "index.html", "style.css", "app.js", "embed.js", "client.js", "protocol.js", "worker.js", "offline.js",
  "wasm_exec.js", "n2n.wasm", "models.json", "manifest.webmanifest", "icons/icon-192.png", "icons/icon-512.png",
  "frame.html", "embed.html", "train.js", "store.js",
];
/** The training mode's bundled sample images (about 250 kB), listed in this file. */
const TRAIN_SAMPLES = "examples/train/textile/list.json";

/** precache fills the version's cache; the install fails (and is retried on the next visit) if a file cannot be had. */
async function precache() {
  const cache = await caches.open(CACHE);
  // no-cache: revalidate with the server (a 304 where the HTTP cache already has the file).
  const get = (path) => new Request(new URL(path, self.registration.scope), { cache: "no-cache" });
  await cache.addAll(CORE.map(get));
  const list = await (await cache.match(get("models.json"))).json();
  const files = new Set();
  for (const m of list) {
    files.add(m.file);
    for (const ex of m.examples || []) files.add(ex.file);
  }
  await cache.addAll([...files].map(get));
  await cache.add(get(TRAIN_SAMPLES));
  const samples = await (await cache.match(get(TRAIN_SAMPLES))).json();
  const dir = TRAIN_SAMPLES.replace(/[^/]*$/, "");
  await cache.addAll([...samples.normals, ...samples.checks.map((c) => c.file)].map((f) => get(dir + f)));
}

self.addEventListener("install", (ev) => ev.waitUntil(precache()));

self.addEventListener("activate", (ev) => {
  ev.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
  })());
});

self.addEventListener("message", (ev) => {
  if (ev.data === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (ev) => {
  const req = ev.request;
  if (req.method !== "GET" || !req.url.startsWith(self.registration.scope)) return;
  ev.respondWith(answer(req));
});

/** answer serves req from the cache (a page's query ignored), else the network; in "dev", the other way round. */
async function answer(req) {
  const cache = await caches.open(CACHE);
  const opts = { ignoreVary: true, ignoreSearch: req.mode === "navigate" };
  if (version === "dev") {
    try {
      return await fetch(req);
    } catch (e) {
      const hit = await cache.match(req, opts);
      if (hit) return hit;
      throw e;
    }
  }
  return (await cache.match(req, opts)) || fetch(req);
}
