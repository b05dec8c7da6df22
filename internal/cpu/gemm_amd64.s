//go:build !purego

#include "textflag.h"

// STEP does one k of the 4×24 tile: B row k is the 24 floats at
// SI + 4·offs[k], A column k is the 4 floats at DI + 16·k. It also prefetches
// the next tile's part of the row (the 96 bytes that follow), which the
// hardware prefetchers miss because the rows lie a channel plane apart.
#define STEP(ko, ao) \
	MOVQ ko(R8), R9; \
	VMOVUPS (SI)(R9*4), Y12; \
	VMOVUPS 32(SI)(R9*4), Y13; \
	VMOVUPS 64(SI)(R9*4), Y14; \
	PREFETCHT0 96(SI)(R9*4); \
	PREFETCHT0 160(SI)(R9*4); \
	VBROADCASTSS ao(DI), Y15; \
	VFMADD231PS Y12, Y15, Y0; \
	VFMADD231PS Y13, Y15, Y1; \
	VFMADD231PS Y14, Y15, Y2; \
	VBROADCASTSS ao+4(DI), Y15; \
	VFMADD231PS Y12, Y15, Y3; \
	VFMADD231PS Y13, Y15, Y4; \
	VFMADD231PS Y14, Y15, Y5; \
	VBROADCASTSS ao+8(DI), Y15; \
	VFMADD231PS Y12, Y15, Y6; \
	VFMADD231PS Y13, Y15, Y7; \
	VFMADD231PS Y14, Y15, Y8; \
	VBROADCASTSS ao+12(DI), Y15; \
	VFMADD231PS Y12, Y15, Y9; \
	VFMADD231PS Y13, Y15, Y10; \
	VFMADD231PS Y14, Y15, Y11

// LOADROW and BIASROW initialise one row of accumulators from the 24
// floats of C at DX, or from the bias float at BX; both step on to the next row.
#define LOADROW(r0, r1, r2) \
	VMOVUPS (DX), r0; \
	VMOVUPS 32(DX), r1; \
	VMOVUPS 64(DX), r2; \
	ADDQ R10, DX

#define BIASROW(r0, r1, r2) \
	VBROADCASTSS (BX), r0; \
	VMOVAPS r0, r1; \
	VMOVAPS r0, r2; \
	ADDQ $4, BX

// MAXROW clamps one row at Y12 (zero).
#define MAXROW(r0, r1, r2) \
	VMAXPS Y12, r0, r0; \
	VMAXPS Y12, r1, r1; \
	VMAXPS Y12, r2, r2

// STOREROW stores one row of C at DX and steps on to the next.
#define STOREROW(r0, r1, r2) \
	VMOVUPS r0, (DX); \
	VMOVUPS r1, 32(DX); \
	VMOVUPS r2, 64(DX); \
	ADDQ R10, DX

// func kernel4x24AVX2(kc int, a, b *float32, offs *int, c *float32, ldc int, bias *float32, flags int)
TEXT ·kernel4x24AVX2(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), DI
	MOVQ b+16(FP), SI
	MOVQ offs+24(FP), R8
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R10
	SHLQ $2, R10
	MOVQ bias+48(FP), BX
	MOVQ flags+56(FP), AX
	TESTQ $1, AX
	JEQ  initbias
	LOADROW(Y0, Y1, Y2)
	LOADROW(Y3, Y4, Y5)
	LOADROW(Y6, Y7, Y8)
	LOADROW(Y9, Y10, Y11)
	MOVQ c+32(FP), DX
	JMP  kloop

initbias:
	BIASROW(Y0, Y1, Y2)
	BIASROW(Y3, Y4, Y5)
	BIASROW(Y6, Y7, Y8)
	BIASROW(Y9, Y10, Y11)

kloop:
	CMPQ CX, $4
	JLT  tail

loop4:
	STEP(0, 0)
	STEP(8, 16)
	STEP(16, 32)
	STEP(24, 48)
	ADDQ $32, R8
	ADDQ $64, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop4

tail:
	TESTQ CX, CX
	JEQ   store

loop1:
	STEP(0, 0)
	ADDQ $8, R8
	ADDQ $16, DI
	DECQ CX
	JNE  loop1

store:
	TESTQ $2, AX
	JEQ   nomax
	VXORPS Y12, Y12, Y12
	MAXROW(Y0, Y1, Y2)
	MAXROW(Y3, Y4, Y5)
	MAXROW(Y6, Y7, Y8)
	MAXROW(Y9, Y10, Y11)

nomax:
	STOREROW(Y0, Y1, Y2)
	STOREROW(Y3, Y4, Y5)
	STOREROW(Y6, Y7, Y8)
	STOREROW(Y9, Y10, Y11)
	VZEROUPPER
	RET

// The AVX-512 wide micro-kernel: a 4×48 tile (two adjacent 4×24 tiles) in
// twelve zmm accumulators, Z0–Z2 row 0 … Z9–Z11 row 3. WSTEP does one k: B
// row k is the 48 floats at SI + 4·offs[k], A column k the 4 floats at
// DI + 16·k; it prefetches the next pair's part of the row (the 192 bytes
// that follow).
#define WSTEP(ko, ao) \
	MOVQ ko(R8), R9; \
	VMOVUPS (SI)(R9*4), Z12; \
	VMOVUPS 64(SI)(R9*4), Z13; \
	VMOVUPS 128(SI)(R9*4), Z14; \
	PREFETCHT0 192(SI)(R9*4); \
	PREFETCHT0 256(SI)(R9*4); \
	PREFETCHT0 320(SI)(R9*4); \
	VBROADCASTSS ao(DI), Z15; \
	VBROADCASTSS ao+4(DI), Z16; \
	VBROADCASTSS ao+8(DI), Z17; \
	VBROADCASTSS ao+12(DI), Z18; \
	VFMADD231PS Z12, Z15, Z0; \
	VFMADD231PS Z13, Z15, Z1; \
	VFMADD231PS Z14, Z15, Z2; \
	VFMADD231PS Z12, Z16, Z3; \
	VFMADD231PS Z13, Z16, Z4; \
	VFMADD231PS Z14, Z16, Z5; \
	VFMADD231PS Z12, Z17, Z6; \
	VFMADD231PS Z13, Z17, Z7; \
	VFMADD231PS Z14, Z17, Z8; \
	VFMADD231PS Z12, Z18, Z9; \
	VFMADD231PS Z13, Z18, Z10; \
	VFMADD231PS Z14, Z18, Z11

#define WLOADROW(r0, r1, r2) \
	VMOVUPS (DX), r0; \
	VMOVUPS 64(DX), r1; \
	VMOVUPS 128(DX), r2; \
	ADDQ R10, DX

#define WBIASROW(r0, r1, r2) \
	VBROADCASTSS (BX), r0; \
	VMOVAPS r0, r1; \
	VMOVAPS r0, r2; \
	ADDQ $4, BX

#define WMAXROW(r0, r1, r2) \
	VMAXPS Z12, r0, r0; \
	VMAXPS Z12, r1, r1; \
	VMAXPS Z12, r2, r2

#define WSTOREROW(r0, r1, r2) \
	VMOVUPS r0, (DX); \
	VMOVUPS r1, 64(DX); \
	VMOVUPS r2, 128(DX); \
	ADDQ R10, DX

// func kernel4x48AVX512(kc int, a, b *float32, offs *int, c *float32, ldc int, bias *float32, flags int)
TEXT ·kernel4x48AVX512(SB), NOSPLIT, $0-64
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), DI
	MOVQ b+16(FP), SI
	MOVQ offs+24(FP), R8
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R10
	SHLQ $2, R10
	MOVQ bias+48(FP), BX
	MOVQ flags+56(FP), AX
	TESTQ $1, AX
	JEQ  winitbias
	WLOADROW(Z0, Z1, Z2)
	WLOADROW(Z3, Z4, Z5)
	WLOADROW(Z6, Z7, Z8)
	WLOADROW(Z9, Z10, Z11)
	MOVQ c+32(FP), DX
	JMP  wkloop

winitbias:
	WBIASROW(Z0, Z1, Z2)
	WBIASROW(Z3, Z4, Z5)
	WBIASROW(Z6, Z7, Z8)
	WBIASROW(Z9, Z10, Z11)

wkloop:
	CMPQ CX, $4
	JLT  wtail

wloop4:
	WSTEP(0, 0)
	WSTEP(8, 16)
	WSTEP(16, 32)
	WSTEP(24, 48)
	ADDQ $32, R8
	ADDQ $64, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  wloop4

wtail:
	TESTQ CX, CX
	JEQ   wstore

wloop1:
	WSTEP(0, 0)
	ADDQ $8, R8
	ADDQ $16, DI
	DECQ CX
	JNE  wloop1

wstore:
	TESTQ $2, AX
	JEQ   wnomax
	VPXORD Z12, Z12, Z12
	WMAXROW(Z0, Z1, Z2)
	WMAXROW(Z3, Z4, Z5)
	WMAXROW(Z6, Z7, Z8)
	WMAXROW(Z9, Z10, Z11)

wnomax:
	WSTOREROW(Z0, Z1, Z2)
	WSTOREROW(Z3, Z4, Z5)
	WSTOREROW(Z6, Z7, Z8)
	WSTOREROW(Z9, Z10, Z11)
	VZEROUPPER
	RET

// The AVX-512 tall wide micro-kernel: an 8×48 tile (two mr-row panels of A
// over two adjacent 4×24 tiles) in 24 zmm accumulators, Z0–Z2 row 0 …
// Z21–Z23 row 7. Rows 0–3 take A from the panel at DI, rows 4–7 from the
// panel at R11.
// TSTEP does one k: B row k is the 48 floats at SI + 4·offs[k], as WSTEP.
#define TSTEP(ko, ao) \
	MOVQ ko(R8), R9; \
	VMOVUPS (SI)(R9*4), Z24; \
	VMOVUPS 64(SI)(R9*4), Z25; \
	VMOVUPS 128(SI)(R9*4), Z26; \
	PREFETCHT0 192(SI)(R9*4); \
	PREFETCHT0 256(SI)(R9*4); \
	PREFETCHT0 320(SI)(R9*4); \
	VBROADCASTSS ao(DI), Z27; \
	VBROADCASTSS ao+4(DI), Z28; \
	VBROADCASTSS ao+8(DI), Z29; \
	VBROADCASTSS ao+12(DI), Z30; \
	VFMADD231PS Z24, Z27, Z0; \
	VFMADD231PS Z25, Z27, Z1; \
	VFMADD231PS Z26, Z27, Z2; \
	VFMADD231PS Z24, Z28, Z3; \
	VFMADD231PS Z25, Z28, Z4; \
	VFMADD231PS Z26, Z28, Z5; \
	VFMADD231PS Z24, Z29, Z6; \
	VFMADD231PS Z25, Z29, Z7; \
	VFMADD231PS Z26, Z29, Z8; \
	VFMADD231PS Z24, Z30, Z9; \
	VFMADD231PS Z25, Z30, Z10; \
	VFMADD231PS Z26, Z30, Z11; \
	VBROADCASTSS ao(R11), Z27; \
	VBROADCASTSS ao+4(R11), Z28; \
	VBROADCASTSS ao+8(R11), Z29; \
	VBROADCASTSS ao+12(R11), Z30; \
	VFMADD231PS Z24, Z27, Z12; \
	VFMADD231PS Z25, Z27, Z13; \
	VFMADD231PS Z26, Z27, Z14; \
	VFMADD231PS Z24, Z28, Z15; \
	VFMADD231PS Z25, Z28, Z16; \
	VFMADD231PS Z26, Z28, Z17; \
	VFMADD231PS Z24, Z29, Z18; \
	VFMADD231PS Z25, Z29, Z19; \
	VFMADD231PS Z26, Z29, Z20; \
	VFMADD231PS Z24, Z30, Z21; \
	VFMADD231PS Z25, Z30, Z22; \
	VFMADD231PS Z26, Z30, Z23

#define TMAXROW(r0, r1, r2) \
	VMAXPS Z31, r0, r0; \
	VMAXPS Z31, r1, r1; \
	VMAXPS Z31, r2, r2

// func kernel8x48AVX512(kc int, a *float32, astride int, b *float32, offs *int, c *float32, ldc int, bias *float32, flags int, pairs int)
// Computes pairs 8×48 tiles, one below the other: pair j takes its A panels
// at a + 8·j·astride and a + (8·j+4)·astride bytes, its C rows from
// c + 8·j·ldc floats on and its bias from bias + 8·j floats. R12 and R13
// hold the current pair's A and C, left-8(SP) the pairs still to do.
TEXT ·kernel8x48AVX512(SB), NOSPLIT, $8-80
	MOVQ a+8(FP), R12
	MOVQ c+40(FP), R13
	MOVQ ldc+48(FP), R10
	SHLQ $2, R10
	MOVQ bias+56(FP), BX
	MOVQ flags+64(FP), AX
	MOVQ pairs+72(FP), R9
	MOVQ R9, left-8(SP)

tpair:
	MOVQ kc+0(FP), CX
	MOVQ R12, DI
	MOVQ astride+16(FP), R11
	LEAQ (DI)(R11*4), R11
	MOVQ b+24(FP), SI
	MOVQ offs+32(FP), R8
	MOVQ R13, DX
	TESTQ $1, AX
	JEQ  tinitbias
	WLOADROW(Z0, Z1, Z2)
	WLOADROW(Z3, Z4, Z5)
	WLOADROW(Z6, Z7, Z8)
	WLOADROW(Z9, Z10, Z11)
	WLOADROW(Z12, Z13, Z14)
	WLOADROW(Z15, Z16, Z17)
	WLOADROW(Z18, Z19, Z20)
	WLOADROW(Z21, Z22, Z23)
	MOVQ R13, DX
	ADDQ $32, BX // the next pair's bias, as WBIASROW would leave it
	JMP  tkloop

tinitbias:
	WBIASROW(Z0, Z1, Z2)
	WBIASROW(Z3, Z4, Z5)
	WBIASROW(Z6, Z7, Z8)
	WBIASROW(Z9, Z10, Z11)
	WBIASROW(Z12, Z13, Z14)
	WBIASROW(Z15, Z16, Z17)
	WBIASROW(Z18, Z19, Z20)
	WBIASROW(Z21, Z22, Z23)

tkloop:
	CMPQ CX, $4
	JLT  ttail

tloop4:
	TSTEP(0, 0)
	TSTEP(8, 16)
	TSTEP(16, 32)
	TSTEP(24, 48)
	ADDQ $32, R8
	ADDQ $64, DI
	ADDQ $64, R11
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  tloop4

ttail:
	TESTQ CX, CX
	JEQ   tstore

tloop1:
	TSTEP(0, 0)
	ADDQ $8, R8
	ADDQ $16, DI
	ADDQ $16, R11
	DECQ CX
	JNE  tloop1

tstore:
	TESTQ $2, AX
	JEQ   tnomax
	VPXORD Z31, Z31, Z31
	TMAXROW(Z0, Z1, Z2)
	TMAXROW(Z3, Z4, Z5)
	TMAXROW(Z6, Z7, Z8)
	TMAXROW(Z9, Z10, Z11)
	TMAXROW(Z12, Z13, Z14)
	TMAXROW(Z15, Z16, Z17)
	TMAXROW(Z18, Z19, Z20)
	TMAXROW(Z21, Z22, Z23)

tnomax:
	WSTOREROW(Z0, Z1, Z2)
	WSTOREROW(Z3, Z4, Z5)
	WSTOREROW(Z6, Z7, Z8)
	WSTOREROW(Z9, Z10, Z11)
	WSTOREROW(Z12, Z13, Z14)
	WSTOREROW(Z15, Z16, Z17)
	WSTOREROW(Z18, Z19, Z20)
	WSTOREROW(Z21, Z22, Z23)
	MOVQ DX, R13 // eight rows of C further: the next pair's
	MOVQ astride+16(FP), R9
	SHLQ $3, R9
	ADDQ R9, R12 // two panels further
	DECQ left-8(SP)
	JNE  tpair
	VZEROUPPER
	RET
