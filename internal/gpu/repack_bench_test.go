//go:build !js

package gpu_test

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// BenchmarkForwardRepackCache times one inference pass (Model.Forward, read
// back) of the default network at wf 16, S 256 on one image with the
// GPU-path convolution kernels forced (UseCPUKernels(false)), with Conv2D's
// repack cache off (a weight repack per convolution, as before the cache)
// and on, and reports the kernel dispatches and weight repacks per pass and
// the device memory the cached repacks hold (live tensor bytes after the
// first pass beyond the parameters and the input).
// The first pass (kernel compilation, and with the cache the repacks)
// runs before the timer.
func BenchmarkForwardRepackCache(b *testing.B) {
	cfg := model.DefaultConfig()
	cfg.WF, cfg.Size = 16, 256
	for _, cache := range []bool{false, true} {
		name := "cache=off"
		if cache {
			name = "cache=on"
		}
		b.Run(name, func(b *testing.B) {
			defer dev.UseCPUKernels(false)()
			defer dev.UseRepackCache(cache)()
			m, err := model.New(dev, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Free()
			x := dev.Upload(backend.Shape{N: 1, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(2, 3*cfg.Size*cfg.Size, 0, 1))
			defer dev.Free(x)
			forward := func() {
				out := m.Forward(x)
				if _, err := dev.Download(out); err != nil {
					b.Fatal(err)
				}
				dev.Free(out)
			}
			loaded := dev.MemStats().Live
			forward()
			held := dev.MemStats().Live - loaded // the cached repacks
			dispatches, repacks := dev.DispatchCount(), dev.RepackCount()
			b.ResetTimer()
			for range b.N {
				forward()
			}
			b.StopTimer()
			b.ReportMetric(float64(dev.DispatchCount()-dispatches)/float64(b.N), "dispatches/op")
			b.ReportMetric(float64(dev.RepackCount()-repacks)/float64(b.N), "repacks/op")
			b.ReportMetric(float64(held)/(1<<10), "cache-KiB")
		})
	}
}
