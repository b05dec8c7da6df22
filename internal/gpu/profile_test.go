//go:build !js

package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// checkProfile fails the test unless p's kernels are exactly those of
// counts (the dispatches recorded while profiling) with the same counts,
// every time is non-negative, the shares sum to 1, the times sum to more
// than zero and to no more than the wall time the profile spanned (with
// 5% for the timestamp tick's calibration).
func checkProfile(t *testing.T, p gpu.Profile, counts map[string]int) {
	t.Helper()
	got := map[string]int{}
	share, sum := 0.0, 0.0
	for _, k := range p.Kernels {
		got[k.Name] = k.Count
		if k.TotalMS < 0 || k.Share < 0 || math.IsNaN(k.TotalMS) {
			t.Errorf("%s: %v ms, share %v", k.Name, k.TotalMS, k.Share)
		}
		share += k.Share
		sum += k.TotalMS
	}
	if fmt.Sprint(got) != fmt.Sprint(counts) {
		t.Errorf("profiled kernels %v, dispatched %v", got, counts)
	}
	if math.Abs(share-1) > 1e-9 || math.Abs(sum-p.TotalMS) > 1e-9*max(1, sum) {
		t.Errorf("shares sum to %v, times to %v (TotalMS %v)", share, sum, p.TotalMS)
	}
	if p.TotalMS <= 0 || p.TotalMS > 1.05*p.WallMS {
		t.Errorf("kernels took %.3f ms in all, within a wall time of %.3f ms", p.TotalMS, p.WallMS)
	}
}

// TestProfile profiles a forward of the tiny network and a training
// forward-and-backward (several batches, with readbacks) by each method,
// on both kernel families, and checks each profile against the dispatches
// the backend recorded meanwhile. Lavapipe (Vulkan) offers timestamp-query,
// so on a CPU adapter the test fails without it; a GPU without it must
// refuse the timestamp method, and the host-clock method is tested alone.
func TestProfile(t *testing.T) {
	methods := []gpu.ProfileMethod{gpu.ProfileTimestamps, gpu.ProfileCPU}
	if !dev.HasTimestamps() {
		if dev.CPUAdapter() {
			t.Fatalf("%s: no timestamp-query feature (lavapipe offers it)", dev.Name())
		}
		if err := dev.StartProfile(gpu.ProfileTimestamps); err == nil {
			t.Fatalf("%s: no timestamp-query, yet StartProfile(ProfileTimestamps) succeeded", dev.Name())
		}
		t.Logf("%s: no timestamp-query feature; profiling by the host clock only", dev.Name())
		methods = methods[1:]
	}
	cfg := repackCfg
	m, err := model.New(dev, &model.Weights{Config: cfg, Meta: cfg.Metadata(), Params: model.InitParams(cfg, 11)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Free()
	x := dev.Upload(backend.Shape{N: 2, C: 3, H: cfg.Size, W: cfg.Size}, testutil.Random(12, 2*3*cfg.Size*cfg.Size, 0, 1))
	defer dev.Free(x)
	cases := []struct {
		name string
		run  func() error
		conv string // a kernel the work must dispatch
	}{
		{"forward", func() error {
			out := m.Forward(x)
			defer dev.Free(out)
			_, err := dev.Download(out)
			return err
		}, "conv3x3"},
		{"training", func() error {
			_, grads, err := m.LossAndGrads(x, cfg.Lambda, 1)
			for _, g := range grads {
				dev.Free(g)
			}
			return err
		}, "conv_flip"},
	}
	for _, method := range methods {
		for _, cpuKernels := range []bool{false, true} {
			for _, c := range cases {
				t.Run(fmt.Sprintf("method=%d/cpuKernels=%t/%s", method, cpuKernels, c.name), func(t *testing.T) {
					defer dev.UseCPUKernels(cpuKernels)()
					dev.DropRepackedWeights()
					if err := dev.StartProfile(method); err != nil {
						t.Fatal(err)
					}
					stop := dev.CountKernels()
					err := c.run()
					counts := stop()
					p, perr := dev.StopProfile()
					if err != nil || perr != nil {
						t.Fatal(err, perr)
					}
					checkProfile(t, p, counts)
					conv := c.conv
					if cpuKernels && conv == "conv3x3" {
						conv = "conv3x3_cpu"
					}
					if counts[conv] == 0 {
						t.Errorf("no %s dispatched: the case does not reach it", conv)
					}
					if method == gpu.ProfileTimestamps && (p.Method != "timestamp-query" || p.TickNS <= 0) {
						t.Errorf("method %q, tick %v ns", p.Method, p.TickNS)
					}
					t.Logf("%s, tick %.3g ns: %d kernels, %.2f ms of %.2f ms wall; top %+v", p.Method, p.TickNS, len(p.Kernels), p.TotalMS, p.WallMS, p.Kernels[0])
				})
			}
		}
	}
}

// TestProfileErrors: a second StartProfile and a StopProfile without one
// are errors, and profiling off leaves results as they were.
func TestProfileErrors(t *testing.T) {
	if _, err := dev.StopProfile(); err == nil {
		t.Error("StopProfile without StartProfile: no error")
	}
	if err := dev.StartProfile(gpu.ProfileAuto); err != nil {
		t.Fatal(err)
	}
	if err := dev.StartProfile(gpu.ProfileAuto); err == nil {
		t.Error("a second StartProfile: no error")
	}
	xs := sh(1, 5, 9, 13)
	xv := testutil.Random(13, xs.Len(), -1, 1)
	x := dev.Upload(xs, xv)
	y := dev.Activate(x, backend.ReLU)
	got := download(t, y)
	if _, err := dev.StopProfile(); err != nil {
		t.Fatal(err)
	}
	for i, v := range xv {
		if want := max(v, 0); got[i] != want {
			t.Fatalf("ReLU under profiling: [%d] = %v, want %v", i, got[i], want)
		}
	}
	dev.Free(x)
	dev.Free(y)
}
