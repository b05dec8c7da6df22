package model_test

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// BenchmarkTrainStepCPU times one training step (noise, forward, loss map
// and its gradient, backward, AdamW) of the default network, wf 16, S 256,
// batch 4, on the CPU backend with 1 and 2 threads, for profiling with
// -cpuprofile or -trace; cmd/bench -train compares it with PyTorch.
func BenchmarkTrainStepCPU(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads%d", threads), func(b *testing.B) {
			cfg := model.DefaultConfig()
			cfg.WF = 16
			be := cpu.New()
			be.Threads = threads
			m, err := model.New(be, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Free()
			const batch = 4
			x := be.Upload(backend.Shape{N: batch, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(2, batch*3*cfg.Size*cfg.Size, -1, 1))
			defer be.Free(x)
			opt := model.NewAdamW(m, model.DefaultAdamW())
			defer opt.Free()
			seed := uint32(0)
			step := func() {
				seed++
				_, grads, err := m.LossAndGrads(x, cfg.Lambda, seed)
				if err != nil {
					b.Fatal(err)
				}
				opt.Step(grads, 1e-4)
			}
			step() // fill the memory pool
			b.ResetTimer()
			for range b.N {
				step()
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
		})
	}
}
