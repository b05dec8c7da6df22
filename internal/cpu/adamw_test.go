package cpu

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// TestAdamWAll checks that AdamWAll over parameters of odd sizes (one of
// them empty) gives, for 1, 2, 3 and 7 threads, the bits that AdamW gives
// parameter by parameter on one thread, over three steps.
func TestAdamWAll(t *testing.T) {
	sizes := []int{7, 1, 0, 300, 33, 1024, 5}
	h := backend.AdamWParams{LR: 0.01, Beta1: 0.5, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	state := func(be *Backend) (ps, ms, vs []backend.Tensor) {
		for i, n := range sizes {
			s := backend.Shape{N: 1, C: n, H: 1, W: 1}
			ps = append(ps, randTensor(uint64(10+i), s, -1, 1))
			ms = append(ms, be.Upload(s, make([]float32, n)))
			vs = append(vs, be.Upload(s, make([]float32, n)))
		}
		return ps, ms, vs
	}
	grads := func(step int) (gs []backend.Tensor) {
		for i, n := range sizes {
			gs = append(gs, randTensor(uint64(100*step+i), backend.Shape{N: 1, C: n, H: 1, W: 1}, -1, 1))
		}
		return gs
	}
	one := New()
	one.Threads = 1
	wantP, wantM, wantV := state(one)
	for step := 1; step <= 3; step++ {
		h.Step = step
		for i, g := range grads(step) {
			one.AdamW(wantP[i], g, wantM[i], wantV[i], h)
		}
	}
	for _, threads := range []int{1, 2, 3, 7} {
		be := New()
		be.Threads = threads
		ps, ms, vs := state(be)
		for step := 1; step <= 3; step++ {
			h.Step = step
			be.AdamWAll(ps, grads(step), ms, vs, h)
		}
		for i := range sizes {
			for k, pair := range [][2]backend.Tensor{{ps[i], wantP[i]}, {ms[i], wantM[i]}, {vs[i], wantV[i]}} {
				got, want := host(pair[0]).Data, host(pair[1]).Data
				for j := range want {
					if got[j] != want[j] {
						t.Fatalf("%d threads: parameter %d %s[%d] = %g, AdamW gives %g", threads, i, [3]string{"p", "m", "v"}[k], j, got[j], want[j])
					}
				}
			}
		}
	}
}
