//go:build !js

package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/gpu"
	"github.com/noise2norm/noise2norm/internal/model"
	"github.com/noise2norm/noise2norm/native"
)

// The WebGPU backend's options in the bench:
//
//	-gpu-conv register,tiled   run the gpu backend's rows once per conv
//	                           kernel family (gpu.SetConvKernels: auto, cpu,
//	                           register, tiled); rows are named webgpu/FAMILY
//	-gpu-profile               instead of timing, profile the WebGPU
//	                           backend per kernel (gpu.StartProfile): one
//	                           table per width, family and work (forward,
//	                           detect, train) with each kernel's dispatches,
//	                           total ms, ms per run and share of the kernels'
//	                           time; -iters runs after one warm-up
//	-gpu-profile-method M      auto (timestamp queries where the device has
//	                           them), timestamps, or cpu (host clock around a
//	                           submit+wait per dispatch)
//	-gpu-profile-work W        which of forward,detect,train to profile

// gpuFamilies returns the conv kernel families of -gpu-conv, or [""] (the
// backend's own choice) when the flag is empty.
func (b *bench) gpuFamilies() []string {
	if len(b.gpuConv) == 0 {
		return []string{""}
	}
	return b.gpuConv
}

// eachGPUFamily runs f on be once per family of -gpu-conv (be must be the
// WebGPU backend), with rows named webgpu/FAMILY; on other backends, or
// without the flag, it runs f once.
func (b *bench) eachGPUFamily(be backend.Backend, f func(be backend.Backend) error) error {
	g, ok := be.(*gpu.Backend)
	if !ok || len(b.gpuConv) == 0 {
		return f(be)
	}
	defer func() { b.whoSuffix = "" }()
	for _, fam := range b.gpuConv {
		if err := g.SetConvKernels(fam); err != nil {
			return err
		}
		b.whoSuffix = "/" + g.ConvKernels()
		if err := f(be); err != nil {
			return fmt.Errorf("conv kernels %s: %w", fam, err)
		}
	}
	return nil
}

// gpuProfile (-gpu-profile) profiles the WebGPU backend per kernel and
// prints one table per width, family and work.
func (b *bench) gpuProfile(w io.Writer) error {
	var method gpu.ProfileMethod
	switch b.profileMethod {
	case "auto":
		method = gpu.ProfileAuto
	case "timestamps":
		method = gpu.ProfileTimestamps
	case "cpu":
		method = gpu.ProfileCPU
	default:
		return fmt.Errorf("-gpu-profile-method %q: want auto, timestamps or cpu", b.profileMethod)
	}
	g, err := native.Open(native.Options{Logf: b.logf})
	if err != nil {
		return err
	}
	defer g.Close()
	for _, wf := range b.widths {
		cfg := b.config(wf)
		for _, fam := range b.gpuFamilies() {
			if fam != "" {
				if err := g.SetConvKernels(fam); err != nil {
					return err
				}
			}
			for _, work := range b.profileWork {
				p, err := b.profileOne(g, cfg, method, work)
				if err != nil {
					return fmt.Errorf("wf %d, %s, %s: %w", wf, g.ConvKernels(), work, err)
				}
				n := b.iters
				what := fmt.Sprintf("%s, wf %d, S %d", work, wf, b.size)
				if work == "train" {
					what += fmt.Sprintf(", batch %d", b.batch)
				}
				fmt.Fprintf(w, "\nprofile of %d runs: %s; %s; conv kernels %s; %s", n, what, g.Name(), g.ConvKernels(), p.Method)
				if p.TickNS > 0 {
					fmt.Fprintf(w, " (tick %.4g ns, calibrated)", p.TickNS)
				}
				fmt.Fprintf(w, "\nkernels %.2f ms in all (%.2f ms per run), wall %.2f ms while profiling (profiling adds a pass per dispatch and a readback per batch)\n", p.TotalMS, p.TotalMS/float64(n), p.WallMS)
				printProfile(w, p, n)
			}
		}
	}
	return nil
}

// printProfile prints p's kernels as a table, times also per run of n.
func printProfile(w io.Writer, p gpu.Profile, n int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\tdispatches\ttotal ms\tms/run\tshare\t")
	for _, k := range p.Kernels {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.1f%%\t\n", k.Name, k.Count, k.TotalMS, k.TotalMS/float64(n), 100*k.Share)
	}
	tw.Flush()
}

// profileOne runs work (forward, detect or train) once unprofiled, then
// -iters times under a profile, and returns the profile.
func (b *bench) profileOne(g *gpu.Backend, cfg model.Config, method gpu.ProfileMethod, work string) (gpu.Profile, error) {
	n := 1
	if work == "train" {
		n = b.batch
	}
	m, x0, err := newModel(g, cfg, n)
	if err != nil {
		return gpu.Profile{}, err
	}
	defer m.Free()
	defer g.Free(x0)
	var run func() error
	switch work {
	case "forward":
		run = func() error {
			out := m.Forward(x0)
			defer g.Free(out)
			_, err := g.Download(out)
			return err
		}
	case "detect":
		run = func() error {
			_, err := m.Detect(x0, cfg.Lambda, 0)
			return err
		}
	case "train":
		opt := model.NewAdamW(m, model.DefaultAdamW())
		defer opt.Free()
		run = trainStep(m, opt, x0, cfg.Lambda)
	default:
		return gpu.Profile{}, fmt.Errorf("-gpu-profile-work %q: want forward, detect or train", work)
	}
	if err := run(); err != nil { // warm-up: pipelines compiled, buffers pooled
		return gpu.Profile{}, err
	}
	if err := g.StartProfile(method); err != nil {
		return gpu.Profile{}, err
	}
	for range b.iters {
		if err := run(); err != nil {
			g.StopProfile()
			return gpu.Profile{}, err
		}
	}
	return g.StopProfile()
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
