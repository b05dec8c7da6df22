//go:build !js

package gpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// input is one seeded random input of a backward case, uniform in [lo, hi).
type input struct {
	s      backend.Shape
	lo, hi float32
}

// unit is an input uniform in [−1, 1).
func unit(n, c, h, w int) input { return input{sh(n, c, h, w), -1, 1} }

// gradCase runs one Trainer op on seeded random inputs (passed through prep
// if it is set) and returns its outputs in a fixed order; a nil output (an
// absent gradient) must be nil on both backends. Outputs compare by
// |ref−got| ≤ atol + rtol·|ref| (atol times the largest |ref| where
// scaleAtol is set) and, where relErr is set, by the normalised error
// ‖got−ref‖/‖ref‖ ≤ relErr as well.
type gradCase struct {
	name       string
	in         []input
	prep       func(in [][]float32)
	run        func(b backend.Trainer, in []backend.Tensor) []backend.Tensor
	atol, rtol float64
	scaleAtol  bool
	relErr     float64
}

// Tolerances: elementwise ops and gathers of a few terms are single float32
// ops; reductions (weight, bias, gate and SKFF weight gradients, the loss
// map's gradient) sum hundreds to thousands of terms in a different order
// from the CPU's, so they also bound the normalised error.
const (
	reduceAtol, reduceRtol = 1e-4, 1e-3
	reduceRel              = 1e-5
	lossGradRel            = 2e-5
)

// conv is the case of Conv2DBackward for x (N,Cin,H,W) and cout outputs of a
// k×k kernel; y is uniform in [0,1) for a sigmoid (its output range) and in
// [−1,1) otherwise, so that ReLU's mask is random.
func conv(x backend.Shape, cout, k int, act backend.Activation, hasBias, needDX bool) gradCase {
	ys := sh(x.N, cout, x.H, x.W)
	y := input{ys, -1, 1}
	if act == backend.Sigmoid {
		y.lo = 0
	}
	return gradCase{
		name: fmt.Sprintf("conv%d/%v/%v/bias=%v/dx=%v", k, x, act, hasBias, needDX),
		in:   []input{{x, -1, 1}, {sh(cout, x.C, k, k), -1, 1}, y, {ys, -1, 1}},
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			dx, dw, db := b.Conv2DBackward(t[0], t[1], t[2], t[3], act, hasBias, needDX)
			return []backend.Tensor{dx, dw, db}
		},
		atol: reduceAtol, rtol: reduceRtol, relErr: reduceRel,
	}
}

// skffGrad is the case of SKFFFuseBackward over m maps of shape s: inputs
// are m maps, m logits, then dOut; outputs m dos then m dlogits.
func skffGrad(m int, s backend.Shape) gradCase {
	ins := make([]input, 2*m+1)
	for i := range m {
		ins[i], ins[m+i] = input{s, -1, 1}, input{sh(s.N, s.C, 1, 1), -3, 3}
	}
	ins[2*m] = input{s, -1, 1}
	return gradCase{name: fmt.Sprintf("skff/%d/%v", m, s), in: ins,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			dos, dl := b.SKFFFuseBackward(t[:m], t[m:2*m], t[2*m])
			return append(dos, dl...)
		},
		atol: reduceAtol, rtol: reduceRtol, relErr: reduceRel}
}

// adamw is the case of one AdamW step: inputs param, grad, m, v (v ≥ 0);
// outputs the updated param, m and v.
func adamw(s backend.Shape, h backend.AdamWParams) gradCase {
	return gradCase{name: fmt.Sprintf("adamw/step%d", h.Step),
		in: []input{unit(s.N, s.C, s.H, s.W), unit(s.N, s.C, s.H, s.W), {s, -0.1, 0.1}, {s, 0, 0.01}},
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			b.AdamW(t[0], t[1], t[2], t[3], h)
			return []backend.Tensor{t[0], t[2], t[3]}
		},
		atol: atol, rtol: rtol}
}

// lossGrad is the case of LossMapBackward on x0, xhat (N,3,H,W); gradients
// are compared by normalised error and elementwise with atol relative to
// the largest |ref| (the gradient's magnitude follows scale).
func lossGrad(name string, s backend.Shape, alpha, scale float32, prep func(in [][]float32)) gradCase {
	return gradCase{name: "lossmap/" + name, in: []input{{s, -1, 1}, {s, -1, 1}}, prep: prep,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.LossMapBackward(t[0], t[1], alpha, scale)}
		},
		atol: 1e-4, rtol: 1e-3, scaleAtol: true, relErr: lossGradRel}
}

// gradCases cover every Trainer op on awkward sizes: batch 2, odd channel
// counts, planes and element counts that are not multiples of the
// workgroup size, reductions longer than a workgroup.
var gradCases = []gradCase{
	conv(sh(2, 5, 13, 11), 7, 3, backend.ReLU, true, true),
	conv(sh(1, 3, 9, 70), 4, 3, backend.Sigmoid, false, true),
	conv(sh(2, 3, 40, 37), 5, 3, backend.Linear, true, false),
	conv(sh(2, 9, 7, 5), 6, 1, backend.ReLU, true, true),
	conv(sh(2, 37, 1, 1), 5, 1, backend.Sigmoid, true, true),
	conv(sh(2, 6, 1, 1), 37, 1, backend.ReLU, false, true),
	conv(sh(2, 3, 8, 9), 4, 5, backend.Linear, true, true),
	// The chunked weight gradients (conv_dw3x3, conv_dw1x1): one chunk
	// written directly; bands of 8 rows, the last one short; groups of 2
	// strips, the last one a single, partial strip, in bands of 32 rows;
	// 1×1 chunks of 2 runs, the last one short; channel counts that are not
	// multiples of the tiles throughout.
	conv(sh(1, 5, 1, 7), 6, 3, backend.ReLU, true, true),
	conv(sh(1, 5, 2, 3), 7, 1, backend.Linear, false, false),
	conv(sh(2, 37, 61, 20), 33, 3, backend.Linear, false, false),
	conv(sh(1, 61, 40, 115), 63, 3, backend.Linear, false, false),
	conv(sh(2, 70, 25, 27), 66, 1, backend.Linear, false, false),
	{name: "gap", in: []input{unit(2, 5, 1, 1)}, atol: atol, rtol: rtol,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.GlobalAvgPoolBackward(t[0], sh(2, 5, 13, 11))}
		}},
	// planes smaller than a kernel's run of 4 values
	{name: "gap/1x1", in: []input{unit(2, 5, 1, 1)}, atol: atol, rtol: rtol,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.GlobalAvgPoolBackward(t[0], sh(2, 5, 1, 1))}
		}},
	{name: "gap/1x3", in: []input{unit(2, 5, 1, 1)}, atol: atol, rtol: rtol,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.GlobalAvgPoolBackward(t[0], sh(2, 5, 1, 3))}
		}},
	{name: "avgpool2", in: []input{unit(2, 3, 7, 11)}, atol: atol, rtol: rtol,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.AvgPool2Backward(t[0])}
		}},
	{name: "up1", in: []input{unit(1, 3, 4, 5)}, atol: 0, rtol: 0,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.UpsampleBilinearBackward(t[0], 1)}
		}},
	{name: "up2", in: []input{unit(2, 3, 10, 14)}, atol: atol, rtol: rtol,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.UpsampleBilinearBackward(t[0], 2)}
		}},
	{name: "up3", in: []input{unit(1, 2, 12, 9)}, atol: atol, rtol: rtol,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.UpsampleBilinearBackward(t[0], 3)}
		}},
	{name: "up8", in: []input{unit(2, 3, 24, 40)}, atol: atol, rtol: rtol,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.UpsampleBilinearBackward(t[0], 8)}
		}},
	{name: "slice/middle", in: []input{unit(2, 8, 5, 7)}, atol: 0, rtol: 0,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.SliceChannels(t[0], 2, 7)}
		}},
	{name: "slice/first", in: []input{unit(2, 8, 5, 7)}, atol: 0, rtol: 0,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			return []backend.Tensor{b.SliceChannels(t[0], 0, 3)}
		}},
	{name: "gate", in: []input{unit(2, 5, 9, 7), unit(2, 5, 1, 1), unit(2, 5, 9, 7)},
		atol: reduceAtol, rtol: reduceRtol, relErr: reduceRel,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			dy, dw := b.ChannelGateBackward(t[0], t[1], t[2])
			return []backend.Tensor{dy, dw}
		}},
	{name: "gate/large", in: []input{unit(1, 3, 37, 41), unit(1, 3, 1, 1), unit(1, 3, 37, 41)},
		atol: reduceAtol, rtol: reduceRtol, relErr: reduceRel,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			dy, dw := b.ChannelGateBackward(t[0], t[1], t[2])
			return []backend.Tensor{dy, dw}
		}},
	skffGrad(1, sh(2, 5, 6, 7)),
	skffGrad(3, sh(2, 5, 6, 7)),
	skffGrad(4, sh(1, 3, 17, 19)),
	// planes smaller than a kernel's run of 4 values
	{name: "gate/1x3", in: []input{unit(2, 5, 1, 3), unit(2, 5, 1, 1), unit(2, 5, 1, 3)},
		atol: reduceAtol, rtol: reduceRtol, relErr: reduceRel,
		run: func(b backend.Trainer, t []backend.Tensor) []backend.Tensor {
			dy, dw := b.ChannelGateBackward(t[0], t[1], t[2])
			return []backend.Tensor{dy, dw}
		}},
	skffGrad(3, sh(2, 5, 1, 3)),
	adamw(sh(2, 5, 7, 9), backend.AdamWParams{LR: 1e-3, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: 1}),
	adamw(sh(1, 3, 1, 37), backend.AdamWParams{LR: 1e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: 7}),
	lossGrad("unrelated", sh(2, 3, 21, 27), 0.84, 1.0/(2*21*27), nil),
	lossGrad("near", sh(2, 3, 21, 27), 0.84, 1, nearCopy),
	lossGrad("smooth", sh(1, 3, 53, 36), 0.5, 1.0/(53*36), func(in [][]float32) { smooth(in); nearCopy(in) }),
	lossGrad("tiny", sh(1, 3, 5, 4), 0.84, 1, nil),
}

// runGrad runs c on be with the inputs ins and returns its outputs' shapes
// and values (nil for an absent output); it frees what it allocated.
func runGrad(t *testing.T, be backend.Trainer, c gradCase, ins [][]float32) ([]backend.Shape, [][]float32) {
	t.Helper()
	ts := make([]backend.Tensor, len(ins))
	for i, v := range ins {
		ts[i] = be.Upload(c.in[i].s, v)
	}
	outs := c.run(be, ts)
	shapes := make([]backend.Shape, len(outs))
	vals := make([][]float32, len(outs))
	for i, o := range outs {
		if o == nil {
			continue
		}
		shapes[i] = o.Shape()
		vals[i] = testutil.Download(t, be, o)
	}
	freed := map[backend.Tensor]bool{}
	for _, x := range append(ts, outs...) {
		if x != nil && !freed[x] {
			freed[x] = true
			be.Free(x)
		}
	}
	return shapes, vals
}

// TestBackward compares every Trainer op with the CPU backend.
func TestBackward(t *testing.T) {
	for i, c := range gradCases {
		t.Run(c.name, func(t *testing.T) {
			ins := make([][]float32, len(c.in))
			for j, x := range c.in {
				ins[j] = testutil.Random(uint64(1000+100*i+j), x.s.Len(), x.lo, x.hi)
			}
			if c.prep != nil {
				c.prep(ins)
			}
			ws, want := runGrad(t, ref, c, ins)
			gs, got := runGrad(t, dev, c, ins)
			for k := range want {
				what := fmt.Sprintf("%s output %d", c.name, k)
				if (want[k] == nil) != (got[k] == nil) {
					t.Fatalf("%s: nil on one backend only (cpu %v, gpu %v)", what, want[k] == nil, got[k] == nil)
				}
				if want[k] == nil {
					continue
				}
				if gs[k] != ws[k] {
					t.Fatalf("%s: shape %v, want %v", what, gs[k], ws[k])
				}
				a := c.atol
				if c.scaleAtol {
					a *= maxAbs(want[k])
				}
				testutil.Close(t, what, got[k], want[k], a, c.rtol)
				e := testutil.RelErr(got[k], want[k])
				if c.relErr > 0 && e > c.relErr {
					t.Errorf("%s: normalised error %.3g > %g", what, e, c.relErr)
				}
				t.Logf("%s: max |want| %.3g, normalised error %.2g", what, maxAbs(want[k]), e)
			}
		})
	}
}

// TestFoldedBackward reruns the backward cases with the per-dimension
// workgroup limit lowered to 3, so that every grid (the reductions' one
// workgroup per output included) is folded into (x, y).
func TestFoldedBackward(t *testing.T) {
	defer dev.LimitGroupsPerDim(3)()
	TestBackward(t)
}

// maxAbs is the largest |v[i]|.
func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(float64(x)))
	}
	return m
}

// TestLossMapBackwardFiniteDiff checks the GPU's loss-map gradient against a
// central finite difference of the CPU's forward map, independently of the
// CPU's backward: ⟨grad, d⟩ ≈ (f(xhat + εd) − f(xhat − εd))/2ε for
// f = scale·Σ LossMap (summed in float64) along random directions d that
// are 0 wherever |x0 − xhat| ≤ 2ε, so that no step crosses the kink of the
// L1 term's |a − b| (where a finite difference is not a derivative).
func TestLossMapBackwardFiniteDiff(t *testing.T) {
	const (
		eps    = 3e-3
		tol    = 3e-3
		trials = 2
	)
	s := sh(2, 3, 13, 17)
	for _, c := range []struct {
		name  string
		alpha float32
		prep  func(in [][]float32)
	}{
		{"unrelated", 0.84, nil},
		{"near", 0.84, nearCopy},
		{"ssim", 1, nearCopy},
		{"l1", 0, nearCopy},
	} {
		t.Run(c.name, func(t *testing.T) {
			x0, xhat := testutil.Random(1, s.Len(), -1, 1), testutil.Random(2, s.Len(), -1, 1)
			if c.prep != nil {
				c.prep([][]float32{x0, xhat})
			}
			f := func(v []float32) float64 {
				a, b := ref.Upload(s, x0), ref.Upload(s, v)
				m := ref.LossMap(a, b, c.alpha)
				sum := 0.0
				for _, x := range testutil.Download(t, ref, m) {
					sum += float64(x)
				}
				ref.Free(a)
				ref.Free(b)
				ref.Free(m)
				return sum
			}
			a, b := dev.Upload(s, x0), dev.Upload(s, xhat)
			g := dev.LossMapBackward(a, b, c.alpha, 1)
			grad := testutil.Download(t, dev, g)
			dev.Free(a)
			dev.Free(b)
			dev.Free(g)
			for trial := range trials {
				d := testutil.Random(uint64(10+trial), s.Len(), -1, 1)
				plus, minus := make([]float32, len(d)), make([]float32, len(d))
				dot := 0.0
				for i := range d {
					if math.Abs(float64(x0[i]-xhat[i])) <= 2*eps {
						d[i] = 0
					}
					plus[i], minus[i] = xhat[i]+eps*d[i], xhat[i]-eps*d[i]
					dot += float64(grad[i]) * float64(d[i])
				}
				fd := (f(plus) - f(minus)) / (2 * eps)
				e := math.Abs(dot-fd) / math.Abs(fd)
				if e > tol {
					t.Errorf("direction %d: ⟨grad, d⟩ = %.7g, finite difference %.7g (relative error %.2g > %g)", trial, dot, fd, e, tol)
				}
				t.Logf("direction %d: ⟨grad, d⟩ = %.7g, finite difference %.7g (relative error %.2g)", trial, dot, fd, e)
			}
		})
	}
}

// BenchmarkConv2DBackward times Conv2DBackward (N = 1, ReLU, bias, dx) on
// the network's shapes at wf = 32, S = 256 and reports GFLOP/s, counting the
// weight gradient and the input gradient as one convolution each (a
// multiply-add as two FLOPs). The b.N backward passes are recorded back to
// back and the time runs until the last dw is read back.
func BenchmarkConv2DBackward(b *testing.B) {
	for _, c := range []struct {
		cin, cout, size, k int
	}{
		{32, 32, 256, 3}, // Block(C_0)
		{64, 64, 128, 3}, // Block(C_1)
		{64, 32, 256, 1}, // RAM(2C_0 → C_0) projection
		{64, 8, 1, 1},    // RAM(C_1) attention fc1
	} {
		b.Run(fmt.Sprintf("%dto%d/%dx%d/k%d", c.cin, c.cout, c.size, c.size, c.k), func(b *testing.B) {
			xs := sh(1, c.cin, c.size, c.size)
			ys := sh(1, c.cout, c.size, c.size)
			ws := sh(c.cout, c.cin, c.k, c.k)
			x := dev.Upload(xs, testutil.Random(1, xs.Len(), -1, 1))
			w := dev.Upload(ws, testutil.Random(2, ws.Len(), -0.1, 0.1))
			y := dev.Upload(ys, testutil.Random(3, ys.Len(), -1, 1))
			dy := dev.Upload(ys, testutil.Random(4, ys.Len(), -1, 1))
			run := func() (dx, dw, db backend.Tensor) {
				return dev.Conv2DBackward(x, w, y, dy, backend.ReLU, true, true)
			}
			dx, dw, db := run()
			if _, err := dev.Download(dw); err != nil { // compiles the kernels
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				for _, t := range []backend.Tensor{dx, dw, db} {
					dev.Free(t)
				}
				dx, dw, db = run()
			}
			if _, err := dev.Download(dw); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			flop := 2 * 2 * float64(xs.Len()) * float64(c.cout*c.k*c.k)
			b.ReportMetric(flop*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			for _, t := range []backend.Tensor{x, w, y, dy, dx, dw, db} {
				dev.Free(t)
			}
		})
	}
}
