//go:build !js

package gpu_test

import (
	"math"
	"slices"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// repackCfg is the tiny network of the repack cache's model tests.
var repackCfg = model.Config{WF: 4, Depth: 2, Size: 16, Lambda: 0.3, Alpha: 0.84, Attention: true}

// download reads t back or fails the test.
func download(t *testing.T, x backend.Tensor) []float32 {
	t.Helper()
	v, err := dev.Download(x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tinyTraining is the tiny network repackCfg with its AdamW optimiser and
// an input batch x0 (2,3,Size,Size) in [0, 1], for the caches' training
// tests.
type tinyTraining struct {
	m   *model.Model
	opt *model.AdamW
	x0  backend.Tensor
}

// newTinyTraining builds the tiny network with parameters of seed
// paramSeed and an input of seed inputSeed; free it with free.
func newTinyTraining(t *testing.T, paramSeed, inputSeed uint64) *tinyTraining {
	t.Helper()
	cfg := repackCfg
	m, err := model.New(dev, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, paramSeed)})
	if err != nil {
		t.Fatal(err)
	}
	return &tinyTraining{
		m:   m,
		opt: model.NewAdamW(m, model.DefaultAdamW()),
		x0:  dev.Upload(backend.Shape{N: 2, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(inputSeed, 2*3*cfg.Size*cfg.Size, 0, 1)),
	}
}

// free releases the input, the optimiser and the network, in that order.
func (r *tinyTraining) free() {
	dev.Free(r.x0)
	r.opt.Free()
	r.m.Free()
}

// params downloads the network's parameters by name.
func (r *tinyTraining) params(t *testing.T) map[string][]float32 {
	t.Helper()
	params := map[string][]float32{}
	for name, p := range r.m.Params() {
		params[name] = download(t, p)
	}
	return params
}

// bitsEqual fails the test unless got and want hold the same float32 bits.
func bitsEqual(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, want %v (bit for bit)", what, i, got[i], want[i])
		}
	}
}

// TestRepackCacheForward runs a model's forward twice on the GPU-path
// kernels: the first records the weights' repacks, the second none, and
// both give the output of a forward without the cache, bit for bit.
func TestRepackCacheForward(t *testing.T) {
	defer dev.UseCPUKernels(false)()
	cfg := repackCfg
	m, err := model.New(dev, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	x := dev.Upload(backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(2, 3*cfg.Size*cfg.Size, -1, 1))
	defer dev.Free(x)

	forward := func() ([]float32, uint64) {
		before := dev.RepackCount()
		out := m.Forward(x)
		defer dev.Free(out)
		return download(t, out), dev.RepackCount() - before
	}
	restore := dev.UseRepackCache(false)
	want, uncached := forward()
	restore()
	first, firstRepacks := forward()
	second, secondRepacks := forward()
	if uncached == 0 {
		t.Fatal("a forward without the cache recorded no repack: the test does not reach conv1x1/conv3x3")
	}
	if firstRepacks == 0 || firstRepacks > uncached {
		t.Errorf("first cached forward recorded %d repacks; without the cache %d", firstRepacks, uncached)
	}
	if secondRepacks != 0 {
		t.Errorf("second cached forward recorded %d repacks, want 0", secondRepacks)
	}
	bitsEqual(t, "first cached forward", first, want)
	bitsEqual(t, "second cached forward", second, want)
}

// trainRepack runs steps training steps (LossAndGrads, then AdamW) of the
// tiny network on the GPU-path kernels with the repack cache on or off,
// and returns each step's loss, the final parameters by name and the
// repacks recorded.
func trainRepack(t *testing.T, cache bool, steps int) (losses []float32, params map[string][]float32, repacks uint64) {
	t.Helper()
	defer dev.UseCPUKernels(false)()
	defer dev.UseRepackCache(cache)()
	before := dev.RepackCount()
	tr := newTinyTraining(t, 3, 4)
	defer tr.free()
	for step := range steps {
		loss, grads, err := tr.m.LossAndGrads(tr.x0, repackCfg.Lambda, uint32(step))
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, loss)
		tr.opt.Step(grads, 1e-2)
	}
	return losses, tr.params(t), dev.RepackCount() - before
}

// TestRepackCacheTraining trains a few steps with and without the repack
// cache: AdamW's in-place update must invalidate the cached repacks, so
// both runs give the same losses and parameters bit for bit (a stale
// repack would make every step after the first differ).
func TestRepackCacheTraining(t *testing.T) {
	const steps = 3
	wantLoss, wantParams, uncached := trainRepack(t, false, steps)
	gotLoss, gotParams, cached := trainRepack(t, true, steps)
	if uncached == 0 || cached == 0 {
		t.Fatalf("repacks recorded: %d without the cache, %d with it: the test does not reach conv1x1/conv3x3", uncached, cached)
	}
	if slices.Equal(wantLoss[:1], wantLoss[1:2]) {
		t.Fatalf("losses %v: the first update changed nothing, so the test could not see stale weights", wantLoss)
	}
	bitsEqual(t, "losses", gotLoss, wantLoss)
	init := model.InitParams(repackCfg, 3)
	changed := 0
	for name, want := range wantParams {
		bitsEqual(t, name, gotParams[name], want)
		if !slices.Equal(want, init[name]) {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("training changed no parameter")
	}
	t.Logf("repacks over %d steps: %d without the cache, %d with it", steps, uncached, cached)
}

// TestRepackCacheReuse frees a weight tensor whose repack is cached and
// uploads other weights of its shape (the pool hands back a freed buffer
// of that size): the convolution must use the new weights; and an AdamW
// update of the weights in place must be seen by the next convolution.
func TestRepackCacheReuse(t *testing.T) {
	defer dev.UseCPUKernels(false)()
	for _, k := range []int{1, 3} {
		xs := sh(1, 6, 9, 11)
		ws := sh(8, 6, k, k)
		xv := testutil.Random(10, xs.Len(), -1, 1)
		x, rx := dev.Upload(xs, xv), ref.Upload(xs, xv)
		conv := func(w backend.Tensor, wv []float32) {
			t.Helper()
			out := dev.Conv2D(x, w, nil, backend.Linear)
			rw := ref.Upload(ws, wv)
			want, err := ref.Download(ref.Conv2D(rx, rw, nil, backend.Linear))
			if err != nil {
				t.Fatal(err)
			}
			testutil.Close(t, "conv", download(t, out), want, convAtol, convRtol)
			dev.Free(out)
		}
		cached := dev.CachedRepacks()
		w1v := testutil.Random(11, ws.Len(), -1, 1)
		w1 := dev.Upload(ws, w1v)
		conv(w1, w1v)
		if dev.CachedRepacks() != cached+1 {
			t.Fatalf("k=%d: %d cached repacks after a conv, want %d", k, dev.CachedRepacks(), cached+1)
		}
		dev.Free(w1)
		if dev.CachedRepacks() != cached {
			t.Fatalf("k=%d: freeing the weights left %d cached repacks, want %d", k, dev.CachedRepacks(), cached)
		}
		for i := range 3 { // reallocations of the freed sizes
			wv := testutil.Random(uint64(12+i), ws.Len(), -1, 1)
			w := dev.Upload(ws, wv)
			before := dev.RepackCount()
			conv(w, wv)
			if dev.RepackCount() != before+1 {
				t.Errorf("k=%d: new weights recorded %d repacks, want 1", k, dev.RepackCount()-before)
			}
			dev.Free(w)
		}

		// An in-place update: w ← AdamW(w, grad) with zero moments.
		wv := testutil.Random(20, ws.Len(), -1, 1)
		w := dev.Upload(ws, wv)
		conv(w, wv)
		grad := testutil.Random(21, ws.Len(), -1, 1)
		zeros := make([]float32, ws.Len())
		g, m, v := dev.Upload(ws, grad), dev.Upload(ws, zeros), dev.Upload(ws, zeros)
		dev.AdamW(w, g, m, v, backend.AdamWParams{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: 1})
		updated := download(t, w)
		if slices.Equal(updated, wv) {
			t.Fatal("AdamW left the weights unchanged")
		}
		before := dev.RepackCount()
		conv(w, updated)
		if dev.RepackCount() != before+1 {
			t.Errorf("k=%d: the updated weights recorded %d repacks, want 1", k, dev.RepackCount()-before)
		}
		for _, tt := range []backend.Tensor{w, g, m, v, x} {
			dev.Free(tt)
		}
	}
}

// TestRepackCacheMemory checks that the cache leaks nothing: after a
// forward and a training step, freeing the model, the optimiser and the
// input brings the live bytes back to where they were; and
// DropRepackedWeights frees the repacks of weights still held.
func TestRepackCacheMemory(t *testing.T) {
	defer dev.UseCPUKernels(false)()
	cfg := repackCfg
	dev.DropRepackedWeights()
	base, cachedBase := dev.MemStats().Live, dev.CachedRepacks()
	m, err := model.New(dev, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 5)})
	if err != nil {
		t.Fatal(err)
	}
	x := dev.Upload(backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(6, 3*cfg.Size*cfg.Size, 0, 1))
	loaded := dev.MemStats().Live
	out := m.Forward(x)
	download(t, out)
	dev.Free(out)
	if dev.CachedRepacks() == cachedBase || dev.MemStats().Live == loaded {
		t.Fatalf("a forward cached no repack (%d cached, %d live bytes)", dev.CachedRepacks(), dev.MemStats().Live)
	}
	dev.DropRepackedWeights()
	if live := dev.MemStats().Live; live != loaded || dev.CachedRepacks() != 0 {
		t.Errorf("after DropRepackedWeights: %d live bytes, %d cached; want %d, 0", live, dev.CachedRepacks(), loaded)
	}

	opt := model.NewAdamW(m, model.DefaultAdamW())
	_, grads, err := m.LossAndGrads(x, cfg.Lambda, 1)
	if err != nil {
		t.Fatal(err)
	}
	opt.Step(grads, 1e-3)
	out = m.Forward(x)
	download(t, out)
	dev.Free(out)
	if dev.CachedRepacks() == 0 {
		t.Fatal("the forward after a training step cached no repack")
	}
	opt.Free()
	m.Free()
	dev.Free(x)
	if live := dev.MemStats().Live; live != base || dev.CachedRepacks() != cachedBase {
		t.Errorf("after freeing everything: %d live bytes, %d cached repacks; want %d, %d", live, dev.CachedRepacks(), base, cachedBase)
	}
}
