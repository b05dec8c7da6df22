package metrics

import (
	"math/rand/v2"
	"testing"
)

// benchImages is 200 maps of 256×256 (13.1 M pixels), about 5% anomalous.
func benchImages(b *testing.B) (maps [][]float32, masks [][]bool) {
	b.Helper()
	return randomMaps(rand.New(rand.NewPCG(9, 10)), 200, 256, 256, 0.05)
}

// BenchmarkPixelROC adds 200 maps of 256×256 and computes the AUROC; the
// memory it reports is the histogram's, independent of the number of pixels.
func BenchmarkPixelROC(b *testing.B) {
	maps, masks := benchImages(b)
	pixels := float64(len(maps) * len(maps[0]))
	b.ReportAllocs()
	b.ResetTimer()
	var bound float64
	for b.Loop() {
		p := NewPixelROC()
		for i := range maps {
			p.Add(maps[i], masks[i])
		}
		_ = p.AUROC()
		bound = p.ErrorBound()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/pixels, "ns/pixel")
	b.ReportMetric(bound, "error-bound")
}

// BenchmarkAUPRO computes AUPRO (maxFPR 0.3) over 200 maps of 256×256.
func BenchmarkAUPRO(b *testing.B) {
	maps, masks := benchImages(b)
	pixels := float64(len(maps) * len(maps[0]))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = AUPRO(maps, masks, 256, 256, 0.3)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/pixels, "ns/pixel")
}
