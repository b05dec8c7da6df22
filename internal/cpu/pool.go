package cpu

import "github.com/noise2norm/noise2norm/internal/backend"

// GlobalAvgPool returns the mean over H,W: (N,C,H,W) → (N,C,1,1).
func (b *Backend) GlobalAvgPool(x backend.Tensor) backend.Tensor {
	in := host(x)
	s := in.S
	out := b.alloc(backend.Shape{N: s.N, C: s.C, H: 1, W: 1})
	plane := s.H * s.W
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		nc := lo
		for ; nc+4 <= hi; nc += 4 { // four planes at once (sumFloat64x4)
			var x [4][]float32
			for j := range x {
				x[j] = in.Data[(nc+j)*plane : (nc+j+1)*plane]
			}
			for j, v := range sumFloat64x4(x) {
				out.Data[nc+j] = float32(v / float64(plane))
			}
		}
		for ; nc < hi; nc++ {
			out.Data[nc] = float32(sumFloat64(in.Data[nc*plane:(nc+1)*plane]) / float64(plane))
		}
	})
	return out
}

// GlobalAvgPoolUpsampled is GlobalAvgPool(UpsampleBilinear(x, f)),
// (N,C,H,W) → (N,C,1,1), without storing the upsampled map: each upsampled
// plane is made in scratch, where it stays in cache, and summed as
// GlobalAvgPool sums it (see backend.UpsampleFuser).
func (b *Backend) GlobalAvgPoolUpsampled(x backend.Tensor, f int) backend.Tensor {
	in := host(x)
	s := in.S
	us := backend.UpsampleShape(s, f)
	out := b.alloc(backend.Shape{N: s.N, C: s.C, H: 1, W: 1})
	taps := newRowTaps(f, s.W)
	plane := us.H * us.W
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		// four planes at a time, summed together (sumFloat64x4)
		rows, up := b.scratch(s.H*us.W), b.scratch(4*plane)
		defer b.release(rows)
		defer b.release(up)
		for nc := lo; nc < hi; nc += 4 {
			k := min(4, hi-nc)
			var x [4][]float32
			for j := range x {
				x[j] = up[j*plane : (j+1)*plane]
				if j < k {
					upsamplePlane(x[j], in.Data[(nc+j)*s.H*s.W:(nc+j+1)*s.H*s.W], rows, s.H, s.W, f, taps)
				}
			}
			if k < 4 {
				for j := range k {
					out.Data[nc+j] = float32(sumFloat64(x[j]) / float64(plane))
				}
				continue
			}
			for j, v := range sumFloat64x4(x) {
				out.Data[nc+j] = float32(v / float64(plane))
			}
		}
	})
	return out
}

// AvgPool2 is 2×2 mean pooling with stride 2: (N,C,H,W) → (N,C,H/2,W/2).
// H and W must be even.
func (b *Backend) AvgPool2(x backend.Tensor) backend.Tensor {
	in := host(x)
	s := in.S
	os := backend.HalfShape("AvgPool2", s)
	out := b.alloc(os)
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			src := in.Data[nc*s.H*s.W:]
			dst := out.Data[nc*os.H*os.W:]
			for y := 0; y < os.H; y++ {
				r0, r1 := src[2*y*s.W:], src[(2*y+1)*s.W:]
				for x := 0; x < os.W; x++ {
					dst[y*os.W+x] = (r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1]) * 0.25
				}
			}
		}
	})
	return out
}
