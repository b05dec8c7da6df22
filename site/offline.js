// Registers the demo's service worker (sw.js, beside this file) so that the
// demo works offline once visited, and tells the page when a new version
// is ready. The demo page calls it; the <noise2norm-demo> element only with
// its "offline" attribute, so that an embedded demo never registers a
// service worker on a host site unasked.

/**
 * registerOffline registers base's sw.js with base as its scope.
 * onUpdate(apply) is called when a new version has been downloaded and
 * waits: apply() switches to it and reloads the page. onReady() is called
 * once the demo is stored for offline use.
 * @param {URL} base the folder holding sw.js
 * @param {(apply: () => void) => void} onUpdate
 * @param {() => void} [onReady]
 * @returns {Promise<ServiceWorkerRegistration|null>} null where there are no service workers (or not a secure page)
 */
export async function registerOffline(base, onUpdate, onReady) {
  if (!("serviceWorker" in navigator) || (typeof isSecureContext === "boolean" && !isSecureContext)) return null;
  const sw = navigator.serviceWorker;
  let reloading = false;
  const apply = (waiting) => () => {
    sw.addEventListener("controllerchange", () => {
      if (!reloading) {
        reloading = true;
        location.reload();
      }
    });
    waiting.postMessage("skip-waiting");
  };
  let reg;
  try {
    reg = await sw.register(new URL("sw.js", base), { scope: new URL("./", base).href, updateViaCache: "none" });
  } catch (e) {
    console.warn("noise2norm: the service worker could not be registered; the demo works, but not offline:", e);
    return null;
  }
  // A new version waiting while an old one controls this page: an update.
  const consider = (w) => {
    if (!w) return;
    const check = () => {
      if (w.state === "installed" && sw.controller) onUpdate(apply(w));
      if (w.state === "activated" && onReady) onReady();
    };
    check();
    w.addEventListener("statechange", check);
  };
  if (reg.waiting) consider(reg.waiting);
  else if (reg.installing) consider(reg.installing);
  else if (reg.active && onReady) onReady();
  reg.addEventListener("updatefound", () => consider(reg.installing));
  return reg;
}
