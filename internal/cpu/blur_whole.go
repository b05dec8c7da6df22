package cpu

// blurWhole, on platforms that have one (gemm_wasm.go: WebAssembly SIMD),
// computes blurScratch.blur(src, dst, taps) for s's h×w planes with the
// same operations in the same order, using s.tmp and s.row, and reports
// true; false leaves the blur to the Go code.
var blurWhole func(s *blurScratch, src, dst, taps []float32) bool

// blurTWhole is blurWhole for blurScratch.blurT.
var blurTWhole func(s *blurScratch, g, dst, taps []float32) bool
