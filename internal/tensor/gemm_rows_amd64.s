//go:build amd64 && !purego

#include "textflag.h"

// func gemmT16x6F32AVX2(kc int, xt *float32, w *float32, ldw int, out *float32, pf *float32, bias *float32, mode int, c *float32, ldc, rows int)
// func gemmT8x6F32AVX2(kc int, xt *float32, w *float32, ldw int, out *float32, pf *float32, bias *float32, mode int, c *float32, ldc, rows int)
// The products of up to G = 16 (8) input rows with 6 weight rows read in
// place, for F32 weights stored [n, k]: out[G·j + r] = Σ_p xt[G·p + r]·w[j·ldw + p]
// over the kc depths p, for j < 6 and r < G. xt is the input transposed (depth
// major, G rows a depth, zero where a row is missing), so one vector holds 8
// rows at one depth and each weight is broadcast to it: every output is one
// lane of one accumulator summed over the depth in order with fused
// multiply-adds from zero, which is exactly what the packed micro-kernel does
// with the roles of the operands swapped. Products of one panel therefore
// round the same whichever kernel computes them (LinearRowInvariant relies on
// it). The weight rows are addressed as w, w+ldw, w+2·ldw and three more from
// w+3·ldw. Along the way it prefetches the same span of the 6 rows at pf
// (stride ldw), one cache line of each per 16 depths: six rows that each
// advance 4 bytes a step are streams too short and slow for the hardware
// prefetchers, and the next tile's rows are what the caller reads next.
// The panel's sums then join out as the packed products join C: mode 0 stores
// them, mode 1 stores them plus bias[j] (the first panel), mode 2 adds them to
// out (every later panel). With c not nil (a tile's last panel) they also
// store the first rows rows of the result to C (row stride ldc floats),
// transposed in registers (8×8 transposes with two zero outputs, 8 rows at a
// time), instead of leaving Go to scatter them.
//
// Register use (all three kernels): SI walks xt, DI and R11 (= DI + 3 rows)
// the weight rows, AX and BX likewise the rows at pf, R10 is ldw in bytes, CX
// counts depths; Y0–Y3 hold inputs and broadcast weights, Y4 on the
// accumulators (output j, rows 0–7 and 8–15: Y(4+2j), Y(5+2j); 8-row kernel:
// Y(4+j)).

// STEP16X6 is one depth of gemmT16x6F32AVX2: 16 inputs at xo(SI), six
// weights at wo of each row.
#define STEP16X6(xo, wo) \
	VMOVUPS xo(SI), Y0; \
	VMOVUPS xo+32(SI), Y1; \
	VBROADCASTSS wo(DI), Y2; \
	VFMADD231PS Y0, Y2, Y4; \
	VFMADD231PS Y1, Y2, Y5; \
	VBROADCASTSS wo(DI)(R10*1), Y3; \
	VFMADD231PS Y0, Y3, Y6; \
	VFMADD231PS Y1, Y3, Y7; \
	VBROADCASTSS wo(DI)(R10*2), Y2; \
	VFMADD231PS Y0, Y2, Y8; \
	VFMADD231PS Y1, Y2, Y9; \
	VBROADCASTSS wo(R11), Y3; \
	VFMADD231PS Y0, Y3, Y10; \
	VFMADD231PS Y1, Y3, Y11; \
	VBROADCASTSS wo(R11)(R10*1), Y2; \
	VFMADD231PS Y0, Y2, Y12; \
	VFMADD231PS Y1, Y2, Y13; \
	VBROADCASTSS wo(R11)(R10*2), Y3; \
	VFMADD231PS Y0, Y3, Y14; \
	VFMADD231PS Y1, Y3, Y15

// STEP8X6 is one depth of gemmT8x6F32AVX2.
#define STEP8X6(xo, wo) \
	VMOVUPS xo(SI), Y0; \
	VBROADCASTSS wo(DI), Y2; \
	VFMADD231PS Y0, Y2, Y4; \
	VBROADCASTSS wo(DI)(R10*1), Y3; \
	VFMADD231PS Y0, Y3, Y5; \
	VBROADCASTSS wo(DI)(R10*2), Y2; \
	VFMADD231PS Y0, Y2, Y6; \
	VBROADCASTSS wo(R11), Y3; \
	VFMADD231PS Y0, Y3, Y7; \
	VBROADCASTSS wo(R11)(R10*1), Y2; \
	VFMADD231PS Y0, Y2, Y8; \
	VBROADCASTSS wo(R11)(R10*2), Y3; \
	VFMADD231PS Y0, Y3, Y9

// PREFETCH6 prefetches one line of each of the six rows at pf.
#define PREFETCH6 \
	PREFETCHT0 (AX); \
	PREFETCHT0 (AX)(R10*1); \
	PREFETCHT0 (AX)(R10*2); \
	PREFETCHT0 (BX); \
	PREFETCHT0 (BX)(R10*1); \
	PREFETCHT0 (BX)(R10*2)

// ROWPTRS sets the row pointers from the arguments, ldw scaled by size bytes.
#define ROWPTRS(shift) \
	MOVQ kc+0(FP), CX; \
	MOVQ xt+8(FP), SI; \
	MOVQ w+16(FP), DI; \
	MOVQ ldw+24(FP), R10; \
	MOVQ pf+40(FP), AX; \
	SHLQ shift, R10; \
	LEAQ (DI)(R10*2), R11; \
	ADDQ R10, R11; \
	LEAQ (AX)(R10*2), BX; \
	ADDQ R10, BX

// ADDOUT6/8/12 add the tile's sums kept at out (DX) to the accumulators
// Y4 on (mode 2, a later panel); STOREOUT6/8/12 store the accumulators there.
#define ADDOUT6 \
	VADDPS 0(DX), Y4, Y4; \
	VADDPS 32(DX), Y5, Y5; \
	VADDPS 64(DX), Y6, Y6; \
	VADDPS 96(DX), Y7, Y7; \
	VADDPS 128(DX), Y8, Y8; \
	VADDPS 160(DX), Y9, Y9

#define ADDOUT8 \
	ADDOUT6; \
	VADDPS 192(DX), Y10, Y10; \
	VADDPS 224(DX), Y11, Y11

#define ADDOUT12 \
	ADDOUT8; \
	VADDPS 256(DX), Y12, Y12; \
	VADDPS 288(DX), Y13, Y13; \
	VADDPS 320(DX), Y14, Y14; \
	VADDPS 352(DX), Y15, Y15

#define STOREOUT6 \
	VMOVUPS Y4, 0(DX); \
	VMOVUPS Y5, 32(DX); \
	VMOVUPS Y6, 64(DX); \
	VMOVUPS Y7, 96(DX); \
	VMOVUPS Y8, 128(DX); \
	VMOVUPS Y9, 160(DX)

#define STOREOUT8 \
	STOREOUT6; \
	VMOVUPS Y10, 192(DX); \
	VMOVUPS Y11, 224(DX)

#define STOREOUT12 \
	STOREOUT8; \
	VMOVUPS Y12, 256(DX); \
	VMOVUPS Y13, 288(DX); \
	VMOVUPS Y14, 320(DX); \
	VMOVUPS Y15, 352(DX)

// JOINBIAS1 and JOINBIAS2 add bias[j] (at off(R9)) to output j's one or two
// accumulators.
#define JOINBIAS1(off, A) \
	VBROADCASTSS off(R9), Y0; \
	VADDPS Y0, A, A

#define JOINBIAS2(off, A, B) \
	VBROADCASTSS off(R9), Y0; \
	VADDPS Y0, A, A; \
	VADDPS Y0, B, B

// TROW stores row r of an 8×6 block from the transposed halves LO, HI (lanes
// 0–5) at R9, then stops at end once R8 rows are stored, else moves R9 on.
#define TROW(imm, HI, LO, end) \
	VPERM2F128 imm, HI, LO, Y14; \
	VMOVUPS X14, (R9); \
	VEXTRACTF128 $1, Y14, X14; \
	VMOVLPS X14, 16(R9); \
	DECQ R8; \
	JZ   end; \
	ADDQ R13, R9

// TSTORE8X6 stores up to 8 rows (R8 counts the rows left) of the six
// outputs in Y4–Y9 (rows in lanes) to C at R9, row stride R13 bytes, by an
// 8×8 transpose whose outputs 6 and 7 are zero (Y15). It clobbers Y0–Y15.
#define TSTORE8X6(end) \
	VXORPS Y15, Y15, Y15; \
	VUNPCKLPS Y5, Y4, Y0; \
	VUNPCKHPS Y5, Y4, Y1; \
	VUNPCKLPS Y7, Y6, Y2; \
	VUNPCKHPS Y7, Y6, Y3; \
	VUNPCKLPS Y9, Y8, Y10; \
	VUNPCKHPS Y9, Y8, Y11; \
	VSHUFPS $0x44, Y2, Y0, Y4; \
	VSHUFPS $0xEE, Y2, Y0, Y5; \
	VSHUFPS $0x44, Y3, Y1, Y6; \
	VSHUFPS $0xEE, Y3, Y1, Y7; \
	VSHUFPS $0x44, Y15, Y10, Y8; \
	VSHUFPS $0xEE, Y15, Y10, Y9; \
	VSHUFPS $0x44, Y15, Y11, Y12; \
	VSHUFPS $0xEE, Y15, Y11, Y13; \
	TROW($0x20, Y8, Y4, end); \
	TROW($0x20, Y9, Y5, end); \
	TROW($0x20, Y12, Y6, end); \
	TROW($0x20, Y13, Y7, end); \
	TROW($0x31, Y8, Y4, end); \
	TROW($0x31, Y9, Y5, end); \
	TROW($0x31, Y12, Y6, end); \
	TROW($0x31, Y13, Y7, end)

// CSTORE loads C's pointer, row stride and row count for a TSTORE8X6, or
// jumps to end when c is nil.
#define CSTORE(end) \
	MOVQ c+64(FP), R9; \
	TESTQ R9, R9; \
	JZ   end; \
	MOVQ ldc+72(FP), R13; \
	SHLQ $2, R13; \
	MOVQ rows+80(FP), R8

// LOADOUT6 loads six outputs' sums for 8 rows from out (byte offset off,
// stride bytes apart) into Y4–Y9 for TSTORE8X6.
#define LOADOUT6(off, stride) \
	VMOVUPS off(DX), Y4; \
	VMOVUPS off+stride(DX), Y5; \
	VMOVUPS off+2*stride(DX), Y6; \
	VMOVUPS off+3*stride(DX), Y7; \
	VMOVUPS off+4*stride(DX), Y8; \
	VMOVUPS off+5*stride(DX), Y9

// ZERO16X6 clears gemmT16x6F32AVX2's accumulators Y4–Y15.
#define ZERO16X6 \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11; \
	VXORPS Y12, Y12, Y12; \
	VXORPS Y13, Y13, Y13; \
	VXORPS Y14, Y14, Y14; \
	VXORPS Y15, Y15, Y15

// NOTHING is an empty hook of the kernel bodies below.
#define NOTHING

// GEMMT16X6F32 is the body of the 16-row F32 kernels: ZERO clears the
// accumulators, STEP(xo, wo) is one depth, and TOY brings the sums into
// Y4–Y15 (rows 0–7 and 8–15 of weight row j in Y(4+2j) and Y(5+2j)) for the
// epilogue: bias or the earlier panels' sums, the store to out and, for the
// last panel with c set, rows 0–7 then 8–15 from the sums just stored to C.
#define GEMMT16X6F32(ZERO, STEP, TOY) \
	ROWPTRS($2); \
	ZERO; \
	CMPQ CX, $16; \
	JLT  t16tail; \
t16loop16: \
	PREFETCH6; \
	STEP(0, 0); \
	STEP(64, 4); \
	STEP(128, 8); \
	STEP(192, 12); \
	STEP(256, 16); \
	STEP(320, 20); \
	STEP(384, 24); \
	STEP(448, 28); \
	STEP(512, 32); \
	STEP(576, 36); \
	STEP(640, 40); \
	STEP(704, 44); \
	STEP(768, 48); \
	STEP(832, 52); \
	STEP(896, 56); \
	STEP(960, 60); \
	ADDQ $1024, SI; \
	ADDQ $64, DI; \
	ADDQ $64, R11; \
	ADDQ $64, AX; \
	ADDQ $64, BX; \
	SUBQ $16, CX; \
	CMPQ CX, $16; \
	JGE  t16loop16; \
t16tail: \
	TESTQ CX, CX; \
	JZ   t16done; \
t16loop1: \
	STEP(0, 0); \
	ADDQ $64, SI; \
	ADDQ $4, DI; \
	ADDQ $4, R11; \
	DECQ CX; \
	JNZ  t16loop1; \
t16done: \
	TOY; \
	MOVQ out+32(FP), DX; \
	MOVQ mode+56(FP), R8; \
	CMPQ R8, $2; \
	JEQ  t16acc; \
	CMPQ R8, $1; \
	JNE  t16store; \
	MOVQ bias+48(FP), R9; \
	JOINBIAS2(0, Y4, Y5); \
	JOINBIAS2(4, Y6, Y7); \
	JOINBIAS2(8, Y8, Y9); \
	JOINBIAS2(12, Y10, Y11); \
	JOINBIAS2(16, Y12, Y13); \
	JOINBIAS2(20, Y14, Y15); \
	JMP  t16store; \
t16acc: \
	ADDOUT12; \
t16store: \
	STOREOUT12; \
	CSTORE(t16end); \
	LOADOUT6(0, 64); \
	TSTORE8X6(t16end); \
	LOADOUT6(32, 64); \
	TSTORE8X6(t16end); \
t16end: \
	VZEROUPPER; \
	RET

TEXT ·gemmT16x6F32AVX2(SB), NOSPLIT, $0-88
	GEMMT16X6F32(ZERO16X6, STEP16X6, NOTHING)

// STEP16X6Z is STEP16X6 on 512-bit registers: one depth's 16 inputs in Z0,
// each weight row's 16 sums in one accumulator (Z16–Z21), its weight
// broadcast from memory inside the multiply-add. Every sum is the same chain
// of fused multiply-adds as in the AVX2 kernel, so the two give the same bits.
#define STEP16X6Z(xo, wo) \
	VMOVUPS xo(SI), Z0; \
	VFMADD231PS.BCST wo(DI), Z0, Z16; \
	VFMADD231PS.BCST wo(DI)(R10*1), Z0, Z17; \
	VFMADD231PS.BCST wo(DI)(R10*2), Z0, Z18; \
	VFMADD231PS.BCST wo(R11), Z0, Z19; \
	VFMADD231PS.BCST wo(R11)(R10*1), Z0, Z20; \
	VFMADD231PS.BCST wo(R11)(R10*2), Z0, Z21

// func gemmT16x6F32AVX512(kc int, xt, w *float32, ldw int, out, pf, bias *float32, mode int, c *float32, ldc, rows int)
// gemmT16x6F32AVX2 with 512-bit arithmetic: half the multiply-adds and no
// separate broadcasts for the same sums (and bits). It runs the AVX-512 set's
// row-invariant products of 9 to 32 rows: a short encoder input alone.
// ZERO16X6Z clears gemmT16x6F32AVX512's accumulators Z16–Z21.
#define ZERO16X6Z \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21

// TOY16X6 moves gemmT16x6F32AVX512's sums Z16–Z21 into the AVX2 kernel's
// layout for the shared epilogue.
#define TOY16X6 \
	VMOVAPS Y16, Y4; \
	VEXTRACTF64X4 $1, Z16, Y5; \
	VMOVAPS Y17, Y6; \
	VEXTRACTF64X4 $1, Z17, Y7; \
	VMOVAPS Y18, Y8; \
	VEXTRACTF64X4 $1, Z18, Y9; \
	VMOVAPS Y19, Y10; \
	VEXTRACTF64X4 $1, Z19, Y11; \
	VMOVAPS Y20, Y12; \
	VEXTRACTF64X4 $1, Z20, Y13; \
	VMOVAPS Y21, Y14; \
	VEXTRACTF64X4 $1, Z21, Y15

TEXT ·gemmT16x6F32AVX512(SB), NOSPLIT, $0-88
	GEMMT16X6F32(ZERO16X6Z, STEP16X6Z, TOY16X6)

TEXT ·gemmT8x6F32AVX2(SB), NOSPLIT, $0-88
	ROWPTRS($2)
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	CMPQ CX, $16
	JLT  t8tail

t8loop16:
	PREFETCH6
	STEP8X6(0, 0)
	STEP8X6(32, 4)
	STEP8X6(64, 8)
	STEP8X6(96, 12)
	STEP8X6(128, 16)
	STEP8X6(160, 20)
	STEP8X6(192, 24)
	STEP8X6(224, 28)
	STEP8X6(256, 32)
	STEP8X6(288, 36)
	STEP8X6(320, 40)
	STEP8X6(352, 44)
	STEP8X6(384, 48)
	STEP8X6(416, 52)
	STEP8X6(448, 56)
	STEP8X6(480, 60)
	ADDQ $512, SI
	ADDQ $64, DI
	ADDQ $64, R11
	ADDQ $64, AX
	ADDQ $64, BX
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  t8loop16

t8tail:
	TESTQ CX, CX
	JZ   t8done

t8loop1:
	STEP8X6(0, 0)
	ADDQ $32, SI
	ADDQ $4, DI
	ADDQ $4, R11
	DECQ CX
	JNZ  t8loop1

t8done:
	MOVQ out+32(FP), DX
	MOVQ mode+56(FP), R8
	CMPQ R8, $2
	JEQ  t8acc
	CMPQ R8, $1
	JNE  t8store
	MOVQ bias+48(FP), R9
	JOINBIAS1(0, Y4)
	JOINBIAS1(4, Y5)
	JOINBIAS1(8, Y6)
	JOINBIAS1(12, Y7)
	JOINBIAS1(16, Y8)
	JOINBIAS1(20, Y9)
	JMP  t8store
t8acc:
	ADDOUT6
t8store:
	STOREOUT6
	CSTORE(t8end)
	TSTORE8X6(t8end)
t8end:
	VZEROUPPER
	RET

// PAIR16X4 is two depths of gemmT16x4BF16AVX2: 16 inputs at xo(SI) and 16
// at xo+64(SI), one 4-byte broadcast per weight row at wo; Y13 holds the
// odd-half mask.
#define PAIR16X4(xo, wo) \
	VMOVUPS xo(SI), Y0; \
	VMOVUPS xo+32(SI), Y1; \
	VMOVUPS xo+64(SI), Y2; \
	VMOVUPS xo+96(SI), Y3; \
	PAIRROW(wo(DI), Y4, Y5); \
	PAIRROW(wo(DI)(R10*1), Y6, Y7); \
	PAIRROW(wo(DI)(R10*2), Y8, Y9); \
	PAIRROW(wo(R11), Y10, Y11)

// PAIRROW widens one row's pair of weights at addr and adds both depths'
// products to its accumulators A (rows 0–7) and B (rows 8–15), even first.
#define PAIRROW(addr, A, B) \
	VBROADCASTSS addr, Y14; \
	VPSLLD $16, Y14, Y15; \
	VPAND Y13, Y14, Y14; \
	VFMADD231PS Y0, Y15, A; \
	VFMADD231PS Y1, Y15, B; \
	VFMADD231PS Y2, Y14, A; \
	VFMADD231PS Y3, Y14, B

// ODDROW is one depth of one row from a 2-byte broadcast at addr.
#define ODDROW(addr, A, B) \
	VPBROADCASTW addr, Y15; \
	VPSLLD $16, Y15, Y15; \
	VFMADD231PS Y0, Y15, A; \
	VFMADD231PS Y1, Y15, B

// TSTORE4X8 stores 8 rows of the 4 outputs A, B, C, D (rows in lanes) to C
// at R9 and R9 + 4 rows, row stride R13 bytes, leaving R9 at row 3.
#define TSTORE4X8(A, B, C, D) \
	VUNPCKLPS B, A, Y0; \
	VUNPCKHPS B, A, Y1; \
	VUNPCKLPS D, C, Y2; \
	VUNPCKHPS D, C, Y3; \
	VSHUFPS $0x44, Y2, Y0, Y12; \
	VMOVUPS X12, (R9); \
	VEXTRACTF128 $1, Y12, (R9)(R13*4); \
	ADDQ R13, R9; \
	VSHUFPS $0xEE, Y2, Y0, Y12; \
	VMOVUPS X12, (R9); \
	VEXTRACTF128 $1, Y12, (R9)(R13*4); \
	ADDQ R13, R9; \
	VSHUFPS $0x44, Y3, Y1, Y12; \
	VMOVUPS X12, (R9); \
	VEXTRACTF128 $1, Y12, (R9)(R13*4); \
	ADDQ R13, R9; \
	VSHUFPS $0xEE, Y3, Y1, Y12; \
	VMOVUPS X12, (R9); \
	VEXTRACTF128 $1, Y12, (R9)(R13*4)

// func gemmT16x4BF16AVX2(kc int, xt *float32, w *uint16, ldw int, out *float32, pf *uint16, bias *float32, mode int, c *float32, ldc int)
// gemmT16x6F32AVX2 for BF16 weights and 4 weight rows: out[16·j + r] for
// j < 4, r < 16. A 4-byte broadcast brings the weights of two depths at once,
// as (even, odd) halves of every lane: the odd one is the lane with its low
// half cleared, the even one the lane shifted left by 16 (a bfloat16 is the
// top half of a float32), so each pair of depths costs one load and two
// integer instructions per row. The depths are still taken in order, so the
// sums are the packed products' (which widen the weights while packing). An
// odd last depth broadcasts its 2 bytes alone. Prefetching as gemmT16x6F32AVX2,
// one line of each row per 32 depths. With c not nil (the last panel of a
// full group of 16 rows) the joined sums also go straight to C, row r's 4
// outputs at c + r·ldc, transposed in registers, instead of through out.
// ZERO16X4 sets gemmT16x4BF16AVX2's odd-half mask Y13 (0xffff0000 in every
// lane) and clears its accumulators Y4–Y11; ODD16X4 is its odd last depth.
#define ZERO16X4 \
	VPCMPEQD Y13, Y13, Y13; \
	VPSLLD $16, Y13, Y13; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11

#define ODD16X4 \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	ODDROW(0(DI), Y4, Y5); \
	ODDROW(0(DI)(R10*1), Y6, Y7); \
	ODDROW(0(DI)(R10*2), Y8, Y9); \
	ODDROW(0(R11), Y10, Y11)

// GEMMT16X4BF16 is the body of the BF16 kernels: ZERO sets the odd-half
// mask and clears the accumulators, PAIR(xo, wo) is two depths, ODD an odd
// last depth, and TOY brings the sums into Y4–Y11 (rows 0–7 and 8–15 of
// weight row j in Y(4+2j) and Y(5+2j)) for the epilogue: bias or the earlier
// panels' sums, the store to out and, with c set, the 16×4 result to C
// (rows 0–7, then rows 3 + 5 = 8 on).
#define GEMMT16X4BF16(ZERO, PAIR, ODD, TOY) \
	ROWPTRS($1); \
	ZERO; \
	CMPQ CX, $32; \
	JLT  b16pairs; \
b16loop32: \
	PREFETCHT0 (AX); \
	PREFETCHT0 (AX)(R10*1); \
	PREFETCHT0 (AX)(R10*2); \
	PREFETCHT0 (BX); \
	PAIR(0, 0); \
	PAIR(128, 4); \
	PAIR(256, 8); \
	PAIR(384, 12); \
	PAIR(512, 16); \
	PAIR(640, 20); \
	PAIR(768, 24); \
	PAIR(896, 28); \
	PAIR(1024, 32); \
	PAIR(1152, 36); \
	PAIR(1280, 40); \
	PAIR(1408, 44); \
	PAIR(1536, 48); \
	PAIR(1664, 52); \
	PAIR(1792, 56); \
	PAIR(1920, 60); \
	ADDQ $2048, SI; \
	ADDQ $64, DI; \
	ADDQ $64, R11; \
	ADDQ $64, AX; \
	ADDQ $64, BX; \
	SUBQ $32, CX; \
	CMPQ CX, $32; \
	JGE  b16loop32; \
b16pairs: \
	CMPQ CX, $2; \
	JLT  b16odd; \
b16loop2: \
	PAIR(0, 0); \
	ADDQ $128, SI; \
	ADDQ $4, DI; \
	ADDQ $4, R11; \
	SUBQ $2, CX; \
	CMPQ CX, $2; \
	JGE  b16loop2; \
b16odd: \
	TESTQ CX, CX; \
	JZ   b16done; \
	ODD; \
b16done: \
	TOY; \
	MOVQ out+32(FP), DX; \
	MOVQ mode+56(FP), R8; \
	CMPQ R8, $2; \
	JEQ  b16acc; \
	CMPQ R8, $1; \
	JNE  b16store; \
	MOVQ bias+48(FP), R9; \
	JOINBIAS2(0, Y4, Y5); \
	JOINBIAS2(4, Y6, Y7); \
	JOINBIAS2(8, Y8, Y9); \
	JOINBIAS2(12, Y10, Y11); \
	JMP  b16store; \
b16acc: \
	ADDOUT8; \
b16store: \
	STOREOUT8; \
	MOVQ c+64(FP), R9; \
	TESTQ R9, R9; \
	JZ   b16end; \
	MOVQ ldc+72(FP), R13; \
	SHLQ $2, R13; \
	TSTORE4X8(Y4, Y6, Y8, Y10); \
	LEAQ (R9)(R13*4), R9; \
	ADDQ R13, R9; \
	TSTORE4X8(Y5, Y7, Y9, Y11); \
b16end: \
	VZEROUPPER; \
	RET

TEXT ·gemmT16x4BF16AVX2(SB), NOSPLIT, $0-80
	GEMMT16X4BF16(ZERO16X4, PAIR16X4, ODD16X4, NOTHING)

// PAIR16X4Z is PAIR16X4 on 512-bit registers: the 16 inputs of a depth in
// one register (Z0 at depth 2i, Z1 at 2i+1), each weight row's 16 sums in
// one accumulator (Z16–Z19). Every sum is the same chain of fused
// multiply-adds as in the AVX2 kernel, so the two give the same bits.
#define PAIR16X4Z(xo, wo) \
	VMOVUPS xo(SI), Z0; \
	VMOVUPS xo+64(SI), Z1; \
	PAIRROWZ(wo(DI), Z16); \
	PAIRROWZ(wo(DI)(R10*1), Z17); \
	PAIRROWZ(wo(DI)(R10*2), Z18); \
	PAIRROWZ(wo(R11), Z19)

#define PAIRROWZ(addr, A) \
	VPBROADCASTD addr, Z14; \
	VPSLLD $16, Z14, Z15; \
	VPANDD Z13, Z14, Z14; \
	VFMADD231PS Z0, Z15, A; \
	VFMADD231PS Z1, Z14, A

#define ODDROWZ(addr, A) \
	VPBROADCASTW addr, Z15; \
	VPSLLD $16, Z15, Z15; \
	VFMADD231PS Z0, Z15, A

// TOYZ4 moves four outputs' 16 sums (ZA–ZD, whose low halves are YA–YD)
// into the AVX2 layout Y4–Y11 for TSTORE4X8.
#define TOYZ4(ZA, YA, ZB, YB, ZC, YC, ZD, YD) \
	VMOVAPS YA, Y4; \
	VEXTRACTF64X4 $1, ZA, Y5; \
	VMOVAPS YB, Y6; \
	VEXTRACTF64X4 $1, ZB, Y7; \
	VMOVAPS YC, Y8; \
	VEXTRACTF64X4 $1, ZC, Y9; \
	VMOVAPS YD, Y10; \
	VEXTRACTF64X4 $1, ZD, Y11

// func gemmT16x4BF16AVX512(kc int, xt *float32, w *uint16, ldw int, out *float32, pf *uint16, bias *float32, mode int, c *float32, ldc int)
// gemmT16x4BF16AVX2 with 512-bit arithmetic: half the multiply-add
// instructions for the same sums (and bits). At batch 16 the BF16 decode of a
// Qwen2.5-0.5B-shaped model spent 74% of its time in the AVX2 kernel, and
// llama.cpp's (which multiplies in bfloat16, VDPBF16PS) ran 1.1x faster.
// ZERO16X4Z and ODD16X4Z are ZERO16X4 and ODD16X4 for gemmT16x4BF16AVX512
// (accumulators Z16–Z19); TOY16X4 moves its sums into the AVX2 kernel's
// layout for the shared epilogue.
#define ZERO16X4Z \
	VPTERNLOGD $0xff, Z13, Z13, Z13; \
	VPSLLD $16, Z13, Z13; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19

#define ODD16X4Z \
	VMOVUPS (SI), Z0; \
	ODDROWZ(0(DI), Z16); \
	ODDROWZ(0(DI)(R10*1), Z17); \
	ODDROWZ(0(DI)(R10*2), Z18); \
	ODDROWZ(0(R11), Z19)

#define TOY16X4 TOYZ4(Z16, Y16, Z17, Y17, Z18, Y18, Z19, Y19)

TEXT ·gemmT16x4BF16AVX512(SB), NOSPLIT, $0-80
	GEMMT16X4BF16(ZERO16X4Z, PAIR16X4Z, ODD16X4Z, TOY16X4)

// PAIRROWZB is PAIRROWZ with both halves taken from memory: the weight pair
// broadcast inside the shift (even) and the mask (odd), two instructions
// instead of three.
#define PAIRROWZB(addr, A) \
	VPSLLD.BCST $16, addr, Z14; \
	VPANDD.BCST addr, Z13, Z15; \
	VFMADD231PS Z0, Z14, A; \
	VFMADD231PS Z1, Z15, A

// PAIR16X8Z is two depths of gemmT16x8BF16AVX512: eight weight rows, from
// DI, R11 (= DI + 3 rows) and R12 (= DI + 6 rows).
#define PAIR16X8Z(xo, wo) \
	VMOVUPS xo(SI), Z0; \
	VMOVUPS xo+64(SI), Z1; \
	PAIRROWZB(wo(DI), Z16); \
	PAIRROWZB(wo(DI)(R10*1), Z17); \
	PAIRROWZB(wo(DI)(R10*2), Z18); \
	PAIRROWZB(wo(R11), Z19); \
	PAIRROWZB(wo(R11)(R10*1), Z20); \
	PAIRROWZB(wo(R11)(R10*2), Z21); \
	PAIRROWZB(wo(R12), Z22); \
	PAIRROWZB(wo(R12)(R10*1), Z23)

#define ODD16X8Z \
	VMOVUPS (SI), Z0; \
	ODDROWZ(0(DI), Z16); \
	ODDROWZ(0(DI)(R10*1), Z17); \
	ODDROWZ(0(DI)(R10*2), Z18); \
	ODDROWZ(0(R11), Z19); \
	ODDROWZ(0(R11)(R10*1), Z20); \
	ODDROWZ(0(R11)(R10*2), Z21); \
	ODDROWZ(0(R12), Z22); \
	ODDROWZ(0(R12)(R10*1), Z23)

// JOINBIASZ adds bias[j] (at off(R9)) to output j's accumulator A.
#define JOINBIASZ(off, A) \
	VBROADCASTSS off(R9), Z0; \
	VADDPS Z0, A, A

// The epilogue pieces of the 8- and 12-output AVX-512 kernels, four outputs
// at a time, for sums in 512-bit (Z: 16 rows, 64 bytes of out each) or
// 256-bit (Y: 8 rows, 32 bytes) accumulators A–D from out's byte offset off
// (bias: from bias' byte offset off).

// ZERO4 clears four accumulators.
#define ZERO4(A, B, C, D) \
	VPXORD A, A, A; \
	VPXORD B, B, B; \
	VPXORD C, C, C; \
	VPXORD D, D, D

// JOINMODE loads out into DX and jumps by mode: to acc for 2 (a later
// panel), to store for 0; for 1 (the first panel, with bias) it falls
// through with bias in R9.
#define JOINMODE(acc, store) \
	MOVQ out+32(FP), DX; \
	MOVQ mode+56(FP), R8; \
	CMPQ R8, $2; \
	JEQ  acc; \
	CMPQ R8, $1; \
	JNE  store; \
	MOVQ bias+48(FP), R9

#define JOINBIAS4Z(off, A, B, C, D) \
	JOINBIASZ(off, A); \
	JOINBIASZ(off+4, B); \
	JOINBIASZ(off+8, C); \
	JOINBIASZ(off+12, D)

#define JOINBIAS4Y(off, A, B, C, D) \
	JOINBIAS1(off, A); \
	JOINBIAS1(off+4, B); \
	JOINBIAS1(off+8, C); \
	JOINBIAS1(off+12, D)

#define ADDOUT4Z(off, A, B, C, D) \
	VADDPS off(DX), A, A; \
	VADDPS off+64(DX), B, B; \
	VADDPS off+128(DX), C, C; \
	VADDPS off+192(DX), D, D

#define ADDOUT4Y(off, A, B, C, D) \
	VADDPS off(DX), A, A; \
	VADDPS off+32(DX), B, B; \
	VADDPS off+64(DX), C, C; \
	VADDPS off+96(DX), D, D

#define STOREOUT4Z(off, A, B, C, D) \
	VMOVUPS A, off(DX); \
	VMOVUPS B, off+64(DX); \
	VMOVUPS C, off+128(DX); \
	VMOVUPS D, off+192(DX)

#define STOREOUT4Y(off, A, B, C, D) \
	VMOVUPS A, off(DX); \
	VMOVUPS B, off+32(DX); \
	VMOVUPS C, off+64(DX); \
	VMOVUPS D, off+96(DX)

// TSTORE16X4 stores the 16×4 block in Y4–Y11 to C at R9 (row stride R13
// bytes).
#define TSTORE16X4 \
	TSTORE4X8(Y4, Y6, Y8, Y10); \
	LEAQ (R9)(R13*4), R9; \
	ADDQ R13, R9; \
	TSTORE4X8(Y5, Y7, Y9, Y11)

// func gemmT16x8BF16AVX512(kc int, xt *float32, w *uint16, ldw int, out *float32, pf *uint16, bias *float32, mode int, c *float32, ldc int)
// gemmT16x4BF16AVX512 for 8 weight rows: out[16·j + r] for j < 8, r < 16,
// the same sums bit for bit (each output the same chain of fused
// multiply-adds over the depth). Four accumulators are four dependent chains,
// which let the multiply-adds issue at one a cycle at most (four cycles'
// latency each); eight keep both of a core's 512-bit FMA pipes busy. The
// weights of a pair of depths come as one 4-byte broadcast inside the shift
// (even) and inside the mask (odd). Prefetches one line of each of the 8 rows
// at pf (AX, BX, R13) per 32 depths.
TEXT ·gemmT16x8BF16AVX512(SB), NOSPLIT, $0-80
	ROWPTRS($1)
	LEAQ (R11)(R10*2), R12
	ADDQ R10, R12
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13
	VPTERNLOGD $0xff, Z13, Z13, Z13
	VPSLLD $16, Z13, Z13
	ZERO4(Z16, Z17, Z18, Z19)
	ZERO4(Z20, Z21, Z22, Z23)
	CMPQ CX, $32
	JLT  b8pairs

b8loop32:
	PREFETCHT0 (AX)
	PREFETCHT0 (AX)(R10*1)
	PREFETCHT0 (AX)(R10*2)
	PREFETCHT0 (BX)
	PREFETCHT0 (BX)(R10*1)
	PREFETCHT0 (BX)(R10*2)
	PREFETCHT0 (R13)
	PREFETCHT0 (R13)(R10*1)
	PAIR16X8Z(0, 0)
	PAIR16X8Z(128, 4)
	PAIR16X8Z(256, 8)
	PAIR16X8Z(384, 12)
	PAIR16X8Z(512, 16)
	PAIR16X8Z(640, 20)
	PAIR16X8Z(768, 24)
	PAIR16X8Z(896, 28)
	PAIR16X8Z(1024, 32)
	PAIR16X8Z(1152, 36)
	PAIR16X8Z(1280, 40)
	PAIR16X8Z(1408, 44)
	PAIR16X8Z(1536, 48)
	PAIR16X8Z(1664, 52)
	PAIR16X8Z(1792, 56)
	PAIR16X8Z(1920, 60)
	ADDQ $2048, SI
	ADDQ $64, DI
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, R13
	SUBQ $32, CX
	CMPQ CX, $32
	JGE  b8loop32

b8pairs:
	CMPQ CX, $2
	JLT  b8odd

b8loop2:
	PAIR16X8Z(0, 0)
	ADDQ $128, SI
	ADDQ $4, DI
	ADDQ $4, R11
	ADDQ $4, R12
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  b8loop2

b8odd:
	TESTQ CX, CX
	JZ   b8done
	ODD16X8Z

b8done:
	JOINMODE(b8acc, b8store)
	JOINBIAS4Z(0, Z16, Z17, Z18, Z19)
	JOINBIAS4Z(16, Z20, Z21, Z22, Z23)
	JMP  b8store

b8acc:
	ADDOUT4Z(0, Z16, Z17, Z18, Z19)
	ADDOUT4Z(256, Z20, Z21, Z22, Z23)

b8store:
	STOREOUT4Z(0, Z16, Z17, Z18, Z19)
	STOREOUT4Z(256, Z20, Z21, Z22, Z23)
	MOVQ c+64(FP), R9
	TESTQ R9, R9
	JZ   b8end
	MOVQ ldc+72(FP), R13
	SHLQ $2, R13
	LEAQ 16(R9), R8 // outputs 4–7 of row 0
	TOYZ4(Z16, Y16, Z17, Y17, Z18, Y18, Z19, Y19)
	TSTORE16X4
	MOVQ R8, R9
	TOYZ4(Z20, Y20, Z21, Y21, Z22, Y22, Z23, Y23)
	TSTORE16X4

b8end:
	VZEROUPPER
	RET

// STEP16X12Z is one depth of gemmT16x12F32AVX512: 16 inputs in Z0, twelve
// weight rows from DI, R11, R12 and R8 (three rows each), broadcast from
// memory inside the multiply-adds.
#define STEP16X12Z(xo, wo) \
	VMOVUPS xo(SI), Z0; \
	VFMADD231PS.BCST wo(DI), Z0, Z16; \
	VFMADD231PS.BCST wo(DI)(R10*1), Z0, Z17; \
	VFMADD231PS.BCST wo(DI)(R10*2), Z0, Z18; \
	VFMADD231PS.BCST wo(R11), Z0, Z19; \
	VFMADD231PS.BCST wo(R11)(R10*1), Z0, Z20; \
	VFMADD231PS.BCST wo(R11)(R10*2), Z0, Z21; \
	VFMADD231PS.BCST wo(R12), Z0, Z22; \
	VFMADD231PS.BCST wo(R12)(R10*1), Z0, Z23; \
	VFMADD231PS.BCST wo(R12)(R10*2), Z0, Z24; \
	VFMADD231PS.BCST wo(R8), Z0, Z25; \
	VFMADD231PS.BCST wo(R8)(R10*1), Z0, Z26; \
	VFMADD231PS.BCST wo(R8)(R10*2), Z0, Z27

// func gemmT16x12F32AVX512(kc int, xt, w *float32, ldw int, out, pf, bias *float32, mode int, c *float32, ldc, rows int)
// gemmT16x6F32AVX512 for 12 weight rows: out[16·j + r] for j < 12, r < 16,
// the same sums bit for bit. Six accumulators are six dependent chains of
// multiply-adds (four cycles' latency each), too few to keep both of a
// core's 512-bit FMA pipes busy; twelve are enough. Prefetches one line of
// each of the 12 rows at pf (AX, BX, R13, R9) per 16 depths; with c set it
// stores the first rows rows of the result to C as two blocks of 6 outputs.
TEXT ·gemmT16x12F32AVX512(SB), NOSPLIT, $0-88
	ROWPTRS($2)
	LEAQ (R11)(R10*2), R12
	ADDQ R10, R12
	LEAQ (R12)(R10*2), R8
	ADDQ R10, R8
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13
	LEAQ (R13)(R10*2), R9
	ADDQ R10, R9
	ZERO4(Z16, Z17, Z18, Z19)
	ZERO4(Z20, Z21, Z22, Z23)
	ZERO4(Z24, Z25, Z26, Z27)
	CMPQ CX, $16
	JLT  t12tail

t12loop16:
	PREFETCH6
	PREFETCHT0 (R13)
	PREFETCHT0 (R13)(R10*1)
	PREFETCHT0 (R13)(R10*2)
	PREFETCHT0 (R9)
	PREFETCHT0 (R9)(R10*1)
	PREFETCHT0 (R9)(R10*2)
	STEP16X12Z(0, 0)
	STEP16X12Z(64, 4)
	STEP16X12Z(128, 8)
	STEP16X12Z(192, 12)
	STEP16X12Z(256, 16)
	STEP16X12Z(320, 20)
	STEP16X12Z(384, 24)
	STEP16X12Z(448, 28)
	STEP16X12Z(512, 32)
	STEP16X12Z(576, 36)
	STEP16X12Z(640, 40)
	STEP16X12Z(704, 44)
	STEP16X12Z(768, 48)
	STEP16X12Z(832, 52)
	STEP16X12Z(896, 56)
	STEP16X12Z(960, 60)
	ADDQ $1024, SI
	ADDQ $64, DI
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R8
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, R13
	ADDQ $64, R9
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  t12loop16

t12tail:
	TESTQ CX, CX
	JZ   t12done

t12loop1:
	STEP16X12Z(0, 0)
	ADDQ $64, SI
	ADDQ $4, DI
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ $4, R8
	DECQ CX
	JNZ  t12loop1

t12done:
	JOINMODE(t12acc, t12store)
	JOINBIAS4Z(0, Z16, Z17, Z18, Z19)
	JOINBIAS4Z(16, Z20, Z21, Z22, Z23)
	JOINBIAS4Z(32, Z24, Z25, Z26, Z27)
	JMP  t12store

t12acc:
	ADDOUT4Z(0, Z16, Z17, Z18, Z19)
	ADDOUT4Z(256, Z20, Z21, Z22, Z23)
	ADDOUT4Z(512, Z24, Z25, Z26, Z27)

t12store:
	STOREOUT4Z(0, Z16, Z17, Z18, Z19)
	STOREOUT4Z(256, Z20, Z21, Z22, Z23)
	STOREOUT4Z(512, Z24, Z25, Z26, Z27)
	CSTORE(t12end)
	LOADOUT6(0, 64)
	TSTORE8X6(t12half)
	LOADOUT6(32, 64)
	TSTORE8X6(t12half)

t12half:
	// Outputs 6–11: the same from out + 6 outputs, to C + 6 columns.
	MOVQ c+64(FP), R9
	ADDQ $24, R9
	MOVQ rows+80(FP), R8
	LOADOUT6(384, 64)
	TSTORE8X6(t12end)
	LOADOUT6(416, 64)
	TSTORE8X6(t12end)

t12end:
	VZEROUPPER
	RET

// STEP8X12Z is one depth of gemmT8x12F32AVX512: 8 inputs in Y0, twelve
// weight rows from DI, R11, R12 and R8, broadcast inside the multiply-adds.
#define STEP8X12Z(xo, wo) \
	VMOVUPS xo(SI), Y0; \
	VFMADD231PS.BCST wo(DI), Y0, Y16; \
	VFMADD231PS.BCST wo(DI)(R10*1), Y0, Y17; \
	VFMADD231PS.BCST wo(DI)(R10*2), Y0, Y18; \
	VFMADD231PS.BCST wo(R11), Y0, Y19; \
	VFMADD231PS.BCST wo(R11)(R10*1), Y0, Y20; \
	VFMADD231PS.BCST wo(R11)(R10*2), Y0, Y21; \
	VFMADD231PS.BCST wo(R12), Y0, Y22; \
	VFMADD231PS.BCST wo(R12)(R10*1), Y0, Y23; \
	VFMADD231PS.BCST wo(R12)(R10*2), Y0, Y24; \
	VFMADD231PS.BCST wo(R8), Y0, Y25; \
	VFMADD231PS.BCST wo(R8)(R10*1), Y0, Y26; \
	VFMADD231PS.BCST wo(R8)(R10*2), Y0, Y27

// func gemmT8x12F32AVX512(kc int, xt, w *float32, ldw int, out, pf, bias *float32, mode int, c *float32, ldc, rows int)
// gemmT8x6F32AVX2 for 12 weight rows, on AVX-512's sixteen extra registers:
// out[8·j + r] for j < 12, r < 8, the same sums bit for bit. Six 256-bit
// accumulators are six dependent chains, too few for both FMA pipes; twelve
// are enough. It runs the AVX-512 set's products of up to 8 rows: a short
// encoder input alone. Prefetches and stores to C as gemmT16x12F32AVX512.
TEXT ·gemmT8x12F32AVX512(SB), NOSPLIT, $0-88
	ROWPTRS($2)
	LEAQ (R11)(R10*2), R12
	ADDQ R10, R12
	LEAQ (R12)(R10*2), R8
	ADDQ R10, R8
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13
	LEAQ (R13)(R10*2), R9
	ADDQ R10, R9
	ZERO4(Y16, Y17, Y18, Y19)
	ZERO4(Y20, Y21, Y22, Y23)
	ZERO4(Y24, Y25, Y26, Y27)
	CMPQ CX, $16
	JLT  e12tail

e12loop16:
	PREFETCH6
	PREFETCHT0 (R13)
	PREFETCHT0 (R13)(R10*1)
	PREFETCHT0 (R13)(R10*2)
	PREFETCHT0 (R9)
	PREFETCHT0 (R9)(R10*1)
	PREFETCHT0 (R9)(R10*2)
	STEP8X12Z(0, 0)
	STEP8X12Z(32, 4)
	STEP8X12Z(64, 8)
	STEP8X12Z(96, 12)
	STEP8X12Z(128, 16)
	STEP8X12Z(160, 20)
	STEP8X12Z(192, 24)
	STEP8X12Z(224, 28)
	STEP8X12Z(256, 32)
	STEP8X12Z(288, 36)
	STEP8X12Z(320, 40)
	STEP8X12Z(352, 44)
	STEP8X12Z(384, 48)
	STEP8X12Z(416, 52)
	STEP8X12Z(448, 56)
	STEP8X12Z(480, 60)
	ADDQ $512, SI
	ADDQ $64, DI
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R8
	ADDQ $64, AX
	ADDQ $64, BX
	ADDQ $64, R13
	ADDQ $64, R9
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  e12loop16

e12tail:
	TESTQ CX, CX
	JZ   e12done

e12loop1:
	STEP8X12Z(0, 0)
	ADDQ $32, SI
	ADDQ $4, DI
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ $4, R8
	DECQ CX
	JNZ  e12loop1

e12done:
	JOINMODE(e12acc, e12store)
	JOINBIAS4Y(0, Y16, Y17, Y18, Y19)
	JOINBIAS4Y(16, Y20, Y21, Y22, Y23)
	JOINBIAS4Y(32, Y24, Y25, Y26, Y27)
	JMP  e12store

e12acc:
	ADDOUT4Y(0, Y16, Y17, Y18, Y19)
	ADDOUT4Y(128, Y20, Y21, Y22, Y23)
	ADDOUT4Y(256, Y24, Y25, Y26, Y27)

e12store:
	STOREOUT4Y(0, Y16, Y17, Y18, Y19)
	STOREOUT4Y(128, Y20, Y21, Y22, Y23)
	STOREOUT4Y(256, Y24, Y25, Y26, Y27)
	CSTORE(e12end)
	LOADOUT6(0, 32)
	TSTORE8X6(e12half)

e12half:
	// Outputs 6–11 to C + 6 columns.
	MOVQ c+64(FP), R9
	ADDQ $24, R9
	MOVQ rows+80(FP), R8
	LOADOUT6(192, 32)
	TSTORE8X6(e12end)

e12end:
	VZEROUPPER
	RET
