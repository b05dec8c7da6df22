package cpu

import "github.com/noise2norm/noise2norm/internal/backend"

// BilinearTap is PyTorch's align_corners=False source position for output
// index o of an upsampling by factor f over an axis of n inputs: the two
// neighbours i0, i1 and the weight l1 of i1.
func BilinearTap(o, f, n int) (i0, i1 int, l1 float32) {
	src := (float32(o)+0.5)/float32(f) - 0.5
	if src < 0 {
		src = 0
	}
	i0 = int(src)
	i1 = i0
	if i0 < n-1 {
		i1 = i0 + 1
	}
	return i0, i1, src - float32(i0)
}

// UpsampleBilinear: (N,C,H,W) → (N,C,f·H,f·W), PyTorch
// interpolate(mode="bilinear", align_corners=False).
func (b *Backend) UpsampleBilinear(x backend.Tensor, f int) backend.Tensor {
	in := host(x)
	s := in.S
	os := backend.UpsampleShape(s, f)
	out := b.alloc(os)
	// The column taps are the same for every row and plane.
	taps := newRowTaps(f, s.W)
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		rows := b.scratch(s.H * os.W)
		defer b.release(rows)
		for nc := lo; nc < hi; nc++ {
			src := in.Data[nc*s.H*s.W : (nc+1)*s.H*s.W]
			upsamplePlane(out.Data[nc*os.H*os.W:(nc+1)*os.H*os.W], src, rows, s.H, s.W, f, taps)
		}
	})
	return out
}

// upsamplePlane writes the bilinear upsampling by f of the plane src (h×w)
// into dst (f·h×f·w), with rows (h×f·w) as scratch and taps made by
// newRowTaps(f, w): each input row is interpolated along x once (into rows)
// and each output row blends two of those, in the order of the formula
// (1−ly)·((1−lx)·a + lx·b) + ly·((1−lx)·c + lx·d).
func upsamplePlane(dst, src, rows []float32, h, w, f int, taps *rowTaps) {
	ow := f * w
	for y := 0; y < h; y++ {
		upsampleRow(rows[y*ow:(y+1)*ow], src[y*w:(y+1)*w], taps)
	}
	for oy := 0; oy < f*h; oy++ {
		y0, y1, ly := BilinearTap(oy, f, h)
		lerp(dst[oy*ow:(oy+1)*ow], rows[y0*ow:(y0+1)*ow], rows[y1*ow:(y1+1)*ow], 1-ly, ly)
	}
}

// rowTaps are the column taps of an upsampling by f of rows of w values:
// output column ox is (1−lx[ox])·row[x0[ox]] + lx[ox]·row[x1[ox]].
type rowTaps struct {
	x0, x1 []int
	lx     []float32
	// Where f (≥ 2) divides 8, the taps of a block of 8 output columns
	// [8k, 8k+8) are those of another block shifted by k·8/f inputs, away
	// from the edges. For the blocks k in [k0, k1), checked to be so, the
	// block's 8 inputs from k·step−1 on hold both taps of every column:
	// lane l is a[l]·in[idx0[l]] + b[l]·in[idx1[l]] (idx relative to
	// k·step−1, a = 1−lx, b = lx). Outside [k0, k1), or with k0 = k1, the
	// columns are computed one by one.
	k0, k1, step int
	idx0, idx1   [8]int32
	a, b         [8]float32
}

// newRowTaps returns the taps of an upsampling by f of rows of w values.
func newRowTaps(f, w int) *rowTaps {
	ow := f * w
	tp := &rowTaps{x0: make([]int, ow), x1: make([]int, ow), lx: make([]float32, ow)}
	for ox := range ow {
		tp.x0[ox], tp.x1[ox], tp.lx[ox] = BilinearTap(ox, f, w)
	}
	if f < 2 || 8%f != 0 || ow < 16 {
		return tp
	}
	tp.step = 8 / f
	// block 1's taps, relative to its first input step−1
	for l := range 8 {
		ox := 8 + l
		tp.idx0[l], tp.idx1[l] = int32(tp.x0[ox]-(tp.step-1)), int32(tp.x1[ox]-(tp.step-1))
		tp.a[l], tp.b[l] = 1-tp.lx[ox], tp.lx[ox]
	}
	// same returns whether block k's taps are block 1's, shifted.
	same := func(k int) bool {
		base := k*tp.step - 1
		if base < 0 || base+8 > w || 8*k+8 > ow {
			return false
		}
		for l := range 8 {
			ox := 8*k + l
			i0, i1 := tp.x0[ox]-base, tp.x1[ox]-base
			if i0 < 0 || i1 >= 8 || int32(i0) != tp.idx0[l] || int32(i1) != tp.idx1[l] || tp.lx[ox] != tp.b[l] {
				return false
			}
		}
		return true
	}
	k := 1
	for same(k) {
		k++
	}
	tp.k0, tp.k1 = 1, k
	return tp
}

// upsampleRow interpolates src (w values) along x into dst (f·w values) with
// the taps tp; vec_amd64.go replaces it with a version that computes the
// blocks [tp.k0, tp.k1) with AVX2.
var upsampleRow = upsampleRowGo

func upsampleRowGo(dst, src []float32, tp *rowTaps) {
	upsampleCols(dst, src, tp, 0, len(dst))
}

// upsampleCols computes output columns [o0, o1) of upsampleRow one by one.
func upsampleCols(dst, src []float32, tp *rowTaps, o0, o1 int) {
	for ox := o0; ox < o1; ox++ {
		lx := tp.lx[ox]
		dst[ox] = (1-lx)*src[tp.x0[ox]] + lx*src[tp.x1[ox]]
	}
}
