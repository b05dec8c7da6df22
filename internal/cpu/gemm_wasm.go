//go:build js && wasm

package cpu

import (
	_ "embed"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall/js"
	"unsafe"

	"github.com/noise2norm/noise2norm/internal/backend"
)

// The convolution's matrix product, the loss map's Gaussian blur and the
// convolution weight gradient's dot products in WebAssembly SIMD. Go's wasm compiler emits no SIMD, so they run in a
// small hand-written module, gemm_simd.wat (assembled into gemm_simd.wasm
// by `make simd-kernel`, which runs wabt's wat2wasm;
// TestSIMDModuleMatchesSource checks the two agree). The module imports the
// Go program's own linear memory, so it reads the packed weights and the
// (padded) input and writes C in place: a call passes addresses, nothing is
// copied. It needs the Go instance's memory, which the demo's worker
// publishes as globalThis.wasm (the WebAssembly.instantiate result;
// site/worker.js); where that is missing or the engine has no SIMD, the
// pure-Go code runs instead.

//go:embed gemm_simd.wasm
var simdModule []byte

// simd is the kernel module, loaded on the first convolution.
var simd struct {
	once    sync.Once
	gemm    js.Value // the module's gemm export; undefined when unavailable
	blur    js.Value // the module's blur export
	blurT   js.Value // the module's blurT export
	dots    js.Value // the module's dots export
	err     error    // why it is unavailable
	runs    int      // products it has computed (tests check it ran)
	blurs   int      // planes it has blurred
	dotRuns int      // blocks of weight-gradient dot products it has computed
	rowRuns int      // loss-map gradient rows it has computed

	addScaled, addProduct, ssimCS, ssimFactors js.Value // the module's addscaled, addproduct, ssimcs, ssimfactors
}

func init() { SetSIMD(true) }

// SIMD loads the WebAssembly SIMD kernel if it has not been tried yet and
// reports whether convolutions use it; when not, the error says why.
func SIMD() (bool, error) {
	simd.once.Do(func() {
		var exports js.Value
		if exports, simd.err = loadSIMD(); simd.err == nil {
			simd.gemm, simd.blur, simd.blurT = exports.Get("gemm"), exports.Get("blur"), exports.Get("blurT")
			simd.dots = exports.Get("dots")
			simd.addScaled, simd.addProduct = exports.Get("addscaled"), exports.Get("addproduct")
			simd.ssimCS, simd.ssimFactors = exports.Get("ssimcs"), exports.Get("ssimfactors")
		}
	})
	return simd.err == nil, simd.err
}

// SetSIMD turns the SIMD kernel off (false: every convolution runs the
// pure-Go kernel, the weight gradient the im2col product) or back on; it
// exists for comparisons and benchmarks.
func SetSIMD(on bool) {
	if on {
		gemmWhole, blurWhole, blurTWhole = gemmSIMD, blurSIMD, blurTSIMD
		dotBlock = &dotBlockKernel{use: dotsUse, run: dotsSIMD}
		wholeRows = &rowKernels{addScaled: addScaledSIMD, addProduct: addProductSIMD, ssimCS: ssimCSSIMD, ssimFactors: ssimFactorsSIMD}
	} else {
		gemmWhole, blurWhole, blurTWhole = nil, nil, nil
		dotBlock = nil
		wholeRows = nil
	}
}

// dotsMinPlane is the smallest plane (H·W pixels) whose convolution weight
// gradient runs as the kernel's dot products (dotsSIMD); smaller planes run
// the im2col product on the kernel's gemm. Measured in node (batch 4, dx, dw
// and db; BenchmarkConv2DBackwardSIMD, medians of 30 runs alternating the
// two, 2 shared cores), dots against im2col: 3×3 64×64 8→8 channels 2.7
// and 8.6 ms, 128×128 16→16 27 and 71 ms, 32×32 16→16 1.8 and 2.3 ms,
// 32×32 32→32 6.6 and 7.2 ms, 16×16 32→32 2.1 and 2.0 ms, 16×16 64→64 7.0
// and 5.7 ms, 8×8 128→128 11.3 and 7.1 ms; 1×1 32×32 32→32 1.2 and 2.2
// ms, 8×8 128→128 1.19 and 1.07 ms. A dot product runs over H rows of W+2
// floats (the padded rows), and on small planes each 4×2 tile's fixed work
// (the lane folds, the stores) weighs more, while the im2col copy is cheap.
const dotsMinPlane = 32 * 32

// dotsUse is dotBlock's use: planes of at least dotsMinPlane pixels, where
// the SIMD kernel loads.
func dotsUse(x backend.Shape) bool {
	if x.H*x.W < dotsMinPlane {
		return false
	}
	ok, _ := SIMD()
	return ok
}

// loadSIMD validates the kernel module (engines without SIMD reject it),
// finds the Go instance's memory and instantiates the module on it.
func loadSIMD() (exports js.Value, err error) {
	defer func() {
		if r := recover(); r != nil { // a JavaScript exception
			err = fmt.Errorf("cpu: loading the SIMD kernel: %v", r)
		}
	}()
	wa := js.Global().Get("WebAssembly")
	if wa.Type() != js.TypeObject {
		return js.Undefined(), errors.New("cpu: no WebAssembly object")
	}
	bytes := js.Global().Get("Uint8Array").New(len(simdModule))
	js.CopyBytesToJS(bytes, simdModule)
	if !wa.Call("validate", bytes).Bool() {
		return js.Undefined(), errors.New("cpu: this engine has no WebAssembly SIMD")
	}
	mem, err := goMemory(wa)
	if err != nil {
		return js.Undefined(), err
	}
	imports := map[string]any{"go": map[string]any{"mem": mem}}
	inst := wa.Get("Instance").New(wa.Get("Module").New(bytes), imports)
	return inst.Get("exports"), nil
}

// goMemory returns this Go program's WebAssembly.Memory, read from
// globalThis.wasm.instance.exports.mem and checked to be ours: a pattern
// written at a Go address must read back through it.
func goMemory(wa js.Value) (js.Value, error) {
	missing := errors.New("cpu: globalThis.wasm.instance.exports.mem (the Go program's memory) is not set")
	v := js.Global().Get("wasm")
	for _, key := range []string{"instance", "exports", "mem"} {
		if v.Type() != js.TypeObject && v.Type() != js.TypeFunction {
			return js.Undefined(), missing
		}
		v = v.Get(key)
	}
	if !v.InstanceOf(wa.Get("Memory")) {
		return js.Undefined(), missing
	}
	marker := make([]byte, 64)
	for i := range marker {
		marker[i] = byte(i*37 + 11)
	}
	addr := uintptr(unsafe.Pointer(&marker[0]))
	view := js.Global().Get("Uint8Array").New(v.Get("buffer"), addr, len(marker))
	got := make([]byte, len(marker))
	js.CopyBytesToGo(got, view)
	runtime.KeepAlive(marker)
	if string(got) != string(marker) {
		return js.Undefined(), errors.New("cpu: globalThis.wasm.instance.exports.mem is not this program's memory")
	}
	return v, nil
}

// simdBlockBytes bounds one column block of B (K rows × jb columns) that the
// kernel sweeps with every 4-row panel of A: it stays in L2.
const simdBlockBytes = 128 << 10

// gemmSIMD is gemmWhole on the SIMD kernel.
func gemmSIMD(g *gemmJob, c []float32, ldc int) bool {
	K := len(g.offs)
	// The kernel's last 4-column tile ends at cols: it needs at least 4.
	if g.cols < 4 || K == 0 {
		return false
	}
	if ok, _ := SIMD(); !ok {
		return false
	}
	// Bounds the kernel relies on (it sees raw addresses).
	if len(g.ap) < g.mpad*K || len(g.bias) < g.mpad || g.maxOff+g.cols > len(g.b) ||
		ldc < g.cols || len(c) < (g.mpad-1)*ldc+g.cols {
		panic(fmt.Sprintf("cpu: gemmSIMD: buffers too short for %d×%d·%d×%d", g.mpad, K, K, g.cols))
	}
	offs := make([]int32, K) // byte offsets in b of the rows of B
	for k, o := range g.offs {
		offs[k] = int32(4 * o)
	}
	jb := max(8, simdBlockBytes/(4*K)&^7)
	relu := 0
	if g.relu {
		relu = 1
	}
	simd.gemm.Invoke(addr(g.ap), addr(g.b), uintptr(unsafe.Pointer(&offs[0])), K, g.mpad, g.cols,
		addr(c), ldc, addr(g.bias), relu, jb)
	simd.runs++
	runtime.KeepAlive(g)
	runtime.KeepAlive(offs)
	runtime.KeepAlive(c)
	return true
}

// addr is the linear-memory address of s[0].
func addr(s []float32) uintptr { return uintptr(unsafe.Pointer(&s[0])) }

// blurSIMD is blurWhole on the SIMD kernel.
func blurSIMD(s *blurScratch, src, dst, taps []float32) bool {
	return blurCall(false, s, src, dst, taps)
}

// blurTSIMD is blurTWhole on the SIMD kernel.
func blurTSIMD(s *blurScratch, g, dst, taps []float32) bool {
	return blurCall(true, s, g, dst, taps)
}

// blurCall runs the kernel's blur, or with transpose its blurT, on one of
// s's planes.
func blurCall(transpose bool, s *blurScratch, src, dst, taps []float32) bool {
	h, w, r := s.h, s.w, len(taps)/2
	if h*w == 0 {
		return false
	}
	if ok, _ := SIMD(); !ok {
		return false
	}
	if len(src) < h*w || len(dst) < h*w || len(s.tmp) < h*w || len(s.row) < w+2*r || len(taps) != 2*r+1 {
		panic(fmt.Sprintf("cpu: blurCall: buffers too short for a %d×%d plane and %d taps", h, w, len(taps)))
	}
	fn := simd.blur
	if transpose {
		fn = simd.blurT
	}
	fn.Invoke(addr(src), addr(dst), addr(s.tmp), addr(s.row), h, w, addr(taps), r)
	simd.blurs++
	runtime.KeepAlive(s)
	runtime.KeepAlive(src)
	runtime.KeepAlive(dst)
	runtime.KeepAlive(taps)
	return true
}

// dotsSIMD is dotBlock's run on the kernel's dots (gemm_simd.wat): for
// i < rows, j < len(xByteOffs), out[i·ldo + j] (=, or += with accumulate)
// the dot product of g[gOff + i·gRow:] and x[xOff + xByteOffs[j]/4:], n
// floats each: four lanes over the whole vectors, folded as (l0 + l1) +
// (l2 + l3), then the last n mod 4 products in order.
func dotsSIMD(out []float32, ldo int, g []float32, gOff, gRow, rows int, x []float32, xOff int, xByteOffs []int32, n int, accumulate bool) {
	cols := len(xByteOffs)
	if rows == 0 || cols == 0 {
		return
	}
	maxOff := int32(0)
	for _, o := range xByteOffs {
		if o < 0 || o%4 != 0 {
			panic(fmt.Sprintf("cpu: dotsSIMD: byte offset %d", o))
		}
		maxOff = max(maxOff, o)
	}
	// Bounds the kernel relies on (it sees raw addresses).
	if n < 0 || gOff < 0 || xOff < 0 || gOff+(rows-1)*gRow+n > len(g) || xOff+int(maxOff/4)+n > len(x) ||
		ldo < cols || (rows-1)*ldo+cols > len(out) {
		panic(fmt.Sprintf("cpu: dotsSIMD: buffers too short for %d×%d dot products of %d floats", rows, cols, n))
	}
	acc := 0
	if accumulate {
		acc = 1
	}
	// &s[off] without a bounds failure where off = len(s) (n = 0)
	at := func(s []float32, off int) uintptr { return addr(s) + uintptr(4*off) }
	simd.dots.Invoke(at(g, gOff), 4*gRow, rows, at(x, xOff), uintptr(unsafe.Pointer(&xByteOffs[0])), cols, n,
		addr(out), 4*ldo, acc)
	simd.dotRuns++
	runtime.KeepAlive(g)
	runtime.KeepAlive(x)
	runtime.KeepAlive(out)
	runtime.KeepAlive(xByteOffs)
}

// The loss map gradient's rows on the kernel (wholeRows): each checks that
// every slice holds the n floats the kernel reads or writes, and declines
// (false) where the kernel is unavailable or the row is empty.

// rowsReady reports whether the kernel can take rows of n floats, every one
// of rows at least that long (the kernel sees raw addresses).
func rowsReady(n int, rows ...[]float32) bool {
	if n == 0 {
		return false
	}
	for _, r := range rows {
		if len(r) < n {
			panic(fmt.Sprintf("cpu: a loss-map row of %d floats, want %d", len(r), n))
		}
	}
	ok, _ := SIMD()
	return ok
}

// addScaledSIMD is wholeRows' addScaled: out[i] += k·u[i].
func addScaledSIMD(out, u []float32, k float32) bool {
	if !rowsReady(len(out), u) {
		return false
	}
	simd.addScaled.Invoke(addr(out), addr(u), len(out), k)
	simd.rowRuns++
	runtime.KeepAlive(out)
	runtime.KeepAlive(u)
	return true
}

// addProductSIMD is wholeRows' addProduct: out[i] += (k·a[i])·u[i].
func addProductSIMD(out, a, u []float32, k float32) bool {
	if !rowsReady(len(out), a, u) {
		return false
	}
	simd.addProduct.Invoke(addr(out), addr(a), addr(u), len(out), k)
	simd.rowRuns++
	runtime.KeepAlive(out)
	runtime.KeepAlive(a)
	runtime.KeepAlive(u)
	return true
}

// ssimCSSIMD is wholeRows' ssimCS (see ssimCS).
func ssimCSSIMD(ea, eb, eab, ma, mb, den, cs []float32, c2 float32) bool {
	if !rowsReady(len(cs), ea, eb, eab, ma, mb, den) {
		return false
	}
	simd.ssimCS.Invoke(len(cs), addr(ea), addr(eb), addr(eab), addr(ma), addr(mb), addr(den), addr(cs), c2)
	simd.rowRuns++
	runtime.KeepAlive([][]float32{ea, eb, eab, ma, mb, den, cs})
	return true
}

// ssimFactorsSIMD is wholeRows' ssimFactors: grad's G = u·lum·Π others
// and from it gmb, geb and geab (see ssimPlane.grad).
func ssimFactorsSIMD(lum []float32, others [4][]float32, den, cs, ma, mb, gmb, geb, geab []float32, u float32) bool {
	if !rowsReady(len(gmb), lum, others[0], others[1], others[2], others[3], den, cs, ma, mb, geb, geab) {
		return false
	}
	simd.ssimFactors.Invoke(len(gmb), addr(lum), addr(others[0]), addr(others[1]), addr(others[2]), addr(others[3]),
		addr(den), addr(cs), addr(ma), addr(mb), addr(gmb), addr(geb), addr(geab), u)
	simd.rowRuns++
	runtime.KeepAlive([][]float32{lum, others[0], others[1], others[2], others[3], den, cs, ma, mb, gmb, geb, geab})
	return true
}
