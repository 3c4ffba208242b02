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
