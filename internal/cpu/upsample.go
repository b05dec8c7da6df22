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
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			src := in.Data[nc*s.H*s.W:]
			dst := out.Data[nc*os.H*os.W:]
			for oy := 0; oy < os.H; oy++ {
				y0, y1, ly := BilinearTap(oy, f, s.H)
				for ox := 0; ox < os.W; ox++ {
					x0, x1, lx := BilinearTap(ox, f, s.W)
					top := (1-lx)*src[y0*s.W+x0] + lx*src[y0*s.W+x1]
					bot := (1-lx)*src[y1*s.W+x0] + lx*src[y1*s.W+x1]
					dst[oy*os.W+ox] = (1-ly)*top + ly*bot
				}
			}
		}
	})
	return out
}
