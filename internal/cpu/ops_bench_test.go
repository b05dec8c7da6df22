package cpu

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/backend/optest"
)

// BenchmarkOps times every case of the op table that has network-size
// inputs (optest.Case.Bench) on the CPU backend.
func BenchmarkOps(b *testing.B) {
	be := New()
	for _, c := range optest.Cases {
		if c.Bench == nil {
			continue
		}
		b.Run(c.Name, func(b *testing.B) {
			ts := make([]backend.Tensor, len(c.Bench))
			for i, s := range c.Bench {
				ts[i] = be.Upload(s, optest.Random(uint64(i), s.Len(), -1, 1))
			}
			b.ResetTimer()
			for range b.N {
				for _, out := range c.Run(be, ts) {
					be.Free(out)
				}
			}
		})
	}
}
