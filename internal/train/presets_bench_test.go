//go:build !js

package train

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/cpu"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/internal/testutil"
	"github.com/noise2norm/noise2norm/native"
)

// BenchmarkPresetStep times one optimiser step of each preset (on batch
// random images, after one warm-up step that compiles the GPU kernels) on
// the CPU backend and on the best native WebGPU adapter (lavapipe where
// there is no GPU), as the browser demo's train-estimate does, and reports
// images per second and the peak memory of the run beyond what the
// backend held before the session: the high-water mark of live tensor
// bytes (parameters, AdamW moments, activations and gradients; on WebGPU
// each buffer rounded up to 256 bytes). docs/train-presets.md has the
// numbers and the command.
func BenchmarkPresetStep(b *testing.B) {
	if os.Getenv("XDG_RUNTIME_DIR") == "" {
		b.Setenv("XDG_RUNTIME_DIR", "/tmp")
	}
	for _, p := range Presets {
		for _, kind := range []string{"cpu", "gpu"} {
			b.Run(p.Name+"/"+kind, func(b *testing.B) {
				var be backend.Backend
				if kind == "cpu" {
					be = cpu.New()
				} else {
					g, err := native.Open(native.Options{Logf: func(string, ...any) {}})
					if err != nil {
						b.Fatal(err)
					}
					defer g.Close()
					be = g
				}
				tensors := make([][]float32, p.Batch)
				names := make([]string, p.Batch)
				for i := range tensors {
					tensors[i] = testutil.Random(uint64(i+1), 3*p.Size*p.Size, -1, 1)
					names[i] = fmt.Sprint(i)
				}
				ds, err := NewDataset(tensors, names, p.Size, 0, 1)
				if err != nil {
					b.Fatal(err)
				}
				var live int64
				switch x := be.(type) {
				case *cpu.Backend:
					x.ResetPeak()
					live = x.MemStats().Live
				case *gpu.Backend:
					x.ResetPeak()
					live = x.MemStats().Live
				}
				s, err := NewSession(be, p.Options(1, 0), ds, nil)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Free()
				step := func() {
					if s.EpochDone() {
						if _, err := s.EndEpoch(context.Background()); err != nil {
							b.Fatal(err)
						}
					}
					if _, err := s.Step(); err != nil {
						b.Fatal(err)
					}
				}
				step() // warm-up
				b.ResetTimer()
				for range b.N {
					step()
				}
				b.StopTimer()
				b.ReportMetric(float64(p.Batch*b.N)/b.Elapsed().Seconds(), "images/s")
				var peak int64
				switch x := be.(type) {
				case *cpu.Backend:
					peak = x.MemStats().Peak - live
				case *gpu.Backend:
					peak = x.MemStats().Peak - live
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
			})
		}
	}
}
