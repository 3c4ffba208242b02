//go:build amd64 && !purego

#include "textflag.h"

// Four-row kernels of the matrix-vector paths: AVX-512 dot products computing
// four outputs per call with one load of the input vector (Linear; the AVX2 ones
// are in gemv_amd64.s), and axpy adding four scaled rows with one load and store
// of the output (MatMul).

// LOADPART4 loads the first CX (< 16) elements of x and of the four rows
// into Z8 and Z10–Z13, the other lanes zero (masked loads do not fault past
// the end).
#define LOADPART4 \
	MOVL $1, AX \
	SHLL CX, AX \
	DECL AX \
	KMOVW AX, K1 \
	VMOVUPS.Z (SI), K1, Z8 \
	VMOVUPS.Z (DI), K1, Z10 \
	VMOVUPS.Z (DI)(R8*1), K1, Z11 \
	VMOVUPS.Z (R9), K1, Z12 \
	VMOVUPS.Z (R9)(R8*1), K1, Z13

// PREFETCH4NEXT prefetches into L1 the two lines of each of the four rows
// BX bytes ahead of where it reads now: in consecutive quads, where the next
// quad reads. Rows of a few kilobytes each leave the hardware prefetchers
// little to follow before the next quad's rows start elsewhere; with these,
// F32 decode of Qwen2.5-0.5B on a Zen 5 ran 26.9 against 25.8 tok/s (5
// interleaved pairs, each won) and 23.4 against 21.9 in 4 more (into L2
// only: 20.4; two quads ahead: 23.3). Decoding now reads in streams, 2 KB
// ahead (gemvStreamAhead).
#define PREFETCH4NEXT \
	PREFETCHT0 (DI)(BX*1); \
	PREFETCHT0 64(DI)(BX*1); \
	PREFETCHT0 (R9)(BX*1); \
	PREFETCHT0 64(R9)(BX*1); \
	LEAQ (DI)(R8*1), AX; \
	PREFETCHT0 (AX)(BX*1); \
	PREFETCHT0 64(AX)(BX*1); \
	LEAQ (R9)(R8*1), AX; \
	PREFETCHT0 (AX)(BX*1); \
	PREFETCHT0 64(AX)(BX*1)

// WIDENBF16 loads 16 bfloat16 weights from src into the float32 lanes of dst
// (a bfloat16 is the high half of a float32); WIDENF16 likewise for float16.
#define WIDENBF16(src, dst) \
	VPMOVZXWD src, dst; \
	VPSLLD $16, dst, dst

#define WIDENF16(src, dst) \
	VCVTPH2PS src, dst

// PARTBF16 and PARTF16 add the products of the next CX (1 to 16) elements of
// the four rows to A0–A3 and step past them, by masked loads (which do not
// fault on the lanes left out, so the rows' ends are never overrun).
#define PARTBF16(A0, A1, A2, A3) \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1; \
	VMOVUPS.Z (SI), K1, Z8; \
	VPMOVZXWD.Z (DI), K1, Z10; \
	VPMOVZXWD.Z (DI)(R8*1), K1, Z11; \
	VPMOVZXWD.Z (R9), K1, Z12; \
	VPMOVZXWD.Z (R9)(R8*1), K1, Z13; \
	VPSLLD $16, Z10, Z10; \
	VPSLLD $16, Z11, Z11; \
	VPSLLD $16, Z12, Z12; \
	VPSLLD $16, Z13, Z13; \
	PARTFMA(A0, A1, A2, A3)

#define PARTF16(A0, A1, A2, A3) \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1; \
	VMOVUPS.Z (SI), K1, Z8; \
	VCVTPH2PS.Z (DI), K1, Z10; \
	VCVTPH2PS.Z (DI)(R8*1), K1, Z11; \
	VCVTPH2PS.Z (R9), K1, Z12; \
	VCVTPH2PS.Z (R9)(R8*1), K1, Z13; \
	PARTFMA(A0, A1, A2, A3)

#define PARTFMA(A0, A1, A2, A3) \
	VFMADD231PS Z8, Z10, A0; \
	VFMADD231PS Z8, Z11, A1; \
	VFMADD231PS Z8, Z12, A2; \
	VFMADD231PS Z8, Z13, A3; \
	LEAQ (SI)(CX*4), SI; \
	LEAQ (DI)(CX*2), DI; \
	LEAQ (R9)(CX*2), R9

// REDUCE4X512 sums the accumulators Z0–Z7 (row r in Z(r) and Z(r+4)) into
// the four floats at outp.
#define REDUCE4X512(outp) \
	VADDPS Z4, Z0, Z0; \
	VADDPS Z5, Z1, Z1; \
	VADDPS Z6, Z2, Z2; \
	VADDPS Z7, Z3, Z3; \
	VEXTRACTF64X4 $1, Z0, Y4; \
	VADDPS Y4, Y0, Y0; \
	VEXTRACTF64X4 $1, Z1, Y5; \
	VADDPS Y5, Y1, Y1; \
	VEXTRACTF64X4 $1, Z2, Y6; \
	VADDPS Y6, Y2, Y2; \
	VEXTRACTF64X4 $1, Z3, Y7; \
	VADDPS Y7, Y3, Y3; \
	VHADDPS Y1, Y0, Y0; \
	VHADDPS Y3, Y2, Y2; \
	VHADDPS Y2, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	MOVQ outp, DX; \
	VMOVUPS X0, (DX)

// GEMV4W16 is the body of the 16-bit AVX-512 matrix-vector kernels: WIDEN
// widens 16 weights from memory, PART the masked head and tail; the sums go
// to the four floats at OUT.
#define GEMV4W16(WIDEN, PART, OUT) \
	MOVQ x+0(FP), SI; \
	MOVQ w+8(FP), DI; \
	MOVQ ldw+16(FP), R8; \
	SHLQ $1, R8; \
	LEAQ (DI)(R8*2), R9; \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	MOVQ head+24(FP), BX; \
	TESTQ BX, BX; \
	JZ   body; \
	CMPQ BX, $16; \
	JLE  headlast; \
	MOVQ $16, CX; \
	PART(Z0, Z1, Z2, Z3); \
	SUBQ $16, BX; \
headlast: \
	MOVQ BX, CX; \
	PART(Z0, Z1, Z2, Z3); \
body: \
	MOVQ body+32(FP), CX; \
	CMPQ CX, $32; \
	JLT  one; \
loop2: \
	VMOVUPS (SI), Z8; \
	VMOVUPS 64(SI), Z9; \
	WIDEN((DI), Z10); \
	WIDEN((DI)(R8*1), Z11); \
	WIDEN((R9), Z12); \
	WIDEN((R9)(R8*1), Z13); \
	VFMADD231PS Z8, Z10, Z0; \
	VFMADD231PS Z8, Z11, Z1; \
	VFMADD231PS Z8, Z12, Z2; \
	VFMADD231PS Z8, Z13, Z3; \
	WIDEN(32(DI), Z10); \
	WIDEN(32(DI)(R8*1), Z11); \
	WIDEN(32(R9), Z12); \
	WIDEN(32(R9)(R8*1), Z13); \
	VFMADD231PS Z9, Z10, Z4; \
	VFMADD231PS Z9, Z11, Z5; \
	VFMADD231PS Z9, Z12, Z6; \
	VFMADD231PS Z9, Z13, Z7; \
	ADDQ $128, SI; \
	ADDQ $64, DI; \
	ADDQ $64, R9; \
	SUBQ $32, CX; \
	CMPQ CX, $32; \
	JGE  loop2; \
one: \
	TESTQ CX, CX; \
	JZ   tail; \
	VMOVUPS (SI), Z8; \
	WIDEN((DI), Z10); \
	WIDEN((DI)(R8*1), Z11); \
	WIDEN((R9), Z12); \
	WIDEN((R9)(R8*1), Z13); \
	VFMADD231PS Z8, Z10, Z0; \
	VFMADD231PS Z8, Z11, Z1; \
	VFMADD231PS Z8, Z12, Z2; \
	VFMADD231PS Z8, Z13, Z3; \
	ADDQ $64, SI; \
	ADDQ $32, DI; \
	ADDQ $32, R9; \
tail: \
	MOVQ tail+40(FP), CX; \
	TESTQ CX, CX; \
	JZ   reduce; \
	PART(Z4, Z5, Z6, Z7); \
reduce: \
	REDUCE4X512(OUT); \
	VZEROUPPER; \
	RET

// func gemv4BF16AVX512(x *float32, w *uint16, ldw, head, body, tail int, out *float32)
// out[r] = Σ_i x[i]·w[r*ldw+i] for the 4 rows r of w (stride ldw elements) and
// i < head+body+tail, the BF16 weights widened to float32 in registers, x loaded
// once for all four rows: head (< 32) and tail (< 16) elements by masked loads,
// body (a multiple of 16) by whole loads between them. As in gemv4F32AVX512
// the caller picks head so that the body's loads start on a cache line: from
// a safetensors file's usual 16 bytes past one, half of all 32-byte loads of
// 16-bit weights spanned two lines, and the kernel streamed 34 GB/s instead
// of 50 on a Zen 5.
TEXT ·gemv4BF16AVX512(SB), NOSPLIT, $0-56
	GEMV4W16(WIDENBF16, PARTBF16, out+48(FP))

// func gemv4F16AVX512(x *float32, w *uint16, ldw, head, body, tail int, out *float32)
// gemv4BF16AVX512 for float16 weights.
TEXT ·gemv4F16AVX512(SB), NOSPLIT, $0-56
	GEMV4W16(WIDENF16, PARTF16, out+48(FP))

// func axpy4AVX2(alpha *float32, b *float32, ldb int, y *float32, n int)
// y[i] += Σ_r alpha[r]·b[r*ldb+i] over the 4 rows r of b, n a multiple of 8:
// y is loaded and stored once per four rows.
TEXT ·axpy4AVX2(SB), NOSPLIT, $0-40
	MOVQ alpha+0(FP), AX
	VBROADCASTSS (AX), Y0
	VBROADCASTSS 4(AX), Y1
	VBROADCASTSS 8(AX), Y2
	VBROADCASTSS 12(AX), Y3
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $2, R8
	LEAQ (SI)(R8*2), R9
	MOVQ y+24(FP), DI
	MOVQ n+32(FP), CX
	TESTQ CX, CX
	JZ   done

loop:
	VMOVUPS (DI), Y4
	VFMADD231PS (SI), Y0, Y4
	VFMADD231PS (SI)(R8*1), Y1, Y4
	VFMADD231PS (R9), Y2, Y4
	VFMADD231PS (R9)(R8*1), Y3, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, R9
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func axpy4AVX512(alpha *float32, b *float32, ldb int, y *float32, n int)
// y[i] += Σ_r alpha[r]·b[r*ldb+i] over the 4 rows r of b, n a multiple of 16:
// y is loaded and stored once per four rows.
TEXT ·axpy4AVX512(SB), NOSPLIT, $0-40
	MOVQ alpha+0(FP), AX
	VBROADCASTSS (AX), Z0
	VBROADCASTSS 4(AX), Z1
	VBROADCASTSS 8(AX), Z2
	VBROADCASTSS 12(AX), Z3
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), R8
	SHLQ $2, R8
	LEAQ (SI)(R8*2), R9
	MOVQ y+24(FP), DI
	MOVQ n+32(FP), CX
	TESTQ CX, CX
	JZ   done

loop:
	VMOVUPS (DI), Z4
	VFMADD231PS (SI), Z0, Z4
	VFMADD231PS (SI)(R8*1), Z1, Z4
	VFMADD231PS (R9), Z2, Z4
	VFMADD231PS (R9)(R8*1), Z3, Z4
	VMOVUPS Z4, (DI)
	ADDQ $64, SI
	ADDQ $64, R9
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func gemv4F32AVX512(x, w *float32, stride, step, head, body, tail, quads int, out *float32, outStride, outStep, pf int)
// out[q*outStep+r*outStride] = Σ_i x[i]·w[q*step+r*stride+i] for the quads
// (≥ 1) groups of 4 rows q*step+r*stride of w and i < head+body+tail, x
// loaded once for all four rows of a quad: head (< 16) and tail (< 16)
// elements by masked loads, body (a multiple of 16) by whole 64-byte loads
// between them, prefetching each row pf bytes ahead as it goes (PREFETCH4NEXT).
// The caller picks head so that the body's loads of the first row start on a
// cache line (and so those of all four when stride and step are multiples
// of 16): a safetensors file's tensors start 16 bytes past one, and a 64-byte
// load across two lines costs two. Decoding reads a matrix in streams (step
// one row, stride a quarter of the matrix; see gemv4BF16AVX2), where the
// next quad's rows continue the current ones.
TEXT ·gemv4F32AVX512(SB), NOSPLIT, $0-96
	MOVQ w+8(FP), R11
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ step+24(FP), R10
	SHLQ $2, R10
	MOVQ quads+56(FP), R13
	MOVQ out+64(FP), R12
	MOVQ pf+88(FP), BX

quad:
	MOVQ x+0(FP), SI
	MOVQ R11, DI
	LEAQ (DI)(R8*2), R9
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	MOVQ head+32(FP), CX
	TESTQ CX, CX
	JZ   body
	LOADPART4
	VFMADD231PS Z8, Z10, Z0
	VFMADD231PS Z8, Z11, Z1
	VFMADD231PS Z8, Z12, Z2
	VFMADD231PS Z8, Z13, Z3
	SHLQ $2, CX
	ADDQ CX, SI
	ADDQ CX, DI
	ADDQ CX, R9

body:
	MOVQ body+40(FP), CX
	CMPQ CX, $32
	JLT  one

loop2:
	PREFETCH4NEXT
	VMOVUPS (SI), Z8
	VMOVUPS 64(SI), Z9
	VFMADD231PS (DI), Z8, Z0
	VFMADD231PS (DI)(R8*1), Z8, Z1
	VFMADD231PS (R9), Z8, Z2
	VFMADD231PS (R9)(R8*1), Z8, Z3
	VFMADD231PS 64(DI), Z9, Z4
	VFMADD231PS 64(DI)(R8*1), Z9, Z5
	VFMADD231PS 64(R9), Z9, Z6
	VFMADD231PS 64(R9)(R8*1), Z9, Z7
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, R9
	SUBQ $32, CX
	CMPQ CX, $32
	JGE  loop2

one:
	TESTQ CX, CX
	JZ   tail
	VMOVUPS (SI), Z8
	VFMADD231PS (DI), Z8, Z0
	VFMADD231PS (DI)(R8*1), Z8, Z1
	VFMADD231PS (R9), Z8, Z2
	VFMADD231PS (R9)(R8*1), Z8, Z3
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R9

tail:
	MOVQ tail+48(FP), CX
	TESTQ CX, CX
	JZ   reduce
	LOADPART4
	VFMADD231PS Z8, Z10, Z4
	VFMADD231PS Z8, Z11, Z5
	VFMADD231PS Z8, Z12, Z6
	VFMADD231PS Z8, Z13, Z7

reduce:
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	VEXTRACTF64X4 $1, Z0, Y4
	VADDPS Y4, Y0, Y0
	VEXTRACTF64X4 $1, Z1, Y5
	VADDPS Y5, Y1, Y1
	VEXTRACTF64X4 $1, Z2, Y6
	VADDPS Y6, Y2, Y2
	VEXTRACTF64X4 $1, Z3, Y7
	VADDPS Y7, Y3, Y3
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	MOVQ outStride+72(FP), CX
	SHLQ $2, CX
	MOVQ R12, DX
	VMOVSS X0, (DX)
	VEXTRACTPS $1, X0, (DX)(CX*1)
	VEXTRACTPS $2, X0, (DX)(CX*2)
	LEAQ (DX)(CX*2), DX
	VEXTRACTPS $3, X0, (DX)(CX*1)
	MOVQ outStep+80(FP), DX
	LEAQ (R12)(DX*4), R12
	ADDQ R10, R11
	DECQ R13
	JNZ  quad
	VZEROUPPER
	RET
