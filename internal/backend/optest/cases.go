package optest

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// Tolerances of the table.
var (
	// Op is a single float32 op against PyTorch or another backend.
	Op = Tolerance{Atol: 1e-5, Rtol: 1e-4}
	// Loss is the loss map, a float32 chain of 12 passes that the CPU
	// accumulates in float64.
	Loss = Tolerance{Atol: 2e-5, Rtol: 1e-4}
	// Reduce is a reduction (weight, bias, gate and SKFF weight gradients)
	// that sums hundreds to thousands of terms in another order than the
	// reference.
	Reduce = Tolerance{Atol: 1e-4, Rtol: 1e-3, RelErr: 1e-5}
	// LossGrad is the loss map's gradient, whose magnitude follows its
	// scale.
	LossGrad = Tolerance{Atol: 1e-4, Rtol: 1e-3, ScaleAtol: true, RelErr: 2e-5}
)

// Values of the PyTorch reference (testdata/make_reference.py: LAMBDA,
// ALPHA and the noise seed).
const (
	RefLambda = 0.3
	RefSeed   = 1234
	RefAlpha  = 0.84
)

// unit is an input of shape (n,c,h,w) uniform in [−1, 1).
func unit(n, c, h, w int) Input { return Input{Sh(n, c, h, w), -1, 1} }

// one wraps a single output.
func one(t backend.Tensor) []backend.Tensor { return []backend.Tensor{t} }

// Network-size shapes for the benchmarks: level 0 of N2N-M at wf 32, S 256.
var (
	level0 = Sh(1, 32, 256, 256)
	gate   = Sh(1, 32, 1, 1)
	half   = Sh(1, 32, 128, 128)
	image  = Sh(1, 3, 256, 256)
)

// NearCopy makes in[1] a reconstruction of in[0]: in[0] + in[1]/10, clamped
// to [−1,1], so that the SSIM terms are far from 0.
func NearCopy(in [][]float32) {
	for i, v := range in[0] {
		in[1][i] = min(max(v+in[1][i]/10, -1), 1)
	}
}

// Smooth makes in[0] vary slowly (a running mean along the flat index), so
// that the SSIM terms at large σ are not all of noise.
func Smooth(in [][]float32) {
	for i := 1; i < len(in[0]); i++ {
		in[0][i] = 0.9*in[0][i-1] + 0.1*in[0][i]*5
	}
}

// conv2D is a Conv2D case of x (N,Cin,H,W) with cout outputs of a k×k
// kernel, with a bias unless bias is false.
func conv2D(name string, x backend.Shape, cout, k int, act backend.Activation, bias bool, ref *Ref) Case {
	in := []Input{{x, -1, 1}, {Sh(cout, x.C, k, k), -0.5, 0.5}}
	if bias {
		in = append(in, Input{Sh(1, cout, 1, 1), -0.5, 0.5})
	}
	return Case{Op: "Conv2D", Name: "conv/" + name, In: in, Tol: Op, Ref: ref,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			var bt backend.Tensor
			if len(t) == 3 {
				bt = t[2]
			}
			return one(b.Conv2D(t[0], t[1], bt, act))
		}}
}

// convGrad is a Conv2DBackward case for x (N,Cin,H,W) and cout outputs of a
// k×k kernel; y is uniform in [0,1) for a sigmoid (its output range) and in
// [−1,1) otherwise, so that ReLU's mask is random.
func convGrad(x backend.Shape, cout, k int, act backend.Activation, hasBias, needDX bool) Case {
	ys := Sh(x.N, cout, x.H, x.W)
	y := Input{ys, -1, 1}
	if act == backend.Sigmoid {
		y.Lo = 0
	}
	return Case{Op: "Conv2DBackward", Backward: true, Tol: Reduce,
		Name: fmt.Sprintf("conv_backward/k%d/%v/%v/bias=%v/dx=%v", k, x, act, hasBias, needDX),
		In:   []Input{{x, -1, 1}, {Sh(cout, x.C, k, k), -1, 1}, y, {ys, -1, 1}},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			dx, dw, db := b.Conv2DBackward(t[0], t[1], t[2], t[3], act, hasBias, needDX)
			return []backend.Tensor{dx, dw, db}
		}}
}

// activate is an Activate case.
func activate(name string, in Input, act backend.Activation, ref *Ref, bench []backend.Shape) Case {
	return Case{Op: "Activate", Name: name, In: []Input{in}, Tol: Op, Ref: ref, Bench: bench,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.Activate(t[0], act)) }}
}

// skff fuses m maps of shape s; its inputs are m maps then m logits.
func skff(m int, s backend.Shape, bench bool) Case {
	in := make([]Input, 2*m)
	for i := range m {
		in[i], in[m+i] = Input{s, -3, 3}, Input{Sh(s.N, s.C, 1, 1), -3, 3}
	}
	c := Case{Op: "SKFFFuse", Name: fmt.Sprintf("skff/%d/%v", m, s), In: in, Tol: Op,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.SKFFFuse(t[:m], t[m:])) }}
	if bench {
		for range m {
			c.Bench = append(c.Bench, level0)
		}
		for range m {
			c.Bench = append(c.Bench, gate)
		}
	}
	return c
}

// skffGrad is the case of SKFFFuseBackward over m maps of shape s: inputs
// are m maps, m logits, then dOut; outputs m dos then m dlogits.
func skffGrad(m int, s backend.Shape) Case {
	ins := make([]Input, 2*m+1)
	for i := range m {
		ins[i], ins[m+i] = Input{s, -1, 1}, Input{Sh(s.N, s.C, 1, 1), -3, 3}
	}
	ins[2*m] = Input{s, -1, 1}
	return Case{Op: "SKFFFuseBackward", Backward: true, Name: fmt.Sprintf("skff_backward/%d/%v", m, s), In: ins, Tol: Reduce,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			dos, dl := b.SKFFFuseBackward(t[:m], t[m:2*m], t[2*m])
			return append(dos, dl...)
		}}
}

// gateGrad is the case of ChannelGateBackward on y (N,C,H,W).
func gateGrad(name string, s backend.Shape) Case {
	return Case{Op: "ChannelGateBackward", Backward: true, Name: "gate_backward/" + name, Tol: Reduce,
		In: []Input{{s, -1, 1}, unit(s.N, s.C, 1, 1), {s, -1, 1}},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			dy, dw := b.ChannelGateBackward(t[0], t[1], t[2])
			return []backend.Tensor{dy, dw}
		}}
}

// upsample is UpsampleBilinear by f; upsampleGrad its backward on the
// upsampled shape.
func upsample(x backend.Shape, f int, tol Tolerance, ref *Ref, bench []backend.Shape) Case {
	return Case{Op: "UpsampleBilinear", Name: fmt.Sprintf("up%d", f), In: []Input{{x, -1, 1}}, Tol: tol, Ref: ref, Bench: bench,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.UpsampleBilinear(t[0], f)) }}
}

func upsampleGrad(dy backend.Shape, f int, tol Tolerance) Case {
	return Case{Op: "UpsampleBilinearBackward", Backward: true, Name: fmt.Sprintf("up%d_backward", f), In: []Input{{dy, -1, 1}}, Tol: tol,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return one(b.UpsampleBilinearBackward(t[0], f))
		}}
}

// gapGrad is GlobalAvgPoolBackward of dy (N,C,1,1) to planes of s.
func gapGrad(name string, s backend.Shape) Case {
	return Case{Op: "GlobalAvgPoolBackward", Backward: true, Name: "gap_backward/" + name, In: []Input{unit(s.N, s.C, 1, 1)}, Tol: Op,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return one(b.GlobalAvgPoolBackward(t[0], s))
		}}
}

// slice is SliceChannels [c0, c1) of x.
func slice(name string, x backend.Shape, c0, c1 int) Case {
	return Case{Op: "SliceChannels", Backward: true, Name: "slice/" + name, In: []Input{{x, -1, 1}}, Tol: Exact,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return one(b.SliceChannels(t[0], c0, c1))
		}}
}

// lossMap is LossMap(x0, xhat, alpha) on (N,3,H,W).
func lossMap(name string, s backend.Shape, alpha float32, prep func([][]float32), ref *Ref, bench []backend.Shape) Case {
	return Case{Op: "LossMap", Name: "lossmap/" + name, In: []Input{{s, -1, 1}, {s, -1, 1}}, Prep: prep, Tol: Loss, Ref: ref, Bench: bench,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.LossMap(t[0], t[1], alpha)) }}
}

// lossGrad is LossMapBackward on x0, xhat (N,3,H,W).
func lossGrad(name string, s backend.Shape, alpha, scale float32, prep func(in [][]float32), bench []backend.Shape) Case {
	return Case{Op: "LossMapBackward", Backward: true, Name: "lossmap_backward/" + name, In: []Input{{s, -1, 1}, {s, -1, 1}}, Prep: prep, Tol: LossGrad, Bench: bench,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return one(b.LossMapBackward(t[0], t[1], alpha, scale))
		}}
}

// lossBoth is LossMapAndBackward on x0, xhat (N,3,H,W): outputs the map
// (Loss tolerance) and the gradient (LossGrad tolerance).
func lossBoth(name string, s backend.Shape, alpha, scale float32, prep func(in [][]float32), bench []backend.Shape) Case {
	return Case{Op: "LossMapAndBackward", Backward: true, Name: "lossmap_and_backward/" + name, In: []Input{{s, -1, 1}, {s, -1, 1}}, Prep: prep,
		Tol: LossGrad, OutTol: []Tolerance{Loss, LossGrad}, Bench: bench,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			m, g := b.LossMapAndBackward(t[0], t[1], alpha, scale)
			return []backend.Tensor{m, g}
		}}
}

// adamw is one AdamW step: inputs param, grad, m, v (v ≥ 0); outputs the
// updated param, m and v.
func adamw(s backend.Shape, h backend.AdamWParams) Case {
	return Case{Op: "AdamW", Backward: true, Name: fmt.Sprintf("adamw/step%d", h.Step), Tol: Op,
		In: []Input{{s, -1, 1}, {s, -1, 1}, {s, -0.1, 0.1}, {s, 0, 0.01}},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			b.AdamW(t[0], t[1], t[2], t[3], h)
			return []backend.Tensor{t[0], t[2], t[3]}
		}}
}

// Cases is the table: every op of backend.Backend and backend.Trainer, an
// op's forward cases next to its backward ones. Convolutions have a few
// cases here; internal/gpu/conv_test.go sweeps the kernels' tilings.
var Cases = []Case{
	conv2D("k3/relu", Sh(2, 5, 13, 11), 7, 3, backend.ReLU, true, &Ref{"conv3_relu", []string{"x", "w", "b"}, "out"}),
	conv2D("k3/linear", Sh(1, 4, 9, 70), 6, 3, backend.Linear, true, &Ref{"conv3", []string{"x", "w", "b"}, "out"}),
	conv2D("k1/linear", Sh(2, 9, 7, 5), 6, 1, backend.Linear, true, &Ref{"conv1", []string{"x", "w", "b"}, "out"}),
	conv2D("k1/nobias", Sh(2, 6, 5, 9), 7, 1, backend.Linear, false, &Ref{"conv1_nobias", []string{"x", "w"}, "out"}),
	conv2D("k1/fc/sigmoid", Sh(2, 37, 1, 1), 5, 1, backend.Sigmoid, true, nil),
	conv2D("k5/sigmoid", Sh(1, 2, 6, 7), 3, 5, backend.Sigmoid, true, nil),
	convGrad(Sh(2, 5, 13, 11), 7, 3, backend.ReLU, true, true),
	convGrad(Sh(1, 3, 9, 70), 4, 3, backend.Sigmoid, false, true),
	convGrad(Sh(2, 3, 40, 37), 5, 3, backend.Linear, true, false),
	convGrad(Sh(2, 9, 7, 5), 6, 1, backend.ReLU, true, true),
	convGrad(Sh(2, 37, 1, 1), 5, 1, backend.Sigmoid, true, true),
	convGrad(Sh(2, 6, 1, 1), 37, 1, backend.ReLU, false, true),
	convGrad(Sh(2, 3, 8, 9), 4, 5, backend.Linear, true, true),
	// The chunked weight gradients (conv_dw3x3, conv_dw1x1): one chunk
	// written directly; bands of 8 rows, the last one short; groups of 2
	// strips, the last one a single, partial strip, in bands of 32 rows;
	// 1×1 chunks of 2 runs, the last one short; channel counts that are not
	// multiples of the tiles throughout.
	convGrad(Sh(1, 5, 1, 7), 6, 3, backend.ReLU, true, true),
	convGrad(Sh(1, 5, 2, 3), 7, 1, backend.Linear, false, false),
	convGrad(Sh(2, 37, 61, 20), 33, 3, backend.Linear, false, false),
	convGrad(Sh(1, 61, 40, 115), 63, 3, backend.Linear, false, false),
	convGrad(Sh(2, 70, 25, 27), 66, 1, backend.Linear, false, false),

	activate("linear", unit(2, 5, 13, 11), backend.Linear, nil, nil),
	activate("relu", unit(2, 5, 13, 11), backend.ReLU, &Ref{"relu", []string{"x"}, "out"}, []backend.Shape{level0}),
	activate("sigmoid", Input{Sh(2, 3, 7, 9), -8, 8}, backend.Sigmoid, &Ref{"sigmoid", []string{"x"}, "out"}, nil),

	{Op: "Add", Name: "add", In: []Input{unit(2, 7, 9, 31), unit(2, 7, 9, 31)}, Tol: Op,
		Ref: &Ref{"add", []string{"a", "b"}, "out"}, Bench: []backend.Shape{level0, level0},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.Add(t[0], t[1])) }},

	{Op: "GlobalAvgPool", Name: "gap/small", In: []Input{unit(2, 5, 2, 3)}, Tol: Op,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.GlobalAvgPool(t[0])) }},
	{Op: "GlobalAvgPool", Name: "gap/large", In: []Input{unit(2, 3, 37, 41)}, Tol: Op,
		Ref: &Ref{"gap", []string{"x"}, "out"}, Bench: []backend.Shape{level0},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.GlobalAvgPool(t[0])) }},
	gapGrad("13x11", Sh(2, 5, 13, 11)),
	gapGrad("1x1", Sh(2, 5, 1, 1)), // planes smaller than a kernel's run of 4 values
	gapGrad("1x3", Sh(2, 5, 1, 3)),

	{Op: "AvgPool2", Name: "avgpool2", In: []Input{unit(2, 3, 14, 22)}, Tol: Op,
		Ref: &Ref{"avgpool2", []string{"x"}, "out"}, Bench: []backend.Shape{image},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.AvgPool2(t[0])) }},
	{Op: "AvgPool2Backward", Backward: true, Name: "avgpool2_backward", In: []Input{unit(2, 3, 7, 11)}, Tol: Op,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.AvgPool2Backward(t[0])) }},

	{Op: "PixelUnshuffle", Name: "unshuffle", In: []Input{unit(2, 3, 10, 14)}, Tol: Exact,
		Ref: &Ref{"unshuffle", []string{"x"}, "out"}, Bench: []backend.Shape{level0},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.PixelUnshuffle(t[0])) }},
	{Op: "PixelShuffle", Name: "shuffle", In: []Input{unit(2, 12, 5, 7)}, Tol: Exact,
		Ref: &Ref{"shuffle", []string{"x"}, "out"}, Bench: []backend.Shape{Sh(1, 128, 128, 128)},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.PixelShuffle(t[0])) }},

	upsample(Sh(2, 3, 5, 7), 2, Op, &Ref{"up2", []string{"x"}, "out"}, []backend.Shape{half}),
	upsample(Sh(1, 2, 4, 3), 3, Op, nil, nil),
	upsample(Sh(2, 2, 3, 5), 4, Op, &Ref{"up4", []string{"x"}, "out"}, nil),
	upsample(Sh(2, 3, 3, 5), 8, Op, &Ref{"up8", []string{"x"}, "out"}, nil),
	upsample(Sh(1, 3, 4, 5), 1, Exact, nil, nil),
	upsampleGrad(Sh(1, 3, 4, 5), 1, Exact),
	upsampleGrad(Sh(2, 3, 10, 14), 2, Op),
	upsampleGrad(Sh(1, 2, 12, 9), 3, Op),
	upsampleGrad(Sh(2, 3, 24, 40), 8, Op),

	{Op: "Concat", Name: "concat", In: []Input{unit(2, 3, 9, 11), unit(2, 5, 9, 11)}, Tol: Exact,
		Ref: &Ref{"concat", []string{"a", "b"}, "out"}, Bench: []backend.Shape{level0, level0},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.Concat(t[0], t[1])) }},
	slice("middle", Sh(2, 8, 5, 7), 2, 7),
	slice("first", Sh(2, 8, 5, 7), 0, 3),

	{Op: "ChannelGate", Name: "gate", In: []Input{unit(2, 5, 9, 7), unit(2, 5, 1, 1)}, Tol: Op,
		Ref: &Ref{"gate", []string{"y", "w"}, "out"}, Bench: []backend.Shape{level0, gate},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.ChannelGate(t[0], t[1])) }},
	{Op: "ChannelGate", Name: "gate/1x3", In: []Input{unit(2, 5, 1, 3), unit(2, 5, 1, 1)}, Tol: Op,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.ChannelGate(t[0], t[1])) }},
	gateGrad("9x7", Sh(2, 5, 9, 7)),
	gateGrad("large", Sh(1, 3, 37, 41)),
	gateGrad("1x3", Sh(2, 5, 1, 3)), // planes smaller than a kernel's run of 4 values

	skff(1, Sh(2, 5, 6, 7), false),
	skff(3, Sh(2, 5, 6, 7), false),
	skff(4, Sh(1, 3, 17, 19), true),
	skff(3, Sh(2, 5, 1, 3), false),
	skffGrad(1, Sh(2, 5, 6, 7)),
	skffGrad(3, Sh(2, 5, 6, 7)),
	skffGrad(4, Sh(1, 3, 17, 19)),
	skffGrad(3, Sh(2, 5, 1, 3)),

	{Op: "Noise", Name: "noise", In: []Input{unit(2, 3, 45, 37)}, Tol: Op,
		Ref: &Ref{"noise", []string{"x0"}, "out"}, Bench: []backend.Shape{image},
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return one(b.Noise(t[0], RefLambda, RefSeed))
		}},
	{Op: "Noise", Name: "noise/pure", In: []Input{unit(1, 1, 50, 41)}, Tol: Op,
		Run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor { return one(b.Noise(t[0], 1, 0xdeadbeef)) }},

	lossMap("unrelated", Sh(2, 3, 21, 27), RefAlpha, nil, &Ref{"lossmap", []string{"x0", "xhat"}, "map"}, []backend.Shape{image, image}),
	lossMap("near", Sh(2, 3, 21, 27), RefAlpha, NearCopy, nil, nil),
	lossMap("smooth", Sh(1, 3, 53, 36), 0.5, func(in [][]float32) { Smooth(in); NearCopy(in) }, nil, nil),
	lossGrad("unrelated", Sh(2, 3, 21, 27), 0.84, 1.0/(2*21*27), nil, []backend.Shape{image, image}),
	lossGrad("near", Sh(2, 3, 21, 27), 0.84, 1, NearCopy, nil),
	lossGrad("smooth", Sh(1, 3, 53, 36), 0.5, 1.0/(53*36), func(in [][]float32) { Smooth(in); NearCopy(in) }, nil),
	lossGrad("tiny", Sh(1, 3, 5, 4), 0.84, 1, nil, nil),
	lossBoth("unrelated", Sh(2, 3, 21, 27), 0.84, 1.0/(2*21*27), nil, []backend.Shape{image, image}),
	lossBoth("near", Sh(2, 3, 21, 27), RefAlpha, 1, NearCopy, nil),
	lossBoth("smooth", Sh(1, 3, 53, 36), 0.5, 1.0/(53*36), func(in [][]float32) { Smooth(in); NearCopy(in) }, nil),
	lossBoth("tiny", Sh(1, 3, 5, 4), 0.84, 1, nil, nil),

	adamw(Sh(2, 5, 7, 9), backend.AdamWParams{LR: 1e-3, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: 1}),
	adamw(Sh(1, 3, 1, 37), backend.AdamWParams{LR: 1e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: 7}),
}
