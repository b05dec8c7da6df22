//go:build !js

package gpu_test

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// BenchmarkForwardPoolMemory reports the device memory of one inference
// pass (Model.Forward, read back) of a wf 32, S 256, depth 4 network with
// attention on one image: the bytes of tensor buffers the backend's pool
// had to create for it beyond the parameters and the input (the pool reuses
// a freed buffer only for a tensor of the same rounded size and never
// shrinks, so this is its high-water mark), and the parameters' own bytes.
// Run it alone (-run '^$'): buffers pooled by earlier tests lower it.
func BenchmarkForwardPoolMemory(b *testing.B) {
	cfg := model.Config{WF: 32, Depth: 4, Size: 256, Lambda: 0.3, Alpha: 0.84, Attention: true}
	start := dev.CreatedBytes()
	m, err := model.New(dev, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Free()
	x := dev.Upload(backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(2, 3*cfg.Size*cfg.Size, -1, 1))
	defer dev.Free(x)
	loaded := dev.CreatedBytes()
	for range b.N {
		out := m.Forward(x)
		if _, err := dev.Download(out); err != nil {
			b.Fatal(err)
		}
		dev.Free(out)
	}
	b.ReportMetric(float64(dev.CreatedBytes()-loaded)/(1<<20), "pool-MiB")
	b.ReportMetric(float64(loaded-start)/(1<<20), "params+input-MiB")
}
