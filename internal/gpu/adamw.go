package gpu

import (
	"fmt"
	"math"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// AdamW records one step of PyTorch's torch.optim.AdamW on param in place,
// with grad and the moment estimates m and v (all of one shape; m and v
// updated in place): decoupled weight decay param·(1 − lr·wd), then Adam
// with bias correction for step h.Step ≥ 1. The bias corrections are
// computed on the host in float64, as PyTorch computes them in Python.
func (b *Backend) AdamW(param, grad, m, v backend.Tensor, h backend.AdamWParams) {
	pt, gt, mt, vt := tensorOf(param), tensorOf(grad), tensorOf(m), tensorOf(v)
	s := pt.s
	mustSameShape("AdamW grad", s, gt.s)
	mustSameShape("AdamW m", s, mt.s)
	mustSameShape("AdamW v", s, vt.s)
	if h.Step < 1 {
		panic(fmt.Sprintf("gpu: AdamW step %d", h.Step))
	}
	lr, b1, b2 := h.LR, h.Beta1, h.Beta2
	t := float64(h.Step)
	n := s.Len()
	p := adamwParams{
		N:     uint32(n),
		Decay: float32(1 - lr*h.WeightDecay),
		Beta1: float32(b1),
		Beta2: float32(b2),
		OneB1: float32(1 - b1),
		OneB2: float32(1 - b2),
		Step:  float32(lr / (1 - math.Pow(b1, t))),
		Bc2:   float32(math.Sqrt(1 - math.Pow(b2, t))),
		Eps:   float32(h.Eps),
	}
	adamwKernel.run(b, b.grid1D(n), p, pt, gt, mt, vt)
}

// adamwParams is adamw.wgsl's Params.
type adamwParams struct {
	N                                            uint32
	Decay, Beta1, Beta2, OneB1, OneB2, Step, Bc2 float32
	Eps                                          float32
}

var adamwKernel = defineKernel[adamwParams]("adamw", ReadWrite, Read, ReadWrite, ReadWrite)
