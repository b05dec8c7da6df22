package cpu

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/backend/optest"
)

// TestLossMapAndBackward checks the combined op against LossMap and
// LossMapBackward run apart: the gradient is the same computation (equal
// to the last bit), the map is LossMap's up to the order of the float32
// operations (the loss map's tolerance), on unrelated and near-identical
// images, batch 2, odd sizes, with several thread counts.
func TestLossMapAndBackward(t *testing.T) {
	s := backend.Shape{N: 2, C: 3, H: 29, W: 37}
	for _, near := range []bool{false, true} {
		ins := [][]float32{optest.Random(11, s.Len(), -1, 1), optest.Random(12, s.Len(), -1, 1)}
		if near {
			optest.NearCopy(ins)
		}
		for _, threads := range []int{1, 2, 5} {
			be := New()
			be.Threads = threads
			x0, xhat := be.Upload(s, ins[0]), be.Upload(s, ins[1])
			const alpha, scale = 0.84, 0.25
			m, g := be.LossMapAndBackward(x0, xhat, alpha, scale)
			wantM, wantG := be.LossMap(x0, xhat, alpha), be.LossMapBackward(x0, xhat, alpha, scale)
			what := fmt.Sprintf("near %v, %d threads", near, threads)
			if m.Shape() != wantM.Shape() || g.Shape() != wantG.Shape() {
				t.Fatalf("%s: shapes %v, %v, want %v, %v", what, m.Shape(), g.Shape(), wantM.Shape(), wantG.Shape())
			}
			if d := optest.Compare(host(m).Data, host(wantM).Data, optest.Loss); !d.OK() {
				t.Error(d.Error(what + ": map"))
			}
			if d := optest.Compare(host(g).Data, host(wantG).Data, optest.Exact); !d.OK() {
				t.Error(d.Error(what + ": gradient"))
			}
			for _, x := range []backend.Tensor{x0, xhat, m, g, wantM, wantG} {
				be.Free(x)
			}
		}
	}
}
