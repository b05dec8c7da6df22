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
