//go:build amd64 && !purego

#include "textflag.h"

// RoPE's rotation of a position's heads (rope.go), AVX2: the products
// rounded to float32 before the sums, no fused multiply-adds, so the bits
// are rotateHalf's.

// func ropeRotateAVX2(x, cos, sin *float32, half, heads int)
// Rotates each of heads consecutive heads of 2·half values at x in place:
// lo[i] = lo[i]·cos[i] − hi[i]·sin[i], hi[i] = hi[i]·cos[i] + lo[i]·sin[i]
// (lo the first half, hi the second), every product rounded to float32
// before the sum, as rotateHalf; half a positive multiple of 8.
TEXT ·ropeRotateAVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), DI
	MOVQ half+24(FP), R9
	SHLQ $2, R9
	MOVQ heads+32(FP), R8

rhead:
	MOVQ cos+8(FP), SI
	MOVQ sin+16(FP), DX
	MOVQ DI, AX
	LEAQ (DI)(R9*1), BX
	MOVQ half+24(FP), CX

rpair:
	VMOVUPS (AX), Y0
	VMOVUPS (BX), Y1
	VMOVUPS (SI), Y2
	VMOVUPS (DX), Y3
	VMULPS Y2, Y0, Y4
	VMULPS Y3, Y1, Y5
	VSUBPS Y5, Y4, Y4
	VMULPS Y2, Y1, Y6
	VMULPS Y3, Y0, Y7
	VADDPS Y7, Y6, Y6
	VMOVUPS Y4, (AX)
	VMOVUPS Y6, (BX)
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	JNZ  rpair
	LEAQ (DI)(R9*2), DI
	DECQ R8
	JNZ  rhead
	VZEROUPPER
	RET
