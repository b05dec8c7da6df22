//go:build js && wasm

package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/imageio"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/safetensors"
)

// defaultMaxPixels is the pixel limit when a detect request gives none:
// 16 megapixels, 64 MB decoded, which a browser tab can spare.
const defaultMaxPixels = 16_000_000

// worker holds the loaded models (sessions) and the backends.
type worker struct {
	cpu      backend.Backend
	gpu      webGPU
	sessions map[string]*session
	// compute is held by whatever runs ops on a backend: a request, or a
	// training run for one step at a time (train.go).
	compute sync.Mutex
}

// session is one loaded model on one backend, named by the page.
type session struct {
	weights *model.Weights // kept to reload on the CPU after a GPU failure
	m       *model.Model   // nil while its first training run is under way
	info    backendInfo
	run     *trainRun // the training run that made m, nil for a loaded model
}

func newWorker() *worker {
	return &worker{cpu: newCPU(), sessions: map[string]*session{}}
}

func (w *worker) postError(id int, code, msg string) {
	post(map[string]any{"v": ProtocolVersion, "type": TypeError, "id": id, "code": code, "message": msg}, nil)
}

// load reads the weights and uploads them to the backend the preference
// gives, replacing the session's previous model.
func (w *worker) load(r loadRequest) {
	if r.Session == "" || len(r.Weights) == 0 {
		w.postError(r.ID, CodeBadInput, "load: a session name and the weights' bytes are required")
		return
	}
	start := time.Now()
	f, err := safetensors.Read(bytes.NewReader(r.Weights))
	if err != nil {
		w.postError(r.ID, CodeModel, fmt.Sprintf("%s: %v", r.Model, err))
		return
	}
	weights, err := model.FromSafetensors(f)
	if err != nil {
		w.postError(r.ID, CodeModel, fmt.Sprintf("%s: %v", r.Model, err))
		return
	}
	parsed := time.Now()
	pref := r.Backend
	if pref != PrefWebGPU && pref != PrefCPU {
		pref = PrefAuto
	}
	be, info := w.choose(pref)
	opened := time.Now()
	if old := w.sessions[r.Session]; old != nil {
		if old.run != nil && old.run.running {
			w.postError(r.ID, CodeBadInput, fmt.Sprintf("load: session %q is training; stop it first", r.Session))
			return
		}
		if old.m != nil {
			old.m.Free()
		}
		if old.run != nil {
			old.run.s.Free()
		}
		delete(w.sessions, r.Session)
	}
	m, err := model.New(be, weights)
	if err != nil {
		w.postError(r.ID, CodeModel, fmt.Sprintf("%s: %v", r.Model, err))
		return
	}
	w.sessions[r.Session] = &session{weights: weights, m: m, info: info}
	cfg := m.Cfg
	post(loadedReply{
		ID: r.ID, Session: r.Session, Model: r.Model, Backend: info,
		Size: cfg.Size, WF: cfg.WF, Depth: cfg.Depth, Lambda: float64(cfg.Lambda), Alpha: float64(cfg.Alpha),
		Calibration: calibrationOf(m).info(),
		ParseMS:     ms(parsed.Sub(start)), OpenMS: ms(opened.Sub(parsed)), UploadMS: ms(time.Since(opened)),
	}.js(), nil)
}

// detect runs a session's model on one image file.
func (w *worker) detect(r detectRequest) {
	s := w.sessions[r.Session]
	if s == nil || s.m == nil {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("detect: no model loaded or trained in session %q", r.Session))
		return
	}
	if len(r.Image) == 0 {
		w.postError(r.ID, CodeNotImage, "the file is empty")
		return
	}
	maxPixels := r.MaxPixels
	if maxPixels <= 0 {
		maxPixels = defaultMaxPixels
	}
	start := time.Now()
	img, format, err := decodeImage(r.Image, maxPixels)
	if err != nil {
		code := CodeNotImage
		if errors.Is(err, errTooLarge) {
			code = CodeTooLarge
		}
		w.postError(r.ID, code, err.Error())
		return
	}
	w.detectImage(s, r.ID, r.Session, img, format, start)
}

// detectPixels runs a session's model on raw RGBA pixels (a camera frame).
func (w *worker) detectPixels(r pixelsRequest) {
	s := w.sessions[r.Session]
	if s == nil || s.m == nil {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("detect-pixels: no model loaded or trained in session %q", r.Session))
		return
	}
	if r.Width <= 0 || r.Height <= 0 || int64(r.Width)*int64(r.Height) > defaultMaxPixels {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("detect-pixels: a frame of %d×%d pixels (want 1 to %d pixels)", r.Width, r.Height, defaultMaxPixels))
		return
	}
	if len(r.Pixels) != 4*r.Width*r.Height {
		w.postError(r.ID, CodeBadInput, fmt.Sprintf("detect-pixels: %d bytes for %d×%d RGBA pixels, want %d", len(r.Pixels), r.Width, r.Height, 4*r.Width*r.Height))
		return
	}
	start := time.Now()
	img := &image.NRGBA{Pix: r.Pixels, Stride: 4 * r.Width, Rect: image.Rect(0, 0, r.Width, r.Height)}
	w.detectImage(s, r.ID, r.Session, img, "rgba", start)
}

// detectImage runs s's model on a decoded image and posts the result;
// start is when the request's decoding began.
func (w *worker) detectImage(s *session, id int, sessionName string, img image.Image, format string, start time.Time) {
	size := s.m.Cfg.Size
	x := imageio.ToTensor(img, size) // (3,S,S) in [−1,1]
	decoded := time.Now()

	var fellBack string
	if why, lost := w.gpu.isLost(); lost && s.info.Kind == "webgpu" {
		fellBack = why
		w.moveToCPU(s, why)
	}
	res, err := run(s.m, x, size)
	if err != nil && s.info.Kind == "webgpu" {
		// A GPU failure (device lost, out of memory): say so and carry on on
		// the CPU.
		fellBack = fmt.Sprintf("WebGPU failed (%v)", err)
		if why, lost := w.gpu.isLost(); lost {
			fellBack = why
		}
		w.moveToCPU(s, fellBack)
		res, err = run(s.m, x, size)
	}
	if err != nil {
		w.postError(id, CodeInternal, err.Error())
		return
	}
	res.ID, res.Session = id, sessionName
	res.Width, res.Height, res.Format = img.Bounds().Dx(), img.Bounds().Dy(), format
	res.Backend, res.FellBack = s.info, fellBack
	res.Timings.Decode = ms(decoded.Sub(start))
	if cal := calibrationOf(s.m); cal != nil {
		res.Calibrated = true
		res.NormalizedScore, res.Anomalous, res.NormalizedMap = cal.apply(res.Map)
		res.Threshold = cal.info().Threshold
	}
	res.Input = imageio.FromCHW01(scaled01(x), size).Pix
	res.Timings.Total = ms(time.Since(start))
	var transfer []any
	post(res.js(&transfer), transfer)
}

// moveToCPU reloads s's weights on the CPU backend after a GPU failure.
func (w *worker) moveToCPU(s *session, why string) {
	s.m.Free()
	m, err := model.New(w.cpu, s.weights)
	if err != nil { // the weights loaded once; they load again
		panic(fmt.Sprintf("reloading the weights on the CPU: %v", err))
	}
	s.m = m
	s.info = s.info.onCPU(why)
}

// run is internal/infer.Run (what cmd/detect runs) on one image x (3,S,S)
// with the weights' λ and seed 0, stage by stage and timed: the same ops,
// so the same map; the reconstruction is read back before the map is
// computed, so that forward and map time separately on WebGPU.
func run(m *model.Model, x []float32, size int) (res resultReply, err error) {
	be := m.Backend()
	t0 := time.Now()
	x0 := be.Upload(backend.Shape{N: 1, C: 3, H: size, W: size}, x) // (1,3,S,S)
	defer be.Free(x0)
	t1 := time.Now()
	xn := x0
	if lambda := m.Cfg.Lambda; lambda != 0 {
		xn = be.Noise(x0, lambda, 0)
	}
	xhat := m.Forward(xn) // (1,3,S,S)
	defer be.Free(xhat)
	if xn != x0 {
		be.Free(xn)
	}
	tr := time.Now()
	recon, err := be.Download(xhat)
	if err != nil {
		return res, err
	}
	t2 := time.Now()
	amap := be.LossMap(x0, xhat, m.Cfg.Alpha) // (1,1,S,S)
	defer be.Free(amap)
	tm := time.Now()
	mp, err := be.Download(amap)
	if err != nil {
		return res, err
	}
	t3 := time.Now()
	for i, v := range recon {
		recon[i] = (v + 1) / 2
	}
	res.Size = size
	res.Map = mp
	res.Score = slices.Max(mp)
	res.Recon = imageio.FromCHW01(recon, size).Pix
	res.Timings = timings{
		Upload:   ms(t1.Sub(t0)),
		Forward:  ms(t2.Sub(t1)),
		Map:      ms(t3.Sub(t2)),
		Readback: ms(t2.Sub(tr) + t3.Sub(tm)),
	}
	return res, nil
}

// scaled01 maps x0 in [−1,1] back to [0,1].
func scaled01(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = v*0.5 + 0.5
	}
	return out
}

// errTooLarge marks an image over the pixel limit.
var errTooLarge = errors.New("image too large")

// decodeImage decodes an image file's bytes as imageio.LoadRGB decodes a
// file (same decoders, header checked against maxPixels before any pixel
// is decoded, a decoder panic turned into an error), so that the tensor
// equals detect's.
func decodeImage(b []byte, maxPixels int) (img image.Image, format string, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("malformed image (the decoder failed: %v)", p)
		}
	}()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, "", describeDecodeError(err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", fmt.Errorf("this %s image of %d×%d pixels is empty", format, cfg.Width, cfg.Height)
	}
	if n := int64(cfg.Width) * int64(cfg.Height); n > int64(maxPixels) {
		return nil, "", fmt.Errorf("%w: this %s image is %d×%d = %.1f megapixels, over the limit of %.1f",
			errTooLarge, format, cfg.Width, cfg.Height, float64(n)/1e6, float64(maxPixels)/1e6)
	}
	img, _, err = image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, "", describeDecodeError(err)
	}
	return img, format, nil
}

// describeDecodeError says what a decoder's error means for the visitor.
func describeDecodeError(err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		return errors.New("not an image in a known format (PNG, JPEG, GIF, BMP, TIFF, WebP)")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("truncated image (%v)", err)
	}
	return fmt.Errorf("corrupt image: %v", err)
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
