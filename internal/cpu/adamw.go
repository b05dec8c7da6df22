package cpu

import (
	"fmt"
	"math"
	"sort"

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
	b.AdamWAll([]backend.Tensor{param}, []backend.Tensor{grad}, []backend.Tensor{m}, []backend.Tensor{v}, h)
}

// AdamWAll is AdamW for several parameters at once: params[i] from
// grads[i] with the moments ms[i] and vs[i]. The elements of all of them
// are spread over the threads in one pass (each element's update is
// independent of the others, so the split does not change the result).
func (b *Backend) AdamWAll(params, grads, ms, vs []backend.Tensor, h backend.AdamWParams) {
	if len(grads) != len(params) || len(ms) != len(params) || len(vs) != len(params) {
		panic(fmt.Sprintf("cpu: AdamWAll of %d parameters, %d gradients, %d and %d moments", len(params), len(grads), len(ms), len(vs)))
	}
	if h.Step < 1 {
		panic(fmt.Sprintf("cpu: AdamW step %d: steps are 1-based", h.Step))
	}
	type job struct{ p, g, m, v []float32 }
	jobs := make([]job, len(params))
	starts := make([]int, len(params)+1) // jobs[i] covers the flat elements [starts[i], starts[i+1])
	for i := range params {
		p, g, mt, vt := host(params[i]), host(grads[i]), host(ms[i]), host(vs[i])
		for _, t := range []*Tensor{g, mt, vt} {
			mustSameShape("AdamW", t.S, p.S)
		}
		jobs[i] = job{p.Data, g.Data, mt.Data, vt.Data}
		starts[i+1] = starts[i] + len(p.Data)
	}
	lr, b1, b2 := h.LR, h.Beta1, h.Beta2
	eps, decay := h.Eps, 1-lr*h.WeightDecay
	stepSize := lr / (1 - math.Pow(b1, float64(h.Step)))
	bc2 := math.Sqrt(1 - math.Pow(b2, float64(h.Step)))
	parallel(b.Threads, starts[len(jobs)], func(lo, hi int) {
		j := sort.SearchInts(starts, lo+1) - 1 // the job holding element lo
		for at := lo; at < hi; j++ {
			jb := jobs[j]
			i0, i1 := at-starts[j], min(hi, starts[j+1])-starts[j]
			p, g, mt, vt := jb.p[:i1], jb.g[:i1], jb.m[:i1], jb.v[:i1]
			for i := i0; i < i1; i++ {
				gi := float64(g[i])
				mi := b1*float64(mt[i]) + (1-b1)*gi
				vi := b2*float64(vt[i]) + (1-b2)*gi*gi
				pi := float64(p[i]) * decay
				p[i] = float32(pi - stepSize*mi/(math.Sqrt(vi)/bc2+eps))
				mt[i], vt[i] = float32(mi), float32(vi)
			}
			at = starts[j+1]
		}
	})
}
