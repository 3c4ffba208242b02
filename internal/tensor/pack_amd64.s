//go:build amd64 && !purego

#include "textflag.h"

// Packing of transposed B panels (weights [out, in]) for the micro-kernels: an
// 8×8 register transpose, widening F16/BF16 on load. AVX2 only; the AVX-512 set
// uses it too.

// PACKAHEAD is how far ahead in each of its 8 rows the F32 packer prefetches:
// the weights come from memory once per product, 8 rows at a time, and 32
// bytes of each per step are too little for the hardware prefetchers to keep
// 8 streams in flight.
#define PACKAHEAD 512

// PACKAHEAD16 is PACKAHEAD for the 16-bit packers: as many steps ahead.
#define PACKAHEAD16 256

// PREFETCH8 prefetches d bytes ahead in each of the 8 rows being packed
// (rows 0–3 from AX, 4–7 from BX; R8 the row stride, R10 three of them).
#define PREFETCH8(d) \
	PREFETCHT0 d(AX) \
	PREFETCHT0 d(AX)(R8*1) \
	PREFETCHT0 d(AX)(R8*2) \
	PREFETCHT0 d(AX)(R10*1) \
	PREFETCHT0 d(BX) \
	PREFETCHT0 d(BX)(R8*1) \
	PREFETCHT0 d(BX)(R8*2) \
	PREFETCHT0 d(BX)(R10*1)

// func packT8F32(dst *float32, src *float32, ld, ldd, blocks int)
// For each of blocks blocks of 8 depths: reads 8 stored rows (stride ld elements)
// of 8 values, transposes them and writes 8 depth steps of 8 floats with stride
// ldd floats: dst[kk*ldd+c] = src[c*ld+kk].
TEXT ·packT8F32(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ ldd+24(FP), R9
	MOVQ blocks+32(FP), CX
	SHLQ $2, R8
	SHLQ $2, R9
	LEAQ (R8)(R8*2), R10
	TESTQ CX, CX
	JZ   done

loop:
	MOVQ SI, AX
	LEAQ (SI)(R8*4), BX
	PREFETCH8(PACKAHEAD)
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(R8*1), Y1
	VMOVUPS (AX)(R8*2), Y2
	VMOVUPS (AX)(R10*1), Y3
	VMOVUPS (BX), Y4
	VMOVUPS (BX)(R8*1), Y5
	VMOVUPS (BX)(R8*2), Y6
	VMOVUPS (BX)(R10*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	MOVQ DI, DX
	VMOVUPS Y8, (DX)
	ADDQ R9, DX
	VMOVUPS Y9, (DX)
	ADDQ R9, DX
	VMOVUPS Y10, (DX)
	ADDQ R9, DX
	VMOVUPS Y11, (DX)
	ADDQ R9, DX
	VMOVUPS Y12, (DX)
	ADDQ R9, DX
	VMOVUPS Y13, (DX)
	ADDQ R9, DX
	VMOVUPS Y14, (DX)
	ADDQ R9, DX
	VMOVUPS Y15, (DX)
	ADDQ $32, SI
	LEAQ (DI)(R9*8), DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func packT8BF16(dst *float32, src *uint16, ld, ldd, blocks int)
// For each of blocks blocks of 8 depths: reads 8 stored rows (stride ld elements)
// of 8 values, transposes them and writes 8 depth steps of 8 floats with stride
// ldd floats: dst[kk*ldd+c] = src[c*ld+kk].
TEXT ·packT8BF16(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ ldd+24(FP), R9
	MOVQ blocks+32(FP), CX
	SHLQ $1, R8
	SHLQ $2, R9
	LEAQ (R8)(R8*2), R10
	TESTQ CX, CX
	JZ   done

loop:
	MOVQ SI, AX
	LEAQ (SI)(R8*4), BX
	PREFETCH8(PACKAHEAD16)
	VPMOVZXWD (AX), Y0
	VPSLLD $16, Y0, Y0
	VPMOVZXWD (AX)(R8*1), Y1
	VPSLLD $16, Y1, Y1
	VPMOVZXWD (AX)(R8*2), Y2
	VPSLLD $16, Y2, Y2
	VPMOVZXWD (AX)(R10*1), Y3
	VPSLLD $16, Y3, Y3
	VPMOVZXWD (BX), Y4
	VPSLLD $16, Y4, Y4
	VPMOVZXWD (BX)(R8*1), Y5
	VPSLLD $16, Y5, Y5
	VPMOVZXWD (BX)(R8*2), Y6
	VPSLLD $16, Y6, Y6
	VPMOVZXWD (BX)(R10*1), Y7
	VPSLLD $16, Y7, Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	MOVQ DI, DX
	VMOVUPS Y8, (DX)
	ADDQ R9, DX
	VMOVUPS Y9, (DX)
	ADDQ R9, DX
	VMOVUPS Y10, (DX)
	ADDQ R9, DX
	VMOVUPS Y11, (DX)
	ADDQ R9, DX
	VMOVUPS Y12, (DX)
	ADDQ R9, DX
	VMOVUPS Y13, (DX)
	ADDQ R9, DX
	VMOVUPS Y14, (DX)
	ADDQ R9, DX
	VMOVUPS Y15, (DX)
	ADDQ $16, SI
	LEAQ (DI)(R9*8), DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// func packT8F16(dst *float32, src *uint16, ld, ldd, blocks int)
// For each of blocks blocks of 8 depths: reads 8 stored rows (stride ld elements)
// of 8 values, transposes them and writes 8 depth steps of 8 floats with stride
// ldd floats: dst[kk*ldd+c] = src[c*ld+kk].
TEXT ·packT8F16(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ ldd+24(FP), R9
	MOVQ blocks+32(FP), CX
	SHLQ $1, R8
	SHLQ $2, R9
	LEAQ (R8)(R8*2), R10
	TESTQ CX, CX
	JZ   done

loop:
	MOVQ SI, AX
	LEAQ (SI)(R8*4), BX
	PREFETCH8(PACKAHEAD16)
	VCVTPH2PS (AX), Y0
	VCVTPH2PS (AX)(R8*1), Y1
	VCVTPH2PS (AX)(R8*2), Y2
	VCVTPH2PS (AX)(R10*1), Y3
	VCVTPH2PS (BX), Y4
	VCVTPH2PS (BX)(R8*1), Y5
	VCVTPH2PS (BX)(R8*2), Y6
	VCVTPH2PS (BX)(R10*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	MOVQ DI, DX
	VMOVUPS Y8, (DX)
	ADDQ R9, DX
	VMOVUPS Y9, (DX)
	ADDQ R9, DX
	VMOVUPS Y10, (DX)
	ADDQ R9, DX
	VMOVUPS Y11, (DX)
	ADDQ R9, DX
	VMOVUPS Y12, (DX)
	ADDQ R9, DX
	VMOVUPS Y13, (DX)
	ADDQ R9, DX
	VMOVUPS Y14, (DX)
	ADDQ R9, DX
	VMOVUPS Y15, (DX)
	ADDQ $16, SI
	LEAQ (DI)(R9*8), DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET
