package cpu

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// TestUpsampleBilinearBackwardElements compares UpsampleBilinearBackward
// element by element with the transpose of UpsampleBilinear written as a
// float64 scatter of every output gradient onto its four source pixels,
// for several factors, odd plane sizes and batch 2.
func TestUpsampleBilinearBackwardElements(t *testing.T) {
	be := New()
	for _, c := range []struct{ h, w, f int }{{6, 10, 2}, {5, 17, 8}, {7, 3, 3}, {1, 9, 4}, {16, 16, 2}} {
		s := backend.Shape{N: 2, C: 3, H: c.h, W: c.w}
		os := backend.UpsampleShape(s, c.f)
		dy := randTensor(uint64(c.h*c.w), os, -1, 1)
		want := make([]float64, s.Len())
		for nc := 0; nc < s.N*s.C; nc++ {
			for oy := 0; oy < os.H; oy++ {
				y0, y1, ly := BilinearTap(oy, c.f, s.H)
				for ox := 0; ox < os.W; ox++ {
					x0, x1, lx := BilinearTap(ox, c.f, s.W)
					v := float64(dy.Data[(nc*os.H+oy)*os.W+ox])
					at := func(y, x int) *float64 { return &want[(nc*s.H+y)*s.W+x] }
					*at(y0, x0) += (1 - float64(ly)) * (1 - float64(lx)) * v
					*at(y0, x1) += (1 - float64(ly)) * float64(lx) * v
					*at(y1, x0) += float64(ly) * (1 - float64(lx)) * v
					*at(y1, x1) += float64(ly) * float64(lx) * v
				}
			}
		}
		want32 := make([]float32, len(want))
		for i, v := range want {
			want32[i] = float32(v)
		}
		got := host(be.UpsampleBilinearBackward(dy, c.f))
		mustSameShape("UpsampleBilinearBackward", got.S, s)
		testutil.Close(t, fmt.Sprintf("%dx%d ×%d", c.h, c.w, c.f), got.Data, want32, 1e-5, 1e-5)
	}
}
