//go:build !purego

#include "textflag.h"

// The loss map's row kernels (lossmap_vec.go, lossmap_backward.go) in
// AVX2: addPair and addProduct 16 floats per iteration, n a multiple of 16;
// ssimCS and ssimFactors 8, n a multiple of 8. Each element is computed with the
// operations of the Go loops they replace, rounded as they are (no fused
// multiply-add), so the results are the same to the bit.

// func addPairAVX2(out, u, v *float32, n int, k float32)
TEXT ·addPairAVX2(SB), NOSPLIT, $0-36
	MOVQ out+0(FP), DI
	MOVQ u+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS k+32(FP), Y15
	XORQ AX, AX
	SHRQ $4, CX
	JEQ  pdone

ploop:
	VMOVUPS (SI)(AX*1), Y0
	VMOVUPS 32(SI)(AX*1), Y1
	VADDPS  (DX)(AX*1), Y0, Y0
	VADDPS  32(DX)(AX*1), Y1, Y1
	VMULPS  Y15, Y0, Y0
	VMULPS  Y15, Y1, Y1
	VADDPS  (DI)(AX*1), Y0, Y0
	VADDPS  32(DI)(AX*1), Y1, Y1
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	ADDQ    $64, AX
	DECQ    CX
	JNE     ploop

pdone:
	VZEROUPPER
	RET

// func addProductAVX2(out, a, u *float32, n int, k float32)
TEXT ·addProductAVX2(SB), NOSPLIT, $0-36
	MOVQ out+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ u+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS k+32(FP), Y15
	XORQ AX, AX
	SHRQ $4, CX
	JEQ  mdone

mloop:
	VMULPS  (SI)(AX*1), Y15, Y0
	VMULPS  32(SI)(AX*1), Y15, Y1
	VMULPS  (DX)(AX*1), Y0, Y0
	VMULPS  32(DX)(AX*1), Y1, Y1
	VADDPS  (DI)(AX*1), Y0, Y0
	VADDPS  32(DI)(AX*1), Y1, Y1
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	ADDQ    $64, AX
	DECQ    CX
	JNE     mloop

mdone:
	VZEROUPPER
	RET

// func ssimCSAVX2(n int, ea, eb, eab, ma, mb, den, cs *float32, c2 float32)
// for each i: va = ea−ma·ma, vb = eb−mb·mb, cab = eab−ma·mb,
// den = (va+vb)+c2, cs = (2·cab+c2)/den.
TEXT ·ssimCSAVX2(SB), NOSPLIT, $0-68
	MOVQ n+0(FP), CX
	MOVQ ea+8(FP), BX
	MOVQ eb+16(FP), DX
	MOVQ eab+24(FP), SI
	MOVQ ma+32(FP), DI
	MOVQ mb+40(FP), R8
	MOVQ den+48(FP), R9
	MOVQ cs+56(FP), R10
	VBROADCASTSS c2+64(FP), Y15
	MOVL $0x40000000, AX
	MOVL AX, X14
	VBROADCASTSS X14, Y14 // 2
	XORQ AX, AX
	SHRQ $3, CX
	JEQ  csdone

csloop:
	VMOVUPS (DI)(AX*1), Y0 // μa
	VMOVUPS (R8)(AX*1), Y1 // μb
	VMULPS  Y0, Y0, Y2
	VMOVUPS (BX)(AX*1), Y3
	VSUBPS  Y2, Y3, Y2     // va
	VMULPS  Y1, Y1, Y4
	VMOVUPS (DX)(AX*1), Y3
	VSUBPS  Y4, Y3, Y4     // vb
	VMULPS  Y1, Y0, Y5
	VMOVUPS (SI)(AX*1), Y3
	VSUBPS  Y5, Y3, Y5     // cab
	VADDPS  Y4, Y2, Y2
	VADDPS  Y15, Y2, Y2    // den
	VMOVUPS Y2, (R9)(AX*1)
	VMULPS  Y14, Y5, Y5
	VADDPS  Y15, Y5, Y5
	VDIVPS  Y2, Y5, Y5     // cs
	VMOVUPS Y5, (R10)(AX*1)
	ADDQ    $32, AX
	DECQ    CX
	JNE     csloop

csdone:
	VZEROUPPER
	RET

// func ssimFactorsAVX2(n int, lum, o0, o1, o2, o3, den, cs, ma, mb, gmb, geb, geab *float32, u float32)
// for each i: g = (((u·lum)·o0)·o1)·o2)·o3, inv = 1/den,
// gmb = (g·((2·mb)·cs − 2·ma))·inv, geb = ((−g)·cs)·inv, geab = (2·g)·inv.
TEXT ·ssimFactorsAVX2(SB), NOSPLIT, $0-108
	MOVQ n+0(FP), CX
	MOVQ lum+8(FP), BX
	MOVQ o0+16(FP), DX
	MOVQ o1+24(FP), SI
	MOVQ o2+32(FP), DI
	MOVQ o3+40(FP), R8
	MOVQ den+48(FP), R9
	MOVQ cs+56(FP), R10
	MOVQ ma+64(FP), R11
	MOVQ mb+72(FP), R12
	MOVQ gmb+80(FP), R13
	MOVQ geb+88(FP), R14
	MOVQ geab+96(FP), R15
	VBROADCASTSS u+104(FP), Y15
	MOVL $0x40000000, AX
	MOVL AX, X14
	VBROADCASTSS X14, Y14 // 2
	MOVL $0x3f800000, AX
	MOVL AX, X13
	VBROADCASTSS X13, Y13 // 1
	MOVL $0x80000000, AX
	MOVL AX, X12
	VBROADCASTSS X12, Y12 // the sign bit
	XORQ AX, AX
	SHRQ $3, CX
	JEQ  fdone

floop:
	VMULPS  (BX)(AX*1), Y15, Y0
	VMULPS  (DX)(AX*1), Y0, Y0
	VMULPS  (SI)(AX*1), Y0, Y0
	VMULPS  (DI)(AX*1), Y0, Y0
	VMULPS  (R8)(AX*1), Y0, Y0 // g
	VDIVPS  (R9)(AX*1), Y13, Y1 // inv
	VMOVUPS (R10)(AX*1), Y2 // cs
	VMULPS  (R12)(AX*1), Y14, Y3
	VMULPS  Y2, Y3, Y3
	VMULPS  (R11)(AX*1), Y14, Y4
	VSUBPS  Y4, Y3, Y3
	VMULPS  Y3, Y0, Y3
	VMULPS  Y1, Y3, Y3
	VMOVUPS Y3, (R13)(AX*1)
	VXORPS  Y12, Y0, Y4
	VMULPS  Y2, Y4, Y4
	VMULPS  Y1, Y4, Y4
	VMOVUPS Y4, (R14)(AX*1)
	VMULPS  Y14, Y0, Y5
	VMULPS  Y1, Y5, Y5
	VMOVUPS Y5, (R15)(AX*1)
	ADDQ    $32, AX
	DECQ    CX
	JNE     floop

fdone:
	VZEROUPPER
	RET
