//go:build amd64 && !purego

#include "textflag.h"

// AVX2 matrix-vector kernels of decoding: four weight rows against one input
// vector per call, x loaded once for the four rows, two accumulators per row.
// The 16-bit kernels also prefetch the bytes of the next four rows (the caller
// passes where they start): consecutive rows are consecutive in memory, and
// four short interleaved streams that hop to a new block every few kilobytes
// defeat the hardware's stream detection, so without it the first lines of
// every row miss (measured 25-60% slower). The prefetches go to L2
// (PREFETCHT1): four rows of a matrix 4864 wide are 39 KB, so bringing the next
// four into L1 as well would evict the current ones. Prefetches never fault,
// so prefetching past the end of the matrix is harmless.

// Sums the eight accumulators Y0..Y7 (row r in Y(r) and Y(r+4)) into out[0..3].
#define REDUCE4(outp) \
	VADDPS Y4, Y0, Y0 \
	VADDPS Y5, Y1, Y1 \
	VADDPS Y6, Y2, Y2 \
	VADDPS Y7, Y3, Y3 \
	VHADDPS Y1, Y0, Y0 \
	VHADDPS Y3, Y2, Y2 \
	VHADDPS Y2, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS X1, X0, X0 \
	MOVQ outp, DX \
	VMOVUPS X0, (DX)

#define ZERO8 \
	VXORPS Y0, Y0, Y0 \
	VXORPS Y1, Y1, Y1 \
	VXORPS Y2, Y2, Y2 \
	VXORPS Y3, Y3, Y3 \
	VXORPS Y4, Y4, Y4 \
	VXORPS Y5, Y5, Y5 \
	VXORPS Y6, Y6, Y6 \
	VXORPS Y7, Y7, Y7

// SCALAR4 adds one element's products of gemv4F32AVX2's four rows to lane 0
// of A, B, C, D and steps to the next element (a VEX scalar op clears the
// destination's lanes above 0, so the callers keep sums there only while
// those lanes are zero).
#define SCALAR4(A, B, C, D) \
	VMOVSS (SI), X8; \
	VFMADD231SS (DI), X8, A; \
	VFMADD231SS (DI)(R8*1), X8, B; \
	VFMADD231SS (R9), X8, C; \
	VFMADD231SS (R9)(R8*1), X8, D; \
	ADDQ $4, SI; \
	ADDQ $4, DI; \
	ADDQ $4, R9

// func gemv4F32AVX2(x, w *float32, ldw, head, n, tail int, out *float32)
// out[r] = Σ_i x[i]·w[r*ldw+i] for the 4 rows r of w (stride ldw elements) over
// head + n + tail elements, n a multiple of 16: the first head and the last
// tail elements one at a time, the n between them 16 at a time. The caller
// picks head so that the vector loads start on a 32-byte boundary of w: a
// safetensors file aligns its data to 8 bytes only, and with every other
// 32-byte load split across two cache lines the decode of an F32 model ran
// about 6% slower than from the same file padded to alignment. No
// prefetching: at four bytes a weight the rows are long enough for the
// hardware's streams, and prefetching the next rows, even into L2 only,
// measured 5-10% slower.
TEXT ·gemv4F32AVX2(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), DI
	MOVQ ldw+16(FP), R8
	MOVQ head+24(FP), BX
	MOVQ n+32(FP), CX
	SHLQ $2, R8
	LEAQ (DI)(R8*2), R9
	ZERO8
	// The head goes to lane 0 of Y0–Y3 (a VEX scalar op clears the
	// lanes above, which are still zero here).
	TESTQ BX, BX
	JZ   f32body
f32head:
	SCALAR4(X0, X1, X2, X3)
	DECQ BX
	JNZ  f32head

f32body:
	TESTQ CX, CX
	JZ   f32tail
loop:
	VMOVUPS (SI), Y8
	VMOVUPS 32(SI), Y9
	VFMADD231PS (DI), Y8, Y0
	VFMADD231PS (DI)(R8*1), Y8, Y1
	VFMADD231PS (R9), Y8, Y2
	VFMADD231PS (R9)(R8*1), Y8, Y3
	VFMADD231PS 32(DI), Y9, Y4
	VFMADD231PS 32(DI)(R8*1), Y9, Y5
	VFMADD231PS 32(R9), Y9, Y6
	VFMADD231PS 32(R9)(R8*1), Y9, Y7
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R9
	SUBQ $16, CX
	JNZ  loop

f32tail:
	// The tail sums in lane 0 of Y10–Y13, added whole to Y4–Y7.
	MOVQ tail+40(FP), BX
	TESTQ BX, BX
	JZ   f32done
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
f32tailloop:
	SCALAR4(X10, X11, X12, X13)
	DECQ BX
	JNZ  f32tailloop
	VADDPS Y10, Y4, Y4
	VADDPS Y11, Y5, Y5
	VADDPS Y12, Y6, Y6
	VADDPS Y13, Y7, Y7

f32done:
	REDUCE4(out+48(FP))
	VZEROUPPER
	RET

// func gemv4BF16AVX2(xs *float32, w *uint16, ldw, n, pf int, out *float32)
// out[r] = Σ_i x[i]·w[r*ldw+i] for the 4 rows r of w (stride ldw elements), n a
// positive multiple of 16; prefetches 8·n bytes from byte offset pf of w.
//
// xs is x with each 16-element block split into its even-indexed elements, then
// its odd-indexed ones. A 32-byte load of 16 weights holds them in pairs, one
// per 32-bit lane: the even one in the low half, the odd one in the high half.
// A bfloat16 is the high half of a float32, so the odd weights are the lanes
// with the low half cleared, and the even ones the lanes shifted left by 16 —
// one integer instruction per 8 weights, where zero-extending loads cost two.
TEXT ·gemv4BF16AVX2(SB), NOSPLIT, $0-48
	MOVQ xs+0(FP), SI
	MOVQ w+8(FP), DI
	MOVQ ldw+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ pf+32(FP), R10
	SHLQ $1, R8
	LEAQ (DI)(R8*2), R9
	ADDQ DI, R10
	VPCMPEQD Y15, Y15, Y15
	VPSLLD $16, Y15, Y15 // 0xffff0000 in every lane
	ZERO8

loop:
	VMOVUPS (SI), Y8
	VMOVUPS 32(SI), Y9
	VMOVDQU (DI), Y10
	VMOVDQU (DI)(R8*1), Y11
	VPSLLD $16, Y10, Y12
	VPAND Y15, Y10, Y10
	VPSLLD $16, Y11, Y13
	VPAND Y15, Y11, Y11
	VFMADD231PS Y8, Y12, Y0
	VFMADD231PS Y9, Y10, Y4
	VFMADD231PS Y8, Y13, Y1
	VFMADD231PS Y9, Y11, Y5
	VMOVDQU (R9), Y10
	VMOVDQU (R9)(R8*1), Y11
	VPSLLD $16, Y10, Y12
	VPAND Y15, Y10, Y10
	VPSLLD $16, Y11, Y13
	VPAND Y15, Y11, Y11
	VFMADD231PS Y8, Y12, Y2
	VFMADD231PS Y9, Y10, Y6
	VFMADD231PS Y8, Y13, Y3
	VFMADD231PS Y9, Y11, Y7
	PREFETCHT1 (R10)
	PREFETCHT1 64(R10)
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, R9
	ADDQ $128, R10
	SUBQ $16, CX
	JNZ  loop

	REDUCE4(out+40(FP))
	VZEROUPPER
	RET

// func gemv4F16AVX2(x *float32, w *uint16, ldw, n, pf int, out *float32)
// out[r] = Σ_i x[i]·w[r*ldw+i] for the 4 rows r of w (stride ldw elements), n a
// positive multiple of 16; prefetches 8·n bytes from byte offset pf of w.
TEXT ·gemv4F16AVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ w+8(FP), DI
	MOVQ ldw+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ pf+32(FP), R10
	SHLQ $1, R8
	LEAQ (DI)(R8*2), R9
	ADDQ DI, R10
	ZERO8

loop:
	VMOVUPS (SI), Y8
	VMOVUPS 32(SI), Y9
	VCVTPH2PS (DI), Y10
	VCVTPH2PS (DI)(R8*1), Y11
	VCVTPH2PS (R9), Y12
	VCVTPH2PS (R9)(R8*1), Y13
	VFMADD231PS Y8, Y10, Y0
	VFMADD231PS Y8, Y11, Y1
	VFMADD231PS Y8, Y12, Y2
	VFMADD231PS Y8, Y13, Y3
	VCVTPH2PS 16(DI), Y10
	VCVTPH2PS 16(DI)(R8*1), Y11
	VCVTPH2PS 16(R9), Y12
	VCVTPH2PS 16(R9)(R8*1), Y13
	VFMADD231PS Y9, Y10, Y4
	VFMADD231PS Y9, Y11, Y5
	VFMADD231PS Y9, Y12, Y6
	VFMADD231PS Y9, Y13, Y7
	PREFETCHT1 (R10)
	PREFETCHT1 64(R10)
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, R9
	ADDQ $128, R10
	SUBQ $16, CX
	JNZ  loop

	REDUCE4(out+40(FP))
	VZEROUPPER
	RET
