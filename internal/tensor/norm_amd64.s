//go:build amd64 && !purego

#include "textflag.h"

// LayerNorm's three passes over a row (norm.go), AVX2: the sums in float64
// like the portable code, four lanes at a time, and the affine step with the
// portable code's float32 roundings (no fused multiply-adds), so each output
// rounds as there once the row's statistics agree.
//
// RMSNorm runs the last two (the squares with a mean of 0, then the affine
// step with no shift).

// func sumF64AVX2(x *float32, n int) float64
// Σ x[i] in float64; n a positive multiple of 8.
TEXT ·sumF64AVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
sumloop:
	VCVTPS2PD (SI), Y2
	VCVTPS2PD 16(SI), Y3
	VADDPD Y2, Y0, Y0
	VADDPD Y3, Y1, Y1
	ADDQ $32, SI
	SUBQ $8, CX
	JNZ  sumloop
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VMOVSD X0, ret+16(FP)
	VZEROUPPER
	RET

// func sumSqDevF64AVX2(x *float32, n int, mean float64) float64
// Σ (x[i] − mean)² in float64; n a positive multiple of 8.
TEXT ·sumSqDevF64AVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD mean+16(FP), Y4
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
sqloop:
	VCVTPS2PD (SI), Y2
	VCVTPS2PD 16(SI), Y3
	VSUBPD Y4, Y2, Y2
	VSUBPD Y4, Y3, Y3
	VMULPD Y2, Y2, Y2
	VMULPD Y3, Y3, Y3
	VADDPD Y2, Y0, Y0
	VADDPD Y3, Y1, Y1
	ADDQ $32, SI
	SUBQ $8, CX
	JNZ  sqloop
	VADDPD Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD X1, X0, X0
	VHADDPD X0, X0, X0
	VMOVSD X0, ret+24(FP)
	VZEROUPPER
	RET

// func normAffineAVX2(dst, x, w, b *float32, n int, rstd, shift float32)
// dst[i] = ((x[i]·rstd) + shift)·w[i] (+ b[i] when b is not nil), each
// operation rounded to float32; n a positive multiple of 8.
TEXT ·normAffineAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ b+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSS rstd+40(FP), Y4
	VBROADCASTSS shift+44(FP), Y5
	TESTQ BX, BX
	JZ   nobias
affloop:
	VMULPS (SI), Y4, Y0
	VADDPS Y5, Y0, Y0
	VMULPS (DX), Y0, Y0
	VADDPS (BX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, BX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  affloop
	VZEROUPPER
	RET
nobias:
	VMULPS (SI), Y4, Y0
	VADDPS Y5, Y0, Y0
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  nobias
	VZEROUPPER
	RET
