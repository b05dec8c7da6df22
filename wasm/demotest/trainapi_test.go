//go:build !js

package demotest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/infer"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/model/reftest"
	"github.com/noise2norm/noise2norm/internal/safetensors"
	"github.com/noise2norm/noise2norm/internal/synth"
	"github.com/noise2norm/noise2norm/internal/testutil"
	"github.com/noise2norm/noise2norm/internal/train"
	"github.com/noise2norm/noise2norm/native"
)

// The protocol-level training tests drive site/client.js's Engine directly
// (no page UI): a module imported into a same-origin document of the served
// site, with the training images served from the site's folder.

// trainImages is the number of synthetic normals the tests train on: 16
// to train (4 steps of 4 per epoch), 4 held out.
const trainImages = 20

// trainImageDir writes trainImages of cmd/synth's textile normals (128²
// PNG, named as synth names them) under the built site's trainapi/ folder,
// plus two bad files, and returns the site-relative URLs of all of them
// and the folder. The bad ones: notes.txt (text) and broken.png (a PNG cut
// in half).
func trainImageDir(t *testing.T) (urls []string, dir string) {
	t.Helper()
	dir = filepath.Join(siteDir, "trainapi")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	o := synth.DefaultOptions()
	for i := range trainImages {
		img, _ := synth.Render(o, "train/good", i, "")
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%03d.png", i)
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		urls = append(urls, "trainapi/"+name)
		if i == 0 {
			if err := os.WriteFile(filepath.Join(dir, "broken.png"), buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not an image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return urls, dir
}

// engineHarness is run in a same-origin document: it imports client.js,
// starts an Engine on the site's root and keeps the training messages.
const engineHarness = `(async () => {
	const { Engine } = await import("/client.js");
	window.T = { engine: new Engine(new URL("/", location.href)), messages: [] };
	await T.engine.ready;
	T.fetchImages = async (urls) => Promise.all(urls.map(async (u) => {
		const r = await fetch(u);
		return { name: u.split("/").pop(), bytes: await r.arrayBuffer() };
	}));
	T.b64 = (buf) => {
		const u8 = new Uint8Array(buf);
		let s = "";
		for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
		return btoa(s);
	};
	return true;
})()`

// startEngine opens a browser (WebGPU on SwiftShader when webgpu) on the
// served site and runs engineHarness.
func startEngine(t *testing.T, webgpu bool) *browser {
	t.Helper()
	srv := newServer(t)
	b := newBrowser(t, webgpu)
	b.run(t, "opening a same-origin document", chromedp.Navigate(srv.URL+"/models.json"))
	evalLong[bool](t, b, engineHarness, 2*time.Minute)
	return b
}

// evalLong is eval with its own time limit.
func evalLong[T any](t testing.TB, b *browser, expr string, limit time.Duration) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, limit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %.100q: %v", expr, err)
	}
	return v
}

// trainStarted mirrors the parts of protocol.js's TrainStartedReply the
// tests check.
type trainStarted struct {
	Kept    []string `json:"kept"`
	Skipped []struct {
		Name, Code, Message string
	} `json:"skipped"`
	TrainImages int         `json:"trainImages"`
	HeldOut     int         `json:"heldOut"`
	Backend     backendInfo `json:"backend"`
	Steps       int         `json:"steps"`
}

// trained mirrors the parts of protocol.js's TrainedReply the tests check.
type trained struct {
	Stopped         bool        `json:"stopped"`
	Steps           int         `json:"steps"`
	Losses          []float64   `json:"losses"`
	ValLosses       []float64   `json:"valLosses"`
	ImagesPerSecond float64     `json:"imagesPerSecond"`
	Seconds         float64     `json:"seconds"`
	Backend         backendInfo `json:"backend"`
	Calibration     *struct {
		Threshold float64 `json:"threshold"`
	} `json:"calibration"`
	CalibrationNote string `json:"calibrationNote"`
	HeldOut         int    `json:"heldOut"`
	FellBack        string `json:"fellBack"`
}

// trainResult is a train or train-continue request's replies.
type trainResult struct {
	Started  trainStarted `json:"started"`
	Progress int          `json:"progress"` // train-progress messages seen
	Trained  trained      `json:"trained"`
}

// pageTrain trains session in the page on the images at urls and returns
// its replies. stopAfter > 0 sends train-stop after that many progress
// messages.
func pageTrain(t *testing.T, b *browser, session string, urls []string, preset, backendPref string, steps, stopAfter int, limit time.Duration) trainResult {
	t.Helper()
	list, _ := json.Marshal(urls)
	raw := evalLong[string](t, b, fmt.Sprintf(`(async () => {
		const images = await T.fetchImages(%s);
		let started = null, progress = 0;
		const trained = await T.engine.train(%q, { images, preset: %q, steps: %d, seed: 1, backend: %q }, (m) => {
			if (m.type === "train-started") started = m;
			if (m.type === "train-progress" && m.phase === "train") {
				progress++;
				if (progress === %d) T.engine.stopTraining(%q);
			}
		});
		return JSON.stringify({ started, progress, trained });
	})()`, list, session, preset, steps, backendPref, stopAfter, session), limit)
	var r trainResult
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	tr := r.Trained
	t.Logf("page %s on %s (%s): %d steps in %.1f s, %.2f images/s (steps only); losses %.5f … %.5f; calibration %v %q",
		session, tr.Backend.Kind, tr.Backend.Name, tr.Steps, tr.Seconds, tr.ImagesPerSecond, first(tr.Losses), lastOf(tr.Losses), tr.Calibration != nil, tr.CalibrationNote)
	return r
}

func first(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return v[0]
}

func lastOf(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	return v[len(v)-1]
}

// nativeLosses trains the preset natively on be with the images of dir
// named in names (decoded as the worker decodes them), seed 1 and the
// default held-out share, as the worker drives a train.Session, and returns
// the session (to continue or export) and its per-step losses.
func nativeLosses(t *testing.T, be backend.Backend, dir string, names []string, preset string, steps int) (*train.Session, []float64) {
	t.Helper()
	p, err := train.PresetNamed(preset)
	if err != nil {
		t.Fatal(err)
	}
	var tensors [][]float32
	for _, n := range names {
		img, err := imageio.LoadRGB(filepath.Join(dir, n), 0)
		if err != nil {
			t.Fatal(err)
		}
		tensors = append(tensors, imageio.ToTensor(img, p.Size))
	}
	ds, err := train.NewDataset(tensors, names, p.Size, 0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	s, err := train.NewSession(be, p.Options(1, 0.2), ds, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Free)
	return s, nativeSteps(t, s, steps)
}

// nativeSteps runs steps more steps of s as the worker does (an epoch's
// validation before the step that follows it).
func nativeSteps(t *testing.T, s *train.Session, steps int) []float64 {
	t.Helper()
	var losses []float64
	start := time.Now()
	for range steps {
		if s.EpochDone() {
			if _, err := s.EndEpoch(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.Step()
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, float64(r.Loss))
	}
	t.Logf("native on %s: %d steps in %.1f s", s.Backend().Name(), steps, time.Since(start).Seconds())
	return losses
}

// checkLosses compares the page's per-step losses with native ones to a
// relative tolerance.
func checkLosses(t *testing.T, what string, page, native []float64, rtol float64) {
	t.Helper()
	if len(page) != len(native) {
		t.Fatalf("%s: %d page losses, %d native", what, len(page), len(native))
	}
	worst := 0.0
	for i := range page {
		d := math.Abs(page[i]-native[i]) / math.Abs(native[i])
		worst = max(worst, d)
		if d > rtol {
			t.Errorf("%s: step %d: page loss %.8g, native %.8g (relative difference %.3g > %g)", what, i+1, page[i], native[i], d, rtol)
		}
	}
	t.Logf("%s: %d steps, largest relative difference %.3g (tolerance %g)", what, len(page), worst, rtol)
}

// exportFromPage exports session's model and returns its bytes and the
// suggested name.
func exportFromPage(t *testing.T, b *browser, session string) ([]byte, string) {
	t.Helper()
	raw := evalLong[string](t, b, fmt.Sprintf(`(async () => {
		const f = await T.engine.exportWeights(%q);
		return JSON.stringify({ name: f.name, b64: T.b64(await f.arrayBuffer()) });
	})()`, session), time.Minute)
	var r struct{ Name, B64 string }
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	b64, err := base64.StdEncoding.DecodeString(r.B64)
	if err != nil {
		t.Fatal(err)
	}
	return b64, r.Name
}

// pageDetect runs session's model in the page on the image at url.
func pageDetect(t *testing.T, b *browser, session, url string) pageResult {
	t.Helper()
	raw := evalLong[string](t, b, fmt.Sprintf(`(async () => {
		const blob = await (await fetch(%q)).blob();
		const r = await T.engine.detect(%q, blob);
		return JSON.stringify({id: r.id, score: r.score, calibrated: r.calibrated, normalizedScore: r.normalizedScore, threshold: r.threshold, anomalous: r.anomalous, fellBack: r.fellBack, size: r.size, map: Array.from(r.map), backend: r.backend, ms: r.ms});
	})()`, url, session), time.Minute)
	var r pageResult
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTrainAPICPU: on the CPU backend (Go compiled to WebAssembly in the
// page, native Go on this machine) with the small preset:
//   - bad files among the images are named in train-started.skipped, the
//     rest kept;
//   - the page's per-step losses equal native ones to float32 rounding
//     over 10 steps, and 3 more steps of train-continue equal native steps
//     11–13;
//   - the export reads natively as calibrated weights whose map of an
//     image equals the page's detect of it; the same file is a checkpoint
//     (state, optimiser moments);
//   - train-stop ends a long run early with stopped: true and a model that
//     detects.
func TestTrainAPICPU(t *testing.T) {
	urls, dir := trainImageDir(t)
	b := startEngine(t, false)
	withBad := append(slices.Clone(urls[:10]), "trainapi/notes.txt", "trainapi/broken.png")
	withBad = append(withBad, urls[10:]...)
	const steps = 10
	r := pageTrain(t, b, "cpu", withBad, "small", "cpu", steps, 0, 5*time.Minute)

	// (c) the bad files named and skipped, the rest kept.
	st := r.Started
	var skipped []string
	for _, s := range st.Skipped {
		skipped = append(skipped, s.Name)
		if s.Code != "not-image" || s.Message == "" {
			t.Errorf("skipped %s: code %q, message %q; want not-image and a reason", s.Name, s.Code, s.Message)
		}
	}
	slices.Sort(skipped)
	if !slices.Equal(skipped, []string{"broken.png", "notes.txt"}) || len(st.Kept) != trainImages || st.TrainImages+st.HeldOut != trainImages {
		t.Errorf("train-started: skipped %v, %d kept (%d training, %d held out); want broken.png and notes.txt skipped, all %d others kept",
			skipped, len(st.Kept), st.TrainImages, st.HeldOut, trainImages)
	}
	if r.Trained.Backend.Kind != "cpu" || r.Progress != steps || r.Trained.Steps != steps || r.Trained.Stopped || r.Trained.Calibration == nil {
		t.Fatalf("trained on %+v after %d progress messages: %+v; want %d steps on the cpu, calibrated", r.Trained.Backend, r.Progress, r.Trained, steps)
	}

	// (a) the same losses as native training on the same images.
	names := make([]string, len(urls))
	for i, u := range urls {
		names[i] = filepath.Base(u)
	}
	s, native := nativeLosses(t, cpu.New(), dir, names, "small", steps)
	// The page's CPU backend is the same Go code compiled to WebAssembly
	// without the amd64 assembly matrix product: the sums run in another
	// order, so the losses agree to float32 rounding, accumulated over the
	// steps.
	const cpuRtol = 1e-5
	checkLosses(t, "page CPU vs native CPU", r.Trained.Losses, native, cpuRtol)
	more := evalLong[string](t, b, `(async () => JSON.stringify(await T.engine.continueTraining("cpu", 3)))()`, 2*time.Minute)
	var cont trained
	if err := json.Unmarshal([]byte(more), &cont); err != nil {
		t.Fatal(err)
	}
	checkLosses(t, "train-continue vs native steps 11–13", cont.Losses, nativeSteps(t, s, 3), cpuRtol)

	// (b) the export loads natively and gives the page's map.
	raw, name := exportFromPage(t, b, "cpu")
	f, err := safetensors.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the export %s: %v", name, err)
	}
	w, err := model.FromSafetensors(f)
	if err != nil {
		t.Fatalf("the export %s does not load natively: %v", name, err)
	}
	if !w.Checkpoint || f.Metadata["state.step"] != "13" || len(f.Tensors) <= len(model.ParamSpecs(w.Config)) {
		t.Errorf("the export %s: checkpoint %v, state.step %q, %d tensors; want the run's checkpoint after 13 steps", name, w.Checkpoint, f.Metadata["state.step"], len(f.Tensors))
	}
	m, err := model.New(cpu.New(), w)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	if m.Calibration() == nil {
		t.Fatalf("the export %s has no calibration", name)
	}
	score, amap := detectNative(t, m, filepath.Join(dir, "003.png"))
	pr := pageDetect(t, b, "cpu", "trainapi/003.png")
	if !pr.Calibrated || pr.Size != m.Cfg.Size {
		t.Errorf("the page's detect with the trained model: calibrated %v, size %d; want calibrated, %d", pr.Calibrated, pr.Size, m.Cfg.Size)
	}
	testutil.Close(t, "map of 003.png, page vs native on the export", pr.Map, amap, reftest.NetAtol, reftest.NetRtol)
	if d := math.Abs(pr.Score - float64(score)); d > reftest.NetAtol+reftest.NetRtol*math.Abs(float64(score)) {
		t.Errorf("score: page %.7g, native %.7g", pr.Score, score)
	}

	// (d) train-stop ends a long run early; the model it leaves detects.
	stop := pageTrain(t, b, "stopped", urls, "small", "cpu", 500, 2, 5*time.Minute)
	if !stop.Trained.Stopped || stop.Trained.Steps < 2 || stop.Trained.Steps >= 500 || stop.Trained.Calibration == nil {
		t.Errorf("after train-stop: stopped %v, %d steps, calibration %v; want stopped early (at least 2 steps, fewer than 500), calibrated",
			stop.Trained.Stopped, stop.Trained.Steps, stop.Trained.Calibration != nil)
	}
	if pr := pageDetect(t, b, "stopped", "trainapi/003.png"); !pr.Calibrated || len(pr.Map) != 64*64 || !(pr.Score > 0) {
		t.Errorf("detect after a stopped run: calibrated %v, %d map values, score %g", pr.Calibrated, len(pr.Map), pr.Score)
	}

	// Too few images: an error naming the minimum and the skipped files.
	msg := evalLong[string](t, b, `(async () => {
		const images = await T.fetchImages(["trainapi/000.png", "trainapi/001.png", "trainapi/notes.txt"]);
		try { await T.engine.train("few", { images, preset: "small", steps: 2, backend: "cpu" }); return "trained"; }
		catch (e) { return e.code + ": " + e.message; }
	})()`, time.Minute)
	if !strings.HasPrefix(msg, "too-few:") || !strings.Contains(msg, "at least 4") || !strings.Contains(msg, "notes.txt") {
		t.Errorf("training on 2 images and a text file: %q; want a too-few error naming the minimum and notes.txt", msg)
	}
}

// TestTrainAPIWebGPU: the page trains on WebGPU (SwiftShader in Chromium)
// and natively on lavapipe (Vulkan on the CPU): the same per-step losses
// over the first 4 steps to a looser tolerance (two GPU implementations
// with their own float rounding and summation orders, and the browser
// computes weight gradients with the generic kernel), and the export loads
// natively with the page's map. It trains the test-only preset test-tiny
// (wf 4, S 16, depth 2, batch 2): SwiftShader here takes about 5 s per step
// even for it (and minutes to compile the training kernels on first use),
// and more than 5 minutes per step of the small preset.
func TestTrainAPIWebGPU(t *testing.T) {
	if os.Getenv("XDG_RUNTIME_DIR") == "" {
		t.Setenv("XDG_RUNTIME_DIR", "/tmp")
	}
	urls, dir := trainImageDir(t)
	b := startEngine(t, true)
	const steps = 4
	r := pageTrain(t, b, "gpu", urls, "test-tiny", "webgpu", steps, 0, 10*time.Minute)
	if r.Trained.Backend.Kind != "webgpu" || r.Trained.Steps != steps || r.Trained.FellBack != "" {
		t.Fatalf("trained on %+v (fell back: %q), %d steps; want %d steps on webgpu", r.Trained.Backend, r.Trained.FellBack, r.Trained.Steps, steps)
	}
	gpuBe, err := native.Open(native.Options{})
	if err != nil {
		t.Fatalf("lavapipe: %v", err)
	}
	defer gpuBe.Close()
	names := make([]string, len(urls))
	for i, u := range urls {
		names[i] = filepath.Base(u)
	}
	_, nat := nativeLosses(t, gpuBe, dir, names, "test-tiny", steps)
	const gpuRtol = 1e-4
	checkLosses(t, "page WebGPU (SwiftShader) vs native WebGPU (lavapipe)", r.Trained.Losses, nat, gpuRtol)

	raw, name := exportFromPage(t, b, "gpu")
	f, err := safetensors.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	w, err := model.FromSafetensors(f)
	if err != nil {
		t.Fatalf("the export %s does not load natively: %v", name, err)
	}
	m, err := model.New(cpu.New(), w)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	img, err := imageio.LoadRGB(filepath.Join(dir, "003.png"), 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := infer.Run(m, [][]float32{imageio.ToTensor(img, m.Cfg.Size)}, infer.Lambda(m, -1), 0, m.Calibration())
	if err != nil {
		t.Fatal(err)
	}
	pr := pageDetect(t, b, "gpu", "trainapi/003.png")
	if pr.Backend.Kind != "webgpu" {
		t.Errorf("the page detected on %+v, want webgpu", pr.Backend)
	}
	testutil.Close(t, "map of 003.png, page WebGPU vs native CPU on the export", pr.Map, res[0].Map, reftest.NetAtol, reftest.NetRtol)
}

// TestTrainEstimate: train-estimate times a step of each preset on the
// CPU backend (WebAssembly), and of the small preset on WebGPU
// (SwiftShader; the large one takes too long there), and reports the
// step's memory; the numbers go into docs/train-presets.md (the test logs
// them).
func TestTrainEstimate(t *testing.T) {
	b := startEngine(t, true)
	for _, c := range []struct{ preset, kind string }{{"small", "cpu"}, {"large", "cpu"}, {"small", "webgpu"}} {
		p, err := train.PresetNamed(c.preset)
		if err != nil {
			t.Fatal(err)
		}
		raw := evalLong[string](t, b, fmt.Sprintf(`(async () => JSON.stringify(await T.engine.estimate(%q, %q)))()`, p.Name, c.kind), 8*time.Minute)
		var e struct {
			Preset          string      `json:"preset"`
			Backend         backendInfo `json:"backend"`
			SecondsPerStep  float64     `json:"secondsPerStep"`
			ImagesPerSecond float64     `json:"imagesPerSecond"`
			MemoryBytes     float64     `json:"memoryBytes"`
			Batch           int         `json:"batch"`
			DefaultSteps    int         `json:"defaultSteps"`
			Config          struct {
				Size, WF, Depth int
			} `json:"config"`
		}
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			t.Fatal(err)
		}
		t.Logf("estimate %s on %s (%s): %.3f s/step, %.2f images/s, %.1f MiB, batch %d, default %d steps",
			p.Name, e.Backend.Kind, e.Backend.Name, e.SecondsPerStep, e.ImagesPerSecond, e.MemoryBytes/(1<<20), e.Batch, e.DefaultSteps)
		if e.Preset != p.Name || e.Backend.Kind != c.kind || !(e.SecondsPerStep > 0) || !(e.MemoryBytes > 0) || e.Batch != p.Batch ||
			e.DefaultSteps != p.Steps || e.Config.Size != p.Size || e.Config.WF != p.WF {
			t.Errorf("estimate of %s on %s: %s", p.Name, c.kind, raw)
		}
	}
}
