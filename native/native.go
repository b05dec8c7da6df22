//go:build !js

// Package native opens a WebGPU device through wgpu-native (the cgo build
// of github.com/cogentcore/webgpu) and wraps it as a gpu.Backend. It is the
// only native platform code; the browser opens its device in gpu.OpenBrowser.
package native

import (
	"errors"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"

	"github.com/cogentcore/webgpu/wgpu"

	"github.com/noise2norm/noise2norm/internal/gpu"
)

// Options configure Open.
type Options struct {
	// Adapter selects the adapter: "" for the best one (discrete GPU, then
	// integrated, then unknown, then CPU such as Mesa's lavapipe
	// "llvmpipe"), a kind ("discrete", "integrated", "unknown", "cpu"),
	// "gpu" for the best adapter that is not a CPU one, or
	// a case-insensitive substring of the adapter's name or driver
	// description (lavapipe's says "llvmpipe"). When empty, the
	// N2N_ADAPTER environment variable is used the same way.
	Adapter string
	// Logf reports the chosen adapter; nil means log.Printf.
	Logf func(format string, args ...any)
}

// kind is an adapter type with the name Options.Adapter gives it.
type kind struct {
	name string
	typ  wgpu.AdapterType
}

// kinds lists the adapter types, best first.
var kinds = []kind{
	{"discrete", wgpu.AdapterTypeDiscreteGPU},
	{"integrated", wgpu.AdapterTypeIntegratedGPU},
	{"unknown", wgpu.AdapterTypeUnknown},
	{"cpu", wgpu.AdapterTypeCPU},
}

// Open picks an adapter as Options say, requests a device with the
// adapter's largest storage-buffer limits and returns it as a gpu.Backend.
// It returns an error, naming the adapters it saw, when none fits.
func Open(opts Options) (*gpu.Backend, error) {
	logf := opts.Logf
	if logf == nil {
		logf = log.Printf
	}
	want := opts.Adapter
	if want == "" {
		want = os.Getenv("N2N_ADAPTER")
	}

	if os.Getenv("N2N_WGPU_LOG") == "" {
		// wgpu-native's warnings (no window system, no swapchain colour
		// space) are noise for compute; N2N_WGPU_LOG=1 keeps them.
		wgpu.SetLogLevel(wgpu.LogLevelError)
	}
	inst := wgpu.CreateInstance(nil)
	if inst == nil {
		return nil, errors.New("native: cannot create a WebGPU instance")
	}
	defer inst.Release()
	adapters := inst.EnumerateAdapters(nil)
	if len(adapters) == 0 {
		return nil, errors.New("native: no WebGPU adapter found (no Vulkan, Metal or DX12 device; on Linux without a GPU, install Mesa's lavapipe, e.g. Debian's mesa-vulkan-drivers)")
	}
	infos := make([]wgpu.AdapterInfo, len(adapters))
	for i, a := range adapters {
		infos[i] = a.GetInfo()
	}
	pick, err := choose(infos, want)
	for i, a := range adapters {
		if i != pick {
			a.Release()
		}
	}
	if err != nil {
		return nil, err
	}
	adapter, info := adapters[pick], infos[pick]
	defer adapter.Release()

	supported := adapter.GetLimits().Limits
	limits := wgpu.DefaultLimits()
	limits.MaxStorageBufferBindingSize = supported.MaxStorageBufferBindingSize
	limits.MaxBufferSize = supported.MaxBufferSize
	// timestamp-query, where offered, lets gpu.Backend.StartProfile time
	// each dispatch on the device.
	var features []wgpu.FeatureName
	if adapter.HasFeature(wgpu.FeatureNameTimestampQuery) {
		features = append(features, wgpu.FeatureNameTimestampQuery)
	}
	dev, err := adapter.RequestDevice(&wgpu.DeviceDescriptor{
		Label:            "n2n",
		RequiredFeatures: features,
		RequiredLimits:   &wgpu.RequiredLimits{Limits: limits},
	})
	if err != nil {
		return nil, fmt.Errorf("native: adapter %q: %w", label(info), err)
	}
	name := fmt.Sprintf("%s, %s, %s", label(info), info.AdapterType, info.BackendType)
	logf("webgpu: adapter %s (max storage binding %d MiB)", name, supported.MaxStorageBufferBindingSize>>20)
	b, err := gpu.New(dev, name, info.AdapterType == wgpu.AdapterTypeCPU)
	if err != nil {
		dev.Release()
		return nil, err
	}
	return b, nil
}

// label names an adapter: wgpu-native puts the useful name (for lavapipe
// "llvmpipe (LLVM 15.0.6, 256 bits)") in the driver description and a
// hex id in Name.
func label(info wgpu.AdapterInfo) string {
	if info.DriverDescription != "" {
		return info.DriverDescription
	}
	return info.Name
}

// rank orders adapters, lower is better: by kind, then native compute
// APIs (Vulkan, Metal, D3D12) before OpenGL and the rest.
func rank(info wgpu.AdapterInfo) int {
	r := 2 * slices.IndexFunc(kinds, func(k kind) bool { return k.typ == info.AdapterType })
	switch info.BackendType {
	case wgpu.BackendTypeVulkan, wgpu.BackendTypeMetal, wgpu.BackendTypeD3D12:
	default:
		r++
	}
	return r
}

// choose returns the index of the adapter that want selects (see
// Options.Adapter) among infos.
func choose(infos []wgpu.AdapterInfo, want string) (int, error) {
	w := strings.ToLower(want)
	best := -1
	for i, info := range infos {
		ok := w == "" || strings.Contains(strings.ToLower(info.Name+" "+info.DriverDescription), w)
		for _, k := range kinds {
			if w == k.name {
				ok = info.AdapterType == k.typ
			}
		}
		if w == "gpu" {
			ok = info.AdapterType != wgpu.AdapterTypeCPU
		}
		if ok && (best < 0 || rank(info) < rank(infos[best])) {
			best = i
		}
	}
	if best < 0 {
		seen := make([]string, len(infos))
		for i, info := range infos {
			seen[i] = fmt.Sprintf("%q (%s, %s)", label(info), info.AdapterType, info.BackendType)
		}
		return 0, fmt.Errorf("native: no adapter matches %q; found %s", want, strings.Join(seen, ", "))
	}
	return best, nil
}
