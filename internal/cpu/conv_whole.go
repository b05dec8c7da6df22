package cpu

import "github.com/noise2norm/noise2norm/internal/backend"

// gemmWhole, on platforms that have one (gemm_wasm.go: WebAssembly SIMD),
// computes the whole product of g into c: C[m·ldc+j] = act(A·B + bias) for
// m < g.mpad, j < g.cols, ldc ≥ g.cols, the same sums in the same order as
// gemmJob.tiles. It reports false, having written nothing, when it cannot run
// (no SIMD, or a shape it does not take); whether it can depends only on the
// shapes of g and c, so every image of a convolution gets the same answer.
var gemmWhole func(g *gemmJob, c []float32, ldc int) bool

// convWhole runs the convolution's products jobs (one per image, see
// Conv2D) through gemmWhole on one thread, writing out (N,Cout,H,W): C of
// mpad rows and h·wp columns, column y·wp+x being pixel (y, x) when x < wd.
// It reports false, with out untouched, when gemmWhole is missing or declines.
func (b *Backend) convWhole(jobs []gemmJob, out []float32, cout, h, wd, wp int, act backend.Activation) bool {
	if gemmWhole == nil || len(jobs) == 0 {
		return false
	}
	g0 := &jobs[0]
	direct := wp == wd && g0.mpad == cout // C is the output image itself
	outLen := cout * h * wd
	var c []float32 // mpad×cols: one image's C when it is not the output
	if !direct {
		c = b.scratch(g0.mpad * g0.cols)
		defer b.release(c)
	}
	for n := range jobs {
		dst := out[n*outLen : (n+1)*outLen]
		cn := c
		if direct {
			cn = dst
		}
		if !gemmWhole(&jobs[n], cn, g0.cols) {
			if n > 0 {
				panic("cpu: gemmWhole declined an image after taking the first")
			}
			return false
		}
		switch {
		case !direct:
			writeOut(dst, c, g0.cols, cout, h, wd, wp, 0, g0.cols, act == backend.Sigmoid)
		case act == backend.Sigmoid:
			sigmoidInPlace(dst)
		}
	}
	return true
}
