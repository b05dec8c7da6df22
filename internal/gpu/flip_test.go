//go:build !js

package gpu_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// flipRun is what trainFlip returns: every LossAndGrads loss, the final
// parameters by name, and the conv_flip dispatches recorded.
type flipRun struct {
	losses []float32
	params map[string][]float32
	flips  uint64
}

// trainFlip trains the tiny network of the repack tests for steps steps,
// each step running LossAndGrads three times (same input and seed: the
// second backward meets unchanged weights and caches their flips, the
// third is served from the cache) and updating with the last call's
// gradients. cache turns the repack
// and flip caches on or off; broken applies the flip cache's mutation
// (stale flips are served after AdamW's update).
func trainFlip(t *testing.T, cpuKernels, cache, broken bool, steps int) flipRun {
	t.Helper()
	defer dev.UseCPUKernels(cpuKernels)()
	defer dev.UseRepackCache(cache)()
	defer dev.BreakFlipInvalidation(broken)()
	before := dev.FlipCount()
	tr := newTinyTraining(t, 7, 8)
	defer tr.free()
	var r flipRun
	for step := range steps {
		for call := range 3 {
			loss, grads, err := tr.m.LossAndGrads(tr.x0, repackCfg.Lambda, uint32(step))
			if err != nil {
				t.Fatal(err)
			}
			r.losses = append(r.losses, loss)
			if call < 2 {
				for _, g := range grads {
					dev.Free(g)
				}
				continue
			}
			tr.opt.Step(grads, 1e-2)
		}
	}
	r.params = tr.params(t)
	r.flips = dev.FlipCount() - before
	return r
}

// sameRun reports whether two runs gave the same losses and parameters bit
// for bit, and if not, the first difference.
func sameRun(got, want flipRun) (bool, string) {
	if !slices.Equal(bitsOf(got.losses), bitsOf(want.losses)) {
		return false, fmt.Sprintf("losses %v, want %v", got.losses, want.losses)
	}
	for name, w := range want.params {
		if !slices.Equal(bitsOf(got.params[name]), bitsOf(w)) {
			return false, "parameter " + name + " differs"
		}
	}
	return true, ""
}

// TestFlipCacheTraining trains with and without the flip cache, on both
// kernel families: the cached run must record a third fewer flips (the
// third backward of each step reuses the second's) and give the same
// losses and parameters bit for bit. The mutation check then breaks the cache's
// invalidation (stale flips served after AdamW's update): that run must
// differ, which shows the comparison can see a stale flip.
func TestFlipCacheTraining(t *testing.T) {
	const steps = 3
	for _, cpuKernels := range []bool{false, true} {
		t.Run(fmt.Sprintf("cpuKernels=%t", cpuKernels), func(t *testing.T) {
			want := trainFlip(t, cpuKernels, false, false, steps)
			got := trainFlip(t, cpuKernels, true, false, steps)
			if want.flips == 0 {
				t.Fatal("no conv_flip recorded: the test does not reach the input gradient")
			}
			if 3*got.flips != 2*want.flips {
				t.Errorf("flips: %d with the cache, %d without; want two thirds (the third backward of a step flips nothing)", got.flips, want.flips)
			}
			if slices.Equal(want.losses[:1], want.losses[3:4]) {
				t.Fatalf("losses %v: the first update changed nothing, so the test could not see stale flips", want.losses)
			}
			if ok, diff := sameRun(got, want); !ok {
				t.Errorf("cached run differs from the uncached one: %s", diff)
			}
			broken := trainFlip(t, cpuKernels, true, true, steps)
			if ok, _ := sameRun(broken, want); ok {
				t.Error("mutation check: with stale flips served after each update the run still matched; the comparison cannot see a stale flip")
			}
			t.Logf("flips over %d steps: %d without the cache, %d with it, %d with the broken cache", steps, want.flips, got.flips, broken.flips)
		})
	}
}

// TestFlipCacheMemory checks what the flip cache holds: nothing after one
// backward (the training loop's case), the flips of every weight after a
// second backward with the same weights, none after AdamW's update (stale
// ones are freed at the write), and nothing once the model is freed.
func TestFlipCacheMemory(t *testing.T) {
	defer dev.UseCPUKernels(false)()
	cfg := repackCfg
	dev.DropRepackedWeights()
	base := dev.MemStats().Live
	m, err := model.New(dev, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 9)})
	if err != nil {
		t.Fatal(err)
	}
	x := dev.Upload(backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(10, 3*cfg.Size*cfg.Size, 0, 1))
	opt := model.NewAdamW(m, model.DefaultAdamW())
	backward := func() model.Params {
		t.Helper()
		_, grads, err := m.LossAndGrads(x, cfg.Lambda, 1)
		if err != nil {
			t.Fatal(err)
		}
		return grads
	}
	for _, g := range backward() {
		dev.Free(g)
	}
	if n := dev.CachedFlips(); n != 0 {
		t.Errorf("%d flips cached after one backward, want 0 (cached only when the weights come back unchanged)", n)
	}
	grads := backward()
	if dev.CachedFlips() == 0 {
		t.Fatal("a second backward with the same weights cached no flip")
	}
	opt.Step(grads, 1e-3)
	if n := dev.CachedFlips(); n != 0 {
		t.Errorf("%d flips cached after AdamW's update of every weight, want 0 (stale ones are freed at the write)", n)
	}
	if n := dev.CachedRepacks(); n != 0 {
		t.Errorf("%d repacks cached after AdamW's update of every weight, want 0", n)
	}
	opt.Free()
	m.Free()
	dev.Free(x)
	if live := dev.MemStats().Live; live != base {
		t.Errorf("after freeing everything: %d live bytes, want %d", live, base)
	}
}

// bitsOf is the float32 bits of v, for exact comparisons.
func bitsOf(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, f := range v {
		out[i] = math.Float32bits(f)
	}
	return out
}
