package gpu

import (
	"fmt"
	"os"
)

// The convolution kernel families Conv2D can run for 1×1 and 3×3
// convolutions (conv.go), by name:
//
//   - "cpu": conv1x1_cpu and conv3x3_cpu, large register tiles that read
//     the weights as given, tuned for CPU adapters such as lavapipe;
//   - "register": conv1x1 and conv3x3, register-tiled (8 channels × 8
//     pixels per invocation) with repacked weights read as uniform vec4s;
//   - "tiled": conv1x1, and conv3x3_tiled for 3×3: conv3x3's register tile
//     with the input tile and its halo and the weights staged in workgroup
//     memory;
//   - "auto": "cpu" on a CPU adapter, "register" on any other.
//
// "auto" is the default; N2N_GPU_CONV (one of the names) overrides it when
// the backend is created, and SetConvKernels afterwards. No real GPU has
// timed "tiled" against "register" yet (docs/benchmarks.md), so "auto"
// keeps "register" on GPUs.
const (
	ConvAuto     = "auto"
	ConvCPU      = "cpu"
	ConvRegister = "register"
	ConvTiled    = "tiled"
)

// convKernelsEnv names the environment variable that picks the family.
const convKernelsEnv = "N2N_GPU_CONV"

// SetConvKernels makes Conv2D run the named kernel family (ConvAuto,
// ConvCPU, ConvRegister or ConvTiled) for its 1×1 and 3×3 convolutions
// from now on; it returns an error for any other name.
func (b *Backend) SetConvKernels(family string) error {
	switch family {
	case ConvAuto:
		b.cpuKernels, b.tiledConv3x3 = b.cpuAdapter, false
	case ConvCPU:
		b.cpuKernels, b.tiledConv3x3 = true, false
	case ConvRegister:
		b.cpuKernels, b.tiledConv3x3 = false, false
	case ConvTiled:
		b.cpuKernels, b.tiledConv3x3 = false, true
	default:
		return fmt.Errorf("gpu: conv kernels %q: want auto, cpu, register or tiled", family)
	}
	return nil
}

// ConvKernels names the family Conv2D runs now: cpu, register or tiled.
func (b *Backend) ConvKernels() string {
	switch {
	case b.cpuKernels:
		return ConvCPU
	case b.tiledConv3x3:
		return ConvTiled
	}
	return ConvRegister
}

// convKernelsFromEnv applies N2N_GPU_CONV, if set.
func (b *Backend) convKernelsFromEnv() error {
	if v := os.Getenv(convKernelsEnv); v != "" {
		if err := b.SetConvKernels(v); err != nil {
			return fmt.Errorf("%s: %w", convKernelsEnv, err)
		}
	}
	return nil
}
