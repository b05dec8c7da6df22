package cpu

import (
	"math"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// activate applies act to v.
func activate(v float32, act backend.Activation) float32 {
	switch act {
	case backend.ReLU:
		if v < 0 {
			return 0
		}
	case backend.Sigmoid:
		return float32(1 / (1 + math.Exp(-float64(v))))
	}
	return v
}

// Activate applies act elementwise; out has x's shape.
func (b *Backend) Activate(x backend.Tensor, act backend.Activation) backend.Tensor {
	in := host(x)
	out := b.alloc(in.S)
	parallel(b.Threads, len(in.Data), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out.Data[i] = activate(in.Data[i], act)
		}
	})
	return out
}

// Add returns a + b; both have the same shape.
func (b *Backend) Add(x, y backend.Tensor) backend.Tensor {
	p, q := host(x), host(y)
	mustSameShape("Add", p.S, q.S)
	out := b.alloc(p.S)
	for i := range out.Data {
		out.Data[i] = p.Data[i] + q.Data[i]
	}
	return out
}

// ChannelGate returns y + y⊙w: y is (N,C,H,W), w is (N,C,1,1).
func (b *Backend) ChannelGate(y, w backend.Tensor) backend.Tensor {
	in, g := host(y), host(w)
	s := in.S
	mustSameShape("ChannelGate", g.S, backend.Shape{N: s.N, C: s.C, H: 1, W: 1})
	out := b.alloc(s)
	plane := s.H * s.W
	parallel(b.Threads, s.N*s.C, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			scaleTo(out.Data[nc*plane:(nc+1)*plane], in.Data[nc*plane:(nc+1)*plane], 1+g.Data[nc])
		}
	})
	return out
}
