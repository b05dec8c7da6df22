;; The CPU backend's hot loops in WebAssembly SIMD (128-bit), for the browser
;; build (GOOS=js GOARCH=wasm; see gemm_wasm.go): gemm, the convolutions'
;; matrix product, blur and blurT, the loss map's separable Gaussian blur and
;; its transpose, and dots, the convolution weight gradient's dot products
;; (in that order below). Assembled into
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
  ;; $scale: out[i] = k · src[i] for i < n (byte addresses).
  (func $scale (param $out i32) (param $src i32) (param $n i32) (param $k f32)
    (local $end i32) (local $kv v128)
    (local.set $kv (f32x4.splat (local.get $k)))
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $v
      (br_if $vdone (i32.ge_u (local.get $out) (local.get $end)))
      (v128.store (local.get $out) (f32x4.mul (local.get $kv) (v128.load (local.get $src))))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $v)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $out) (local.get $end)))
      (f32.store (local.get $out) (f32.mul (local.get $k) (f32.load (local.get $src))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $s))))
  ;; $addpair: out[i] += k · (u[i] + v[i]) for i < n (byte addresses), as
  ;; lossmap.go's addPair rounds it.
  (func $addpair (param $out i32) (param $u i32) (param $v i32) (param $n i32) (param $k f32)
    (local $end i32) (local $kv v128)
    (local.set $kv (f32x4.splat (local.get $k)))
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vl
      (br_if $vdone (i32.ge_u (local.get $out) (local.get $end)))
      (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out))
        (f32x4.mul (local.get $kv) (f32x4.add (v128.load (local.get $u)) (v128.load (local.get $v))))))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (local.set $u (i32.add (local.get $u) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (br $vl)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $out) (local.get $end)))
      (f32.store (local.get $out) (f32.add (f32.load (local.get $out))
        (f32.mul (local.get $k) (f32.add (f32.load (local.get $u)) (f32.load (local.get $v))))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $u (i32.add (local.get $u) (i32.const 4)))
      (local.set $v (i32.add (local.get $v) (i32.const 4)))
      (br $s))))
  ;; $clamp: min(max(i, 0), n−1).
  (func $clamp (param $i i32) (param $n i32) (result i32)
    (select (i32.sub (local.get $n) (i32.const 1))
      (select (i32.const 0) (local.get $i) (i32.lt_s (local.get $i) (i32.const 0)))
      (i32.ge_s (local.get $i) (local.get $n))))
  ;; blur: dst = the separable blur of the h×w plane src with the 2r+1
  ;; symmetric taps, edge-replicate padding, as lossmap.go's blurScratch.blur
  ;; computes it (same operations in the same order): rows into tmp (h×w),
  ;; each from a copy padded by r on each side in row (w+2r floats), then
  ;; columns into dst with the row index clamped. Byte addresses src, dst,
  ;; tmp, row, taps.
  (func (export "blur") (param $src i32) (param $dst i32) (param $tmp i32) (param $row i32)
      (param $h i32) (param $w i32) (param $taps i32) (param $r i32)
    (local $y i32) (local $t i32) (local $i i32) (local $in i32) (local $out i32)
    (local $wb i32) (local $kc f32) (local $first f32) (local $last f32)
    (local.set $wb (i32.shl (local.get $w) (i32.const 2)))
    (local.set $kc (f32.load (i32.add (local.get $taps) (i32.shl (local.get $r) (i32.const 2)))))
    (local.set $y (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $y) (local.get $h)))
      (local.set $in (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $wb))))
      (memory.copy (i32.add (local.get $row) (i32.shl (local.get $r) (i32.const 2))) (local.get $in) (local.get $wb))
      (local.set $first (f32.load (local.get $in)))
      (local.set $last (f32.load (i32.sub (i32.add (local.get $in) (local.get $wb)) (i32.const 4))))
      (local.set $i (i32.const 0))
      (block $pad_done (loop $pad
        (br_if $pad_done (i32.ge_u (local.get $i) (local.get $r)))
        (f32.store (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))) (local.get $first))
        (f32.store (i32.add (i32.add (local.get $row) (local.get $wb))
          (i32.shl (i32.add (local.get $r) (local.get $i)) (i32.const 2))) (local.get $last))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $pad)))
      (local.set $out (i32.add (local.get $tmp) (i32.mul (local.get $y) (local.get $wb))))
      (call $scale (local.get $out) (i32.add (local.get $row) (i32.shl (local.get $r) (i32.const 2))) (local.get $w) (local.get $kc))
      (local.set $t (i32.const 0))
      (block $taps_done (loop $tapl
        (br_if $taps_done (i32.ge_u (local.get $t) (local.get $r)))
        (call $addpair (local.get $out)
          (i32.add (local.get $row) (i32.shl (local.get $t) (i32.const 2)))
          (i32.add (local.get $row) (i32.shl (i32.sub (i32.shl (local.get $r) (i32.const 1)) (local.get $t)) (i32.const 2)))
          (local.get $w) (f32.load (i32.add (local.get $taps) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tapl)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $rows)))
    (local.set $y (i32.const 0))
    (block $cols_done (loop $cols
      (br_if $cols_done (i32.ge_u (local.get $y) (local.get $h)))
      (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $wb))))
      (call $scale (local.get $out) (i32.add (local.get $tmp) (i32.mul (local.get $y) (local.get $wb))) (local.get $w) (local.get $kc))
      (local.set $t (i32.const 0))
      (block $ctaps_done (loop $ctaps
        (br_if $ctaps_done (i32.ge_u (local.get $t) (local.get $r)))
        (call $addpair (local.get $out)
          (i32.add (local.get $tmp) (i32.mul (call $clamp (i32.sub (i32.add (local.get $y) (local.get $t)) (local.get $r)) (local.get $h)) (local.get $wb)))
          (i32.add (local.get $tmp) (i32.mul (call $clamp (i32.sub (i32.add (local.get $y) (local.get $r)) (local.get $t)) (local.get $h)) (local.get $wb)))
          (local.get $w) (f32.load (i32.add (local.get $taps) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $ctaps)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $cols)))
  )
  ;; $addscaled: out[i] += k · u[i] for i < n (byte addresses), as
  ;; lossmap.go's addScaled rounds it.
  (func $addscaled (param $out i32) (param $u i32) (param $n i32) (param $k f32)
    (local $end i32) (local $kv v128)
    (local.set $kv (f32x4.splat (local.get $k)))
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vl
      (br_if $vdone (i32.ge_u (local.get $out) (local.get $end)))
      (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out))
        (f32x4.mul (local.get $kv) (v128.load (local.get $u)))))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (local.set $u (i32.add (local.get $u) (i32.const 16)))
      (br $vl)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $sdone (loop $s
      (br_if $sdone (i32.ge_u (local.get $out) (local.get $end)))
      (f32.store (local.get $out) (f32.add (f32.load (local.get $out))
        (f32.mul (local.get $k) (f32.load (local.get $u)))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $u (i32.add (local.get $u) (i32.const 4)))
      (br $s))))
  ;; blurT: dst = the transpose of blur applied to the h×w plane g, as
  ;; lossmap.go's blurScratch.blurT computes it (same operations in the same
  ;; order): columns scattered into tmp (cleared first) onto the clamped rows
  ;; they were gathered from, then each row scattered into row (cleared, w+2r
  ;; floats) and folded back onto the edge pixels. Byte addresses g, dst,
  ;; tmp, row, taps.
  (func (export "blurT") (param $g i32) (param $dst i32) (param $tmp i32) (param $row i32)
      (param $h i32) (param $w i32) (param $taps i32) (param $r i32)
    (local $y i32) (local $t i32) (local $i i32) (local $in i32) (local $out i32)
    (local $wb i32) (local $n2 i32) (local $last i32)
    (local.set $wb (i32.shl (local.get $w) (i32.const 2)))
    (local.set $n2 (i32.shl (local.get $r) (i32.const 1)))
    (memory.fill (local.get $tmp) (i32.const 0) (i32.mul (local.get $h) (local.get $wb)))
    (local.set $y (i32.const 0))
    (block $cols_done (loop $cols
      (br_if $cols_done (i32.ge_u (local.get $y) (local.get $h)))
      (local.set $in (i32.add (local.get $g) (i32.mul (local.get $y) (local.get $wb))))
      (local.set $t (i32.const 0))
      (block $ctaps_done (loop $ctaps
        (br_if $ctaps_done (i32.gt_u (local.get $t) (local.get $n2)))
        (call $addscaled
          (i32.add (local.get $tmp) (i32.mul (call $clamp (i32.sub (i32.add (local.get $y) (local.get $t)) (local.get $r)) (local.get $h)) (local.get $wb)))
          (local.get $in) (local.get $w) (f32.load (i32.add (local.get $taps) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $ctaps)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $cols)))
    (local.set $y (i32.const 0))
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $y) (local.get $h)))
      (memory.fill (local.get $row) (i32.const 0) (i32.add (local.get $wb) (i32.shl (local.get $n2) (i32.const 2))))
      (local.set $in (i32.add (local.get $tmp) (i32.mul (local.get $y) (local.get $wb))))
      (local.set $t (i32.const 0))
      (block $rtaps_done (loop $rtaps
        (br_if $rtaps_done (i32.gt_u (local.get $t) (local.get $n2)))
        (call $addscaled (i32.add (local.get $row) (i32.shl (local.get $t) (i32.const 2)))
          (local.get $in) (local.get $w) (f32.load (i32.add (local.get $taps) (i32.shl (local.get $t) (i32.const 2)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $rtaps)))
      (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $wb))))
      (memory.copy (local.get $out) (i32.add (local.get $row) (i32.shl (local.get $r) (i32.const 2))) (local.get $wb))
      (local.set $last (i32.sub (i32.add (local.get $out) (local.get $wb)) (i32.const 4)))
      (local.set $i (i32.const 0))
      (block $fold_done (loop $fold
        (br_if $fold_done (i32.ge_u (local.get $i) (local.get $r)))
        (f32.store (local.get $out) (f32.add (f32.load (local.get $out))
          (f32.load (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 2))))))
        (f32.store (local.get $last) (f32.add (f32.load (local.get $last))
          (f32.load (i32.add (i32.add (local.get $row) (local.get $wb)) (i32.shl (i32.add (local.get $r) (local.get $i)) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fold)))
      (local.set $y (i32.add (local.get $y) (i32.const 1)))
      (br $rows)))
  )
  ;; dots: the weight gradient's dot products (wgrad.go, dotBlockSIMD in
  ;; gemm_wasm.go): for i < rows and j < cols,
  ;;   out[i·ldo + j] = d(i, j), or out[i·ldo + j] += d(i, j) where acc ≠ 0,
  ;;   d(i, j) = Σ_{q<n} g[i·gstride + q] · x[xoffs[j] + q]
  ;; (g, x, out byte addresses; gstride and ldo in bytes; xoffs: cols int32
  ;; byte offsets from x; n floats, any n ≥ 0). Each d(i, j) is summed in a
  ;; fixed order whatever rows and cols are: four lanes, lane l the products
  ;; of the elements q ≡ l mod 4 of the whole vectors in order, folded as
  ;; (l0 + l1) + (l2 + l3), then the n mod 4 last products one by one; each
  ;; product rounded then added (no fused multiply-add). Rows go four at a
  ;; time, columns two at a time ($dot4x2); the last group of either repeats
  ;; its last row or column and drops those sums.
  (func (export "dots") (param $g i32) (param $gstride i32) (param $rows i32)
      (param $x i32) (param $xoffs i32) (param $cols i32) (param $n i32)
      (param $out i32) (param $ldo i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $nr i32) (local $nc i32) (local $ga i32) (local $orow i32)
    (block $none
      (br_if $none (i32.or (i32.eqz (local.get $rows)) (i32.eqz (local.get $cols))))
      (loop $rowl
        (local.set $nr (select (i32.const 4) (i32.sub (local.get $rows) (local.get $i))
          (i32.gt_u (i32.sub (local.get $rows) (local.get $i)) (i32.const 4))))
        (local.set $ga (i32.add (local.get $g) (i32.mul (local.get $i) (local.get $gstride))))
        (local.set $orow (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $ldo))))
        (local.set $j (i32.const 0))
        (loop $coll
          (local.set $nc (select (i32.const 2) (i32.sub (local.get $cols) (local.get $j))
            (i32.gt_u (i32.sub (local.get $cols) (local.get $j)) (i32.const 2))))
          (call $dot4x2
            (local.get $ga)
            (i32.add (local.get $ga) (i32.mul (local.get $gstride) (call $minu (i32.const 1) (i32.sub (local.get $nr) (i32.const 1)))))
            (i32.add (local.get $ga) (i32.mul (local.get $gstride) (call $minu (i32.const 2) (i32.sub (local.get $nr) (i32.const 1)))))
            (i32.add (local.get $ga) (i32.mul (local.get $gstride) (i32.sub (local.get $nr) (i32.const 1))))
            (i32.add (local.get $x) (i32.load (i32.add (local.get $xoffs) (i32.shl (local.get $j) (i32.const 2)))))
            (i32.add (local.get $x) (i32.load (i32.add (local.get $xoffs)
              (i32.shl (i32.sub (i32.add (local.get $j) (local.get $nc)) (i32.const 1)) (i32.const 2)))))
            (local.get $n) (i32.add (local.get $orow) (i32.shl (local.get $j) (i32.const 2))) (local.get $ldo) (local.get $acc)
            (local.get $nr) (local.get $nc))
          (local.set $j (i32.add (local.get $j) (i32.const 2)))
          (br_if $coll (i32.lt_u (local.get $j) (local.get $cols))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br_if $rowl (i32.lt_u (local.get $i) (local.get $rows)))))
  )
  ;; $minu: the smaller of a and b (unsigned).
  (func $minu (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_u (local.get $a) (local.get $b))))
  ;; $dot4x2: d(i, j) of dots for the rows at g0…g3 and the columns at x0, x1
  ;; (byte addresses), n floats each, stored (or added, acc ≠ 0) at
  ;; out + i·ldo + 4j for i < nr, j < nc: eight accumulators, the four g
  ;; vectors loaded one at a time, two x vectors; eight floats per loop.
  (func $dot4x2 (param $g0 i32) (param $g1 i32) (param $g2 i32) (param $g3 i32)
      (param $x0 i32) (param $x1 i32) (param $n i32)
      (param $out i32) (param $ldo i32) (param $acc i32) (param $nr i32) (param $nc i32)
    (local $end i32) (local $end8 i32) (local $t i32) (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $end (i32.add (local.get $g0) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $g0) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $d8 (loop $l8
      (br_if $d8 (i32.ge_u (local.get $g0) (local.get $end8)))
      (local.set $b0 (v128.load offset=0 (local.get $x0)))
      (local.set $b1 (v128.load offset=0 (local.get $x1)))
      (local.set $a (v128.load offset=0 (local.get $g0)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=0 (local.get $g1)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=0 (local.get $g2)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=0 (local.get $g3)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $b0 (v128.load offset=16 (local.get $x0)))
      (local.set $b1 (v128.load offset=16 (local.get $x1)))
      (local.set $a (v128.load offset=16 (local.get $g0)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=16 (local.get $g1)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=16 (local.get $g2)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=16 (local.get $g3)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $g0 (i32.add (local.get $g0) (i32.const 32)))
      (local.set $g1 (i32.add (local.get $g1) (i32.const 32)))
      (local.set $g2 (i32.add (local.get $g2) (i32.const 32)))
      (local.set $g3 (i32.add (local.get $g3) (i32.const 32)))
      (local.set $x0 (i32.add (local.get $x0) (i32.const 32)))
      (local.set $x1 (i32.add (local.get $x1) (i32.const 32)))
      (br $l8)))
    (if (i32.lt_u (local.get $g0) (local.get $end)) (then
      (local.set $b0 (v128.load offset=0 (local.get $x0)))
      (local.set $b1 (v128.load offset=0 (local.get $x1)))
      (local.set $a (v128.load offset=0 (local.get $g0)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=0 (local.get $g1)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=0 (local.get $g2)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=0 (local.get $g3)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $g0 (i32.add (local.get $g0) (i32.const 16)))
      (local.set $g1 (i32.add (local.get $g1) (i32.const 16)))
      (local.set $g2 (i32.add (local.get $g2) (i32.const 16)))
      (local.set $g3 (i32.add (local.get $g3) (i32.const 16)))
      (local.set $x0 (i32.add (local.get $x0) (i32.const 16)))
      (local.set $x1 (i32.add (local.get $x1) (i32.const 16)))
    ))
    (local.set $t (i32.and (local.get $n) (i32.const 3)))
    (call $dotfin (local.get $c00) (local.get $g0) (local.get $x0) (local.get $t) (local.get $out) (local.get $acc))
    (if (i32.ge_u (local.get $nc) (i32.const 2)) (then (call $dotfin (local.get $c01) (local.get $g0) (local.get $x1) (local.get $t) (i32.add (local.get $out) (i32.const 4)) (local.get $acc))))
    (if (i32.ge_u (local.get $nr) (i32.const 2)) (then
      (call $dotfin (local.get $c10) (local.get $g1) (local.get $x0) (local.get $t) (i32.add (local.get $out) (i32.mul (local.get $ldo) (i32.const 1))) (local.get $acc))
      (if (i32.ge_u (local.get $nc) (i32.const 2)) (then (call $dotfin (local.get $c11) (local.get $g1) (local.get $x1) (local.get $t) (i32.add (i32.add (local.get $out) (i32.mul (local.get $ldo) (i32.const 1))) (i32.const 4)) (local.get $acc))))))
    (if (i32.ge_u (local.get $nr) (i32.const 3)) (then
      (call $dotfin (local.get $c20) (local.get $g2) (local.get $x0) (local.get $t) (i32.add (local.get $out) (i32.mul (local.get $ldo) (i32.const 2))) (local.get $acc))
      (if (i32.ge_u (local.get $nc) (i32.const 2)) (then (call $dotfin (local.get $c21) (local.get $g2) (local.get $x1) (local.get $t) (i32.add (i32.add (local.get $out) (i32.mul (local.get $ldo) (i32.const 2))) (i32.const 4)) (local.get $acc))))))
    (if (i32.ge_u (local.get $nr) (i32.const 4)) (then
      (call $dotfin (local.get $c30) (local.get $g3) (local.get $x0) (local.get $t) (i32.add (local.get $out) (i32.mul (local.get $ldo) (i32.const 3))) (local.get $acc))
      (if (i32.ge_u (local.get $nc) (i32.const 2)) (then (call $dotfin (local.get $c31) (local.get $g3) (local.get $x1) (local.get $t) (i32.add (i32.add (local.get $out) (i32.mul (local.get $ldo) (i32.const 3))) (i32.const 4)) (local.get $acc))))))
  )
  ;; $dotfin: (v0 + v1) + (v2 + v3), plus g[q]·x[q] for q < t one by one,
  ;; stored at o, or added to it where acc ≠ 0 (g, x, o byte addresses).
  (func $dotfin (param $v v128) (param $g i32) (param $x i32) (param $t i32) (param $o i32) (param $acc i32)
    (local $s f32)
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))
    (block $done (loop $tail
      (br_if $done (i32.eqz (local.get $t)))
      (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $g)) (f32.load (local.get $x)))))
      (local.set $g (i32.add (local.get $g) (i32.const 4)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (br $tail)))
    (if (local.get $acc) (then (local.set $s (f32.add (f32.load (local.get $o)) (local.get $s)))))
    (f32.store (local.get $o) (local.get $s))
  )
  ;; The loss map gradient's per-pixel rows (lossmap_backward.go, lossmap_vec.go;
  ;; wholeRows in gemm_wasm.go), each the same operations in the same order as
  ;; the Go loop it replaces (no fused multiply-add), so the same bits; n
  ;; floats, byte addresses.
  ;; addscaled: out[i] += k·u[i] ($addscaled above).
  (export "addscaled" (func $addscaled))
  ;; addproduct: out[i] += (k·a[i])·u[i].
  (func (export "addproduct") (param $out i32) (param $a i32) (param $u i32) (param $n i32) (param $k f32)
    (local $end i32) (local $kv v128)
    (local.set $kv (f32x4.splat (local.get $k)))
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vl
      (br_if $vdone (i32.ge_u (local.get $out) (local.get $end)))
      (v128.store (local.get $out) (f32x4.add (v128.load (local.get $out))
        (f32x4.mul (f32x4.mul (local.get $kv) (v128.load (local.get $a))) (v128.load (local.get $u)))))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $u (i32.add (local.get $u) (i32.const 16)))
      (br $vl)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $sdone (loop $sl
      (br_if $sdone (i32.ge_u (local.get $out) (local.get $end)))
      (f32.store (local.get $out) (f32.add (f32.load (local.get $out))
        (f32.mul (f32.mul (local.get $k) (f32.load (local.get $a))) (f32.load (local.get $u)))))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $a (i32.add (local.get $a) (i32.const 4)))
      (local.set $u (i32.add (local.get $u) (i32.const 4)))
      (br $sl))))

  ;; ssimcs: for each pixel, va = ea − ma·ma, vb = eb − mb·mb, cab = eab −
  ;; ma·mb, den = (va + vb) + c2, cs = (2·cab + c2) / den.
  (func (export "ssimcs") (param $n i32) (param $ea i32) (param $eb i32) (param $eab i32) (param $ma i32) (param $mb i32) (param $den i32) (param $cs i32) (param $c2 f32)
    (local $end i32) (local $vt v128) (local $st f32) (local $twov v128) (local $c2v v128)
    (local.set $twov (f32x4.splat (f32.const 2)))
    (local.set $c2v (f32x4.splat (local.get $c2)))
    (local.set $end (i32.add (local.get $ea) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vl
      (br_if $vdone (i32.ge_u (local.get $ea) (local.get $end)))
      (local.set $vt (f32x4.add (f32x4.add (f32x4.sub (v128.load (local.get $ea)) (f32x4.mul (v128.load (local.get $ma)) (v128.load (local.get $ma)))) (f32x4.sub (v128.load (local.get $eb)) (f32x4.mul (v128.load (local.get $mb)) (v128.load (local.get $mb))))) (local.get $c2v)))
      (v128.store (local.get $den) (local.get $vt))
      (v128.store (local.get $cs) (f32x4.div (f32x4.add (f32x4.mul (local.get $twov) (f32x4.sub (v128.load (local.get $eab)) (f32x4.mul (v128.load (local.get $ma)) (v128.load (local.get $mb))))) (local.get $c2v)) (local.get $vt)))
      (local.set $ea (i32.add (local.get $ea) (i32.const 16)))
      (local.set $eb (i32.add (local.get $eb) (i32.const 16)))
      (local.set $eab (i32.add (local.get $eab) (i32.const 16)))
      (local.set $ma (i32.add (local.get $ma) (i32.const 16)))
      (local.set $mb (i32.add (local.get $mb) (i32.const 16)))
      (local.set $den (i32.add (local.get $den) (i32.const 16)))
      (local.set $cs (i32.add (local.get $cs) (i32.const 16)))
      (br $vl)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $sdone (loop $sl
      (br_if $sdone (i32.ge_u (local.get $ea) (local.get $end)))
      (local.set $st (f32.add (f32.add (f32.sub (f32.load (local.get $ea)) (f32.mul (f32.load (local.get $ma)) (f32.load (local.get $ma)))) (f32.sub (f32.load (local.get $eb)) (f32.mul (f32.load (local.get $mb)) (f32.load (local.get $mb))))) (local.get $c2)))
      (f32.store (local.get $den) (local.get $st))
      (f32.store (local.get $cs) (f32.div (f32.add (f32.mul (f32.const 2) (f32.sub (f32.load (local.get $eab)) (f32.mul (f32.load (local.get $ma)) (f32.load (local.get $mb))))) (local.get $c2)) (local.get $st)))
      (local.set $ea (i32.add (local.get $ea) (i32.const 4)))
      (local.set $eb (i32.add (local.get $eb) (i32.const 4)))
      (local.set $eab (i32.add (local.get $eab) (i32.const 4)))
      (local.set $ma (i32.add (local.get $ma) (i32.const 4)))
      (local.set $mb (i32.add (local.get $mb) (i32.const 4)))
      (local.set $den (i32.add (local.get $den) (i32.const 4)))
      (local.set $cs (i32.add (local.get $cs) (i32.const 4)))
      (br $sl))))

  ;; ssimfactors: for each pixel, g = ((((u·lum)·o0)·o1)·o2)·o3, inv = 1/den,
  ;; gmb = (g·((2·mb)·cs − 2·ma))·inv, geb = ((−g)·cs)·inv, geab = (2·g)·inv.
  (func (export "ssimfactors") (param $n i32) (param $lum i32) (param $o0 i32) (param $o1 i32) (param $o2 i32) (param $o3 i32) (param $den i32) (param $cs i32) (param $ma i32) (param $mb i32) (param $gmb i32) (param $geb i32) (param $geab i32) (param $u f32)
    (local $end i32) (local $vg v128) (local $vi v128) (local $sg f32) (local $si f32) (local $twov v128) (local $onev v128) (local $uv v128)
    (local.set $twov (f32x4.splat (f32.const 2)))
    (local.set $onev (f32x4.splat (f32.const 1)))
    (local.set $uv (f32x4.splat (local.get $u)))
    (local.set $end (i32.add (local.get $lum) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone (loop $vl
      (br_if $vdone (i32.ge_u (local.get $lum) (local.get $end)))
      (local.set $vg (f32x4.mul (f32x4.mul (f32x4.mul (f32x4.mul (f32x4.mul (local.get $uv) (v128.load (local.get $lum))) (v128.load (local.get $o0))) (v128.load (local.get $o1))) (v128.load (local.get $o2))) (v128.load (local.get $o3))))
      (local.set $vi (f32x4.div (local.get $onev) (v128.load (local.get $den))))
      (v128.store (local.get $gmb) (f32x4.mul (f32x4.mul (local.get $vg) (f32x4.sub (f32x4.mul (f32x4.mul (local.get $twov) (v128.load (local.get $mb))) (v128.load (local.get $cs))) (f32x4.mul (local.get $twov) (v128.load (local.get $ma))))) (local.get $vi)))
      (v128.store (local.get $geb) (f32x4.mul (f32x4.mul (f32x4.neg (local.get $vg)) (v128.load (local.get $cs))) (local.get $vi)))
      (v128.store (local.get $geab) (f32x4.mul (f32x4.mul (local.get $twov) (local.get $vg)) (local.get $vi)))
      (local.set $lum (i32.add (local.get $lum) (i32.const 16)))
      (local.set $o0 (i32.add (local.get $o0) (i32.const 16)))
      (local.set $o1 (i32.add (local.get $o1) (i32.const 16)))
      (local.set $o2 (i32.add (local.get $o2) (i32.const 16)))
      (local.set $o3 (i32.add (local.get $o3) (i32.const 16)))
      (local.set $den (i32.add (local.get $den) (i32.const 16)))
      (local.set $cs (i32.add (local.get $cs) (i32.const 16)))
      (local.set $ma (i32.add (local.get $ma) (i32.const 16)))
      (local.set $mb (i32.add (local.get $mb) (i32.const 16)))
      (local.set $gmb (i32.add (local.get $gmb) (i32.const 16)))
      (local.set $geb (i32.add (local.get $geb) (i32.const 16)))
      (local.set $geab (i32.add (local.get $geab) (i32.const 16)))
      (br $vl)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $sdone (loop $sl
      (br_if $sdone (i32.ge_u (local.get $lum) (local.get $end)))
      (local.set $sg (f32.mul (f32.mul (f32.mul (f32.mul (f32.mul (local.get $u) (f32.load (local.get $lum))) (f32.load (local.get $o0))) (f32.load (local.get $o1))) (f32.load (local.get $o2))) (f32.load (local.get $o3))))
      (local.set $si (f32.div (f32.const 1) (f32.load (local.get $den))))
      (f32.store (local.get $gmb) (f32.mul (f32.mul (local.get $sg) (f32.sub (f32.mul (f32.mul (f32.const 2) (f32.load (local.get $mb))) (f32.load (local.get $cs))) (f32.mul (f32.const 2) (f32.load (local.get $ma))))) (local.get $si)))
      (f32.store (local.get $geb) (f32.mul (f32.mul (f32.neg (local.get $sg)) (f32.load (local.get $cs))) (local.get $si)))
      (f32.store (local.get $geab) (f32.mul (f32.mul (f32.const 2) (local.get $sg)) (local.get $si)))
      (local.set $lum (i32.add (local.get $lum) (i32.const 4)))
      (local.set $o0 (i32.add (local.get $o0) (i32.const 4)))
      (local.set $o1 (i32.add (local.get $o1) (i32.const 4)))
      (local.set $o2 (i32.add (local.get $o2) (i32.const 4)))
      (local.set $o3 (i32.add (local.get $o3) (i32.const 4)))
      (local.set $den (i32.add (local.get $den) (i32.const 4)))
      (local.set $cs (i32.add (local.get $cs) (i32.const 4)))
      (local.set $ma (i32.add (local.get $ma) (i32.const 4)))
      (local.set $mb (i32.add (local.get $mb) (i32.const 4)))
      (local.set $gmb (i32.add (local.get $gmb) (i32.const 4)))
      (local.set $geb (i32.add (local.get $geb) (i32.const 4)))
      (local.set $geab (i32.add (local.get $geab) (i32.const 4)))
      (br $sl))))
)
