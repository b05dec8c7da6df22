//go:build !purego

#include "textflag.h"

// The weight gradient's dot-product kernel (wgrad.go): a 4×6 tile of dot
// products of four g rows with six x rows (each at its own offset), n
// floats long (a multiple of 16), in 24 zmm
// accumulators: Z(6i+j) holds row i × column j. DSTEP does 16 floats at
// byte offset R13: the six x rows are loaded once (Z24–Z29), each g row
// once (Z30) and multiplied into its six accumulators.
#define DROW(src, a0, a1, a2, a3, a4, a5) \
	VMOVUPS (src)(R13*1), Z30; \
	VFMADD231PS Z24, Z30, a0; \
	VFMADD231PS Z25, Z30, a1; \
	VFMADD231PS Z26, Z30, a2; \
	VFMADD231PS Z27, Z30, a3; \
	VFMADD231PS Z28, Z30, a4; \
	VFMADD231PS Z29, Z30, a5

#define DSTEP \
	VMOVUPS (AX)(R13*1), Z24; \
	VMOVUPS (BX)(R13*1), Z25; \
	VMOVUPS (DX)(R13*1), Z26; \
	VMOVUPS (SI)(R13*1), Z27; \
	VMOVUPS (DI)(R13*1), Z28; \
	VMOVUPS (R12)(R13*1), Z29; \
	DROW(R8, Z0, Z1, Z2, Z3, Z4, Z5); \
	DROW(R9, Z6, Z7, Z8, Z9, Z10, Z11); \
	DROW(R10, Z12, Z13, Z14, Z15, Z16, Z17); \
	DROW(R11, Z18, Z19, Z20, Z21, Z22, Z23); \
	ADDQ $64, R13

// DOUT folds accumulator z (lanes 0–15) to four floats, lane l + lane l+4
// + lane l+8 + lane l+12 summed as (l + (l+8)) + ((l+4) + (l+12)), and
// stores them at off(R14).
#define DOUT(z, y, x, off) \
	VEXTRACTF64X4 $1, z, Y30; \
	VADDPS Y30, y, y; \
	VEXTRACTF32X4 $1, y, X30; \
	VADDPS X30, x, x; \
	VMOVUPS x, off(R14)

// func dot4x6AVX512(n int, gr *float32, goffs *int, x *float32, xoffs *int, out *float32)
TEXT ·dot4x6AVX512(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ gr+8(FP), R12
	MOVQ goffs+16(FP), R13
	MOVQ 0(R13), R8
	LEAQ (R12)(R8*4), R8
	MOVQ 8(R13), R9
	LEAQ (R12)(R9*4), R9
	MOVQ 16(R13), R10
	LEAQ (R12)(R10*4), R10
	MOVQ 24(R13), R11
	LEAQ (R12)(R11*4), R11
	MOVQ x+24(FP), R12
	MOVQ xoffs+32(FP), R13
	MOVQ 0(R13), AX
	LEAQ (R12)(AX*4), AX
	MOVQ 8(R13), BX
	LEAQ (R12)(BX*4), BX
	MOVQ 16(R13), DX
	LEAQ (R12)(DX*4), DX
	MOVQ 24(R13), SI
	LEAQ (R12)(SI*4), SI
	MOVQ 32(R13), DI
	LEAQ (R12)(DI*4), DI
	MOVQ 40(R13), R14
	LEAQ (R12)(R14*4), R12
	MOVQ out+40(FP), R14

	VPXORD Z0, Z0, Z0
	VMOVAPS Z0, Z1
	VMOVAPS Z0, Z2
	VMOVAPS Z0, Z3
	VMOVAPS Z0, Z4
	VMOVAPS Z0, Z5
	VMOVAPS Z0, Z6
	VMOVAPS Z0, Z7
	VMOVAPS Z0, Z8
	VMOVAPS Z0, Z9
	VMOVAPS Z0, Z10
	VMOVAPS Z0, Z11
	VMOVAPS Z0, Z12
	VMOVAPS Z0, Z13
	VMOVAPS Z0, Z14
	VMOVAPS Z0, Z15
	VMOVAPS Z0, Z16
	VMOVAPS Z0, Z17
	VMOVAPS Z0, Z18
	VMOVAPS Z0, Z19
	VMOVAPS Z0, Z20
	VMOVAPS Z0, Z21
	VMOVAPS Z0, Z22
	VMOVAPS Z0, Z23
	XORQ R13, R13
	SHRQ $4, CX
	JEQ  dfold

dloop:
	DSTEP
	DECQ CX
	JNE  dloop

dfold:
	DOUT(Z0, Y0, X0, 0)
	DOUT(Z1, Y1, X1, 16)
	DOUT(Z2, Y2, X2, 32)
	DOUT(Z3, Y3, X3, 48)
	DOUT(Z4, Y4, X4, 64)
	DOUT(Z5, Y5, X5, 80)
	DOUT(Z6, Y6, X6, 96)
	DOUT(Z7, Y7, X7, 112)
	DOUT(Z8, Y8, X8, 128)
	DOUT(Z9, Y9, X9, 144)
	DOUT(Z10, Y10, X10, 160)
	DOUT(Z11, Y11, X11, 176)
	DOUT(Z12, Y12, X12, 192)
	DOUT(Z13, Y13, X13, 208)
	DOUT(Z14, Y14, X14, 224)
	DOUT(Z15, Y15, X15, 240)
	DOUT(Z16, Y16, X16, 256)
	DOUT(Z17, Y17, X17, 272)
	DOUT(Z18, Y18, X18, 288)
	DOUT(Z19, Y19, X19, 304)
	DOUT(Z20, Y20, X20, 320)
	DOUT(Z21, Y21, X21, 336)
	DOUT(Z22, Y22, X22, 352)
	DOUT(Z23, Y23, X23, 368)
	VZEROUPPER
	RET

// The AVX2 variant: a 4×3 tile in twelve ymm accumulators, Y(3i+j) row i ×
// column j; ASTEP does 8 floats at byte offset R13 (x rows in Y12–Y14, each
// g row once in Y15). AOUT folds accumulator y to four floats, lane l +
// lane l+4, and stores them at off(R14).
#define AROW(src, a0, a1, a2) \
	VMOVUPS (src)(R13*1), Y15; \
	VFMADD231PS Y12, Y15, a0; \
	VFMADD231PS Y13, Y15, a1; \
	VFMADD231PS Y14, Y15, a2

#define AOUT(y, x, off) \
	VEXTRACTF128 $1, y, X15; \
	VADDPS X15, x, x; \
	VMOVUPS x, off(R14)

// func dot4x3AVX2(n int, gr *float32, goffs *int, x *float32, xoffs *int, out *float32)
// out[24i + 4j + l] for i < 4, j < 3, l < 4.
TEXT ·dot4x3AVX2(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ gr+8(FP), R12
	MOVQ goffs+16(FP), R13
	MOVQ 0(R13), R8
	LEAQ (R12)(R8*4), R8
	MOVQ 8(R13), R9
	LEAQ (R12)(R9*4), R9
	MOVQ 16(R13), R10
	LEAQ (R12)(R10*4), R10
	MOVQ 24(R13), R11
	LEAQ (R12)(R11*4), R11
	MOVQ x+24(FP), R12
	MOVQ xoffs+32(FP), R13
	MOVQ 0(R13), AX
	LEAQ (R12)(AX*4), AX
	MOVQ 8(R13), BX
	LEAQ (R12)(BX*4), BX
	MOVQ 16(R13), DX
	LEAQ (R12)(DX*4), DX
	MOVQ out+40(FP), R14

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	XORQ R13, R13
	SHRQ $3, CX
	JEQ  afold

aloop:
	VMOVUPS (AX)(R13*1), Y12
	VMOVUPS (BX)(R13*1), Y13
	VMOVUPS (DX)(R13*1), Y14
	AROW(R8, Y0, Y1, Y2)
	AROW(R9, Y3, Y4, Y5)
	AROW(R10, Y6, Y7, Y8)
	AROW(R11, Y9, Y10, Y11)
	ADDQ $32, R13
	DECQ CX
	JNE  aloop

afold:
	AOUT(Y0, X0, 0)
	AOUT(Y1, X1, 16)
	AOUT(Y2, X2, 32)
	AOUT(Y3, X3, 96)
	AOUT(Y4, X4, 112)
	AOUT(Y5, X5, 128)
	AOUT(Y6, X6, 192)
	AOUT(Y7, X7, 208)
	AOUT(Y8, X8, 224)
	AOUT(Y9, X9, 288)
	AOUT(Y10, X10, 304)
	AOUT(Y11, X11, 320)
	VZEROUPPER
	RET
