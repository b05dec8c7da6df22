//go:build !js

package demotest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/noise2norm/noise2norm/internal/imageio"
)

// TestWebGPUChosen: WebGPU chosen explicitly on SwiftShader (a software
// adapter, which auto would skip); a bundled example through the file
// input gives native detect's score and map.
func TestWebGPUChosen(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t, true)
	b.run(t, "opening the page", chromedp.Navigate(srv.URL+"/index.html?backend=webgpu"))
	info := loadedBackend(t, b)
	if info.Kind != "webgpu" {
		t.Fatalf("backend %+v, want webgpu (chosen explicitly)", info)
	}
	t.Logf("adapter %q, fallback adapter %v", info.Name, info.FallbackAdapter)
	if !info.FallbackAdapter {
		t.Errorf("SwiftShader (%q) not recognised as a software adapter", info.Name)
	}
	file := example("hole")
	r := upload(t, b, file)
	if r.Backend.Kind != "webgpu" {
		t.Fatalf("the detection ran on %+v, want webgpu", r.Backend)
	}
	checkSameAsNative(t, r, file)
	chip := eval[string](t, b, demoJS+`.shadowRoot.querySelector(".chip").textContent`)
	if !strings.Contains(chip, "WebGPU") {
		t.Errorf("the backend chip says %q, want it to name WebGPU", chip)
	}
	screenshot(t, b, "desktop-webgpu-result")

	// The device lost (destroyed through the worker's test hook, as a
	// driver reset would): the page says so, and the next detection runs
	// on the CPU, with the same result.
	eval[bool](t, b, `(async () => { await `+demoJS+`.engine.request({type: "lose-gpu"}); return true; })()`)
	notice := poll[string](t, b, "the device-lost notice", demoJS+`.shadowRoot.querySelector(".msg.info:not([hidden])")?.textContent || ""`, 30*time.Second)
	if !strings.Contains(notice, "lost") || !strings.Contains(notice, "CPU") {
		t.Errorf("device-lost notice %q, want it to say the device was lost and the CPU carries on", notice)
	}
	r = upload(t, b, file)
	if r.Backend.Kind != "cpu" || r.FellBack == "" {
		t.Errorf("after the device was lost: backend %+v, fellBack %q; want cpu, with the reason", r.Backend, r.FellBack)
	}
	checkSameAsNative(t, r, file)

	// Auto on the same browser, the page opened again (a new worker):
	// SwiftShader is a software adapter, so the CPU backend, saying why.
	// The page starts on cpu and the switch moves it to auto.
	tab := b
	tab.run(t, "opening the page again", chromedp.Navigate(srv.URL+"/index.html?backend=cpu"))
	if info := loadedBackend(t, tab); info.Kind != "cpu" || info.Reason != "chosen" {
		t.Errorf("backend=cpu: %+v, want cpu, chosen", info)
	}
	tab.run(t, "switching to auto", chromedp.Click(chromedp.JSPath(demoJS+`.shadowRoot.querySelector("label[for=be-auto]")`)))
	raw := poll[string](t, tab, "the switch to auto", `(() => { const d = `+demoJS+`; return d.getAttribute("backend") === "auto" && d.loaded && d.loaded.backend.reason !== "chosen" ? JSON.stringify(d.loaded.backend) : ""; })()`, 90*time.Second)
	var auto backendInfo
	json.Unmarshal([]byte(raw), &auto)
	if auto.Kind != "cpu" || !strings.Contains(auto.Reason, "software adapter") {
		t.Errorf("auto on SwiftShader: %+v, want cpu, saying the adapter is a software one", auto)
	}
	b.checkSameOrigin(t, srv.URL)
}

// TestCPUFallback: a browser without WebGPU runs the CPU backend; the
// example gives native detect's score and map; a corrupt file shows a
// message and the page keeps working; screenshots desktop and phone.
func TestCPUFallback(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t, false)
	b.run(t, "opening the page", chromedp.Navigate(srv.URL+"/"))
	info := loadedBackend(t, b)
	if info.Kind != "cpu" || !strings.Contains(info.Reason, "adapter") && !strings.Contains(info.Reason, "WebGPU") {
		t.Fatalf("backend %+v, want cpu with the reason that there is no WebGPU adapter", info)
	}
	if !info.SIMD { // Chromium has WebAssembly SIMD, and worker.js publishes the Go memory
		t.Errorf("backend %+v: the CPU backend runs the pure-Go kernel, want the WebAssembly SIMD one", info)
	}
	file := example("scratch")
	r := upload(t, b, file)
	checkSameAsNative(t, r, file)
	checkNPYDownload(t, b, r)
	screenshot(t, b, "desktop-cpu-result")

	// A corrupt file: the message shows, and the next image still works.
	bad := filepath.Join(t.TempDir(), "corrupt.png")
	png, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, append(png[:100:100], []byte("this is not the rest of a PNG")...), 0o644); err != nil {
		t.Fatal(err)
	}
	before := lastResultID(t, b)
	b.run(t, "dropping a corrupt file", chromedp.SetUploadFiles(fileInput, []string{bad}))
	msg := poll[string](t, b, "the corrupt file's message", demoJS+`.shadowRoot.querySelector(".msg:not([hidden])")?.textContent || ""`, 30*time.Second)
	t.Logf("message: %s", msg)
	if !strings.Contains(msg, "corrupt.png") || !strings.Contains(msg, "could not be read") {
		t.Errorf("message %q, want it to name corrupt.png and say it could not be read", msg)
	}
	if id := lastResultID(t, b); id != before {
		t.Errorf("a corrupt file replaced the result")
	}
	screenshot(t, b, "desktop-bad-file")

	notImage := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notImage, []byte("plain text, not an image"), 0o644)
	b.run(t, "choosing a text file", chromedp.SetUploadFiles(fileInput, []string{notImage}))
	msg = poll[string](t, b, "the text file's message", demoJS+`.shadowRoot.querySelector(".msg:not([hidden])")?.textContent.includes("notes.txt") ? "yes" : ""`, 30*time.Second)

	phone(t, b)
	good := example("good")
	r = upload(t, b, good)
	checkSameAsNative(t, r, good)
	if msgHidden := eval[bool](t, b, demoJS+`.shadowRoot.querySelector(".msg").hidden`); !msgHidden {
		t.Errorf("the error message still shows after a valid image")
	}
	screenshot(t, b, "phone-result")
	b.run(t, "dropping a corrupt file", chromedp.SetUploadFiles(fileInput, []string{bad}))
	poll[string](t, b, "the corrupt file's message", demoJS+`.shadowRoot.querySelector(".msg:not([hidden])")?.textContent || ""`, 30*time.Second)
	screenshot(t, b, "phone-bad-file")

	// A calibrated model: normalised score, threshold and verdict as
	// model.Calibration gives them natively.
	b.run(t, "back to desktop size", chromedp.EmulateViewport(1280, 900))
	b.run(t, "choosing the calibrated model", chromedp.Navigate(srv.URL+"/?model="+calibratedID))
	loadedBackend(t, b)
	hole := example("hole")
	r = upload(t, b, hole)
	checkSameAsNative(t, r, hole)
	_, amap := nativeDetect(t, hole)
	want := testCalibration(r.Size).Apply(amap)
	switch {
	case !r.Calibrated || r.Normalized == nil || r.Threshold == nil || r.Anomalous == nil:
		t.Errorf("calibrated model: calibrated %v, normalizedScore %v, threshold %v, anomalous %v; want all set", r.Calibrated, r.Normalized, r.Threshold, r.Anomalous)
	case abs(*r.Normalized-want.Normalized) > 1e-4 || *r.Threshold != 2 || *r.Anomalous != want.Anomalous:
		t.Errorf("calibrated model: normalizedScore %g, threshold %g, anomalous %v; native: %g, 2, %v", *r.Normalized, *r.Threshold, *r.Anomalous, want.Normalized, want.Anomalous)
	}
	verdict := eval[string](t, b, demoJS+`.shadowRoot.querySelector(".verdict").textContent`)
	wantVerdict := map[bool]string{true: "Anomalous", false: "Normal"}[want.Anomalous]
	if verdict != wantVerdict {
		t.Errorf("the page's verdict %q, want %q", verdict, wantVerdict)
	}
	screenshot(t, b, "desktop-calibrated")
	b.checkSameOrigin(t, srv.URL)
}

// TestEmbedFromSubPath: the documented snippet on a page elsewhere on the
// site loads embed.js from /sub/dir/; two elements share one worker;
// detect() resolves with the documented fields and fires the event.
func TestEmbedFromSubPath(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t, false)
	b.run(t, "opening the embed page", chromedp.Navigate(srv.URL+"/elsewhere/page.html"))
	raw := eval[string](t, b, `(async () => {
		await customElements.whenDefined("noise2norm-demo");
		const blob = await (await fetch("../sub/dir/examples/`+modelID+`/stain.png")).blob();
		const r = await document.getElementById("second").detect(blob);
		return JSON.stringify({result: r, events: n2nEvents});
	})()`)
	var got struct {
		Result struct {
			Score           *float64 `json:"score"`
			NormalizedScore *float64 `json:"normalizedScore"`
			Threshold       *float64 `json:"threshold"`
			Anomalous       *bool    `json:"anomalous"`
			Backend         string   `json:"backend"`
			MS              *float64 `json:"ms"`
		} `json:"result"`
		Events []struct {
			ID     string          `json:"id"`
			Detail json.RawMessage `json:"detail"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	t.Logf("detect(): %s", raw)
	res := got.Result
	if res.Score == nil || res.MS == nil || *res.MS <= 0 || res.Backend != "cpu" {
		t.Errorf("detect() gave %s: want score, ms > 0 and backend cpu", raw)
	}
	file := filepath.Join(siteDir, "examples", modelID, "stain.png")
	if score, _ := nativeDetect(t, file); res.Score != nil && abs(*res.Score-float64(score)) > 1e-4+1e-3*float64(score) {
		t.Errorf("detect() score %g, native %g", *res.Score, score)
	}
	// #second runs the uncalibrated copy of the shipped weights: no
	// normalised score, threshold or verdict.
	if res.NormalizedScore != nil || res.Threshold != nil || res.Anomalous != nil {
		t.Errorf("uncalibrated weights gave normalisedScore/threshold/anomalous: %s", raw)
	}
	if len(got.Events) != 1 || got.Events[0].ID != "second" {
		t.Fatalf("events %+v, want one from #second", got.Events)
	}
	var detail, result map[string]any
	json.Unmarshal(got.Events[0].Detail, &detail)
	json.Unmarshal([]byte(raw[strings.Index(raw, `"result":`)+len(`"result":`):strings.Index(raw, `,"events"`)]), &result)
	if !mapsEqual(detail, result) {
		t.Errorf("the event's detail %v differs from detect()'s result %v", detail, result)
	}

	// The first element works too, on the same worker.
	raw = eval[string](t, b, `(async () => {
		const blob = await (await fetch("../sub/dir/examples/`+modelID+`/good.png")).blob();
		return JSON.stringify(await document.getElementById("first").detect(blob));
	})()`)
	t.Logf("first element: %s", raw)
	if n := srv.count("/n2n.wasm"); n != 1 {
		t.Errorf("n2n.wasm requested %d times by two elements, want 1 (one shared worker)", n)
	}
	if n := srv.count("/worker.js"); n != 1 {
		t.Errorf("worker.js requested %d times, want 1", n)
	}
	for _, want := range []string{"/sub/dir/embed.js", "/sub/dir/n2n.wasm", "/sub/dir/models/" + modelID + ".safetensors", "/sub/dir/models.json"} {
		if srv.count(want) == 0 {
			t.Errorf("nothing asked for %s: the element does not resolve its files relative to embed.js", want)
		}
	}
	screenshot(t, b, "embed-subpath")
	b.checkSameOrigin(t, srv.URL)

	// The docs page, itself the example: its button runs detect() on its
	// element, whose event it logs; its iframe holds frame.html.
	b.run(t, "opening embed.html", chromedp.Navigate(srv.URL+"/sub/dir/embed.html"))
	b.run(t, "running the docs page's example", chromedp.Click(chromedp.CSS("button.run")))
	logged := poll[string](t, b, "the docs page's event log", `(() => { const t = document.getElementById("log").textContent; return t.startsWith("noise2norm-result") ? t : ""; })()`, 2*time.Minute)
	if !strings.Contains(logged, `"score"`) {
		t.Errorf("the docs page logged %q, want a result with a score", logged)
	}
	poll[bool](t, b, "the iframe's element to load", `(() => { const d = document.querySelector("iframe").contentDocument.querySelector("noise2norm-demo"); return !!(d && d.loaded); })()`, 2*time.Minute)
	screenshot(t, b, "embed-docs")
	if len(examplesInSite(t)) < 2 {
		t.Errorf("fewer than 2 bundled examples")
	}

	// Embedded elements register no service worker on the host site unless
	// asked: none so far; with the offline attribute, sw.js beside embed.js,
	// its scope that folder only.
	b.run(t, "opening the embed page again", chromedp.Navigate(srv.URL+"/elsewhere/page.html"))
	loadedBackend(t, b)
	if n := eval[int](t, b, `navigator.serviceWorker.getRegistrations().then((r) => r.length)`); n != 0 {
		t.Errorf("%d service workers registered by embedded elements without the offline attribute, want none", n)
	}
	scope := pollAsync(t, b, "the opted-in service worker", `(async () => {
		if (!window.n2nOptIn) {
			window.n2nOptIn = true;
			const el = document.createElement("noise2norm-demo");
			el.setAttribute("offline", "");
			el.setAttribute("backend", "cpu");
			document.body.append(el);
		}
		const regs = await navigator.serviceWorker.getRegistrations();
		return regs.map((r) => r.scope).join(" ");
	})()`, time.Minute)
	if scope != srv.URL+"/sub/dir/" {
		t.Errorf("with the offline attribute: service worker scopes %q, want only %s/sub/dir/", scope, srv.URL)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// TestMissingFeatures: a browser without WebAssembly, or without Web
// Workers, gets a message saying so instead of a broken page.
func TestMissingFeatures(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t, false)
	for _, c := range []struct{ global, want string }{
		{"WebAssembly", "cannot run WebAssembly"},
		{"Worker", "no Web Workers"},
	} {
		script, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: "delete globalThis." + c.global + ";"})
		if err != nil {
			t.Fatal(err)
		}
		b.run(t, "opening the page", chromedp.Navigate(srv.URL+"/"))
		msg := poll[string](t, b, "the message without "+c.global, demoJS+`.shadowRoot.querySelector(".msg:not([hidden])")?.textContent || ""`, 30*time.Second)
		if !strings.Contains(msg, c.want) {
			t.Errorf("without %s the page says %q, want %q", c.global, msg, c.want)
		}
		if c.global == "WebAssembly" {
			screenshot(t, b, "desktop-no-wasm")
		}
		if _, err := chromedp.Call(b.ctx, page.RemoveScriptToEvaluateOnNewDocument,
			page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: script.Identifier}); err != nil {
			t.Fatal(err)
		}
	}
}

// checkNPYDownload checks the page's .npy of the map (what "Download map"
// saves) against imageio.WriteNPY's file of the same map, byte for byte.
func checkNPYDownload(t *testing.T, b *browser, r pageResult) {
	t.Helper()
	b64 := eval[string](t, b, `(async () => {
		const { npy } = await import("./embed.js");
		const d = `+demoJS+`;
		const bytes = new Uint8Array(await npy(d.lastResult.map, d.lastResult.size).arrayBuffer());
		let s = "";
		for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
		return btoa(s);
	})()`)
	got, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(t.TempDir(), "map.npy")
	if err := imageio.WriteNPY(want, []int{r.Size, r.Size}, r.Map); err != nil {
		t.Fatal(err)
	}
	wantBytes, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantBytes) {
		n := min(len(got), len(wantBytes), 128)
		t.Errorf("the page's map.npy (%d bytes) differs from imageio.WriteNPY's (%d bytes); headers %q and %q", len(got), len(wantBytes), got[:n], wantBytes[:n])
	}
}
