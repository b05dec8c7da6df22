//go:build !js

package demotest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// writeServiceWorkerVersion writes dir's sw-version.js, as `make wasm`
// does: a hash of the site's files, which names the service worker's cache.
func writeServiceWorkerVersion(dir string) error {
	h := sha256.New()
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "sw-version.js" {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
		return nil
	}) // WalkDir visits in lexical order: the hash is stable
	if err != nil {
		return err
	}
	v := hex.EncodeToString(h.Sum(nil))[:16]
	return os.WriteFile(filepath.Join(dir, "sw-version.js"), []byte(`self.N2N_VERSION = "`+v+`";`+"\n"), 0o644)
}

// shadow is a selector inside the page's demo element.
func shadow(sel string) string {
	return demoJS + `.shadowRoot.querySelector(` + strconv.Quote(sel) + `)`
}

// click clicks an element of the demo's shadow root from JavaScript.
func click(t testing.TB, b *browser, sel string) {
	t.Helper()
	eval[bool](t, b, `(() => { `+shadow(sel)+`.click(); return true; })()`)
}

// pollAsync waits until the async expression expr resolves to a non-empty
// string and returns it.
func pollAsync(t testing.TB, b *browser, what, expr string, limit time.Duration) string {
	t.Helper()
	start := time.Now()
	for {
		if v := eval[string](t, b, expr); v != "" {
			t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
			return v
		}
		if time.Since(start) > limit {
			t.Fatalf("waiting for %s: nothing after %v", what, limit)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// fakeCamera are Chromium's flags for its fake capture device (a moving
// test pattern, 640×480) with the permission prompt answered yes.
var fakeCamera = []chromedp.ExecAllocatorOption{
	chromedp.Flag("use-fake-device-for-media-stream", true),
	chromedp.Flag("use-fake-ui-for-media-stream", true),
}

// cameraState is the part of element.camera the test reads.
type cameraState struct {
	Frames, Flagged, Alarms, Skipped int
	FPS                              float64
	Running, Paused                  bool
}

// TestCamera: with Chromium's fake camera, the camera mode analyses frames
// continuously on the CPU backend: heatmaps, a frames-per-second figure,
// counts of inspected and flagged frames and the alarm after N anomalous
// frames in a row (vibration recorded); a frozen frame's map equals that of
// the same pixels dropped as a PNG, and native detect's; the frame is saved
// with its heatmap. Refused permission, no camera and no mediaDevices show
// their messages; an uncalibrated model says it gives no alarm.
func TestCamera(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t, false, fakeCamera...)
	b.run(t, "opening the page", chromedp.Navigate(srv.URL+"/?backend=cpu&model="+calibratedID))
	loadedBackend(t, b)

	// The camera refused, missing, or no API at all: a message each.
	for _, c := range []struct{ setup, want string }{
		{`navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));`, "permission was refused"},
		{`navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException("Requested device not found", "NotFoundError"));`, "No camera was found"},
		{`Object.defineProperty(navigator, "mediaDevices", {value: undefined, configurable: true});`, "no camera access"},
	} {
		eval[bool](t, b, `(() => { `+c.setup+` return true; })()`)
		click(t, b, ".cam-start")
		msg := poll[string](t, b, "the camera message", shadow(".msg:not([hidden])")+`?.textContent || ""`, 10*time.Second)
		if !strings.Contains(msg, c.want) {
			t.Errorf("camera message %q, want it to say %q", msg, c.want)
		}
		if eval[bool](t, b, `!`+shadow(".camera")+`.hidden`) {
			t.Errorf("the camera panel shows after %q", c.want)
		}
		if strings.Contains(c.want, "refused") {
			screenshot(t, b, "desktop-camera-refused")
		}
		eval[bool](t, b, `(() => { delete navigator.mediaDevices; delete navigator.mediaDevices.getUserMedia; return true; })()`)
	}

	// The fake camera: sensitivity 0.95 (threshold 0.05, so frames are
	// flagged), alarm after 2 in a row, with vibration (recorded).
	eval[bool](t, b, `(() => {
		window.n2nVibrations = [];
		navigator.vibrate = (p) => { n2nVibrations.push(p); return true; };
		window.n2nResults = [];
		document.addEventListener("noise2norm-result", (e) => n2nResults.push(e.detail));
		const r = `+demoJS+`.shadowRoot, sens = r.querySelector(".sens");
		sens.value = "0.95"; sens.dispatchEvent(new Event("input"));
		r.querySelector(".al-n").value = "2";
		r.querySelector(".al-vib").click();
		r.querySelector(".cam-start").click();
		return true;
	})()`)
	poll[bool](t, b, "3 camera frames analysed", `(`+demoJS+`.camera?.frames || 0) >= 3`, 2*time.Minute)
	fps := eval[string](t, b, shadow(".fps")+`.textContent`)
	if v, err := strconv.ParseFloat(fps, 64); err != nil || v <= 0 {
		t.Errorf("frames per second shown %q, want a number > 0", fps)
	}
	screenshot(t, b, "desktop-camera")
	phone(t, b)
	n := eval[int](t, b, demoJS+`.camera.frames`)
	poll[bool](t, b, "a camera frame at phone size", fmt.Sprintf(`%s.camera.frames > %d`, demoJS, n), time.Minute)
	screenshot(t, b, "phone-camera")
	b.run(t, "back to desktop size", chromedp.EmulateViewport(1280, 900))

	// A dragged region: from 10 % to 40 % of the video's width and height
	// (view coordinates), so a square of side 0.3·max(width, height)
	// video pixels at (0.1·w, 0.1·h); the guide outlines it and frames
	// go on; a tap goes back to the centre square.
	regionRaw := eval[string](t, b, `(() => {
		const d = `+demoJS+`, view = d.shadowRoot.querySelector(".camview"), v = d.el.video;
		const rect = view.getBoundingClientRect(), box = d.videoBox();
		const at = (fx, fy) => ({clientX: rect.left + box.ox + fx * v.videoWidth * box.k, clientY: rect.top + box.oy + fy * v.videoHeight * box.k, pointerId: 7, bubbles: true});
		view.dispatchEvent(new PointerEvent("pointerdown", at(0.1, 0.1)));
		view.dispatchEvent(new PointerEvent("pointermove", at(0.25, 0.25)));
		view.dispatchEvent(new PointerEvent("pointerup", at(0.4, 0.4)));
		const g = d.shadowRoot.querySelector(".guide").getBoundingClientRect();
		return JSON.stringify({region: d.camera.region, w: v.videoWidth, h: v.videoHeight, frames: d.camera.frames,
			guide: [(g.left - rect.left - box.ox) / box.k, (g.top - rect.top - box.oy) / box.k, g.width / box.k]});
	})()`)
	var reg struct {
		Region struct{ X, Y, Side float64 }
		W, H   float64
		Frames int
		Guide  [3]float64
	}
	if err := json.Unmarshal([]byte(regionRaw), &reg); err != nil {
		t.Fatalf("%v: %s", err, regionRaw)
	}
	t.Logf("dragged region: %s", regionRaw)
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1.5 }
	if !near(reg.Region.X, 0.1*reg.W) || !near(reg.Region.Y, 0.1*reg.H) || !near(reg.Region.Side, 0.3*math.Max(reg.W, reg.H)) {
		t.Errorf("dragged region %+v in a %g×%g video, want (%g, %g) side %g", reg.Region, reg.W, reg.H, 0.1*reg.W, 0.1*reg.H, 0.3*math.Max(reg.W, reg.H))
	}
	if !near(reg.Guide[0], reg.Region.X) || !near(reg.Guide[1], reg.Region.Y) || !near(reg.Guide[2], reg.Region.Side) {
		t.Errorf("the guide covers %v (video pixels), the region is %+v", reg.Guide, reg.Region)
	}
	poll[bool](t, b, "a frame of the dragged region", fmt.Sprintf(`%s.camera.frames > %d + 1`, demoJS, reg.Frames), time.Minute)
	screenshot(t, b, "desktop-camera-region")
	if !eval[bool](t, b, `(() => {
		const d = `+demoJS+`, view = d.shadowRoot.querySelector(".camview"), r = view.getBoundingClientRect();
		const at = {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, pointerId: 8, bubbles: true};
		view.dispatchEvent(new PointerEvent("pointerdown", at));
		view.dispatchEvent(new PointerEvent("pointerup", at));
		return d.camera.region === null;
	})()`) {
		t.Errorf("a tap did not go back to the centre square")
	}

	// Freeze: the shown frame's result stays.
	click(t, b, ".cam-pause")
	time.Sleep(200 * time.Millisecond)
	raw := eval[string](t, b, `JSON.stringify({frames: `+demoJS+`.camera.frames, flagged: `+demoJS+`.camera.flagged, alarms: `+demoJS+`.camera.alarms, skipped: `+demoJS+`.camera.skipped, fps: `+demoJS+`.camera.fps, running: `+demoJS+`.camera.running, paused: `+demoJS+`.camera.paused})`)
	var cam cameraState
	if err := json.Unmarshal([]byte(raw), &cam); err != nil {
		t.Fatal(err)
	}
	var results []struct {
		Normalized *float64 `json:"normalizedScore"`
		Camera     bool     `json:"camera"`
	}
	if err := json.Unmarshal([]byte(eval[string](t, b, `JSON.stringify(n2nResults)`)), &results); err != nil {
		t.Fatal(err)
	}
	vibrations := eval[int](t, b, `n2nVibrations.length`)
	t.Logf("camera: %+v; %d results, %d vibrations", cam, len(results), vibrations)
	if !cam.Running || !cam.Paused || cam.FPS <= 0 || len(results) != cam.Frames {
		t.Errorf("camera state %+v with %d result events; want running, paused, fps > 0, one event per frame", cam, len(results))
	}
	// The counts, from the verdicts of the frames (threshold 1 − 0.95).
	flagged, streak, alarms := 0, 0, 0
	for _, r := range results {
		if !r.Camera || r.Normalized == nil {
			t.Fatalf("a camera result without camera flag or normalised score: %+v", r)
		}
		if *r.Normalized >= 1-0.95 {
			flagged++
			streak++
			if streak == 2 {
				alarms++
			}
		} else {
			streak = 0
		}
	}
	if cam.Flagged != flagged || cam.Alarms != alarms || vibrations != alarms {
		t.Errorf("flagged %d, alarms %d, vibrations %d; from the frames' scores: flagged %d, alarms %d", cam.Flagged, cam.Alarms, vibrations, flagged, alarms)
	}
	if shown := eval[string](t, b, shadow(".c-frames")+`.textContent + "/" + `+shadow(".c-flagged")+`.textContent`); shown != fmt.Sprintf("%d/%d", cam.Frames, cam.Flagged) {
		t.Errorf("the page shows %q frames/flagged, want %d/%d", shown, cam.Frames, cam.Flagged)
	}

	// The frozen frame's map: the same pixels as a PNG give the same map
	// dropped on the page, and native detect's.
	camRaw := eval[string](t, b, `(() => { const r = `+demoJS+`.lastResult; return JSON.stringify({id: r.id, score: r.score, calibrated: r.calibrated, normalizedScore: r.normalizedScore, threshold: r.threshold, anomalous: r.anomalous, size: r.size, map: Array.from(r.map), backend: r.backend, ms: r.ms, format: r.format}); })()`)
	var camRes pageResult
	if err := json.Unmarshal([]byte(camRaw), &camRes); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(camRaw, `"format":"rgba"`) || camRes.Size != 128 || len(camRes.Map) != camRes.Size*camRes.Size {
		t.Fatalf("the camera's result: size %d, %d map values, %.200s", camRes.Size, len(camRes.Map), camRaw)
	}
	pngB64 := eval[string](t, b, `(async () => {
		const f = `+demoJS+`.camera.frame, c = document.createElement("canvas");
		c.width = f.width; c.height = f.height;
		c.getContext("2d").putImageData(f, 0, 0);
		const blob = await new Promise((res) => c.toBlob(res, "image/png"));
		const u8 = new Uint8Array(await blob.arrayBuffer());
		let s = ""; for (const x of u8) s += String.fromCharCode(x);
		return btoa(s);
	})()`)
	png, err := base64.StdEncoding.DecodeString(pngB64)
	if err != nil {
		t.Fatal(err)
	}
	frameFile := filepath.Join(t.TempDir(), "frame.png")
	if err := os.WriteFile(frameFile, png, 0o644); err != nil {
		t.Fatal(err)
	}
	checkSameAsNative(t, camRes, frameFile)
	dropped := upload(t, b, frameFile)
	if !slices.Equal(dropped.Map, camRes.Map) || dropped.Score != camRes.Score {
		d := 0.0
		for i := range dropped.Map {
			d = math.Max(d, math.Abs(float64(dropped.Map[i]-camRes.Map[i])))
		}
		t.Errorf("the frame as a dropped PNG: score %g, the camera's %g; maps differ by up to %g, want identical", dropped.Score, camRes.Score, d)
	}

	// Save: one PNG, the frame beside its heatmap over a caption line.
	eval[bool](t, b, `(() => {
		window.n2nSaved = null;
		HTMLAnchorElement.prototype.click = function () { n2nSaved = {name: this.download, href: this.href}; };
		return true;
	})()`)
	// The dropped PNG replaced the shown result: the camera's next frame brings one back.
	click(t, b, ".cam-pause")
	poll[bool](t, b, "a camera frame after resuming", demoJS+`.lastResult.format === "rgba"`, time.Minute)
	click(t, b, ".cam-pause")
	click(t, b, ".cam-save")
	saved := pollAsync(t, b, "the saved frame", `(async () => {
		if (!window.n2nSaved) return "";
		const bmp = await createImageBitmap(await (await fetch(n2nSaved.href)).blob());
		return JSON.stringify({name: n2nSaved.name, w: bmp.width, h: bmp.height, heat: `+shadow(".c-heat")+`.width});
	})()`, 20*time.Second)
	var sv struct {
		Name       string
		W, H, Heat int
	}
	json.Unmarshal([]byte(saved), &sv)
	if !strings.HasSuffix(sv.Name, "_heatmap.png") || sv.W != 2*sv.Heat || sv.H <= sv.Heat {
		t.Errorf("saved %+v; want NAME_heatmap.png, the frame beside its heatmap (%d px each) over a caption", sv, sv.Heat)
	}

	// An uncalibrated model: no verdict, so no alarm, and the page says so.
	click(t, b, ".cam-pause")
	eval[bool](t, b, `(() => { `+demoJS+`.setAttribute("model", "`+uncalibratedID+`"); return true; })()`)
	note := poll[string](t, b, "a camera frame of the uncalibrated model", `(() => { const d = `+demoJS+`; return d.lastResult.format === "rgba" && !d.lastResult.calibrated ? d.shadowRoot.querySelector(".alnote").textContent : ""; })()`, time.Minute)
	if !strings.Contains(note, "uncalibrated") || !eval[bool](t, b, shadow(".al-vib")+`.disabled`) {
		t.Errorf("uncalibrated model: alarm note %q (want it to say uncalibrated) and the alarm switches enabled", note)
	}
	click(t, b, ".cam-stop")
	if !eval[bool](t, b, demoJS+`.camera === null && `+shadow(".camera")+`.hidden`) {
		t.Errorf("the camera did not stop")
	}
	b.checkSameOrigin(t, srv.URL)
}

// TestOffline: after one visit the service worker has stored the page, the
// wasm and the models; with the server unreachable a reload still detects
// (the same map as native detect). A new version (another sw-version.js)
// is offered on the next visit, and the reload switches to it and drops
// the old cache.
func TestOffline(t *testing.T) {
	srv := newServer(t)
	b := newBrowser(t, false)
	b.run(t, "opening the page", chromedp.Navigate(srv.URL+"/?backend=cpu"))
	loadedBackend(t, b)
	const cachedJS = `(async () => {
		const r = await navigator.serviceWorker.getRegistration();
		if (!r || !r.active || r.active.state !== "activated") return "";
		const name = (await caches.keys()).find((k) => k.startsWith("n2n-"));
		if (!name) return "";
		const cache = await caches.open(name);
		for (const p of ["./", "n2n.wasm", "wasm_exec.js", "worker.js", "embed.js", "models.json", "models/` + modelID + `.safetensors", "examples/` + modelID + `/hole.png"]) {
			if (!(await cache.match(new URL(p, location.href), {ignoreVary: true}))) return "";
		}
		return name;
	})()`
	cacheName := pollAsync(t, b, "the service worker active, its cache filled", cachedJS, time.Minute)
	t.Logf("cache %s", cacheName)
	poll[bool](t, b, "the page saying it works offline", `!document.querySelector(".foot .offline").hidden`, 10*time.Second)

	srv.offline.Store(true)
	b.run(t, "reloading without a network", chromedp.Navigate(srv.URL+"/?backend=cpu"))
	loadedBackend(t, b)
	if !eval[bool](t, b, `navigator.serviceWorker.controller !== null`) {
		t.Errorf("the reloaded page is not controlled by the service worker")
	}
	if got := eval[string](t, b, `fetch("models.json?probe=" + Date.now()).then(() => "reached", () => "failed")`); got != "failed" {
		t.Fatalf("the server was reachable during the offline check (%s)", got)
	}
	file := example("hole")
	r := upload(t, b, file)
	checkSameAsNative(t, r, file)
	srv.mu.Lock()
	t.Logf("offline: requests that found no server (what the page does not need to work): %v", srv.refused)
	srv.mu.Unlock()

	// A new version on the server: the next visit offers it.
	srv.mu.Lock()
	srv.overrides["/sw-version.js"] = `self.N2N_VERSION = "test-update";`
	srv.mu.Unlock()
	srv.offline.Store(false)
	b.run(t, "visiting again", chromedp.Navigate(srv.URL+"/?backend=cpu"))
	poll[bool](t, b, "the update notice", `!document.querySelector(".update").hidden`, time.Minute)
	screenshot(t, b, "desktop-update-notice")
	eval[bool](t, b, `(() => { document.querySelector(".update .reload").click(); return true; })()`)
	caches := pollAsync(t, b, "the new version in control", `(async () => {
		const r = await navigator.serviceWorker.getRegistration();
		if (!r || !r.active || !navigator.serviceWorker.controller || document.readyState !== "complete") return "";
		const keys = (await caches.keys()).filter((k) => k.startsWith("n2n-"));
		return keys.length === 1 && keys[0] === "n2n-test-update" && document.querySelector(".update").hidden ? keys.join(",") : "";
	})()`, time.Minute)
	t.Logf("after the update: caches %s", caches)
}
