package safetensors

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// float16Value is binary16's definition, in float64: (−1)^s·2^(e−15)·(1 +
// m/1024) for a normal number, (−1)^s·2^−14·m/1024 for a subnormal.
func float16Value(h uint16) float64 {
	s, e, m := h>>15, int(h>>10)&0x1f, float64(h&0x3ff)
	v := math.Ldexp(m/1024, -14)
	if e > 0 {
		v = math.Ldexp(1+m/1024, e-15)
	}
	if s == 1 {
		v = -v
	}
	return v
}

func TestFloat16Exhaustive(t *testing.T) {
	for b := range 1 << 16 {
		h := uint16(b)
		v, ok := float16ToFloat32(h)
		if finite := h&0x7c00 != 0x7c00; ok != finite {
			t.Fatalf("float16ToFloat32(%#04x): ok %t, want %t", h, ok, finite)
		}
		if !ok {
			continue
		}
		if want := float16Value(h); float64(v) != want || math.Signbit(float64(v)) != (h>>15 == 1) {
			t.Fatalf("float16ToFloat32(%#04x) = %g, want %g", h, v, want)
		}
		back, ok := float32ToFloat16(v)
		if !ok || back != h {
			t.Fatalf("float32ToFloat16(%g) = %#04x, %t; want %#04x, the bits it came from", v, back, ok, h)
		}
	}
}

// nearestFloat16 is a slow reference: the finite binary16 nearest to v, by
// search in the sorted list of every non-negative finite binary16 value,
// ties to the even bit pattern; ok is false when v is at least 65520 in
// magnitude (halfway to 2¹⁶, which rounds up out of range).
func nearestFloat16(positive []float64, v float32) (uint16, bool) {
	a := math.Abs(float64(v))
	if a >= 65520 {
		return 0, false
	}
	i, _ := slices.BinarySearch(positive, a) // positive[i−1] < a ≤ positive[i]
	best := uint16(min(i, len(positive)-1))  // past 65504 (and below 65520): 65504
	if i > 0 && i < len(positive) {
		lo, hi := a-positive[i-1], positive[i]-a
		if lo < hi || (lo == hi && (i-1)&1 == 0) {
			best = uint16(i - 1)
		}
	}
	if math.Signbit(float64(v)) {
		best |= 0x8000
	}
	return best, true
}

func TestFloat16Rounding(t *testing.T) {
	positive := make([]float64, 0x7c00) // index = bit pattern, increasing with it
	for h := range positive {
		positive[h] = float16Value(uint16(h))
	}
	var inputs []float32
	// Every midpoint between neighbours and the float32s either side of it.
	for h := 0; h+1 < len(positive); h++ {
		mid := float32((positive[h] + positive[h+1]) / 2) // exact: one more bit than binary16
		inputs = append(inputs, mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, 1e9), -mid)
	}
	// Random values of every exponent from far below the subnormals to past the range.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		v := float32(math.Ldexp(rng.Float64(), rng.IntN(50)-40))
		if rng.IntN(2) == 0 {
			v = -v
		}
		inputs = append(inputs, v)
	}
	inputs = append(inputs, 0, float32(math.Copysign(0, -1)), 65504, 65519.996, 65520, -65520, 1e-30, math.SmallestNonzeroFloat32, math.MaxFloat32)
	for _, v := range inputs {
		want, wantOK := nearestFloat16(positive, v)
		got, ok := float32ToFloat16(v)
		if ok != wantOK || (ok && got != want) {
			t.Fatalf("float32ToFloat16(%g (%#08x)) = %#04x, %t; want %#04x, %t", v, math.Float32bits(v), got, ok, want, wantOK)
		}
	}
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		if _, ok := float32ToFloat16(v); ok {
			t.Errorf("float32ToFloat16(%g): ok, want a refusal", v)
		}
	}
}

func TestBfloat16(t *testing.T) {
	for b := range 1 << 16 {
		h := uint16(b)
		v, ok := bfloat16ToFloat32(h)
		if finite := h&0x7f80 != 0x7f80; ok != finite {
			t.Fatalf("bfloat16ToFloat32(%#04x): ok %t, want %t", h, ok, finite)
		}
		if !ok {
			continue
		}
		if back, ok := float32ToBfloat16(v); !ok || back != h {
			t.Fatalf("float32ToBfloat16(%g) = %#04x, %t; want %#04x", v, back, ok, h)
		}
	}
	// Rounding: the nearer of the two bfloat16s around v (truncation and the
	// next one up in magnitude), ties to the even one, computed in float64.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		bits := rng.Uint32() &^ 0x7f800000
		bits |= uint32(rng.IntN(0xff)) << 23 // any finite exponent
		if rng.IntN(8) == 0 {
			bits = bits&0xffff0000 | 0x8000 // an exact tie
		}
		v := math.Float32frombits(bits)
		lo := bits &^ 0xffff
		down, up := float64(math.Float32frombits(lo)), float64(math.Float32frombits(lo+0x10000))
		if math.IsInf(up, 0) { // the value one bfloat16 step past the largest
			up = math.Copysign(0x1p128, up)
		}
		a := float64(v)
		want := uint16(lo >> 16)
		if d, u := math.Abs(a-down), math.Abs(up-a); u < d || (u == d && want&1 == 1) {
			want++
		}
		got, ok := float32ToBfloat16(v)
		if wantOK := want&0x7f80 != 0x7f80; ok != wantOK || (ok && got != want) {
			t.Fatalf("float32ToBfloat16(%g (%#08x)) = %#04x, %t; want %#04x, %t", v, bits, got, ok, want, wantOK)
		}
	}
}

func TestHalfPrecisionRoundTrip(t *testing.T) {
	in := []float32{0, 1, -1, 1.0 / 3, 3.14159265, 65504, -0.000061035156, 1e-6, 1e-9, 12345.678}
	f := &File{Tensors: map[string]Tensor{
		"f16":  {Shape: []int{len(in)}, Data: in, DType: F16},
		"bf16": {Shape: []int{2, 5}, Data: in, DType: BF16},
		"f32":  {Shape: []int{len(in)}, Data: in},
	}}
	var buf bytes.Buffer
	if err := Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	header := binary8(buf.Bytes())
	if got, want := buf.Len()-8-header, 2*len(in)+2*len(in)+4*len(in); got != want {
		t.Errorf("data section is %d bytes, want %d (2 per F16/BF16 value, 4 per F32)", got, want)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for name, tensor := range got.Tensors {
		if tensor.DType != f.Tensors[name].DType {
			t.Errorf("%s: read back as %s, written as %s", name, tensor.DType, f.Tensors[name].DType)
		}
		for i, v := range tensor.Data {
			var want float32
			switch tensor.DType {
			case F32:
				want = in[i]
			case F16:
				h, _ := float32ToFloat16(in[i])
				want, _ = float16ToFloat32(h)
			case BF16:
				h, _ := float32ToBfloat16(in[i])
				want, _ = bfloat16ToFloat32(h)
			}
			if v != want {
				t.Errorf("%s[%d]: read %g, want %g (%g rounded)", name, i, v, want, in[i])
			}
		}
	}
	// The rounding error is within half an ulp: 2⁻¹¹ relative for normal
	// F16 values, 2⁻²⁵ absolute for subnormal ones, 2⁻⁸ relative for BF16.
	for i, v := range got.Tensors["f16"].Data {
		if err := math.Abs(float64(v - in[i])); err > math.Max(math.Abs(float64(in[i]))*0x1p-11, 0x1p-25) {
			t.Errorf("f16[%d]: %g for %g, error %g", i, v, in[i], err)
		}
	}
	for i, v := range got.Tensors["bf16"].Data {
		if err := math.Abs(float64(v - in[i])); err > math.Abs(float64(in[i]))*0x1p-8 {
			t.Errorf("bf16[%d]: %g for %g, error %g", i, v, in[i], err)
		}
	}
}

// binary8 is the header length a file image starts with.
func binary8(b []byte) int {
	n := 0
	for i := 7; i >= 0; i-- {
		n = n<<8 | int(b[i])
	}
	return n
}

// TestPyTorchHalf compares the conversions with PyTorch's x.half() and
// x.bfloat16() (testdata/make_half.py): reading the F16/BF16 tensors gives
// PyTorch's values, and writing x as F16/BF16 gives PyTorch's bytes.
func TestPyTorchHalf(t *testing.T) {
	f, err := ReadFile("testdata/half.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	x := f.Tensors["x"]
	for _, c := range []struct {
		name  string
		dtype DType
	}{{"x_f16", F16}, {"x_bf16", BF16}} {
		ref := f.Tensors[c.name]
		if ref.DType != c.dtype || len(ref.Data) != len(x.Data) || len(x.Data) < 8000 {
			t.Fatalf("%s: %s with %d values, x has %d; want %s and the same count", c.name, ref.DType, len(ref.Data), len(x.Data), c.dtype)
		}
		var buf bytes.Buffer
		if err := Write(&buf, &File{Tensors: map[string]Tensor{"x": {Shape: x.Shape, Data: x.Data, DType: c.dtype}}}); err != nil {
			t.Fatal(err)
		}
		mine, err := Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range ref.Data {
			got := mine.Tensors["x"].Data[i]
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("%s: x[%d] = %g (%#08x) rounds to %g here, PyTorch %g", c.name, i, x.Data[i], math.Float32bits(x.Data[i]), got, want)
			}
		}
	}
}
