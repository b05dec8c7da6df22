package model_test

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// BenchmarkForwardCPU times one forward pass (x → x̂) of the default
// network (S 256, batch 1) on the CPU backend with one thread, for
// profiling with -cpuprofile; cmd/bench compares it with the peers.
func BenchmarkForwardCPU(b *testing.B) {
	for _, wf := range []int{16, 32} {
		b.Run(fmt.Sprintf("wf%d", wf), func(b *testing.B) {
			cfg := model.DefaultConfig()
			cfg.WF = wf
			be := cpu.New()
			be.Threads = 1
			m, err := model.New(be, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Free()
			x := be.Upload(backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(2, 3*cfg.Size*cfg.Size, -1, 1))
			defer be.Free(x)
			be.Free(m.Forward(x)) // fill the memory pool
			b.ResetTimer()
			for range b.N {
				be.Free(m.Forward(x))
			}
		})
	}
}

// TestForwardWritesIntoConcat checks the inference graph at batch 1 on the
// CPU backend, whose convolutions write into their concatenations
// (backend.ChannelWriter) and whose SKFF upsamples the side outputs as it
// reads them (backend.UpsampleFuser), against the same graph with Concat
// copies and stored upsampled maps (the checked backend, which offers
// neither): the same ops in the same order, so the same bits; with and
// without attention, depth 3 and 4.
func TestForwardWritesIntoConcat(t *testing.T) {
	for _, cfg := range []model.Config{
		{WF: 4, Depth: 4, Size: 32, Lambda: 0.3, Alpha: 0.84, Attention: true},
		{WF: 8, Depth: 3, Size: 64, Lambda: 0.3, Alpha: 0.84, Attention: false},
	} {
		var outs [2][]float32
		for k, be := range []backend.Backend{cpu.New(), newChecked()} {
			if _, ok := be.(backend.ChannelWriter); ok != (k == 0) {
				t.Fatalf("backend %d: ChannelWriter %v", k, ok)
			}
			if _, ok := be.(backend.UpsampleFuser); ok != (k == 0) {
				t.Fatalf("backend %d: UpsampleFuser %v", k, ok)
			}
			m, err := model.New(be, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 3)})
			if err != nil {
				t.Fatal(err)
			}
			x := be.Upload(backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(4, 3*cfg.Size*cfg.Size, -1, 1))
			var live int64
			if c, ok := be.(*cpu.Backend); ok {
				live = c.MemStats().Live
			}
			xhat := m.Forward(x)
			if c, ok := be.(*cpu.Backend); ok {
				// every activation but x̂ went back to the pool
				if got, want := c.MemStats().Live, live+4*int64(xhat.Shape().Len()); got != want {
					t.Errorf("wf %d depth %d: %d bytes live after Forward, want %d", cfg.WF, cfg.Depth, got, want)
				}
			}
			if outs[k], err = be.Download(xhat); err != nil {
				t.Fatal(err)
			}
			be.Free(xhat)
			be.Free(x)
			m.Free()
		}
		for i := range outs[0] {
			if outs[0][i] != outs[1][i] {
				t.Fatalf("wf %d depth %d: x̂[%d] = %g writing into the concatenations, %g with Concat", cfg.WF, cfg.Depth, i, outs[0][i], outs[1][i])
			}
		}
	}
}
