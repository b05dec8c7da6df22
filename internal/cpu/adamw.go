package cpu

import (
	"fmt"
	"math"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// AdamW updates param in place from grad, with the first and second moment
// estimates m and v (all the same shape) updated in place, as PyTorch's
// torch.optim.AdamW does for step t = h.Step ≥ 1:
//
//	p ← p − lr·wd·p
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + eps)
//
// Each element is computed in float64 and stored as float32.
func (b *Backend) AdamW(param, grad, m, v backend.Tensor, h backend.AdamWParams) {
	p, g, mt, vt := host(param), host(grad), host(m), host(v)
	for _, t := range []*Tensor{g, mt, vt} {
		mustSameShape("AdamW", t.S, p.S)
	}
	if h.Step < 1 {
		panic(fmt.Sprintf("cpu: AdamW step %d: steps are 1-based", h.Step))
	}
	lr, b1, b2 := h.LR, h.Beta1, h.Beta2
	eps, decay := h.Eps, 1-lr*h.WeightDecay
	stepSize := lr / (1 - math.Pow(b1, float64(h.Step)))
	bc2 := math.Sqrt(1 - math.Pow(b2, float64(h.Step)))
	parallel(b.Threads, len(p.Data), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gi := float64(g.Data[i])
			mi := b1*float64(mt.Data[i]) + (1-b1)*gi
			vi := b2*float64(vt.Data[i]) + (1-b2)*gi*gi
			pi := float64(p.Data[i]) * decay
			p.Data[i] = float32(pi - stepSize*mi/(math.Sqrt(vi)/bc2+eps))
			mt.Data[i], vt.Data[i] = float32(mi), float32(vi)
		}
	})
}
