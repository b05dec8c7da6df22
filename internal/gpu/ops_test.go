//go:build !js

package gpu_test

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// ops is backend.Backend without Conv2D (conv_test.go checks that one).
type ops interface {
	Upload(s backend.Shape, data []float32) backend.Tensor
	Download(t backend.Tensor) ([]float32, error)
	Free(t backend.Tensor)
	Activate(x backend.Tensor, act backend.Activation) backend.Tensor
	Add(a, b backend.Tensor) backend.Tensor
	GlobalAvgPool(x backend.Tensor) backend.Tensor
	AvgPool2(x backend.Tensor) backend.Tensor
	PixelUnshuffle(x backend.Tensor) backend.Tensor
	PixelShuffle(x backend.Tensor) backend.Tensor
	UpsampleBilinear(x backend.Tensor, factor int) backend.Tensor
	Concat(a, b backend.Tensor) backend.Tensor
	ChannelGate(y, w backend.Tensor) backend.Tensor
	SKFFFuse(os, logits []backend.Tensor) backend.Tensor
	Noise(x0 backend.Tensor, lambda float32, seed uint32) backend.Tensor
	LossMap(x0, xhat backend.Tensor, alpha float32) backend.Tensor
}

// opCase is one op on seeded random inputs of the given shapes, uniform in
// [lo, hi), then passed through prep if it is set.
type opCase struct {
	name       string
	in         []backend.Shape
	lo, hi     float32
	prep       func(in [][]float32)
	run        func(b ops, in []backend.Tensor) backend.Tensor
	atol, rtol float64
}

// nearCopy makes in[1] a reconstruction of in[0]: in[0] + in[1]/10, clamped
// to [−1,1], so that the SSIM terms are far from 0.
func nearCopy(in [][]float32) {
	for i, v := range in[0] {
		in[1][i] = min(max(v+in[1][i]/10, -1), 1)
	}
}

// smooth makes in[0] vary slowly (a running mean along the flat index), so
// that the SSIM terms at large σ are not all of noise.
func smooth(in [][]float32) {
	for i := 1; i < len(in[0]); i++ {
		in[0][i] = 0.9*in[0][i-1] + 0.1*in[0][i]*5
	}
}

func sh(n, c, h, w int) backend.Shape { return backend.Shape{N: n, C: c, H: h, W: w} }

// Tolerances: single float32 ops (testutil.OpAtol/OpRtol), and the loss map,
// a float32 chain of 12 passes that the CPU accumulates in float64.
const (
	atol, rtol         = testutil.OpAtol, testutil.OpRtol
	lossAtol, lossRtol = 2e-5, 1e-4
)

// skff fuses m maps of shape s; its inputs are m maps then m logits.
func skff(m int, s backend.Shape) opCase {
	in := make([]backend.Shape, 2*m)
	for i := range m {
		in[i], in[m+i] = s, sh(s.N, s.C, 1, 1)
	}
	return opCase{name: "skff", in: in, lo: -3, hi: 3, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.SKFFFuse(t[:m], t[m:]) }}
}

// cases cover every op but Conv2D on awkward sizes: odd channel counts,
// batch 2, element counts that are not multiples of the workgroup size,
// planes smaller and larger than a workgroup.
var cases = []opCase{
	{name: "linear", in: []backend.Shape{sh(2, 5, 13, 11)}, lo: -2, hi: 2, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.Activate(t[0], backend.Linear) }},
	{name: "relu", in: []backend.Shape{sh(2, 5, 13, 11)}, lo: -2, hi: 2, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.Activate(t[0], backend.ReLU) }},
	{name: "sigmoid", in: []backend.Shape{sh(2, 3, 7, 9)}, lo: -8, hi: 8, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.Activate(t[0], backend.Sigmoid) }},
	{name: "add", in: []backend.Shape{sh(2, 7, 9, 31), sh(2, 7, 9, 31)}, lo: -1, hi: 1, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.Add(t[0], t[1]) }},
	{name: "gap/small", in: []backend.Shape{sh(2, 5, 2, 3)}, lo: -1, hi: 1, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.GlobalAvgPool(t[0]) }},
	{name: "gap/large", in: []backend.Shape{sh(2, 3, 37, 41)}, lo: -1, hi: 1, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.GlobalAvgPool(t[0]) }},
	{name: "avgpool2", in: []backend.Shape{sh(2, 3, 14, 22)}, lo: -1, hi: 1, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.AvgPool2(t[0]) }},
	{name: "unshuffle", in: []backend.Shape{sh(2, 3, 10, 14)}, lo: -1, hi: 1, atol: 0, rtol: 0,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.PixelUnshuffle(t[0]) }},
	{name: "shuffle", in: []backend.Shape{sh(2, 12, 5, 7)}, lo: -1, hi: 1, atol: 0, rtol: 0,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.PixelShuffle(t[0]) }},
	{name: "up2", in: []backend.Shape{sh(2, 3, 5, 7)}, lo: -1, hi: 1, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.UpsampleBilinear(t[0], 2) }},
	{name: "up3", in: []backend.Shape{sh(1, 2, 4, 3)}, lo: -1, hi: 1, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.UpsampleBilinear(t[0], 3) }},
	{name: "up8", in: []backend.Shape{sh(2, 3, 3, 5)}, lo: -1, hi: 1, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.UpsampleBilinear(t[0], 8) }},
	{name: "up1", in: []backend.Shape{sh(1, 3, 4, 5)}, lo: -1, hi: 1, atol: 0, rtol: 0,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.UpsampleBilinear(t[0], 1) }},
	{name: "concat", in: []backend.Shape{sh(2, 3, 9, 11), sh(2, 5, 9, 11)}, lo: -1, hi: 1, atol: 0, rtol: 0,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.Concat(t[0], t[1]) }},
	{name: "gate", in: []backend.Shape{sh(2, 5, 9, 7), sh(2, 5, 1, 1)}, lo: -1, hi: 1, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.ChannelGate(t[0], t[1]) }},
	skff(1, sh(2, 5, 6, 7)),
	skff(3, sh(2, 5, 6, 7)),
	skff(4, sh(1, 3, 17, 19)),
	{name: "noise", in: []backend.Shape{sh(2, 3, 45, 37)}, lo: -1, hi: 1, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.Noise(t[0], 0.3, 12345) }},
	{name: "noise/pure", in: []backend.Shape{sh(1, 1, 50, 41)}, lo: -1, hi: 1, atol: atol, rtol: rtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.Noise(t[0], 1, 0xdeadbeef) }},
	{name: "lossmap/unrelated", in: []backend.Shape{sh(2, 3, 21, 27), sh(2, 3, 21, 27)}, lo: -1, hi: 1, atol: lossAtol, rtol: lossRtol,
		run: func(b ops, t []backend.Tensor) backend.Tensor { return b.LossMap(t[0], t[1], 0.84) }},
	{name: "lossmap/near", in: []backend.Shape{sh(2, 3, 21, 27), sh(2, 3, 21, 27)}, lo: -1, hi: 1, atol: lossAtol, rtol: lossRtol,
		prep: nearCopy,
		run:  func(b ops, t []backend.Tensor) backend.Tensor { return b.LossMap(t[0], t[1], 0.84) }},
	{name: "lossmap/smooth", in: []backend.Shape{sh(1, 3, 53, 36), sh(1, 3, 53, 36)}, lo: -1, hi: 1, atol: lossAtol, rtol: lossRtol,
		prep: func(in [][]float32) { smooth(in); nearCopy(in) },
		run:  func(b ops, t []backend.Tensor) backend.Tensor { return b.LossMap(t[0], t[1], 0.5) }},
}

// runCase runs c on be with the inputs ins and returns the output's shape
// and values; it frees what it allocated.
func runCase(t *testing.T, be ops, c opCase, ins [][]float32) (backend.Shape, []float32) {
	t.Helper()
	ts := make([]backend.Tensor, len(ins))
	for i, v := range ins {
		ts[i] = be.Upload(c.in[i], v)
	}
	out := c.run(be, ts)
	got, err := be.Download(out)
	if err != nil {
		t.Fatalf("%s: download: %v", c.name, err)
	}
	for _, x := range ts {
		be.Free(x)
	}
	s := out.Shape()
	be.Free(out)
	return s, got
}

// TestOps compares every op but Conv2D with the CPU backend.
func TestOps(t *testing.T) {
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ins := make([][]float32, len(c.in))
			for j, s := range c.in {
				ins[j] = testutil.Random(uint64(100*i+j), s.Len(), c.lo, c.hi)
			}
			if c.prep != nil {
				c.prep(ins)
			}
			ws, want := runCase(t, ref, c, ins)
			gs, got := runCase(t, dev, c, ins)
			if gs != ws {
				t.Fatalf("%s: shape %v, want %v", c.name, gs, ws)
			}
			testutil.Close(t, c.name, got, want, c.atol, c.rtol)
			lo, hi := want[0], want[0]
			for _, v := range want {
				lo, hi = min(lo, v), max(hi, v)
			}
			t.Logf("%s: want in [%g, %g], relative error %.2g", c.name, lo, hi, testutil.RelErr(got, want))
		})
	}
}
