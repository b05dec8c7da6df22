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
	// The column taps are the same for every row; each input row is
	// interpolated along x once (into rows, H×fW) and each output row
	// blends two of those, in the order of the formula
	// (1−ly)·((1−lx)·a + lx·b) + ly·((1−lx)·c + lx·d).
	x0s, x1s, lxs := make([]int, os.W), make([]int, os.W), make([]float32, os.W)
	for ox := range x0s {
		x0s[ox], x1s[ox], lxs[ox] = BilinearTap(ox, f, s.W)
	}
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		rows := b.scratch(s.H * os.W)
		defer b.release(rows)
		for nc := lo; nc < hi; nc++ {
			src := in.Data[nc*s.H*s.W : (nc+1)*s.H*s.W]
			dst := out.Data[nc*os.H*os.W : (nc+1)*os.H*os.W]
			for y := 0; y < s.H; y++ {
				sr, hr := src[y*s.W:(y+1)*s.W], rows[y*os.W:(y+1)*os.W]
				for ox, lx := range lxs {
					hr[ox] = (1-lx)*sr[x0s[ox]] + lx*sr[x1s[ox]]
				}
			}
			for oy := 0; oy < os.H; oy++ {
				y0, y1, ly := BilinearTap(oy, f, s.H)
				lerp(dst[oy*os.W:(oy+1)*os.W], rows[y0*os.W:(y0+1)*os.W], rows[y1*os.W:(y1+1)*os.W], 1-ly, ly)
			}
		}
	})
	return out
}
