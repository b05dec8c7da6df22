// Package backend defines the small tensor/op interface that the N2N-M network,
// its loss and (later) training are written against. Two implementations exist:
// internal/cpu (plain Go, the reference) and internal/gpu (WGSL through WebGPU).
//
// Conventions shared by every implementation:
//   - Tensors are float32, NCHW, contiguous. Conv weights use the same 4-D
//     Shape as (out, in, k, k), biases are (1, out, 1, 1).
//   - Ops never modify their inputs and return new tensors owned by the caller,
//     who frees them with Free when done (a GPU backend recycles the buffers).
//   - Ops panic on shape mismatches (programming errors). Device failures
//     surface as errors from Download.
package backend

import "fmt"

// Shape is an NCHW shape.
type Shape struct{ N, C, H, W int }

// Len is the number of elements.
func (s Shape) Len() int { return s.N * s.C * s.H * s.W }

func (s Shape) String() string { return fmt.Sprintf("(%d,%d,%d,%d)", s.N, s.C, s.H, s.W) }

// ShapeOf converts 1 to 4 dims into a Shape, right-aligned except for a
// 1-D vector, which becomes (1,C,1,1) (the layout of a bias).
func ShapeOf(dims []int) (Shape, error) {
	switch len(dims) {
	case 1:
		return Shape{1, dims[0], 1, 1}, nil
	case 2:
		return Shape{1, 1, dims[0], dims[1]}, nil
	case 3:
		return Shape{1, dims[0], dims[1], dims[2]}, nil
	case 4:
		return Shape{dims[0], dims[1], dims[2], dims[3]}, nil
	}
	return Shape{}, fmt.Errorf("shape %v: want 1 to 4 dims", dims)
}

// ChannelWriter is implemented by backends whose convolutions can write
// their output into a channel range of a larger tensor, so that a
// concatenation of convolution outputs costs no copy. The graph uses it in
// inference (batch 1) where the backend has it; Concat stays the portable
// way.
type ChannelWriter interface {
	// Alloc returns a tensor of shape s with unspecified contents, for
	// Conv2DInto to fill.
	Alloc(s Shape) Tensor
	// ChannelView returns channels [c0,c1) of x (N = 1), (1,c1−c0,H,W),
	// as a tensor sharing x's memory: ops read it, Conv2DInto writes it.
	// Freeing the view releases the view only; x must outlive it.
	ChannelView(x Tensor, c0, c1 int) Tensor
	// Conv2DInto is Conv2D writing its output (N,Cout,H,W) into dst, a
	// tensor (or view) of that shape.
	Conv2DInto(dst, x, w, b Tensor, act Activation)
}

// UpsampleFuser is implemented by backends that can fuse SKFF's bilinear
// upsampling of the side outputs into the two ops that read the upsampled
// maps, so that those full-resolution maps are never stored. The graph uses
// it in inference where the backend has it; UpsampleBilinear stays the
// portable way. Both give the same values, bit for bit on the CPU backend.
type UpsampleFuser interface {
	// GlobalAvgPoolUpsampled is GlobalAvgPool(UpsampleBilinear(x, f)):
	// (N,C,H,W) → (N,C,1,1).
	GlobalAvgPoolUpsampled(x Tensor, f int) Tensor
	// SKFFFuseUpsampled is SKFFFuse of the maps UpsampleBilinear(os[i],
	// fs[i]) (factor 1: os[i] itself), which all have one shape
	// (N,C,S,S), with logits[i] (N,C,1,1).
	SKFFFuseUpsampled(os []Tensor, fs []int, logits []Tensor) Tensor
}

// Tensor is a float32 NCHW tensor living on some backend.
type Tensor interface {
	Shape() Shape
}

// Activation is fused into ops that support it.
type Activation int

const (
	Linear Activation = iota
	ReLU
	Sigmoid
)

func (a Activation) String() string {
	return [...]string{"linear", "relu", "sigmoid"}[a]
}

// Backend computes the ops of N2N-M. All methods are safe to call from one
// goroutine at a time.
type Backend interface {
	Name() string

	// Upload copies host data of shape s into a new tensor.
	Upload(s Shape, data []float32) Tensor
	// Download copies a tensor back to the host. On a GPU this is the only
	// synchronisation point, and where device errors are reported.
	Download(t Tensor) ([]float32, error)
	// Free releases t; t must not be used afterwards. Free(nil) is a no-op.
	Free(t Tensor)

	// Conv2D: x (N,Cin,H,W), w (Cout,Cin,k,k) with k odd, b (1,Cout,1,1) or
	// nil; stride 1, zero padding k/2; out (N,Cout,H,W) = act(conv(x,w)+b).
	Conv2D(x, w, b Tensor, act Activation) Tensor
	// Activate applies act elementwise.
	Activate(x Tensor, act Activation) Tensor
	// Add: a + b, same shape.
	Add(a, b Tensor) Tensor
	// GlobalAvgPool: (N,C,H,W) → (N,C,1,1), the mean over H,W.
	GlobalAvgPool(x Tensor) Tensor
	// AvgPool2: 2×2 mean pooling, stride 2: (N,C,H,W) → (N,C,H/2,W/2).
	AvgPool2(x Tensor) Tensor
	// PixelUnshuffle ×2: (N,C,H,W) → (N,4C,H/2,W/2), PyTorch channel order
	// (out channel c·4 + dy·2 + dx).
	PixelUnshuffle(x Tensor) Tensor
	// PixelShuffle ×2: (N,4C,H,W) → (N,C,2H,2W), the inverse of PixelUnshuffle.
	PixelShuffle(x Tensor) Tensor
	// UpsampleBilinear by an integer factor, PyTorch
	// interpolate(mode="bilinear", align_corners=False).
	UpsampleBilinear(x Tensor, factor int) Tensor
	// Concat along channels: (N,Ca,H,W),(N,Cb,H,W) → (N,Ca+Cb,H,W).
	Concat(a, b Tensor) Tensor
	// ChannelGate: y (N,C,H,W), w (N,C,1,1) → y + y⊙w (residual attention).
	ChannelGate(y, w Tensor) Tensor
	// SKFFFuse: os[i] (N,C,H,W), logits[i] (N,C,1,1); per (n,c) a softmax over
	// i of logits, out = Σ_i softmax_i ⊙ os[i].
	SKFFFuse(os, logits []Tensor) Tensor
	// Noise: x = (1−λ)·x0 + λ·ε with ε = 0.5 + 0.5·z, z ~ N(0,1) drawn by the
	// counter-based generator of NoiseNormal (same numbers on every backend).
	Noise(x0 Tensor, lambda float32, seed uint32) Tensor
	// LossMap: x0 and xhat (N,3,H,W) in [−1,1] → (N,1,H,W), the spec's
	// α·(1 − MS-SSIM) + (1 − α)·G₈∗L1 map (see internal/backend/lossmap.go).
	LossMap(x0, xhat Tensor, alpha float32) Tensor
}
