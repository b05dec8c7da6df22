package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

var _ backend.Trainer = (*Backend)(nil)

// Gradients are checked against central finite differences of the forward
// ops: for a random output weighting r and a random direction d, the
// directional derivative (F(x+εd) − F(x−εd))/2ε of F(x) = ⟨r, op(x)⟩ must
// match ⟨grad, d⟩ within gradRtol relative error.
const gradRtol = 1e-3

// randTensor returns a seeded tensor of shape s, uniform in [lo, hi).
func randTensor(seed uint64, s backend.Shape, lo, hi float32) *Tensor {
	return &Tensor{S: s, Data: testutil.Random(seed, s.Len(), lo, hi)}
}

// dot is ⟨a, b⟩ in float64.
func dot(a, b []float32) float64 {
	sum := 0.0
	for i := range a {
		sum += float64(a[i]) * float64(b[i])
	}
	return sum
}

// directional returns (f(x+εd) − f(x−εd))/2ε, restoring x afterwards.
func directional(f func() float64, x, d []float32, eps float32) float64 {
	orig := append([]float32(nil), x...)
	defer copy(x, orig)
	for i := range x {
		x[i] = orig[i] + eps*d[i]
	}
	fp := f()
	for i := range x {
		x[i] = orig[i] - eps*d[i]
	}
	fm := f()
	return (fp - fm) / (2 * float64(eps))
}

// relDiff is |got−want| / max(|want|, 1e-12).
func relDiff(got, want float64) float64 {
	return math.Abs(got-want) / max(math.Abs(want), 1e-12)
}

// checkDir fails t when the analytic directional derivative ⟨grad, d⟩ is
// more than rtol off the finite difference fd.
func checkDir(t *testing.T, what string, grad, d []float32, fd, rtol float64) {
	t.Helper()
	got := dot(grad, d)
	t.Logf("%s: relative error %.2g", what, relDiff(got, fd))
	if relDiff(got, fd) > rtol {
		t.Errorf("%s: ⟨grad, d⟩ = %.9g, finite difference %.9g (relative error %.3g > %g)", what, got, fd, relDiff(got, fd), rtol)
	}
}

// TestConv2DBackward checks dx, dw and db against finite differences of
// Conv2D, and that dx and db are nil when not asked for.
func TestConv2DBackward(t *testing.T) {
	be := New()
	for _, c := range []struct {
		n, cin, cout, h, w, k int
		act                   backend.Activation
		bias                  bool
		seed                  uint64 // one whose finite differences cross no ReLU kink
	}{
		{2, 3, 5, 7, 9, 3, backend.Linear, true, 0},
		{2, 3, 5, 7, 9, 3, backend.ReLU, true, 100},
		{2, 3, 5, 7, 9, 3, backend.Sigmoid, false, 20},
		{1, 4, 6, 5, 3, 1, backend.ReLU, true, 130},
		{2, 2, 3, 6, 5, 5, backend.Sigmoid, true, 40},
		{1, 5, 1, 4, 11, 3, backend.Linear, false, 50},
		{3, 37, 5, 1, 1, 1, backend.Sigmoid, true, 60},
	} {
		name := fmt.Sprintf("k%d %d→%d %dx%d batch %d %v bias=%v", c.k, c.cin, c.cout, c.h, c.w, c.n, c.act, c.bias)
		seed := c.seed
		x := randTensor(seed, backend.Shape{N: c.n, C: c.cin, H: c.h, W: c.w}, -1, 1)
		w := randTensor(seed+1, backend.Shape{N: c.cout, C: c.cin, H: c.k, W: c.k}, -0.5, 0.5)
		var bias *Tensor
		var biasT backend.Tensor
		if c.bias {
			bias = randTensor(seed+2, backend.Shape{N: 1, C: c.cout, H: 1, W: 1}, -0.3, 0.3)
			biasT = bias
		}
		y := host(be.Conv2D(x, w, biasT, c.act))
		r := randTensor(seed+3, y.S, -1, 1)
		dx, dw, db := be.Conv2DBackward(x, w, y, r, c.act, c.bias, true)
		if (db != nil) != c.bias {
			t.Errorf("%s: db is %v with hasBias %v", name, db, c.bias)
		}
		if _, _, db2 := be.Conv2DBackward(x, w, y, r, c.act, false, false); db2 != nil {
			t.Errorf("%s: db %v without hasBias", name, db2)
		}
		if dx2, _, _ := be.Conv2DBackward(x, w, y, r, c.act, c.bias, false); dx2 != nil {
			t.Errorf("%s: dx %v without needDX", name, dx2)
		}
		f := func() float64 {
			out := host(be.Conv2D(x, w, biasT, c.act))
			if c.act == backend.ReLU {
				for i, v := range out.Data {
					if (v > 0) != (y.Data[i] > 0) {
						t.Fatalf("%s: the finite difference crosses ReLU's kink at %d: pick another seed", name, i)
					}
				}
			}
			return dot(r.Data, out.Data)
		}
		for j, d := range []struct {
			what string
			x    []float32
			grad backend.Tensor
		}{{"dx", x.Data, dx}, {"dw", w.Data, dw}, {"db", biasData(bias), db}} {
			if d.x == nil {
				continue
			}
			dir := testutil.Random(seed+uint64(4+j), len(d.x), -1, 1)
			// A larger step lowers float32 rounding's share of the
			// difference; ReLU's kinks call for a smaller one.
			eps := float32(1e-2)
			if c.act == backend.ReLU {
				eps = 1e-3
			}
			fd := directional(f, d.x, dir, eps)
			checkDir(t, name+" "+d.what, host(d.grad).Data, dir, fd, gradRtol)
		}
	}
}

// biasData is the bias's data, nil without a bias.
func biasData(b *Tensor) []float32 {
	if b == nil {
		return nil
	}
	return b.Data
}

// TestConv2DBackwardUnflippedFails checks that the finite-difference test
// catches a wrong dx: the transposed weights without the tap flip.
func TestConv2DBackwardUnflippedFails(t *testing.T) {
	be := New()
	x := randTensor(1, backend.Shape{N: 2, C: 3, H: 7, W: 9}, -1, 1)
	w := randTensor(2, backend.Shape{N: 5, C: 3, H: 3, W: 3}, -0.5, 0.5)
	r := randTensor(3, backend.Shape{N: 2, C: 5, H: 7, W: 9}, -1, 1)
	wT := New().flipTranspose(w)
	for i := range wT.Data {
		k := i % 9
		wT.Data[i] = wT.Data[i-k+8-k] // undo the flip
	}
	wrong := host(be.Conv2D(r, wT, nil, backend.Linear))
	dir := testutil.Random(4, len(x.Data), -1, 1)
	fd := directional(func() float64 { return dot(r.Data, host(be.Conv2D(x, w, nil, backend.Linear)).Data) }, x.Data, dir, 1e-3)
	if e := relDiff(dot(wrong.Data, dir), fd); e <= gradRtol {
		t.Errorf("unflipped dx passes the check: relative error %.3g", e)
	}
}

// TestConv2DWeightGrad compares dw with a direct sum, on an input large
// enough that weightGrad splits it into blocks of rows, one of which spans
// two images.
func TestConv2DWeightGrad(t *testing.T) {
	const n, cin, cout, h, w, k = 2, 64, 5, 130, 60, 3
	if rows := colsBudget / (w * cin * k * k); rows >= h || h%rows == 0 {
		t.Fatalf("blocks of %d rows: the test wants more than one per image, one across two images", rows)
	}
	x := randTensor(5, backend.Shape{N: n, C: cin, H: h, W: w}, -1, 1)
	g := randTensor(6, backend.Shape{N: n, C: cout, H: h, W: w}, -1, 1)
	got := New().weightGrad(x, g, k)
	want := weightGradRef(x, g, k)
	testutil.Close(t, "dw", got.Data, want, 1e-3, 1e-4)
}

// TestPoolUpsampleSliceBackward checks the linear ops' backwards against
// finite differences of their forwards.
func TestPoolUpsampleSliceBackward(t *testing.T) {
	be := New()
	s := backend.Shape{N: 2, C: 3, H: 6, W: 10}
	x := randTensor(20, s, -1, 1)
	cases := []struct {
		name string
		fwd  func() backend.Tensor
		bwd  func(r backend.Tensor) backend.Tensor
	}{
		{"GlobalAvgPool", func() backend.Tensor { return be.GlobalAvgPool(x) },
			func(r backend.Tensor) backend.Tensor { return be.GlobalAvgPoolBackward(r, s) }},
		{"AvgPool2", func() backend.Tensor { return be.AvgPool2(x) }, be.AvgPool2Backward},
		{"UpsampleBilinear×2", func() backend.Tensor { return be.UpsampleBilinear(x, 2) },
			func(r backend.Tensor) backend.Tensor { return be.UpsampleBilinearBackward(r, 2) }},
		{"UpsampleBilinear×3", func() backend.Tensor { return be.UpsampleBilinear(x, 3) },
			func(r backend.Tensor) backend.Tensor { return be.UpsampleBilinearBackward(r, 3) }},
		{"UpsampleBilinear×4", func() backend.Tensor { return be.UpsampleBilinear(x, 4) },
			func(r backend.Tensor) backend.Tensor { return be.UpsampleBilinearBackward(r, 4) }},
		{"Concat first", func() backend.Tensor {
			return be.Concat(x, randTensor(21, backend.Shape{N: 2, C: 2, H: 6, W: 10}, -1, 1))
		},
			func(r backend.Tensor) backend.Tensor { return be.SliceChannels(r, 0, 3) }},
		{"Concat second", func() backend.Tensor {
			return be.Concat(randTensor(22, backend.Shape{N: 2, C: 5, H: 6, W: 10}, -1, 1), x)
		},
			func(r backend.Tensor) backend.Tensor { return be.SliceChannels(r, 5, 8) }},
	}
	for i, c := range cases {
		y := host(c.fwd())
		r := randTensor(uint64(30+i), y.S, -1, 1)
		dx := host(c.bwd(r))
		mustSameShape(c.name, dx.S, s)
		dir := testutil.Random(uint64(40+i), s.Len(), -1, 1)
		fd := directional(func() float64 { return dot(r.Data, host(c.fwd()).Data) }, x.Data, dir, 1e-2)
		checkDir(t, c.name, dx.Data, dir, fd, gradRtol)
	}
}

// TestChannelGateBackward checks dy and dw against finite differences of
// ChannelGate.
func TestChannelGateBackward(t *testing.T) {
	be := New()
	y := randTensor(50, backend.Shape{N: 2, C: 5, H: 3, W: 7}, -1, 1)
	w := randTensor(51, backend.Shape{N: 2, C: 5, H: 1, W: 1}, -1, 1)
	r := randTensor(52, y.S, -1, 1)
	dy, dw := be.ChannelGateBackward(y, w, r)
	f := func() float64 { return dot(r.Data, host(be.ChannelGate(y, w)).Data) }
	for i, c := range []struct {
		what string
		x    []float32
		grad backend.Tensor
	}{{"dy", y.Data, dy}, {"dw", w.Data, dw}} {
		dir := testutil.Random(uint64(53+i), len(c.x), -1, 1)
		checkDir(t, "ChannelGate "+c.what, host(c.grad).Data, dir, directional(f, c.x, dir, 1e-2), gradRtol)
	}
}

// TestSKFFFuseBackward checks every dos[i] and dlogits[i] against finite
// differences of SKFFFuse, for two and three branches.
func TestSKFFFuseBackward(t *testing.T) {
	be := New()
	for _, m := range []int{2, 3} {
		s := backend.Shape{N: 2, C: 3, H: 5, W: 4}
		os, logits := make([]backend.Tensor, m), make([]backend.Tensor, m)
		for i := range os {
			os[i] = randTensor(uint64(60+i), s, -1, 1)
			logits[i] = randTensor(uint64(70+i), backend.Shape{N: 2, C: 3, H: 1, W: 1}, -2, 2)
		}
		r := randTensor(80, s, -1, 1)
		dos, dlogits := be.SKFFFuseBackward(os, logits, r)
		f := func() float64 { return dot(r.Data, host(be.SKFFFuse(os, logits)).Data) }
		for i := range os {
			for j, c := range []struct {
				what string
				x    []float32
				grad backend.Tensor
			}{{"dos", host(os[i]).Data, dos[i]}, {"dlogits", host(logits[i]).Data, dlogits[i]}} {
				dir := testutil.Random(uint64(90+10*i+j), len(c.x), -1, 1)
				checkDir(t, fmt.Sprintf("SKFF %d branches %s[%d]", m, c.what, i), host(c.grad).Data, dir, directional(f, c.x, dir, 1e-2), gradRtol)
			}
		}
	}
}

// TestAdamW checks two steps against PyTorch's torch.optim.AdamW in float64
// (lr 0.1, betas (0.5, 0.999), eps 1e-8, weight decay 0.01), printed by
//
//	p = torch.tensor([0.5, -1.25, 2.0, 0.0], dtype=torch.float64, requires_grad=True)
//	opt = torch.optim.AdamW([p], lr=0.1, betas=(0.5, 0.999), eps=1e-8, weight_decay=0.01)
//	for g in ([0.1, -0.2, 0.0, 3.0], [-0.3, 0.05, 1.0, 3.0]):
//	    p.grad = torch.tensor(g, dtype=torch.float64); opt.step()
//	    print(p.tolist(), opt.state[p]["exp_avg"].tolist(), opt.state[p]["exp_avg_sq"].tolist())
func TestAdamW(t *testing.T) {
	be := New()
	s := backend.Shape{N: 1, C: 4, H: 1, W: 1}
	p := be.Upload(s, []float32{0.5, -1.25, 2.0, 0.0})
	m, v := be.Upload(s, make([]float32, 4)), be.Upload(s, make([]float32, 4))
	steps := []struct{ grad, p, m, v []float32 }{
		{[]float32{0.1, -0.2, 0.0, 3.0},
			[]float32{0.399500009999999, -1.1487500049999997, 1.998, -0.09999999966666669},
			[]float32{0.05, -0.1, 0.0, 1.5},
			[]float32{1.0000000000000011e-05, 4.0000000000000044e-05, 0.0, 0.009000000000000008}},
		{[]float32{-0.3, 0.05, 1.0, 3.0},
			[]float32{0.4736211958059722, -1.1247297302747046, 1.9017446703475156, -0.19989999933366598},
			[]float32{-0.125, -0.025, 0.5, 2.25},
			[]float32{9.999000000000008e-05, 4.2460000000000044e-05, 0.0010000000000000009, 0.017991000000000014}},
	}
	for i, st := range steps {
		be.AdamW(p, be.Upload(s, st.grad), m, v, backend.AdamWParams{LR: 0.1, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: i + 1})
		testutil.Close(t, fmt.Sprintf("step %d param", i+1), host(p).Data, st.p, 1e-7, 1e-6)
		testutil.Close(t, fmt.Sprintf("step %d m", i+1), host(m).Data, st.m, 1e-7, 1e-6)
		testutil.Close(t, fmt.Sprintf("step %d v", i+1), host(v).Data, st.v, 1e-10, 1e-6)
	}
}

// gaussTaps64 are backend.GaussianTaps(σ) as float64.
func gaussTaps64(sigma float64) []float64 {
	var t []float64
	for _, v := range backend.GaussianTaps(sigma) {
		t = append(t, float64(v))
	}
	return t
}

// blur2DRef is the plain Gaussian blur of an h×w plane, every tap's index
// clamped into the plane: along x, then along y.
func blur2DRef(src []float64, h, w int, taps []float64) []float64 {
	r := len(taps) / 2
	tmp, out := make([]float64, h*w), make([]float64, h*w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for t, k := range taps {
				tmp[y*w+x] += k * src[y*w+clamp(x+t-r, w)]
			}
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for t, k := range taps {
				out[y*w+x] += k * tmp[clamp(y+t-r, h)*w+x]
			}
		}
	}
	return out
}

// lossMapRef is LossMap in float64, written out directly: x0 and xhat
// (N,3,H,W) → the map (N,1,H,W).
func lossMapRef(x0, xhat []float64, s backend.Shape, alpha float64) []float64 {
	plane := s.H * s.W
	out := make([]float64, s.N*plane)
	last := len(backend.MSSSIMSigmas) - 1
	for n := 0; n < s.N; n++ {
		ms, diff := make([]float64, plane), make([]float64, plane)
		for c := 0; c < s.C; c++ {
			a, b := make([]float64, plane), make([]float64, plane)
			aa, bb, ab := make([]float64, plane), make([]float64, plane), make([]float64, plane)
			for p := range a {
				i := (n*s.C+c)*plane + p
				a[p], b[p] = (x0[i]+1)/2, (xhat[i]+1)/2
				aa[p], bb[p], ab[p] = a[p]*a[p], b[p]*b[p], a[p]*b[p]
				diff[p] += math.Abs(a[p]-b[p]) / float64(s.C)
			}
			prod := make([]float64, plane)
			for p := range prod {
				prod[p] = 1
			}
			for j, sigma := range backend.MSSSIMSigmas {
				t := gaussTaps64(sigma)
				ma, mb := blur2DRef(a, s.H, s.W, t), blur2DRef(b, s.H, s.W, t)
				ea, eb, eab := blur2DRef(aa, s.H, s.W, t), blur2DRef(bb, s.H, s.W, t), blur2DRef(ab, s.H, s.W, t)
				for p := range prod {
					va, vb, cab := ea[p]-ma[p]*ma[p], eb[p]-mb[p]*mb[p], eab[p]-ma[p]*mb[p]
					prod[p] *= (2*cab + backend.SSIMC2) / (va + vb + backend.SSIMC2)
					if j == last {
						prod[p] *= (2*ma[p]*mb[p] + backend.SSIMC1) / (ma[p]*ma[p] + mb[p]*mb[p] + backend.SSIMC1)
					}
				}
			}
			for p := range ms {
				ms[p] += prod[p] / float64(s.C)
			}
		}
		l1 := blur2DRef(diff, s.H, s.W, gaussTaps64(backend.MSSSIMSigmas[last]))
		for p := range ms {
			out[n*plane+p] = alpha*(1-ms[p]) + (1-alpha)*l1[p]
		}
	}
	return out
}

// to64 converts to float64.
func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// sum64 is Σ v.
func sum64(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// TestLossMapRef checks the float64 reference against LossMap, on random
// and on near-identical inputs.
func TestLossMapRef(t *testing.T) {
	be := New()
	s := backend.Shape{N: 2, C: 3, H: 12, W: 13}
	for _, near := range []bool{false, true} {
		x0, xhat := lossInputs(100, s, near)
		want := lossMapRef(to64(x0.Data), to64(xhat.Data), s, 0.84)
		got := host(be.LossMap(x0, xhat, 0.84)).Data
		w32 := make([]float32, len(want))
		for i, v := range want {
			w32[i] = float32(v)
		}
		testutil.Close(t, fmt.Sprintf("LossMap vs float64 reference (near-identical %v)", near), got, w32, 1e-5, 1e-5)
	}
}

// TestBlurTranspose checks, for the float64 reference blur,
// ⟨r, G∗x⟩ = ⟨Gᵀ∗r, x⟩ for every σ on a plane smaller than the largest
// radius, that the blur matches GaussianBlur, and
// that the blur is not its own transpose at the borders (the check catches
// a gradient that uses it as one).
func TestBlurTranspose(t *testing.T) {
	const h, w = 7, 10
	x, r := to64(testutil.Random(110, h*w, 0, 1)), to64(testutil.Random(111, h*w, -1, 1))
	sc := newBlurScratch64(h, w)
	bx, tr := make([]float64, h*w), make([]float64, h*w)
	dotf := func(a, b []float64) float64 {
		s := 0.0
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	for _, sigma := range backend.MSSSIMSigmas {
		taps := gaussTaps64(sigma)
		sc.blur(x, bx, taps)
		ref := GaussianBlur(&Tensor{S: backend.Shape{N: 1, C: 1, H: h, W: w}, Data: testutil.Random(110, h*w, 0, 1)}, sigma, 1)
		for i, v := range ref.Data {
			if math.Abs(float64(v)-bx[i]) > 1e-6 {
				t.Fatalf("σ=%g: blur[%d] = %g, GaussianBlur %g", sigma, i, bx[i], v)
			}
		}
		sc.blurT(r, tr, taps)
		lhs, rhs := dotf(r, bx), dotf(tr, x)
		if relDiff(rhs, lhs) > 1e-12 {
			t.Errorf("σ=%g: ⟨r, G∗x⟩ = %.15g, ⟨Gᵀ∗r, x⟩ = %.15g", sigma, lhs, rhs)
		}
		sc.blur(r, tr, taps)
		if e := relDiff(dotf(tr, x), lhs); e < 1e-3 {
			t.Errorf("σ=%g: the blur passes as its own transpose (relative error %.3g)", sigma, e)
		}
	}
}

// lossInputs returns seeded x0 and xhat of shape s in [−1,1]; with near,
// xhat = x0 ± 5e-3…1e-2 instead.
func lossInputs(seed uint64, s backend.Shape, near bool) (x0, xhat *Tensor) {
	x0, xhat = randTensor(seed, s, -1, 1), randTensor(seed+1, s, -1, 1)
	if near {
		for j, v := range xhat.Data {
			d := 5e-3 + 5e-3*math.Abs(float64(v))
			xhat.Data[j] = x0.Data[j] + float32(math.Copysign(d, float64(v)))
		}
	}
	return x0, xhat
}

// TestLossMapBackward checks the float64 gradient (lossMapBackward64, the
// reference of LossMapBackward: TestLossMap32Against64) per element against central
// differences (ε = 1e-6) of the float64 reference on a small input, and by
// directional derivatives on a larger one whose planes are smaller than the
// σ=8 radius: against the reference (ε = 1e-6, relative error 1e-6) and,
// away from the optimum, against the float64 SSIMMaps (ssimMaps64, ε = 1e-3,
// relative error 1e-2); random and near-identical inputs, several α.
func TestLossMapBackward(t *testing.T) {
	be := New()
	type lossCase struct {
		name  string
		s     backend.Shape
		alpha float32
		near  bool // xhat = x0 ± 5e-3…1e-2
	}
	for i, c := range []lossCase{
		{"random", backend.Shape{N: 2, C: 3, H: 12, W: 13}, 0.84, false},
		{"random ssim only", backend.Shape{N: 2, C: 3, H: 12, W: 13}, 1, false},
		{"random l1 only", backend.Shape{N: 2, C: 3, H: 12, W: 13}, 0, false},
		{"near-identical", backend.Shape{N: 2, C: 3, H: 12, W: 13}, 0.84, true},
		{"tiny", backend.Shape{N: 1, C: 3, H: 5, W: 4}, 0.84, false},
		{"tiny near-identical", backend.Shape{N: 1, C: 3, H: 5, W: 4}, 0.5, true},
	} {
		seed := uint64(200 + 10*i)
		x0, xhat := lossInputs(seed, c.s, c.near)
		scale := 1 / float32(c.s.N*c.s.H*c.s.W)
		grad := host(lossMapBackward64(be, x0, xhat, c.alpha, scale)).Data
		x064, xhat64 := to64(x0.Data), to64(xhat.Data)
		ref := func() float64 {
			return float64(scale) * sum64(lossMapRef(x064, xhat64, c.s, float64(c.alpha)))
		}
		refDir := func(d []float64, eps float64) float64 {
			orig := append([]float64(nil), xhat64...)
			for j := range xhat64 {
				xhat64[j] = orig[j] + eps*d[j]
			}
			fp := ref()
			for j := range xhat64 {
				xhat64[j] = orig[j] - eps*d[j]
			}
			fm := ref()
			copy(xhat64, orig)
			return (fp - fm) / (2 * eps)
		}
		if c.s.Len() <= 60 {
			want := make([]float32, len(grad))
			for j := range want {
				d := make([]float64, len(grad))
				d[j] = 1
				want[j] = float32(refDir(d, 1e-6))
			}
			testutil.Close(t, c.name+" per element", grad, want, 1e-8, 1e-5)
			continue
		}
		// A random direction, one on the border rows and columns only, one
		// on a corner pixel.
		dirs := [][]float32{testutil.Random(seed+2, c.s.Len(), -1, 1), make([]float32, c.s.Len()), make([]float32, c.s.Len())}
		for j := range dirs[1] {
			if y, x := j/c.s.W%c.s.H, j%c.s.W; y == 0 || x == 0 || y == c.s.H-1 || x == c.s.W-1 {
				dirs[1][j] = float32(1 + j%3)
			}
		}
		dirs[2][c.s.W-1] = 1
		for k, d := range dirs {
			// The L1 term has a kink where xhat = x0: a finite difference
			// across it is meaningless, so the direction leaves such
			// elements alone.
			for j := range d {
				if math.Abs(float64(x0.Data[j]-xhat.Data[j])) <= 2*1e-3*math.Abs(float64(d[j])) {
					d[j] = 0
				}
			}
			what := fmt.Sprintf("%s direction %d", c.name, k)
			checkDir(t, what+" vs float64 reference", grad, d, refDir(to64(d), 1e-6), 1e-6)
			if c.near {
				// Near the optimum the derivative (~1e-3) is so small that
				// LossMap's float32 rounding scatters its finite
				// differences by several percent whatever ε.
				continue
			}
			fd := directional(func() float64 {
				ms, l1 := ssimMaps64(x0, xhat, 2)
				sum := 0.0
				for j, v := range ms.Data {
					sum += float64(c.alpha)*(1-float64(v)) + (1-float64(c.alpha))*float64(l1.Data[j])
				}
				return float64(scale) * sum
			}, xhat.Data, d, 1e-3)
			checkDir(t, what+" vs ssimMaps64", grad, d, fd, 1e-2)
		}
	}
}

// TestLossMapBackwardIdentical checks that the gradient vanishes where
// xhat = x0, the loss's minimum (|a−b|' is taken as 0 at 0).
func TestLossMapBackwardIdentical(t *testing.T) {
	x0 := randTensor(300, backend.Shape{N: 2, C: 3, H: 9, W: 14}, -1, 1)
	grad := host(New().LossMapBackward(x0, x0, 0.84, 1)).Data
	testutil.Close(t, "gradient at xhat = x0", grad, make([]float32, len(grad)), 1e-12, 0)
}

// BenchmarkConv2DBackward times the 3×3 64→64 backward at 128² (one image,
// ReLU, bias) beside the forward, reporting GFLOP/s of the 2·Cout·Cin·k²·H·W
// multiply-adds of each product (two with dx, one without).
func BenchmarkConv2DBackward(b *testing.B) {
	be := New()
	x := randTensor(1, backend.Shape{N: 1, C: 64, H: 128, W: 128}, -1, 1)
	w := randTensor(2, backend.Shape{N: 64, C: 64, H: 3, W: 3}, -0.1, 0.1)
	bias := randTensor(3, backend.Shape{N: 1, C: 64, H: 1, W: 1}, -0.1, 0.1)
	y := be.Conv2D(x, w, bias, backend.ReLU)
	dy := randTensor(4, y.Shape(), -1, 1)
	flops := 2.0 * 64 * 64 * 9 * 128 * 128
	report := func(b *testing.B, products float64) {
		b.ReportMetric(products*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			be.Conv2D(x, w, bias, backend.ReLU)
		}
		report(b, 1)
	})
	b.Run("dw,db", func(b *testing.B) {
		for b.Loop() {
			be.Conv2DBackward(x, w, y, dy, backend.ReLU, true, false)
		}
		report(b, 1)
	})
	b.Run("dx,dw,db", func(b *testing.B) {
		for b.Loop() {
			be.Conv2DBackward(x, w, y, dy, backend.ReLU, true, true)
		}
		report(b, 2)
	})
}

// BenchmarkLossMapBackward times the loss map's gradient for one 256×256
// image.
func BenchmarkLossMapBackward(b *testing.B) {
	s := backend.Shape{N: 1, C: 3, H: 256, W: 256}
	be := New()
	x0, xhat := randTensor(1, s, -1, 1), randTensor(2, s, -1, 1)
	for b.Loop() {
		be.LossMapBackward(x0, xhat, 0.84, 1/float32(s.H*s.W))
	}
}
