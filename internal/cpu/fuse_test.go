package cpu

import (
	"fmt"
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/backend/optest"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// TestUpsampleFused checks GlobalAvgPoolUpsampled and SKFFFuseUpsampled
// against GlobalAvgPool and SKFFFuse of maps upsampled by UpsampleBilinear,
// bit for bit (backend.UpsampleFuser promises the same values), on seeded
// random maps: batch 2, odd sizes, the network's factors and others, with
// one and three threads.
func TestUpsampleFused(t *testing.T) {
	for _, c := range []struct {
		n, ch, size int
		fs          []int
	}{
		{2, 3, 40, []int{1, 2, 4, 8}},
		{1, 5, 21, []int{1, 3, 7}},
		{2, 2, 64, []int{2, 1, 16}}, // the first map upsampled too
		{1, 4, 256, []int{1, 2, 4, 8}},
	} {
		for _, threads := range []int{1, 3} {
			be := New()
			be.Threads = threads
			name := fmt.Sprintf("n %d, c %d, S %d, factors %v, %d threads", c.n, c.ch, c.size, c.fs, threads)
			var os, ups, logits []backend.Tensor
			for i, f := range c.fs {
				s := backend.Shape{N: c.n, C: c.ch, H: c.size / f, W: c.size / f}
				o := be.Upload(s, testutil.Random(uint64(10*i+1), s.Len(), -1, 1))
				os = append(os, o)
				ups = append(ups, be.UpsampleBilinear(o, f))
				ls := backend.Shape{N: c.n, C: c.ch, H: 1, W: 1}
				logits = append(logits, be.Upload(ls, testutil.Random(uint64(10*i+2), ls.Len(), -3, 3)))
				same(t, name+fmt.Sprintf(", mean of map %d", i), be.GlobalAvgPoolUpsampled(o, f), be.GlobalAvgPool(ups[i]))
			}
			same(t, name+", fusion", be.SKFFFuseUpsampled(os, c.fs, logits), be.SKFFFuse(ups, logits))
		}
	}
}

// same fails t unless got and want hold the same shape and values.
func same(t *testing.T, what string, got, want backend.Tensor) {
	t.Helper()
	g, w := host(got), host(want)
	if g.S != w.S {
		t.Fatalf("%s: shape %v, want %v", what, g.S, w.S)
	}
	if d := optest.Compare(g.Data, w.Data, optest.Exact); !d.OK() {
		t.Fatal(d.Error(what))
	}
}
