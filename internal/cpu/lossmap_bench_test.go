package cpu

import (
	"testing"

	"github.com/noise2norm/noise2norm/internal/backend"
	"github.com/noise2norm/noise2norm/internal/testutil"
)

// BenchmarkLossMap times the anomaly map of one 256×256 image.
func BenchmarkLossMap(b *testing.B) {
	s := backend.Shape{N: 1, C: 3, H: 256, W: 256}
	be := New()
	x0 := be.Upload(s, testutil.Random(1, s.Len(), -1, 1))
	xhat := be.Upload(s, testutil.Random(2, s.Len(), -1, 1))
	for b.Loop() {
		be.LossMap(x0, xhat, 0.84)
	}
}
