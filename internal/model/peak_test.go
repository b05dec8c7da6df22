package model_test

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// BenchmarkPeakMemory reports the high-water mark of live tensor bytes
// (parameters and input included) of one inference pass (Forward) and one
// training step's forward and backward (LossAndGrads) of a wf 32, S 256,
// depth 4 network with attention on one image, counted by the checked
// backend. The count is of tensors, so it holds for every backend; the GPU
// backend's pool rounds each buffer up to its size class on top.
func BenchmarkPeakMemory(b *testing.B) {
	cfg := model.Config{WF: 32, Depth: 4, Size: 256, Lambda: 0.3, Alpha: 0.84, Attention: true}
	for _, pass := range []string{"forward", "train"} {
		b.Run(pass, func(b *testing.B) {
			be := newChecked()
			m, err := model.New(be, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Free()
			x0 := be.Upload(backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(2, 3*cfg.Size*cfg.Size, -1, 1))
			defer be.Free(x0)
			for range b.N {
				if pass == "forward" {
					be.Free(m.Forward(x0))
					continue
				}
				_, grads, err := m.LossAndGrads(x0, cfg.Lambda, 0)
				if err != nil {
					b.Fatal(err)
				}
				for _, g := range grads {
					be.Free(g)
				}
			}
			b.ReportMetric(float64(be.peakBytes)/(1<<20), "peak-MiB")
		})
	}
}
