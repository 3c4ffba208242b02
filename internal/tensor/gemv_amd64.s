//go:build amd64 && !purego

#include "textflag.h"

// AVX2 matrix-vector kernels of decoding: four weight rows against one input
// vector per call, x loaded once for the four rows, two accumulators per row.
// Decoding reads a matrix in streams: a call's four rows a quarter of the
// matrix apart, each continuing where the same row of the last quad ended
// (see gemv4BF16AVX2), each prefetched a fixed distance ahead. With four
// consecutive rows a quad, four short interleaved streams that hop to a new
// block every few kilobytes defeated the hardware's stream detection (the
// first lines of every row missed, 25-60% slower without prefetching), and
// prefetching the next quad whole did not recover it all. Prefetches never
// fault, so prefetching past the end of the matrix is harmless.

// STREAMAHEAD is how many bytes ahead of where they read it the BF16, F16 and
// F32 kernels prefetch each of their four streams: on the Zen 5 the BF16
// decode ran 49.6-51.5 tok/s at 1 KB, 51.7-54.1 at 2 KB, 48.1-48.7 at 3 KB
// and 45.1-47.9 at 4 KB (three interleaved rounds each).
#define STREAMAHEAD 2048

// PREFETCHSTREAMS prefetches, with the prefetch instruction PF, each of the
// four rows (DI, DI+R8, R9, R9+R8) STREAMAHEAD bytes ahead of where it is
// read.
#define PREFETCHSTREAMS(PF) \
	PF STREAMAHEAD(DI) \
	PF STREAMAHEAD(DI)(R8*1) \
	PF STREAMAHEAD(R9) \
	PF STREAMAHEAD(R9)(R8*1)

// SUM4 sums the eight accumulators Y0..Y7 (row r in Y(r) and Y(r+4)) into
// the four lanes of X0.
#define SUM4 \
	VADDPS Y4, Y0, Y0 \
	VADDPS Y5, Y1, Y1 \
	VADDPS Y6, Y2, Y2 \
	VADDPS Y7, Y3, Y3 \
	VHADDPS Y1, Y0, Y0 \
	VHADDPS Y3, Y2, Y2 \
	VHADDPS Y2, Y0, Y0 \
	VEXTRACTF128 $1, Y0, X1 \
	VADDPS X1, X0, X0

// STOREOUT4 stores the sums in X0 to out[r*outStride] for r < 4 (R12 the
// outputs, R10 outStride in bytes) and steps R12 on by outStep elements.
#define STOREOUT4(outStep) \
	MOVQ R12, DX \
	VMOVSS X0, (DX) \
	VEXTRACTPS $1, X0, (DX)(R10*1) \
	VEXTRACTPS $2, X0, (DX)(R10*2) \
	LEAQ (DX)(R10*2), DX \
	VEXTRACTPS $3, X0, (DX)(R10*1) \
	MOVQ outStep, DX \
	LEAQ (R12)(DX*4), R12

// NEXTQUAD stores the four sums of a call's current quad (SUM4, STOREOUT4),
// steps the row pointer R11 on by step elements of size bytes to the next
// quad's first row, and jumps back to quad while R13 counts quads left. A
// call takes a worker's whole run of quads: the Go side's bounds checks and
// alignment arithmetic once per call, not once per quad (11% of a BF16
// decode step's time when it was per quad of a 896-wide matrix).
#define NEXTQUAD(outStep, step, size) \
	SUM4 \
	STOREOUT4(outStep) \
	MOVQ step, DX \
	LEAQ (R11)(DX*size), R11 \
	DECQ R13 \
	JNZ  quad

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

// F32BLOCK4 adds one 16-element block of the four rows to Y0–Y7.
#define F32BLOCK4 \
	VMOVUPS (SI), Y8 \
	VMOVUPS 32(SI), Y9 \
	VFMADD231PS (DI), Y8, Y0 \
	VFMADD231PS (DI)(R8*1), Y8, Y1 \
	VFMADD231PS (R9), Y8, Y2 \
	VFMADD231PS (R9)(R8*1), Y8, Y3 \
	VFMADD231PS 32(DI), Y9, Y4 \
	VFMADD231PS 32(DI)(R8*1), Y9, Y5 \
	VFMADD231PS 32(R9), Y9, Y6 \
	VFMADD231PS 32(R9)(R8*1), Y9, Y7 \
	ADDQ $64, SI \
	ADDQ $64, DI \
	ADDQ $64, R9

// func gemv4F32AVX2(x, w *float32, stride, step, head, n, tail, quads int, out *float32, outStride, outStep, ahead int)
// out[q*outStep+r*outStride] = Σ_i x[i]·w[q*step+r*stride+i] for the quads
// (≥ 1) groups of 4 rows q*step+r*stride of w over head + n + tail
// elements, n a multiple of 16: the first head and the last tail elements
// one at a time, the n between them 16 at a time. The caller picks head so
// that the vector loads start on a 32-byte boundary of w: a safetensors file
// aligns its data to 8 bytes only, and with every other 32-byte load split
// across two cache lines the decode of an F32 model ran about 6% slower than
// from the same file padded to alignment. With ahead ≠ 0, each row is prefetched
// STREAMAHEAD bytes ahead of where it is read: decoding reads a matrix in
// streams (step one row, stride a quarter of the matrix; see gemv4BF16AVX2).
// Without, nothing is prefetched: with four consecutive rows a quad,
// prefetching the next rows, even into L2 only, measured 5-10% slower than
// the hardware's streams.
TEXT ·gemv4F32AVX2(SB), NOSPLIT, $0-96
	MOVQ w+8(FP), R11
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ quads+56(FP), R13
	MOVQ out+64(FP), R12
	MOVQ outStride+72(FP), R10
	SHLQ $2, R10

quad:
	MOVQ x+0(FP), SI
	MOVQ R11, DI
	MOVQ head+32(FP), BX
	MOVQ n+40(FP), CX
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
	CMPQ ahead+88(FP), $0
	JNE  aheadloop
loop:
	F32BLOCK4
	SUBQ $16, CX
	JNZ  loop
	JMP  f32tail

aheadloop:
	PREFETCHSTREAMS(PREFETCHT0)
	F32BLOCK4
	SUBQ $16, CX
	JNZ  aheadloop

f32tail:
	// The tail sums in lane 0 of Y10–Y13, added whole to Y4–Y7.
	MOVQ tail+48(FP), BX
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
	NEXTQUAD(outStep+80(FP), step+24(FP), 4)
	VZEROUPPER
	RET

// wordidx is the words 0, 1, …, 15: a 32-byte block's element indices, from
// which gemv4BF16AVX2 builds the masks of its first and last blocks.
DATA wordidx<>+0x00(SB)/8, $0x0003000200010000
DATA wordidx<>+0x08(SB)/8, $0x0007000600050004
DATA wordidx<>+0x10(SB)/8, $0x000b000a00090008
DATA wordidx<>+0x18(SB)/8, $0x000f000e000d000c
GLOBL wordidx<>(SB), RODATA|NOPTR, $32

// BF16BLOCK2 adds the products of one 16-element block of two rows (weights
// at src0 and src1, x split in Y8 and Y9) to their accumulators: even
// elements to A0 and A1, odd ones to B0 and B1.
#define BF16BLOCK2(src0, src1, A0, B0, A1, B1) \
	VMOVDQU src0, Y10; \
	VMOVDQU src1, Y11; \
	VPSLLD $16, Y10, Y12; \
	VPAND Y15, Y10, Y10; \
	VPSLLD $16, Y11, Y13; \
	VPAND Y15, Y11, Y11; \
	VFMADD231PS Y8, Y12, A0; \
	VFMADD231PS Y9, Y10, B0; \
	VFMADD231PS Y8, Y13, A1; \
	VFMADD231PS Y9, Y11, B1

// BF16BLOCKS is BF16BLOCK2 for the four rows: weights at byte offset off of
// the row pointers, x's split block at byte offset xoff of SI.
#define BF16BLOCKS(off, xoff) \
	VMOVUPS xoff(SI), Y8; \
	VMOVUPS xoff+32(SI), Y9; \
	BF16BLOCK2(off(DI), off(DI)(R8*1), Y0, Y4, Y1, Y5); \
	BF16BLOCK2(off(R9), off(R9)(R8*1), Y2, Y6, Y3, Y7)

// BF16MASKED1 adds one row's products of a block whose elements outside
// the row are masked off: Y14 holds 0xffff in the words of the row's
// elements, Y13 a sign bit in every dword with at least one of them (the
// dwords VPMASKMOVD loads; the others it does not touch, so it cannot fault
// past either end of the matrix). The AND clears the half of a dword loaded
// for its other element.
#define BF16MASKED1(src, ACCE, ACCO) \
	VPMASKMOVD src, Y13, Y10; \
	VPAND Y14, Y10, Y10; \
	VPSLLD $16, Y10, Y12; \
	VPAND Y15, Y10, Y10; \
	VFMADD231PS Y8, Y12, ACCE; \
	VFMADD231PS Y9, Y10, ACCO

// BF16MASKED4 is BF16BLOCKS for a block masked as in BF16MASKED1, then steps
// to the next block.
#define BF16MASKED4 \
	VMOVUPS (SI), Y8; \
	VMOVUPS 32(SI), Y9; \
	BF16MASKED1((DI), Y0, Y4); \
	BF16MASKED1((DI)(R8*1), Y1, Y5); \
	BF16MASKED1((R9), Y2, Y6); \
	BF16MASKED1((R9)(R8*1), Y3, Y7); \
	ADDQ $64, SI; \
	ADDQ $32, DI; \
	ADDQ $32, R9

// DWORDMASK sets Y13 from the word mask Y14: the sign bit of every dword
// with either word set.
#define DWORDMASK \
	VPSLLD $16, Y14, Y13; \
	VPOR Y14, Y13, Y13


// func gemv4BF16AVX2(xs *float32, w *uint16, stride, step, blocks, skip, keep, quads int, out *float32, outStride, outStep int)
// out[q*outStep+r*outStride] = Σ_i x[i]·w[q*step+r*stride+i] for the quads
// (≥ 1) groups of 4 rows q*step+r*stride of w, over blocks (≥ 1) blocks of
// 16 elements that start skip (< 16) elements before each row: of the first
// block the elements from skip on are in the row, of the last the first keep
// (1 to 16), and elements outside the row are masked off (never loaded past
// either end of the matrix). The caller picks skip so that the blocks start
// on a 32-byte boundary: a safetensors file's tensors start 16 bytes past a
// cache line, and with every other load split across two lines the kernel
// streamed 34 GB/s instead of 51 on a Zen 5.
//
// Decoding calls it with step one row and stride a quarter of the matrix:
// rows q, q+n/4, q+n/2 and q+3n/4 together, so that each of the four rows
// it reads continues where the same row of the last quad ended and each
// worker reads four long sequential streams, each prefetched STREAMAHEAD
// bytes ahead (non-temporally: into L1, marked to leave the caches first).
// On a Zen 5 that streamed the down projection (896×4864) at 48-56 GB/s
// instead of 35-42, and lm_head (151936×896) at 60-71 instead of 49-54,
// than with four consecutive rows a quad and the next quad prefetched
// front to back.
//
// xs is x padded with skip zeros in front and with zeros to whole blocks,
// each 16-element block split into its even-indexed elements, then its
// odd-indexed ones (splitPadded). A 32-byte load of 16 weights holds them in
// pairs, one per 32-bit lane: the even one in the low half, the odd one in
// the high half. A bfloat16 is the high half of a float32, so the odd weights
// are the lanes with the low half cleared, and the even ones the lanes
// shifted left by 16 — one integer instruction per 8 weights, where
// zero-extending loads cost two.
TEXT ·gemv4BF16AVX2(SB), NOSPLIT, $0-88
	MOVQ w+8(FP), R11
	MOVQ stride+16(FP), R8
	SHLQ $1, R8
	MOVQ quads+56(FP), R13
	MOVQ out+64(FP), R12
	MOVQ outStride+72(FP), R10
	SHLQ $2, R10
	VPCMPEQD Y15, Y15, Y15
	VPSLLD $16, Y15, Y15 // 0xffff0000 in every lane

quad:
	MOVQ xs+0(FP), SI
	MOVQ R11, DI
	MOVQ blocks+32(FP), CX
	MOVQ skip+40(FP), DX
	MOVQ keep+48(FP), BX
	SUBQ DX, DI
	SUBQ DX, DI
	LEAQ (DI)(R8*2), R9
	ZERO8

	// Y14: the words of the first block in the row (index ≥ skip).
	VMOVDQU wordidx<>(SB), Y12
	DECQ DX
	MOVQ DX, X11
	VPBROADCASTW X11, Y11
	VPCMPGTW Y11, Y12, Y14
	CMPQ CX, $1
	JEQ  last
	DWORDMASK
	BF16MASKED4
	SUBQ $2, CX
	JZ   lastmask
	// An odd count of whole blocks: one alone, then pairs.
	TESTQ $1, CX
	JZ   pairs
	BF16BLOCKS(0, 0)
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, R9
	DECQ CX
	JZ   lastmask

pairs:
	// Two blocks, the same sums in the same order as one at a time, and
	// one prefetch per row for their 64 bytes.
	BF16BLOCKS(0, 0)
	BF16BLOCKS(32, 64)
	PREFETCHSTREAMS(PREFETCHNTA)
	ADDQ $128, SI
	ADDQ $64, DI
	ADDQ $64, R9
	SUBQ $2, CX
	JNZ  pairs

lastmask:
	VMOVDQU wordidx<>(SB), Y12
	VPCMPEQD Y14, Y14, Y14

last:
	// The last block's words in the row: index < keep (and ≥ skip when the
	// first block is the last, Y14 from above; all ones otherwise).
	MOVQ BX, X11
	VPBROADCASTW X11, Y11
	VPCMPGTW Y12, Y11, Y11
	VPAND Y11, Y14, Y14
	DWORDMASK
	BF16MASKED4
	NEXTQUAD(outStep+80(FP), step+24(FP), 2)
	VZEROUPPER
	RET

// func gemv4F16AVX2(x *float32, w *uint16, stride, step, n, quads int, out *float32, outStride, outStep int)
// out[q*outStep+r*outStride] = Σ_i x[i]·w[q*step+r*stride+i] for the quads
// (≥ 1) groups of 4 rows q*step+r*stride of w, n a positive multiple of 16;
// prefetches each row STREAMAHEAD bytes ahead of where it reads it, for
// decoding's streams (step one row, stride a quarter of the matrix; see
// gemv4BF16AVX2).
TEXT ·gemv4F16AVX2(SB), NOSPLIT, $0-72
	MOVQ w+8(FP), R11
	MOVQ stride+16(FP), R8
	SHLQ $1, R8
	MOVQ quads+40(FP), R13
	MOVQ out+48(FP), R12
	MOVQ outStride+56(FP), R10
	SHLQ $2, R10

quad:
	MOVQ x+0(FP), SI
	MOVQ R11, DI
	MOVQ n+32(FP), CX
	LEAQ (DI)(R8*2), R9
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
	PREFETCHSTREAMS(PREFETCHNTA)
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, R9
	SUBQ $16, CX
	JNZ  loop

	NEXTQUAD(outStep+64(FP), step+24(FP), 2)
	VZEROUPPER
	RET
