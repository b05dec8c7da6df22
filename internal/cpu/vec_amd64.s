//go:build !purego

#include "textflag.h"

// func scaleToAVX2(dst, x *float32, n int, a float32)
TEXT ·scaleToAVX2(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS a+24(FP), Y15

scale32:
	CMPQ CX, $32
	JLT  scale8
	VMULPS (SI), Y15, Y0
	VMULPS 32(SI), Y15, Y1
	VMULPS 64(SI), Y15, Y2
	VMULPS 96(SI), Y15, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  scale32

scale8:
	TESTQ CX, CX
	JEQ   scaledone
	VMULPS (SI), Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  scale8

scaledone:
	VZEROUPPER
	RET

// func axpyAVX2(dst, x *float32, n int, a float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS a+24(FP), Y15

axpy32:
	CMPQ CX, $32
	JLT  axpy8
	VMULPS (SI), Y15, Y0
	VMULPS 32(SI), Y15, Y1
	VMULPS 64(SI), Y15, Y2
	VMULPS 96(SI), Y15, Y3
	VADDPS (DI), Y0, Y0
	VADDPS 32(DI), Y1, Y1
	VADDPS 64(DI), Y2, Y2
	VADDPS 96(DI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  axpy32

axpy8:
	TESTQ CX, CX
	JEQ   axpydone
	VMULPS (SI), Y15, Y0
	VADDPS (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  axpy8

axpydone:
	VZEROUPPER
	RET

// func lerpAVX2(dst, p, q *float32, n int, a, b float32)
TEXT ·lerpAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ q+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS a+32(FP), Y14
	VBROADCASTSS b+36(FP), Y15

lerp32:
	CMPQ CX, $32
	JLT  lerp8
	VMULPS (SI), Y14, Y0
	VMULPS 32(SI), Y14, Y1
	VMULPS 64(SI), Y14, Y2
	VMULPS 96(SI), Y14, Y3
	VMULPS (DX), Y15, Y4
	VMULPS 32(DX), Y15, Y5
	VMULPS 64(DX), Y15, Y6
	VMULPS 96(DX), Y15, Y7
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DX
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  lerp32

lerp8:
	TESTQ CX, CX
	JEQ   lerpdone
	VMULPS (SI), Y14, Y0
	VMULPS (DX), Y15, Y4
	VADDPS Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  lerp8

lerpdone:
	VZEROUPPER
	RET

// func deinterleaveAVX2(even, odd, src *float32, n int)
TEXT ·deinterleaveAVX2(SB), NOSPLIT, $0-32
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), DX
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX

deintloop:
	VMOVUPS (SI), Y0                // s0 … s7
	VMOVUPS 32(SI), Y1              // s8 … s15
	VSHUFPS $0x88, Y1, Y0, Y2       // s0 s2 s8 s10 | s4 s6 s12 s14
	VSHUFPS $0xDD, Y1, Y0, Y3       // s1 s3 s9 s11 | s5 s7 s13 s15
	VPERMPD $0xD8, Y2, Y2           // s0 s2 s4 s6 s8 s10 s12 s14
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (DX)
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $8, CX
	JNE  deintloop
	VZEROUPPER
	RET

// func interleaveAVX2(dst, even, odd *float32, n int)
TEXT ·interleaveAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ even+8(FP), SI
	MOVQ odd+16(FP), DX
	MOVQ n+24(FP), CX

intloop:
	VMOVUPS (SI), Y0                // e0 … e7
	VMOVUPS (DX), Y1                // o0 … o7
	VUNPCKLPS Y1, Y0, Y2            // e0 o0 e1 o1 | e4 o4 e5 o5
	VUNPCKHPS Y1, Y0, Y3            // e2 o2 e3 o3 | e6 o6 e7 o7
	VPERM2F128 $0x20, Y3, Y2, Y4    // e0 o0 … e3 o3
	VPERM2F128 $0x31, Y3, Y2, Y5    // e4 o4 … e7 o7
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $64, DI
	SUBQ $8, CX
	JNE  intloop
	VZEROUPPER
	RET

// func upsampleRowAVX2(dst, src *float32, blocks, step int, idx0, idx1 *[8]int32, a, b *[8]float32)
TEXT ·upsampleRowAVX2(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ blocks+16(FP), CX
	MOVQ step+24(FP), DX
	SHLQ $2, DX
	MOVQ idx0+32(FP), AX
	VMOVDQU (AX), Y12
	MOVQ idx1+40(FP), AX
	VMOVDQU (AX), Y13
	MOVQ a+48(FP), AX
	VMOVUPS (AX), Y14
	MOVQ b+56(FP), AX
	VMOVUPS (AX), Y15

uprow:
	VMOVUPS (SI), Y0
	VPERMPS Y0, Y12, Y1             // s[idx0[l]]
	VPERMPS Y0, Y13, Y2             // s[idx1[l]]
	VMULPS  Y1, Y14, Y1
	VMULPS  Y2, Y15, Y2
	VADDPS  Y2, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ DX, SI
	ADDQ $32, DI
	DECQ CX
	JNE  uprow
	VZEROUPPER
	RET

// func sum4Float64AVX2(acc *[16]float64, x0, x1, x2, x3 *float32, n int)
// Adds float64(xj[i]) to acc[4j + i%4] for i < n, in order of i: four
// planes at once, each with sumFloat64's four partial sums (Y0 … Y3).
TEXT ·sum4Float64AVX2(SB), NOSPLIT, $0-48
	MOVQ acc+0(FP), DI
	MOVQ x0+8(FP), R8
	MOVQ x1+16(FP), R9
	MOVQ x2+24(FP), R10
	MOVQ x3+32(FP), R11
	MOVQ n+40(FP), CX
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	XORQ AX, AX

sum4loop:
	VCVTPS2PD (R8)(AX*4), Y4
	VCVTPS2PD (R9)(AX*4), Y5
	VCVTPS2PD (R10)(AX*4), Y6
	VCVTPS2PD (R11)(AX*4), Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ $4, AX
	CMPQ AX, CX
	JLT  sum4loop
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VZEROUPPER
	RET
