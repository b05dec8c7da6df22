// The demo page: the <noise2norm-demo> element (embed.js) does the work;
// the page passes its query string (?model=ID&backend=auto|webgpu|cpu) on
// to it, so a link can pick both. The page (not the element, which may sit
// on other sites) registers the service worker that makes it work offline
// and shows when an update is ready.
import "./embed.js";
import { registerOffline } from "./offline.js";

const demo = document.getElementById("demo");
const params = new URLSearchParams(location.search);
for (const name of ["model", "backend"]) {
  const v = params.get(name);
  if (v) demo.setAttribute(name, v);
}

// Registered once the model has loaded (or failed to), so that the service
// worker's precaching revalidates what the page has just downloaded (HTTP
// 304s) instead of downloading the wasm and the model a second time.
const update = document.querySelector(".update");
(async () => {
  try {
    await demo.begun;
    await demo.loading;
  } catch (e) {
    // the element shows its own errors; the page still works offline for what it could load
  }
  registerOffline(new URL(".", import.meta.url), (apply) => {
    update.hidden = false;
    update.querySelector(".reload").onclick = apply;
  }, () => {
    document.querySelector(".foot .offline").hidden = false;
  });
})();
