;; The CPU backend's convolution product in WebAssembly SIMD (128-bit), for
;; the browser build (GOOS=js GOARCH=wasm; see gemm_wasm.go). Assembled into
;; gemm_simd.wasm with wabt: `make simd-kernel` (wat2wasm gemm_simd.wat -o
;; gemm_simd.wasm); TestSIMDModuleMatchesSource checks the committed binary.
;;
;; The module imports the Go program's linear memory: every pointer below is a
;; byte address of a Go slice, nothing is copied in or out.
;;
;; gemm computes C = act(A·B + bias) as gemm.go's gemmJob.tiles does, with the
;; same sums in the same order (bias first, then k = 0, 1, …, each product
;; rounded then added, no fused multiply-add), so results are bit-identical to
;; the pure-Go kernel:
;;   A    mpad×K, packed by packA into 4-row panels, k-major: A[m][k] at
;;        a + 4·((m/4)·4K + 4k + m%4)
;;   B    K×cols, never stored: row k is the window of cols floats at
;;        b + offs[k] (offs: K int32 byte offsets)
;;   C    mpad×cols at c, row stride ldc floats
;;   bias mpad floats; relu ≠ 0 clamps C at zero (f32x4.pmax(v, 0) keeps NaN,
;;        as Go's `if v < 0 { v = 0 }` does)
;; Columns are taken in blocks of jb (a multiple of 8, chosen so that a block
;; of B stays in L2 while every panel of A sweeps it); within a block, 4×8
;; tiles (eight accumulators: the register file of x86-64 without AVX-512
;; holds them with the two B vectors and the broadcast A value), then 4×4
;; tiles; the last 4×4 tile of a block ends at the block's end, recomputing
;; columns already written with the same result. cols ≥ 4 is required.
(module
  (import "go" "mem" (memory 0))
  ;; $tile8: the 4×8 tile at c (row stride $ldc bytes) =
  ;; act(bias[i] + Σ_k a[k·4+i] · b[offs[k]/4 + j]), i < 4, j < 8.
  (func $tile8 (param $a i32) (param $b i32) (param $offs i32) (param $end i32)
      (param $c i32) (param $ldc i32) (param $bias i32) (param $relu i32)
    (local $p i32) (local $x v128)
    (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128)
    (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128)
    (local $c30 v128) (local $c31 v128)
    (local.set $x (v128.load32_splat offset=0 (local.get $bias)))
    (local.set $c00 (local.get $x))
    (local.set $c01 (local.get $x))
    (local.set $x (v128.load32_splat offset=4 (local.get $bias)))
    (local.set $c10 (local.get $x))
    (local.set $c11 (local.get $x))
    (local.set $x (v128.load32_splat offset=8 (local.get $bias)))
    (local.set $c20 (local.get $x))
    (local.set $c21 (local.get $x))
    (local.set $x (v128.load32_splat offset=12 (local.get $bias)))
    (local.set $c30 (local.get $x))
    (local.set $c31 (local.get $x))
    (loop $k
      (local.set $p (i32.add (local.get $b) (i32.load offset=0 (local.get $offs))))
      (local.set $b0 (v128.load offset=0 (local.get $p)))
      (local.set $b1 (v128.load offset=16 (local.get $p)))
      (local.set $x (v128.load32_splat offset=0 (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat offset=8 (local.get $a)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $offs (i32.add (local.get $offs) (i32.const 4)))
      (br_if $k (i32.ne (local.get $offs) (local.get $end))))
    (if (local.get $relu) (then
      (local.set $x (v128.const i32x4 0 0 0 0))
      (local.set $c00 (f32x4.pmax (local.get $c00) (local.get $x)))
      (local.set $c01 (f32x4.pmax (local.get $c01) (local.get $x)))
      (local.set $c10 (f32x4.pmax (local.get $c10) (local.get $x)))
      (local.set $c11 (f32x4.pmax (local.get $c11) (local.get $x)))
      (local.set $c20 (f32x4.pmax (local.get $c20) (local.get $x)))
      (local.set $c21 (f32x4.pmax (local.get $c21) (local.get $x)))
      (local.set $c30 (f32x4.pmax (local.get $c30) (local.get $x)))
      (local.set $c31 (f32x4.pmax (local.get $c31) (local.get $x)))
    ))
    (v128.store offset=0 (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c10))
    (v128.store offset=16 (local.get $c) (local.get $c11))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c20))
    (v128.store offset=16 (local.get $c) (local.get $c21))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c30))
    (v128.store offset=16 (local.get $c) (local.get $c31))
  )
  ;; $tile4: the 4×4 tile at c (row stride $ldc bytes) =
  ;; act(bias[i] + Σ_k a[k·4+i] · b[offs[k]/4 + j]), i < 4, j < 4.
  (func $tile4 (param $a i32) (param $b i32) (param $offs i32) (param $end i32)
      (param $c i32) (param $ldc i32) (param $bias i32) (param $relu i32)
    (local $p i32) (local $x v128)
    (local $b0 v128)
    (local $c00 v128)
    (local $c10 v128)
    (local $c20 v128)
    (local $c30 v128)
    (local.set $x (v128.load32_splat offset=0 (local.get $bias)))
    (local.set $c00 (local.get $x))
    (local.set $x (v128.load32_splat offset=4 (local.get $bias)))
    (local.set $c10 (local.get $x))
    (local.set $x (v128.load32_splat offset=8 (local.get $bias)))
    (local.set $c20 (local.get $x))
    (local.set $x (v128.load32_splat offset=12 (local.get $bias)))
    (local.set $c30 (local.get $x))
    (loop $k
      (local.set $p (i32.add (local.get $b) (i32.load offset=0 (local.get $offs))))
      (local.set $b0 (v128.load offset=0 (local.get $p)))
      (local.set $x (v128.load32_splat offset=0 (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $x (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $x (v128.load32_splat offset=8 (local.get $a)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $x (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $offs (i32.add (local.get $offs) (i32.const 4)))
      (br_if $k (i32.ne (local.get $offs) (local.get $end))))
    (if (local.get $relu) (then
      (local.set $x (v128.const i32x4 0 0 0 0))
      (local.set $c00 (f32x4.pmax (local.get $c00) (local.get $x)))
      (local.set $c10 (f32x4.pmax (local.get $c10) (local.get $x)))
      (local.set $c20 (f32x4.pmax (local.get $c20) (local.get $x)))
      (local.set $c30 (f32x4.pmax (local.get $c30) (local.get $x)))
    ))
    (v128.store offset=0 (local.get $c) (local.get $c00))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c10))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c20))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (v128.store offset=0 (local.get $c) (local.get $c30))
  )
  ;; gemm: C = act(A·B + bias), all of it (see the top of the file); byte
  ;; addresses a, b, offs, c, bias; sizes K, mpad, cols, ldc and jb in elements.
  (func (export "gemm") (param $a i32) (param $b i32) (param $offs i32) (param $K i32)
      (param $mpad i32) (param $cols i32) (param $c i32) (param $ldc i32)
      (param $bias i32) (param $relu i32) (param $jb i32)
    (local $j0 i32) (local $jend i32) (local $j i32) (local $m i32)
    (local $ap i32) (local $cm i32) (local $bm i32) (local $end i32) (local $ldcb i32) (local $panel i32)
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $panel (i32.shl (local.get $K) (i32.const 4)))
    (local.set $end (i32.add (local.get $offs) (i32.shl (local.get $K) (i32.const 2))))
    (loop $blocks
      (local.set $jend (select (local.get $cols) (i32.add (local.get $j0) (local.get $jb))
        (i32.lt_u (local.get $cols) (i32.add (local.get $j0) (local.get $jb)))))
      (local.set $m (i32.const 0))
      (local.set $ap (local.get $a))
      (local.set $cm (local.get $c))
      (local.set $bm (local.get $bias))
      (loop $panels
        (local.set $j (local.get $j0))
        (block $wide_done (loop $wide
          (br_if $wide_done (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $jend)))
          (call $tile8 (local.get $ap) (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $offs) (local.get $end)
            (i32.add (local.get $cm) (i32.shl (local.get $j) (i32.const 2))) (local.get $ldcb) (local.get $bm) (local.get $relu))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br $wide)))
        (block $narrow_done (loop $narrow
          (br_if $narrow_done (i32.ge_u (local.get $j) (local.get $jend)))
          ;; the last 4 columns of the block end at jend, overlapping computed ones
          (if (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $jend))
            (then (local.set $j (i32.sub (local.get $jend) (i32.const 4)))))
          (call $tile4 (local.get $ap) (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $offs) (local.get $end)
            (i32.add (local.get $cm) (i32.shl (local.get $j) (i32.const 2))) (local.get $ldcb) (local.get $bm) (local.get $relu))
          (local.set $j (i32.add (local.get $j) (i32.const 4)))
          (br $narrow)))
        (local.set $ap (i32.add (local.get $ap) (local.get $panel)))
        (local.set $cm (i32.add (local.get $cm) (i32.shl (local.get $ldcb) (i32.const 2))))
        (local.set $bm (i32.add (local.get $bm) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (br_if $panels (i32.lt_u (local.get $m) (local.get $mpad))))
      (local.set $j0 (local.get $jend))
      (br_if $blocks (i32.lt_u (local.get $j0) (local.get $cols))))
  )
)
