// The demo page: the <noise2norm-demo> element (embed.js) does the work;
// the page passes its query string (?model=ID&backend=auto|webgpu|cpu) on
// to it, so a link can pick both.
import "./embed.js";

const demo = document.getElementById("demo");
const params = new URLSearchParams(location.search);
for (const name of ["model", "backend"]) {
  const v = params.get(name);
  if (v) demo.setAttribute(name, v);
}
