package cpu_test

import (
	"sort"
	"testing"
	"time"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/model"
)

// opTimer is the CPU backend with the time of each forward op summed by
// kind (3×3 and 1×1 convolutions apart).
type opTimer struct {
	*cpu.Backend
	spent map[string]time.Duration
}

func (b *opTimer) add(kind string, start time.Time) { b.spent[kind] += time.Since(start) }

func (b *opTimer) Conv2D(x, w, bias backend.Tensor, act backend.Activation) backend.Tensor {
	kind := "conv1x1"
	if w.Shape().H > 1 {
		kind = "conv3x3"
	}
	defer b.add(kind, time.Now())
	return b.Backend.Conv2D(x, w, bias, act)
}

func (b *opTimer) UpsampleBilinear(x backend.Tensor, f int) backend.Tensor {
	defer b.add("upsample", time.Now())
	return b.Backend.UpsampleBilinear(x, f)
}

func (b *opTimer) GlobalAvgPool(x backend.Tensor) backend.Tensor {
	defer b.add("avgpool", time.Now())
	return b.Backend.GlobalAvgPool(x)
}

func (b *opTimer) SKFFFuse(os, logits []backend.Tensor) backend.Tensor {
	defer b.add("skff", time.Now())
	return b.Backend.SKFFFuse(os, logits)
}

func (b *opTimer) Concat(x, y backend.Tensor) backend.Tensor {
	defer b.add("concat", time.Now())
	return b.Backend.Concat(x, y)
}

// BenchmarkForwardOps times the network forward (wf 16, S 256, one image,
// seeded random weights) and reports where the time goes: ms per forward in
// the 3×3 and 1×1 convolutions, the upsampling, the global average pools,
// SKFF, Concat, and all other ops together. Its main use is the browser
// build, under node (with the WebAssembly SIMD kernel; N2N_WITHOUT=simd runs
// the pure-Go one):
//
//	GOOS=js GOARCH=wasm go test -exec "env GOROOT=$(go env GOROOT) node $PWD/internal/cpu/testdata/wasm_exec_simd.js" \
//	  -run '^$' -bench ForwardOps -benchtime 3x ./internal/cpu
func BenchmarkForwardOps(b *testing.B) {
	be := &opTimer{Backend: cpu.New(), spent: map[string]time.Duration{}}
	cfg := model.DefaultConfig()
	cfg.WF, cfg.Size = 16, 256
	m, err := model.New(be, &model.Weights{Config: cfg, Params: model.InitParams(cfg, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Free()
	x := be.Upload(backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}, make([]float32, 3*cfg.Size*cfg.Size))
	defer be.Free(x)
	be.Free(m.Forward(x)) // warm-up: the wasm engine compiles the hot code optimised
	clear(be.spent)
	b.ResetTimer()
	for b.Loop() {
		be.Free(m.Forward(x))
	}
	perForward := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(b.N) }
	total := b.Elapsed()
	rest := total
	kinds := make([]string, 0, len(be.spent))
	for k, d := range be.spent {
		kinds = append(kinds, k)
		rest -= d
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		b.ReportMetric(perForward(be.spent[k]), k+"-ms")
	}
	b.ReportMetric(perForward(rest), "other-ms")
	b.ReportMetric(perForward(total), "ms/forward")
}
