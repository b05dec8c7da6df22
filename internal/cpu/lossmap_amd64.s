//go:build !purego

#include "textflag.h"

// The loss map's row kernels (lossmap_vec.go) in AVX2, 16 floats per
// iteration; n is a multiple of 16. Each element is computed with the
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

// func addScaledAVX2(out, u *float32, n int, k float32)
TEXT ·addScaledAVX2(SB), NOSPLIT, $0-28
	MOVQ out+0(FP), DI
	MOVQ u+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS k+24(FP), Y15
	XORQ AX, AX
	SHRQ $4, CX
	JEQ  sdone

sloop:
	VMULPS  (SI)(AX*1), Y15, Y0
	VMULPS  32(SI)(AX*1), Y15, Y1
	VADDPS  (DI)(AX*1), Y0, Y0
	VADDPS  32(DI)(AX*1), Y1, Y1
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	ADDQ    $64, AX
	DECQ    CX
	JNE     sloop

sdone:
	VZEROUPPER
	RET

// func scaleIntoAVX2(out, u *float32, n int, k float32)
TEXT ·scaleIntoAVX2(SB), NOSPLIT, $0-28
	MOVQ out+0(FP), DI
	MOVQ u+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS k+24(FP), Y15
	XORQ AX, AX
	SHRQ $4, CX
	JEQ  cdone

cloop:
	VMULPS  (SI)(AX*1), Y15, Y0
	VMULPS  32(SI)(AX*1), Y15, Y1
	VMOVUPS Y0, (DI)(AX*1)
	VMOVUPS Y1, 32(DI)(AX*1)
	ADDQ    $64, AX
	DECQ    CX
	JNE     cloop

cdone:
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
