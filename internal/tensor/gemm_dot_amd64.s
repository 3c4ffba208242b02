//go:build amd64 && !purego

#include "textflag.h"

// AVX2 kernels of small products with BF16 weights: a batch of a few to a few
// tens of rows (decoding several sequences at once) against a weight matrix
// stored [n, k]. Packing the weights into the micro-kernel's panel layout is a
// transpose that, at these heights, costs as much as the arithmetic; these
// kernels read the weights in place instead, as the matrix-vector kernels do,
// and take each widened weight vector to several input rows. Results are dot
// products, so each accumulator is summed across its lanes at the end.

// 0xffff0000 in every lane: the odd bfloat16 of each pair, as a float32.
DATA bf16odd<>+0x00(SB)/4, $0xffff0000
DATA bf16odd<>+0x04(SB)/4, $0xffff0000
DATA bf16odd<>+0x08(SB)/4, $0xffff0000
DATA bf16odd<>+0x0c(SB)/4, $0xffff0000
DATA bf16odd<>+0x10(SB)/4, $0xffff0000
DATA bf16odd<>+0x14(SB)/4, $0xffff0000
DATA bf16odd<>+0x18(SB)/4, $0xffff0000
DATA bf16odd<>+0x1c(SB)/4, $0xffff0000
GLOBL bf16odd<>(SB), RODATA|NOPTR, $32

// func gemmDot6x2BF16AVX2(xs *float32, ldx int, w *uint16, ldw, n int, out *float32, ldo, acc int, pf *uint16)
// out[r*ldo+j] (+)= Σ_i x_r[i]·w[j*ldw+i] for the 6 rows r of x (stride ldx floats,
// each split into even and odd elements per 16-element block, see splitEvenOdd) and the
// 2 weight rows j, n a positive multiple of 16. One accumulator per output; each 16-weight
// load of a row is widened once (shift for the even weights, mask for the odd ones) and
// multiplied with all 6 input rows. Each input vector is loaded once into a register for
// both weight rows (FMAs with memory operands would load it twice: two 256-bit loads a
// cycle then bound the loop at 13 cycles per 12 cycles of FMAs, measured 30% slower).
// Along the way it prefetches into L2 the same span of the two rows at pf (stride ldw),
// 32 bytes of each per step, so that a pair of rows wanted later streams in evenly
// rather than in bursts that stall on the memory system's queues.
TEXT ·gemmDot6x2BF16AVX2(SB), NOSPLIT, $0-72
	MOVQ xs+0(FP), SI
	MOVQ pf+64(FP), AX
	MOVQ ldx+8(FP), R8
	MOVQ w+16(FP), DI
	MOVQ ldw+24(FP), R10
	MOVQ n+32(FP), CX
	SHLQ $2, R8
	SHLQ $1, R10
	LEAQ (SI)(R8*2), R9
	ADDQ R8, R9
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
	VMOVDQU bf16odd<>(SB), Y15

loop:
	VMOVDQU (DI), Y12
	VMOVDQU (DI)(R10*1), Y14
	PREFETCHT1 (AX)
	PREFETCHT1 (AX)(R10*1)
	VPSLLD $16, Y12, Y12
	VPSLLD $16, Y14, Y14
	VMOVUPS (SI), Y13
	VFMADD231PS Y13, Y12, Y0
	VFMADD231PS Y13, Y14, Y1
	VMOVUPS (SI)(R8*1), Y13
	VFMADD231PS Y13, Y12, Y2
	VFMADD231PS Y13, Y14, Y3
	VMOVUPS (SI)(R8*2), Y13
	VFMADD231PS Y13, Y12, Y4
	VFMADD231PS Y13, Y14, Y5
	VMOVUPS (R9), Y13
	VFMADD231PS Y13, Y12, Y6
	VFMADD231PS Y13, Y14, Y7
	VMOVUPS (R9)(R8*1), Y13
	VFMADD231PS Y13, Y12, Y8
	VFMADD231PS Y13, Y14, Y9
	VMOVUPS (R9)(R8*2), Y13
	VFMADD231PS Y13, Y12, Y10
	VFMADD231PS Y13, Y14, Y11
	VPAND (DI), Y15, Y12
	VPAND (DI)(R10*1), Y15, Y14
	VMOVUPS 32(SI), Y13
	VFMADD231PS Y13, Y12, Y0
	VFMADD231PS Y13, Y14, Y1
	VMOVUPS 32(SI)(R8*1), Y13
	VFMADD231PS Y13, Y12, Y2
	VFMADD231PS Y13, Y14, Y3
	VMOVUPS 32(SI)(R8*2), Y13
	VFMADD231PS Y13, Y12, Y4
	VFMADD231PS Y13, Y14, Y5
	VMOVUPS 32(R9), Y13
	VFMADD231PS Y13, Y12, Y6
	VFMADD231PS Y13, Y14, Y7
	VMOVUPS 32(R9)(R8*1), Y13
	VFMADD231PS Y13, Y12, Y8
	VFMADD231PS Y13, Y14, Y9
	VMOVUPS 32(R9)(R8*2), Y13
	VFMADD231PS Y13, Y12, Y10
	VFMADD231PS Y13, Y14, Y11
	ADDQ $64, SI
	ADDQ $64, R9
	ADDQ $32, DI
	ADDQ $32, AX
	SUBQ $16, CX
	JNZ  loop

	MOVQ out+40(FP), DI
	MOVQ ldo+48(FP), R8
	SHLQ $2, R8
	MOVQ acc+56(FP), R11
	VHADDPS Y1, Y0, Y12
	VHADDPS Y3, Y2, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	TESTQ R11, R11
	JZ   st0
	VMOVSD (DI), X13
	VMOVHPS (DI)(R8*1), X13, X13
	VADDPS X13, X12, X12
st0:
	VMOVLPS X12, (DI)
	VMOVHPS X12, (DI)(R8*1)
	LEAQ (DI)(R8*2), DI
	VHADDPS Y5, Y4, Y12
	VHADDPS Y7, Y6, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	TESTQ R11, R11
	JZ   st1
	VMOVSD (DI), X13
	VMOVHPS (DI)(R8*1), X13, X13
	VADDPS X13, X12, X12
st1:
	VMOVLPS X12, (DI)
	VMOVHPS X12, (DI)(R8*1)
	LEAQ (DI)(R8*2), DI
	VHADDPS Y9, Y8, Y12
	VHADDPS Y11, Y10, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	TESTQ R11, R11
	JZ   st2
	VMOVSD (DI), X13
	VMOVHPS (DI)(R8*1), X13, X13
	VADDPS X13, X12, X12
st2:
	VMOVLPS X12, (DI)
	VMOVHPS X12, (DI)(R8*1)
	LEAQ (DI)(R8*2), DI
	VZEROUPPER
	RET

// func gemmDot4x2BF16AVX2(xs *float32, ldx int, w *uint16, ldw, n int, out *float32, ldo, acc int, pf *uint16)
// out[r*ldo+j] (+)= Σ_i x_r[i]·w[j*ldw+i] for the 4 rows r of x (stride ldx floats,
// each split into even and odd elements per 16-element block, see splitEvenOdd) and the
// 2 weight rows j, n a positive multiple of 16. One accumulator per output; each 16-weight
// load of a row is widened once (shift for the even weights, mask for the odd ones) and
// multiplied with all 4 input rows. Each input vector is loaded once into a register for
// both weight rows (FMAs with memory operands would load it twice: two 256-bit loads a
// cycle then bound the loop at 13 cycles per 12 cycles of FMAs, measured 30% slower).
// Prefetches the rows at pf as gemmDot6x2BF16AVX2 does.
TEXT ·gemmDot4x2BF16AVX2(SB), NOSPLIT, $0-72
	MOVQ xs+0(FP), SI
	MOVQ pf+64(FP), AX
	MOVQ ldx+8(FP), R8
	MOVQ w+16(FP), DI
	MOVQ ldw+24(FP), R10
	MOVQ n+32(FP), CX
	SHLQ $2, R8
	SHLQ $1, R10
	LEAQ (SI)(R8*2), R9
	ADDQ R8, R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VMOVDQU bf16odd<>(SB), Y15

loop:
	VMOVDQU (DI), Y12
	VMOVDQU (DI)(R10*1), Y14
	PREFETCHT1 (AX)
	PREFETCHT1 (AX)(R10*1)
	VPSLLD $16, Y12, Y12
	VPSLLD $16, Y14, Y14
	VMOVUPS (SI), Y13
	VFMADD231PS Y13, Y12, Y0
	VFMADD231PS Y13, Y14, Y1
	VMOVUPS (SI)(R8*1), Y13
	VFMADD231PS Y13, Y12, Y2
	VFMADD231PS Y13, Y14, Y3
	VMOVUPS (SI)(R8*2), Y13
	VFMADD231PS Y13, Y12, Y4
	VFMADD231PS Y13, Y14, Y5
	VMOVUPS (R9), Y13
	VFMADD231PS Y13, Y12, Y6
	VFMADD231PS Y13, Y14, Y7
	VPAND (DI), Y15, Y12
	VPAND (DI)(R10*1), Y15, Y14
	VMOVUPS 32(SI), Y13
	VFMADD231PS Y13, Y12, Y0
	VFMADD231PS Y13, Y14, Y1
	VMOVUPS 32(SI)(R8*1), Y13
	VFMADD231PS Y13, Y12, Y2
	VFMADD231PS Y13, Y14, Y3
	VMOVUPS 32(SI)(R8*2), Y13
	VFMADD231PS Y13, Y12, Y4
	VFMADD231PS Y13, Y14, Y5
	VMOVUPS 32(R9), Y13
	VFMADD231PS Y13, Y12, Y6
	VFMADD231PS Y13, Y14, Y7
	ADDQ $64, SI
	ADDQ $64, R9
	ADDQ $32, DI
	ADDQ $32, AX
	SUBQ $16, CX
	JNZ  loop

	MOVQ out+40(FP), DI
	MOVQ ldo+48(FP), R8
	SHLQ $2, R8
	MOVQ acc+56(FP), R11
	VHADDPS Y1, Y0, Y12
	VHADDPS Y3, Y2, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	TESTQ R11, R11
	JZ   st3
	VMOVSD (DI), X13
	VMOVHPS (DI)(R8*1), X13, X13
	VADDPS X13, X12, X12
st3:
	VMOVLPS X12, (DI)
	VMOVHPS X12, (DI)(R8*1)
	LEAQ (DI)(R8*2), DI
	VHADDPS Y5, Y4, Y12
	VHADDPS Y7, Y6, Y13
	VHADDPS Y13, Y12, Y12
	VEXTRACTF128 $1, Y12, X13
	VADDPS X13, X12, X12
	TESTQ R11, R11
	JZ   st4
	VMOVSD (DI), X13
	VMOVHPS (DI)(R8*1), X13, X13
	VADDPS X13, X12, X12
st4:
	VMOVLPS X12, (DI)
	VMOVHPS X12, (DI)(R8*1)
	LEAQ (DI)(R8*2), DI
	VZEROUPPER
	RET

// AVX-512 versions of the kernels above: 32 depths a step, each input row
// split into even and odd elements per 32-element block (16 and 16; a last
// block of 16 is not theirs), one 64-byte load per weight row widened into
// an even and an odd vector. Each accumulator's two halves are added into
// Y0–Y11 for the AVX2 kernels' epilogue.

// DOTFOLD adds the upper half of Z to its lower half Y.
#define DOTFOLD(Z, Y) \
	VEXTRACTF64X4 $1, Z, Y16; \
	VADDPS Y16, Y, Y

// DOTSTORE2 sums the accumulators of two input rows (A, B: row r, weight
// rows 0 and 1; C, D: row r+1) and stores (acc: adds) them at DI and
// DI + ldo (R8 bytes), leaving DI two rows on.
#define DOTSTORE2(A, B, C, D, st) \
	VHADDPS B, A, Y12; \
	VHADDPS D, C, Y13; \
	VHADDPS Y13, Y12, Y12; \
	VEXTRACTF128 $1, Y12, X13; \
	VADDPS X13, X12, X12; \
	TESTQ R11, R11; \
	JZ   st; \
	VMOVSD (DI), X13; \
	VMOVHPS (DI)(R8*1), X13, X13; \
	VADDPS X13, X12, X12; \
st: \
	VMOVLPS X12, (DI); \
	VMOVHPS X12, (DI)(R8*1); \
	LEAQ (DI)(R8*2), DI

// DOTARGS loads the kernels' arguments: SI the first input row, R9 the
// fourth, R8 the input stride and R10 the weight stride in bytes, DI the
// weights, AX the rows to prefetch, CX the depth; Z15 the odd-half mask.
#define DOTARGS \
	MOVQ xs+0(FP), SI; \
	MOVQ pf+64(FP), AX; \
	MOVQ ldx+8(FP), R8; \
	MOVQ w+16(FP), DI; \
	MOVQ ldw+24(FP), R10; \
	MOVQ n+32(FP), CX; \
	SHLQ $2, R8; \
	SHLQ $1, R10; \
	LEAQ (SI)(R8*2), R9; \
	ADDQ R8, R9; \
	VPTERNLOGD $0xff, Z15, Z15, Z15; \
	VPSLLD $16, Z15, Z15

// DOTWIDEN loads 32 weights of both rows and widens them: even ones into
// Z16, Z17, odd ones into Z12, Z14.
#define DOTWIDEN \
	VMOVDQU32 (DI), Z12; \
	VMOVDQU32 (DI)(R10*1), Z14; \
	PREFETCHT1 (AX); \
	PREFETCHT1 (AX)(R10*1); \
	VPSLLD $16, Z12, Z16; \
	VPSLLD $16, Z14, Z17; \
	VPANDD Z12, Z15, Z12; \
	VPANDD Z14, Z15, Z14

// DOTROW multiplies one input row's 16 inputs at addr with both widened
// weight rows (W0, W1) into its accumulators A, B.
#define DOTROW(addr, W0, W1, A, B) \
	VMOVUPS addr, Z13; \
	VFMADD231PS Z13, W0, A; \
	VFMADD231PS Z13, W1, B

// DOTZERO8 clears the accumulators of 4 input rows (Z0–Z7); DOTZERO12 of 6
// (Z0–Z11).
#define DOTZERO8 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

#define DOTZERO12 \
	DOTZERO8; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11

// DOTROWS4 multiplies input rows 0–3 (from SI and R9, at byte offset o)
// with the widened weight rows W0, W1; DOTROWS6 rows 0–5.
#define DOTROWS4(o, W0, W1) \
	DOTROW(o(SI), W0, W1, Z0, Z1); \
	DOTROW(o(SI)(R8*1), W0, W1, Z2, Z3); \
	DOTROW(o(SI)(R8*2), W0, W1, Z4, Z5); \
	DOTROW(o(R9), W0, W1, Z6, Z7)

#define DOTROWS6(o, W0, W1) \
	DOTROWS4(o, W0, W1); \
	DOTROW(o(R9)(R8*1), W0, W1, Z8, Z9); \
	DOTROW(o(R9)(R8*2), W0, W1, Z10, Z11)

// DOTFOLD8 and DOTFOLD12 fold the accumulators of 4 and 6 input rows.
#define DOTFOLD8 \
	DOTFOLD(Z0, Y0); \
	DOTFOLD(Z1, Y1); \
	DOTFOLD(Z2, Y2); \
	DOTFOLD(Z3, Y3); \
	DOTFOLD(Z4, Y4); \
	DOTFOLD(Z5, Y5); \
	DOTFOLD(Z6, Y6); \
	DOTFOLD(Z7, Y7)

#define DOTFOLD12 \
	DOTFOLD8; \
	DOTFOLD(Z8, Y8); \
	DOTFOLD(Z9, Y9); \
	DOTFOLD(Z10, Y10); \
	DOTFOLD(Z11, Y11)

// DOTOUT loads the epilogue's arguments: DI the output, R8 its row stride
// in bytes, R11 acc.
#define DOTOUT \
	MOVQ out+40(FP), DI; \
	MOVQ ldo+48(FP), R8; \
	SHLQ $2, R8; \
	MOVQ acc+56(FP), R11

// func gemmDot6x2BF16AVX512(xs *float32, ldx int, w *uint16, ldw, n int, out *float32, ldo, acc int, pf *uint16)
// gemmDot6x2BF16AVX2 on 512-bit registers, n a positive multiple of 32, the
// inputs split per 32-element block (splitEvenOdd32). Prefetches 64 bytes of
// each row at pf per step.
TEXT ·gemmDot6x2BF16AVX512(SB), NOSPLIT, $0-72
	DOTARGS
	DOTZERO12

loop:
	DOTWIDEN
	DOTROWS6(0, Z16, Z17)
	DOTROWS6(64, Z12, Z14)
	ADDQ $128, SI
	ADDQ $128, R9
	ADDQ $64, DI
	ADDQ $64, AX
	SUBQ $32, CX
	JNZ  loop

	DOTFOLD12
	DOTOUT
	DOTSTORE2(Y0, Y1, Y2, Y3, st0)
	DOTSTORE2(Y4, Y5, Y6, Y7, st1)
	DOTSTORE2(Y8, Y9, Y10, Y11, st2)
	VZEROUPPER
	RET

// func gemmDot4x2BF16AVX512(xs *float32, ldx int, w *uint16, ldw, n int, out *float32, ldo, acc int, pf *uint16)
// gemmDot6x2BF16AVX512 for 4 input rows.
TEXT ·gemmDot4x2BF16AVX512(SB), NOSPLIT, $0-72
	DOTARGS
	DOTZERO8

loop:
	DOTWIDEN
	DOTROWS4(0, Z16, Z17)
	DOTROWS4(64, Z12, Z14)
	ADDQ $128, SI
	ADDQ $128, R9
	ADDQ $64, DI
	ADDQ $64, AX
	SUBQ $32, CX
	JNZ  loop

	DOTFOLD8
	DOTOUT
	DOTSTORE2(Y0, Y1, Y2, Y3, st0)
	DOTSTORE2(Y4, Y5, Y6, Y7, st1)
	VZEROUPPER
	RET

// func gemmDot8x2BF16AVX512(xs *float32, ldx int, w *uint16, ldw, n int, out *float32, ldo, acc int, pf *uint16)
// gemmDot6x2BF16AVX512 for 8 input rows (rows 6 and 7 from R11 = SI + 6
// rows, their sums in Z24–Z27 while they run, then the epilogue's Y0–Y3).
TEXT ·gemmDot8x2BF16AVX512(SB), NOSPLIT, $0-72
	DOTARGS
	LEAQ (R9)(R8*2), R11
	ADDQ R8, R11
	DOTZERO12
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27

loop:
	DOTWIDEN
	DOTROWS6(0, Z16, Z17)
	DOTROW((R11), Z16, Z17, Z24, Z25)
	DOTROW((R11)(R8*1), Z16, Z17, Z26, Z27)
	DOTROWS6(64, Z12, Z14)
	DOTROW(64(R11), Z12, Z14, Z24, Z25)
	DOTROW(64(R11)(R8*1), Z12, Z14, Z26, Z27)
	ADDQ $128, SI
	ADDQ $128, R9
	ADDQ $128, R11
	ADDQ $64, DI
	ADDQ $64, AX
	SUBQ $32, CX
	JNZ  loop

	DOTFOLD12
	DOTFOLD(Z24, Y24)
	DOTFOLD(Z25, Y25)
	DOTFOLD(Z26, Y26)
	DOTFOLD(Z27, Y27)
	DOTOUT
	DOTSTORE2(Y0, Y1, Y2, Y3, st0)
	DOTSTORE2(Y4, Y5, Y6, Y7, st1)
	DOTSTORE2(Y8, Y9, Y10, Y11, st2)
	VMOVAPS Y24, Y0
	VMOVAPS Y25, Y1
	VMOVAPS Y26, Y2
	VMOVAPS Y27, Y3
	DOTSTORE2(Y0, Y1, Y2, Y3, st3)
	VZEROUPPER
	RET
