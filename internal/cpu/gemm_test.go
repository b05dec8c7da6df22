package cpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/noise2norm/noise2norm/internal/testutil"
)

// TestMicroKernels checks the portable micro-kernel, the one this machine
// selected (assembly on amd64 with AVX2+FMA) and the wide one if any (AVX-512)
// against the tile formula in float64, on random kc, scattered B offsets and
// row strides, with every combination of flags.
func TestMicroKernels(t *testing.T) {
	kernels := map[string]microKernel{"go": kernelGo, "selected": kernel}
	testMicroKernels(t, kernels, nr)
	if wideKernel == nil {
		t.Log("no wide micro-kernel on this machine")
		return
	}
	testMicroKernels(t, map[string]microKernel{"wide": wideKernel}, 2*nr)
}

// TestTallKernel checks the tall micro-kernel (AVX-512) against calls of the
// wide one, one per A panel, bit for bit: each element takes the same
// multiply-adds in the same order. Random kc, panel strides, scattered B
// offsets, row strides, 1 to 4 pairs of panels and every combination of
// flags.
func TestTallKernel(t *testing.T) {
	if tallKernel == nil {
		t.Skip("no tall micro-kernel on this machine (it needs AVX-512)")
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := 0; trial < 40; trial++ {
		kc := 1 + rng.IntN(300)
		pairs := 1 + trial%4
		astride := kc*mr + rng.IntN(50)
		ldc := 2*nr + rng.IntN(9)
		a := testutil.Random(uint64(trial), (2*pairs-1)*astride+kc*mr, -1, 1)
		b := testutil.Random(uint64(trial+1000), 3000, -1, 1)
		offs := make([]int, kc)
		for k := range offs {
			offs[k] = rng.IntN(len(b) - 2*nr + 1)
		}
		c0 := testutil.Random(uint64(trial+2000), 2*mr*pairs*ldc, -1, 1)
		bias := testutil.Random(uint64(trial+3000), 2*mr*pairs, -1, 1)
		flags := trial / 4 % 4
		want := append([]float32(nil), c0...)
		for i := range 2 * pairs {
			wideKernel(kc, a[i*astride:], b, offs, want[i*mr*ldc:], ldc, bias[i*mr:], flags)
		}
		got := append([]float32(nil), c0...)
		tallKernel(kc, a, astride, b, offs, got, ldc, bias, flags, pairs)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("kc %d, pairs %d, astride %d, ldc %d, flags %b: c[%d] = %g, want %g", kc, pairs, astride, ldc, flags, i, got[i], want[i])
			}
		}
	}
}

// testMicroKernels checks kernels computing mr×nr tiles.
func testMicroKernels(t *testing.T, kernels map[string]microKernel, nr int) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 40; trial++ {
		kc := 1 + rng.IntN(300)
		ldc := nr + rng.IntN(9)
		a := testutil.Random(uint64(trial), kc*mr, -1, 1)
		b := testutil.Random(uint64(trial+1000), 2000, -1, 1)
		offs := make([]int, kc)
		for k := range offs {
			offs[k] = rng.IntN(len(b) - nr + 1)
		}
		c0 := testutil.Random(uint64(trial+2000), mr*ldc, -1, 1)
		bias := testutil.Random(uint64(trial+3000), mr, -1, 1)
		flags := trial % 4
		want := make([]float32, len(c0))
		copy(want, c0)
		for i := 0; i < mr; i++ {
			for j := 0; j < nr; j++ {
				s := float64(bias[i])
				if flags&accumulate != 0 {
					s = float64(c0[i*ldc+j])
				}
				for k, o := range offs {
					s += float64(a[k*mr+i]) * float64(b[o+j])
				}
				if flags&relu != 0 {
					s = max(s, 0)
				}
				want[i*ldc+j] = float32(s)
			}
		}
		for name, kern := range kernels {
			got := append([]float32(nil), c0...)
			kern(kc, a, b, offs, got, ldc, bias, flags)
			testutil.Close(t, fmt.Sprintf("%s kernel, kc %d, ldc %d, flags %b", name, kc, ldc, flags), got, want, 1e-4, 1e-3)
		}
	}
}

// BenchmarkMicroKernel times the selected micro-kernel on L1-resident
// operands (kc = 256, contiguous B rows): the ceiling for the convolution.
func BenchmarkMicroKernel(b *testing.B) {
	b.Run("selected", func(b *testing.B) { benchMicroKernel(b, kernel, nr) })
	if wideKernel != nil {
		b.Run("wide", func(b *testing.B) { benchMicroKernel(b, wideKernel, 2*nr) })
	}
	if tallKernel != nil {
		b.Run("tall", func(b *testing.B) {
			const kc = 256
			a := testutil.Random(1, 2*kc*mr, -1, 1)
			bm := testutil.Random(2, kc*2*nr, -1, 1)
			offs := make([]int, kc)
			for k := range offs {
				offs[k] = k * 2 * nr
			}
			c := make([]float32, 2*mr*2*nr)
			bias := make([]float32, 2*mr)
			for b.Loop() {
				tallKernel(kc, a, kc*mr, bm, offs, c, 2*nr, bias, 0, 1)
			}
			b.ReportMetric(float64(2*2*mr*2*nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// benchMicroKernel times kern, which computes mr×nr tiles.
func benchMicroKernel(b *testing.B, kern microKernel, nr int) {
	const kc = 256
	a := testutil.Random(1, kc*mr, -1, 1)
	bm := testutil.Random(2, kc*nr, -1, 1)
	offs := make([]int, kc)
	for k := range offs {
		offs[k] = k * nr
	}
	c := make([]float32, mr*nr)
	bias := make([]float32, mr)
	for b.Loop() {
		kern(kc, a, bm, offs, c, nr, bias, 0)
	}
	b.ReportMetric(float64(2*mr*nr*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
