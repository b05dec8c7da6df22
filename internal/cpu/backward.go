package cpu

import (
	"fmt"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// GlobalAvgPoolBackward returns dx of shape s (N,C,H,W) for dy (N,C,1,1):
// dx[n,c,h,w] = dy[n,c]/(H·W), the gradient of GlobalAvgPool.
func (b *Backend) GlobalAvgPoolBackward(dy backend.Tensor, s backend.Shape) backend.Tensor {
	g := host(dy)
	mustSameShape("GlobalAvgPoolBackward", g.S, backend.Shape{N: s.N, C: s.C, H: 1, W: 1})
	// dx is (N,C,H,W)
	dx := b.alloc(s)
	plane := s.H * s.W
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			v := g.Data[nc] / float32(plane)
			dst := dx.Data[nc*plane : (nc+1)*plane]
			for i := range dst {
				dst[i] = v
			}
		}
	})
	return dx
}

// AvgPool2Backward returns dx (N,C,2H,2W) for dy (N,C,H,W): each 2×2 cell of
// dx holds dy/4, the gradient of AvgPool2.
func (b *Backend) AvgPool2Backward(dy backend.Tensor) backend.Tensor {
	g := host(dy)
	s := g.S
	os := backend.Shape{N: s.N, C: s.C, H: 2 * s.H, W: 2 * s.W}
	// dx is (N,C,2H,2W)
	dx := b.alloc(os)
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			src := g.Data[nc*s.H*s.W:]
			dst := dx.Data[nc*os.H*os.W:]
			for y := 0; y < s.H; y++ {
				r0, r1 := dst[2*y*os.W:], dst[(2*y+1)*os.W:]
				for x := 0; x < s.W; x++ {
					v := src[y*s.W+x] * 0.25
					r0[2*x], r0[2*x+1], r1[2*x], r1[2*x+1] = v, v, v, v
				}
			}
		}
	})
	return dx
}

// UpsampleBilinearBackward returns dx (N,C,H,W) for dy (N,C,f·H,f·W): the
// transpose of UpsampleBilinear by f, each output gradient scattered to the
// four source pixels with the forward's bilinear weights.
func (b *Backend) UpsampleBilinearBackward(dy backend.Tensor, f int) backend.Tensor {
	g := host(dy)
	os := g.S
	if f < 1 || os.H%f != 0 || os.W%f != 0 {
		panic(fmt.Sprintf("cpu: UpsampleBilinearBackward of %v by %d", os, f))
	}
	s := backend.Shape{N: os.N, C: os.C, H: os.H / f, W: os.W / f}
	// dx is (N,C,H,W), every element written below. The transpose runs in
	// the forward's two passes reversed: each output-gradient row is
	// scattered onto the two source rows it was blended from (into rows,
	// H×fW), then each of those rows onto the columns along x.
	taps := newRowTaps(f, s.W) // the forward's column taps
	dx := b.alloc(s)
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		rows := b.scratch(s.H * os.W)
		defer b.release(rows)
		for nc := lo; nc < hi; nc++ {
			src := g.Data[nc*os.H*os.W : (nc+1)*os.H*os.W]
			dst := dx.Data[nc*s.H*s.W : (nc+1)*s.H*s.W]
			clear(rows)
			for oy := 0; oy < os.H; oy++ {
				y0, y1, ly := BilinearTap(oy, f, s.H)
				sr := src[oy*os.W : (oy+1)*os.W]
				addScaled(rows[y0*os.W:(y0+1)*os.W], sr, 1-ly)
				addScaled(rows[y1*os.W:(y1+1)*os.W], sr, ly)
			}
			for y := 0; y < s.H; y++ {
				d := dst[y*s.W : (y+1)*s.W]
				clear(d)
				for ox, v := range rows[y*os.W : (y+1)*os.W] {
					lx := taps.lx[ox]
					d[taps.x0[ox]] += (1 - lx) * v
					d[taps.x1[ox]] += lx * v
				}
			}
		}
	})
	return dx
}

// SliceChannels returns channels [c0,c1) of x: (N,C,H,W) → (N,c1−c0,H,W),
// the backward of Concat.
func (b *Backend) SliceChannels(x backend.Tensor, c0, c1 int) backend.Tensor {
	in := host(x)
	s := in.S
	if c0 < 0 || c1 > s.C || c0 > c1 {
		panic(fmt.Sprintf("cpu: SliceChannels [%d,%d) of %v", c0, c1, s))
	}
	plane := s.H * s.W
	// out is (N,c1−c0,H,W)
	out := b.alloc(backend.Shape{N: s.N, C: c1 - c0, H: s.H, W: s.W})
	n := (c1 - c0) * plane
	parallel(b.Threads, s.N*(c1-c0), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			i, c := j/(c1-c0), j%(c1-c0)
			copy(out.Data[i*n+c*plane:i*n+(c+1)*plane], in.Data[(i*s.C+c0+c)*plane:])
		}
	})
	return out
}

// ChannelGateBackward is the gradient of out = y + y⊙w for y (N,C,H,W) and
// w (N,C,1,1): dy = dOut⊙(1+w) (N,C,H,W) and dw[n,c] = Σ_hw dOut·y
// (N,C,1,1), accumulated in float64 (dot64).
func (b *Backend) ChannelGateBackward(y, w, dOut backend.Tensor) (dy, dw backend.Tensor) {
	in, g, d := host(y), host(w), host(dOut)
	s := in.S
	mustSameShape("ChannelGateBackward", g.S, backend.Shape{N: s.N, C: s.C, H: 1, W: 1})
	mustSameShape("ChannelGateBackward", d.S, s)
	gy, gw := b.alloc(s), b.alloc(g.S)
	plane := s.H * s.W
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			k := 1 + g.Data[nc]
			src, dd, dst := in.Data[nc*plane:(nc+1)*plane], d.Data[nc*plane:(nc+1)*plane], gy.Data[nc*plane:(nc+1)*plane]
			scaleTo(dst, dd, k)
			gw.Data[nc] = float32(dot64(dd, src))
		}
	})
	return gy, gw
}

// SKFFFuseBackward is the gradient of out = Σ_i s_i⊙os[i] with s = softmax
// over i of logits (N,C,1,1) per channel: dos[i] = s_i·dOut (N,C,H,W) and
// dlogits[i] = s_i·(q_i − Σ_k s_k·q_k) (N,C,1,1) where q_i = Σ_hw dOut·os[i].
func (b *Backend) SKFFFuseBackward(os, logits []backend.Tensor, dOut backend.Tensor) (dos, dlogits []backend.Tensor) {
	if len(os) == 0 || len(os) != len(logits) {
		panic(fmt.Sprintf("cpu: SKFFFuseBackward of %d maps and %d logits", len(os), len(logits)))
	}
	d := host(dOut)
	s := d.S
	cs := backend.Shape{N: s.N, C: s.C, H: 1, W: 1}
	gos, gls := make([]*Tensor, len(os)), make([]*Tensor, len(os))
	dos, dlogits = make([]backend.Tensor, len(os)), make([]backend.Tensor, len(os))
	for i := range os {
		mustSameShape("SKFFFuseBackward", os[i].Shape(), s)
		mustSameShape("SKFFFuseBackward", logits[i].Shape(), cs)
		gos[i], gls[i] = b.alloc(s), b.alloc(cs)
		dos[i], dlogits[i] = gos[i], gls[i]
	}
	plane := s.H * s.W
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		wts := make([]float32, len(os))
		q := make([]float64, len(os))
		for nc := lo; nc < hi; nc++ {
			softmaxAt(logits, nc, wts)
			dd := d.Data[nc*plane : (nc+1)*plane]
			mean := 0.0
			for i, o := range os {
				src, dst := host(o).Data[nc*plane:(nc+1)*plane], gos[i].Data[nc*plane:(nc+1)*plane]
				scaleTo(dst, dd, wts[i])
				sum := dot64(dd, src)
				q[i] = sum
				mean += float64(wts[i]) * sum
			}
			for i := range os {
				gls[i].Data[nc] = float32(float64(wts[i]) * (q[i] - mean))
			}
		}
	})
	return dos, dlogits
}

// sumF64 returns Σ v in float64, as four partial sums over the indices i
// mod 4 (independent additions, not one chain), added as (s0+s1)+(s2+s3),
// then the last len(v) mod 4 values.
func sumF64(v []float32) float64 {
	var s0, s1, s2, s3 float64
	n := len(v) &^ 3
	for i := 0; i < n; i += 4 {
		s0 += float64(v[i])
		s1 += float64(v[i+1])
		s2 += float64(v[i+2])
		s3 += float64(v[i+3])
	}
	sum := (s0 + s1) + (s2 + s3)
	for _, x := range v[n:] {
		sum += float64(x)
	}
	return sum
}

// dot64 returns Σ a[i]·b[i] in float64 (b has a's length), summed as sumF64
// sums.
func dot64(a, b []float32) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	n := len(a) &^ 3
	for i := 0; i < n; i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	sum := (s0 + s1) + (s2 + s3)
	for i := n; i < len(a); i++ {
		sum += float64(a[i]) * float64(b[i])
	}
	return sum
}
