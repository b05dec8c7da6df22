package gpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// convGroup is the output-channel group of one conv1x1/conv3x3 invocation
// (two vec4s); convPixels is its run of pixels; convWG its workgroup size.
const (
	convGroup  = 8
	convPixels = 8
	convWG     = 64
	// convCPURows is the rows of one conv3x3_cpu invocation.
	convCPURows = 4
	// convTileW × convTileH is the output tile of one conv3x3_tiled workgroup.
	convTileW, convTileH = 32, 16
)

// Conv2D computes out (N,Cout,H,W) = act(conv(x, w) + bias) for x (N,Cin,H,W),
// w (Cout,Cin,k,k) with k odd, bias (1,Cout,1,1) or nil; stride 1, zero
// padding k/2.
//
// Kernels: 1×1 on 1×1 planes is conv_fc (one invocation per output, w as
// given); other 1×1 and 3×3 convolutions read w repacked for vec4 loads
// over output channels (conv_repack) and run the register-tiled conv1x1 or
// conv3x3; any other odd k runs the plain conv_direct. The repack is
// cached per weight tensor (repack.go): recorded on w's first use and
// again only after something has written into w (AdamW's update, any
// kernel or copy writing it), freed with w, by DropRepackedWeights or by
// Close. The cache holds about one padded copy of each such weight tensor
// on the device. On a CPU adapter (lavapipe), where each loaded scalar
// costs several multiply-adds, 1×1 and 3×3 run conv1x1_cpu and
// conv3x3_cpu instead: larger tiles that read w as given (no repack, no
// cache), too large for a GPU's registers. The family can be chosen
// (SetConvKernels, N2N_GPU_CONV; conv_family.go), among them "tiled",
// whose 3×3 kernel conv3x3_tiled stages the input in workgroup memory.
func (b *Backend) Conv2D(x, w, bias backend.Tensor, act backend.Activation) backend.Tensor {
	return b.conv2D(x, w, bias, act, true)
}

// conv2D is Conv2D; cacheRepack false repacks w into a scratch tensor freed
// once recorded, for weights used once (Conv2DBackward's flipped weights).
func (b *Backend) conv2D(x, w, bias backend.Tensor, act backend.Activation, cacheRepack bool) *Tensor {
	xt, wt := tensorOf(x), tensorOf(w)
	xs, ws := xt.s, wt.s
	k := ws.H
	if ws.W != k || k%2 == 0 || ws.C != xs.C {
		panic(fmt.Sprintf("gpu: Conv2D: input %v, weights %v", xs, ws))
	}
	cin, cout := xs.C, ws.N
	hasBias := false
	bt := xt // bound in bias's place when there is none; never read
	if bias != nil {
		bt = tensorOf(bias)
		if bt.s != (backend.Shape{N: 1, C: cout, H: 1, W: 1}) {
			panic(fmt.Sprintf("gpu: Conv2D: bias %v for weights %v", bt.s, ws))
		}
		hasBias = true
	}
	// out is (N,Cout,H,W)
	out := b.newTensor(backend.Shape{N: xs.N, C: cout, H: xs.H, W: xs.W})
	switch {
	case k == 1 && xs.H*xs.W == 1:
		p := convFCParams{N: uint32(xs.N), Cin: uint32(cin), Cout: uint32(cout), Act: uint32(act), HasBias: boolWord(hasBias)}
		convFCKernel.run(b, b.grid1D(xs.N*cout), p, xt, wt, bt, out)
	case (k == 1 || k == 3) && b.cpuKernels:
		// conv3x3_cpu: 8 channels × 8 pixels × 4 rows per invocation;
		// conv1x1_cpu: 16 channels × 16 pixels.
		group, runs := convGroup, (xs.W+convPixels-1)/convPixels*((xs.H+convCPURows-1)/convCPURows)
		if k == 1 {
			group, runs = 2*convGroup, (xs.H*xs.W+2*convPixels-1)/(2*convPixels)
		}
		grid := [3]uint32{
			uint32((runs + convWG - 1) / convWG),
			uint32((cout + group - 1) / group),
			uint32(xs.N),
		}
		b.checkConvGrid(grid, xs, ws)
		if k == 1 {
			p := conv1x1CPUParams{Cin: uint32(cin), Cout: uint32(cout), HW: uint32(xs.H * xs.W), Act: uint32(act), HasBias: boolWord(hasBias)}
			conv1x1CPUKernel.run(b, grid, p, xt, wt, bt, out)
		} else {
			p := conv3x3CPUParams{Cin: uint32(cin), Cout: uint32(cout), H: uint32(xs.H), W: uint32(xs.W), Act: uint32(act), HasBias: boolWord(hasBias)}
			conv3x3CPUKernel.run(b, grid, p, xt, wt, bt, out)
		}
	case k == 1 || k == 3:
		var wp *Tensor
		var cout4 int
		if cacheRepack && !b.noRepackCache {
			wp, cout4 = b.cachedRepack(wt)
		} else {
			wp, cout4 = b.repackConvWeights(wt)
			defer b.Free(wp)
		}
		if k == 3 && b.tiledConv3x3 {
			tilesX := ceilDiv(xs.W, convTileW)
			grid := [3]uint32{uint32(tilesX * ceilDiv(xs.H, convTileH)), uint32(ceilDiv(cout, convGroup)), uint32(xs.N)}
			b.checkConvGrid(grid, xs, ws)
			p := conv3x3TiledParams{Cin: uint32(cin), Cout: uint32(cout), H: uint32(xs.H), W: uint32(xs.W), Cout4: uint32(cout4), Act: uint32(act), HasBias: boolWord(hasBias), TilesX: uint32(tilesX)}
			conv3x3TiledKernel.run(b, grid, p, xt, wp, bt, out)
			break
		}
		runs := (xs.W + convPixels - 1) / convPixels * xs.H // 8-pixel runs of conv3x3
		if k == 1 {
			runs = (xs.H*xs.W + convPixels - 1) / convPixels
		}
		grid := [3]uint32{
			uint32((runs + convWG - 1) / convWG),
			uint32((cout + convGroup - 1) / convGroup),
			uint32(xs.N),
		}
		b.checkConvGrid(grid, xs, ws)
		if k == 1 {
			p := conv1x1Params{Cin: uint32(cin), Cout: uint32(cout), HW: uint32(xs.H * xs.W), Cout4: uint32(cout4), Act: uint32(act), HasBias: boolWord(hasBias)}
			conv1x1Kernel.run(b, grid, p, xt, wp, bt, out)
		} else {
			p := conv3x3Params{Cin: uint32(cin), Cout: uint32(cout), H: uint32(xs.H), W: uint32(xs.W), Cout4: uint32(cout4), Act: uint32(act), HasBias: boolWord(hasBias)}
			conv3x3Kernel.run(b, grid, p, xt, wp, bt, out)
		}
	default:
		p := convDirectParams{N: uint32(xs.N), Cin: uint32(cin), Cout: uint32(cout), H: uint32(xs.H), W: uint32(xs.W), K: uint32(k), Act: uint32(act), HasBias: boolWord(hasBias)}
		convDirectKernel.run(b, b.grid1D(out.s.Len()), p, xt, wt, bt, out)
	}
	return out
}

// checkConvGrid records a device error if grid, the workgroups of a conv of
// input xs and weights ws, exceeds the device's per-dimension limit.
func (b *Backend) checkConvGrid(grid [3]uint32, xs, ws backend.Shape) {
	if lim := b.limits.MaxComputeWorkgroupsPerDimension; max(grid[0], grid[1], grid[2]) > lim {
		b.fail(fmt.Errorf("gpu: Conv2D: input %v, weights %v need a grid of %v workgroups, above the device's %d per dimension", xs, ws, grid, lim))
	}
}

// repackConvWeights records the repack of w (Cout,Cin,k,k) into a new scratch
// tensor laid out as conv_repack.wgsl documents, and returns it with its
// vec4 groups per (ci, tap) row, cout4.
func (b *Backend) repackConvWeights(w *Tensor) (wp *Tensor, cout4 int) {
	s := w.s
	cout4 = (s.N + convGroup - 1) / convGroup * convGroup / 4
	n := s.C * s.H * s.W * cout4 * 4
	wp = b.newTensor(backend.Shape{N: 1, C: 1, H: 1, W: n})
	p := convRepackParams{Cout: uint32(s.N), Cin: uint32(s.C), KK: uint32(s.H * s.W), Cout4: uint32(cout4)}
	convRepackKernel.run(b, b.grid1D(n), p, w, wp)
	return wp, cout4
}

// Params of the forward convolution kernels, as in their shaders.
type (
	convFCParams       struct{ N, Cin, Cout, Act, HasBias uint32 }
	conv1x1CPUParams   struct{ Cin, Cout, HW, Act, HasBias uint32 }
	conv3x3CPUParams   struct{ Cin, Cout, H, W, Act, HasBias uint32 }
	conv1x1Params      struct{ Cin, Cout, HW, Cout4, Act, HasBias uint32 }
	conv3x3Params      struct{ Cin, Cout, H, W, Cout4, Act, HasBias uint32 }
	conv3x3TiledParams struct{ Cin, Cout, H, W, Cout4, Act, HasBias, TilesX uint32 }
	convDirectParams   struct{ N, Cin, Cout, H, W, K, Act, HasBias uint32 }
	convRepackParams   struct{ Cout, Cin, KK, Cout4 uint32 }
)

// The forward convolution kernels: input, weights, bias, output.
var (
	convFCKernel       = defineKernel[convFCParams]("conv_fc", Read, Read, Read, ReadWrite)
	conv1x1CPUKernel   = defineKernel[conv1x1CPUParams]("conv1x1_cpu", Read, Read, Read, ReadWrite)
	conv3x3CPUKernel   = defineKernel[conv3x3CPUParams]("conv3x3_cpu", Read, Read, Read, ReadWrite)
	conv1x1Kernel      = defineKernel[conv1x1Params]("conv1x1", Read, Read, Read, ReadWrite)
	conv3x3Kernel      = defineKernel[conv3x3Params]("conv3x3", Read, Read, Read, ReadWrite)
	conv3x3TiledKernel = defineKernel[conv3x3TiledParams]("conv3x3_tiled", Read, Read, Read, ReadWrite)
	convDirectKernel   = defineKernel[convDirectParams]("conv_direct", Read, Read, Read, ReadWrite)
	convRepackKernel   = defineKernel[convRepackParams]("conv_repack", Read, ReadWrite)
)
