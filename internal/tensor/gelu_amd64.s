//go:build amd64 && !purego

#include "textflag.h"

// GELU (erf form) in double precision, rounded once to float32: the result is
// the float32 rounding of x·Φ(x) up to the approximation's relative error of
// about 1e-8 (so within one ulp, mostly correctly rounded), like the portable
// float64 path. Φ(x) = erfc(−x/√2)/2 = 1 − h for x ≥ 0 and h for x < 0, with
// h = erfc(z)/2 at z = |x|/√2, so the tail for x < 0 keeps its relative
// accuracy (no 1 + erf cancellation). erfc(z) = t·exp(P(t) − z²) with
// t = 2/(2+z) and P a degree-11 polynomial (the Chebyshev fit of
// ln(erfc(z)/t) + z² on z ∈ [0, 10.5], made with mpmath; relative error
// 3e-9). Past 10.5, where
// x·Φ(x) is below the smallest float32, P is extrapolated (it stays within
// [−1.2, −1.09]) and z is clamped to 26, so that e^y stays a normal double and
// x·Φ(x) rounds to zero for every finite x. z² enters exactly through
// one fused multiply-add. exp is 2^n·e^r with |r| ≤ ln2/2, a degree-7 Taylor
// polynomial (error 5e-9), and 2^n built in the exponent bits. Both
// polynomials are evaluated with Estrin's scheme, whose short dependency
// chains let the out-of-order core overlap more elements than Horner's.
//
// Constants: each repeated in the four lanes of a 32-byte row.
DATA geluConst<>+0(SB)/8, $0x7fffffffffffffff
DATA geluConst<>+8(SB)/8, $0x7fffffffffffffff
DATA geluConst<>+16(SB)/8, $0x7fffffffffffffff
DATA geluConst<>+24(SB)/8, $0x7fffffffffffffff
DATA geluConst<>+32(SB)/8, $0x3fe6a09e667f3bcd
DATA geluConst<>+40(SB)/8, $0x3fe6a09e667f3bcd
DATA geluConst<>+48(SB)/8, $0x3fe6a09e667f3bcd
DATA geluConst<>+56(SB)/8, $0x3fe6a09e667f3bcd
DATA geluConst<>+64(SB)/8, $0x403a000000000000
DATA geluConst<>+72(SB)/8, $0x403a000000000000
DATA geluConst<>+80(SB)/8, $0x403a000000000000
DATA geluConst<>+88(SB)/8, $0x403a000000000000
DATA geluConst<>+96(SB)/8, $0x4000000000000000
DATA geluConst<>+104(SB)/8, $0x4000000000000000
DATA geluConst<>+112(SB)/8, $0x4000000000000000
DATA geluConst<>+120(SB)/8, $0x4000000000000000
DATA geluConst<>+128(SB)/8, $0x3ff0000000000000
DATA geluConst<>+136(SB)/8, $0x3ff0000000000000
DATA geluConst<>+144(SB)/8, $0x3ff0000000000000
DATA geluConst<>+152(SB)/8, $0x3ff0000000000000
DATA geluConst<>+160(SB)/8, $0x3fe0000000000000
DATA geluConst<>+168(SB)/8, $0x3fe0000000000000
DATA geluConst<>+176(SB)/8, $0x3fe0000000000000
DATA geluConst<>+184(SB)/8, $0x3fe0000000000000
DATA geluConst<>+192(SB)/8, $0x3ff71547652b82fe
DATA geluConst<>+200(SB)/8, $0x3ff71547652b82fe
DATA geluConst<>+208(SB)/8, $0x3ff71547652b82fe
DATA geluConst<>+216(SB)/8, $0x3ff71547652b82fe
DATA geluConst<>+224(SB)/8, $0x4338000000000000
DATA geluConst<>+232(SB)/8, $0x4338000000000000
DATA geluConst<>+240(SB)/8, $0x4338000000000000
DATA geluConst<>+248(SB)/8, $0x4338000000000000
DATA geluConst<>+256(SB)/8, $0x3fe62e42fee00000
DATA geluConst<>+264(SB)/8, $0x3fe62e42fee00000
DATA geluConst<>+272(SB)/8, $0x3fe62e42fee00000
DATA geluConst<>+280(SB)/8, $0x3fe62e42fee00000
DATA geluConst<>+288(SB)/8, $0x3dea39ef35793c76
DATA geluConst<>+296(SB)/8, $0x3dea39ef35793c76
DATA geluConst<>+304(SB)/8, $0x3dea39ef35793c76
DATA geluConst<>+312(SB)/8, $0x3dea39ef35793c76
DATA geluConst<>+320(SB)/8, $0x00000000000003ff
DATA geluConst<>+328(SB)/8, $0x00000000000003ff
DATA geluConst<>+336(SB)/8, $0x00000000000003ff
DATA geluConst<>+344(SB)/8, $0x00000000000003ff
DATA geluConst<>+352(SB)/8, $0xbff43fa7dbd25cbc
DATA geluConst<>+360(SB)/8, $0xbff43fa7dbd25cbc
DATA geluConst<>+368(SB)/8, $0xbff43fa7dbd25cbc
DATA geluConst<>+376(SB)/8, $0xbff43fa7dbd25cbc
DATA geluConst<>+384(SB)/8, $0x3ff00363e26809e9
DATA geluConst<>+392(SB)/8, $0x3ff00363e26809e9
DATA geluConst<>+400(SB)/8, $0x3ff00363e26809e9
DATA geluConst<>+408(SB)/8, $0x3ff00363e26809e9
DATA geluConst<>+416(SB)/8, $0x3fd7577aae011aa3
DATA geluConst<>+424(SB)/8, $0x3fd7577aae011aa3
DATA geluConst<>+432(SB)/8, $0x3fd7577aae011aa3
DATA geluConst<>+440(SB)/8, $0x3fd7577aae011aa3
DATA geluConst<>+448(SB)/8, $0x3fc3f6c86634779e
DATA geluConst<>+456(SB)/8, $0x3fc3f6c86634779e
DATA geluConst<>+464(SB)/8, $0x3fc3f6c86634779e
DATA geluConst<>+472(SB)/8, $0x3fc3f6c86634779e
DATA geluConst<>+480(SB)/8, $0xbfda0b87f89e5f0d
DATA geluConst<>+488(SB)/8, $0xbfda0b87f89e5f0d
DATA geluConst<>+496(SB)/8, $0xbfda0b87f89e5f0d
DATA geluConst<>+504(SB)/8, $0xbfda0b87f89e5f0d
DATA geluConst<>+512(SB)/8, $0x3fe8b8aa179e0f5b
DATA geluConst<>+520(SB)/8, $0x3fe8b8aa179e0f5b
DATA geluConst<>+528(SB)/8, $0x3fe8b8aa179e0f5b
DATA geluConst<>+536(SB)/8, $0x3fe8b8aa179e0f5b
DATA geluConst<>+544(SB)/8, $0xbffc01647f9bba03
DATA geluConst<>+552(SB)/8, $0xbffc01647f9bba03
DATA geluConst<>+560(SB)/8, $0xbffc01647f9bba03
DATA geluConst<>+568(SB)/8, $0xbffc01647f9bba03
DATA geluConst<>+576(SB)/8, $0x3ffbe0e8f943d604
DATA geluConst<>+584(SB)/8, $0x3ffbe0e8f943d604
DATA geluConst<>+592(SB)/8, $0x3ffbe0e8f943d604
DATA geluConst<>+600(SB)/8, $0x3ffbe0e8f943d604
DATA geluConst<>+608(SB)/8, $0xbfdcd0520169ad87
DATA geluConst<>+616(SB)/8, $0xbfdcd0520169ad87
DATA geluConst<>+624(SB)/8, $0xbfdcd0520169ad87
DATA geluConst<>+632(SB)/8, $0xbfdcd0520169ad87
DATA geluConst<>+640(SB)/8, $0xbfdc554af2390355
DATA geluConst<>+648(SB)/8, $0xbfdc554af2390355
DATA geluConst<>+656(SB)/8, $0xbfdc554af2390355
DATA geluConst<>+664(SB)/8, $0xbfdc554af2390355
DATA geluConst<>+672(SB)/8, $0x3fd6ddaa7debeb5b
DATA geluConst<>+680(SB)/8, $0x3fd6ddaa7debeb5b
DATA geluConst<>+688(SB)/8, $0x3fd6ddaa7debeb5b
DATA geluConst<>+696(SB)/8, $0x3fd6ddaa7debeb5b
DATA geluConst<>+704(SB)/8, $0xbfb3f6ea9628725f
DATA geluConst<>+712(SB)/8, $0xbfb3f6ea9628725f
DATA geluConst<>+720(SB)/8, $0xbfb3f6ea9628725f
DATA geluConst<>+728(SB)/8, $0xbfb3f6ea9628725f
DATA geluConst<>+736(SB)/8, $0x3ff0000000000000
DATA geluConst<>+744(SB)/8, $0x3ff0000000000000
DATA geluConst<>+752(SB)/8, $0x3ff0000000000000
DATA geluConst<>+760(SB)/8, $0x3ff0000000000000
DATA geluConst<>+768(SB)/8, $0x3ff0000000000000
DATA geluConst<>+776(SB)/8, $0x3ff0000000000000
DATA geluConst<>+784(SB)/8, $0x3ff0000000000000
DATA geluConst<>+792(SB)/8, $0x3ff0000000000000
DATA geluConst<>+800(SB)/8, $0x3fe0000000000000
DATA geluConst<>+808(SB)/8, $0x3fe0000000000000
DATA geluConst<>+816(SB)/8, $0x3fe0000000000000
DATA geluConst<>+824(SB)/8, $0x3fe0000000000000
DATA geluConst<>+832(SB)/8, $0x3fc5555555555555
DATA geluConst<>+840(SB)/8, $0x3fc5555555555555
DATA geluConst<>+848(SB)/8, $0x3fc5555555555555
DATA geluConst<>+856(SB)/8, $0x3fc5555555555555
DATA geluConst<>+864(SB)/8, $0x3fa5555555555555
DATA geluConst<>+872(SB)/8, $0x3fa5555555555555
DATA geluConst<>+880(SB)/8, $0x3fa5555555555555
DATA geluConst<>+888(SB)/8, $0x3fa5555555555555
DATA geluConst<>+896(SB)/8, $0x3f81111111111111
DATA geluConst<>+904(SB)/8, $0x3f81111111111111
DATA geluConst<>+912(SB)/8, $0x3f81111111111111
DATA geluConst<>+920(SB)/8, $0x3f81111111111111
DATA geluConst<>+928(SB)/8, $0x3f56c16c16c16c17
DATA geluConst<>+936(SB)/8, $0x3f56c16c16c16c17
DATA geluConst<>+944(SB)/8, $0x3f56c16c16c16c17
DATA geluConst<>+952(SB)/8, $0x3f56c16c16c16c17
DATA geluConst<>+960(SB)/8, $0x3f2a01a01a01a01a
DATA geluConst<>+968(SB)/8, $0x3f2a01a01a01a01a
DATA geluConst<>+976(SB)/8, $0x3f2a01a01a01a01a
DATA geluConst<>+984(SB)/8, $0x3f2a01a01a01a01a
DATA geluConst<>+992(SB)/8, $0x8000000000000000
GLOBL geluConst<>(SB), RODATA|NOPTR, $1000

#define ABSMASK geluConst<>+0(SB)
#define RSQRT2 geluConst<>+32(SB)
#define ZMAX geluConst<>+64(SB)
#define TWO geluConst<>+96(SB)
#define ONE geluConst<>+128(SB)
#define HALF geluConst<>+160(SB)
#define LOG2E geluConst<>+192(SB)
#define MAGIC geluConst<>+224(SB)
#define LN2HI geluConst<>+256(SB)
#define LN2LO geluConst<>+288(SB)
#define BIAS geluConst<>+320(SB)
#define ERFC0 geluConst<>+352(SB)
#define ERFC1 geluConst<>+384(SB)
#define ERFC2 geluConst<>+416(SB)
#define ERFC3 geluConst<>+448(SB)
#define ERFC4 geluConst<>+480(SB)
#define ERFC5 geluConst<>+512(SB)
#define ERFC6 geluConst<>+544(SB)
#define ERFC7 geluConst<>+576(SB)
#define ERFC8 geluConst<>+608(SB)
#define ERFC9 geluConst<>+640(SB)
#define ERFC10 geluConst<>+672(SB)
#define ERFC11 geluConst<>+704(SB)
#define EXP0 geluConst<>+736(SB)
#define EXP1 geluConst<>+768(SB)
#define EXP2 geluConst<>+800(SB)
#define EXP3 geluConst<>+832(SB)
#define EXP4 geluConst<>+864(SB)
#define EXP5 geluConst<>+896(SB)
#define EXP6 geluConst<>+928(SB)
#define EXP7 geluConst<>+960(SB)
#define SIGNBIT geluConst<>+992(SB)

// GELU4 replaces the four doubles in X by GELU(X), using Y3..Y13 as
// temporaries (the register renamer lets two uses in a row overlap). Steps:
// z = min(26, |x|/√2) (VMINPD's operand order keeps a NaN z); t = 2/(2+z);
// P(t); y = P(t) − z²; n = round(y/ln2) read from the low mantissa bits after
// adding 1.5·2⁵²; r = y − n·ln2 in two parts; e^r; 2^n from (n + 1023) << 52;
// h = t·e^y/2; Φ = h where x's sign bit is set, else 1 − h.
#define GELU4(X) \
	VANDPD ABSMASK, X, Y3 \
	VMULPD RSQRT2, Y3, Y3 \
	VMOVUPD ZMAX, Y4 \
	VMINPD Y3, Y4, Y3 \
	VMOVUPD TWO, Y12 \
	VADDPD Y12, Y3, Y4 \
	VDIVPD Y4, Y12, Y4 \
	VMOVUPD ERFC1, Y5 \
	VFMADD213PD ERFC0, Y4, Y5 \
	VMOVUPD ERFC3, Y6 \
	VFMADD213PD ERFC2, Y4, Y6 \
	VMOVUPD ERFC5, Y7 \
	VFMADD213PD ERFC4, Y4, Y7 \
	VMOVUPD ERFC7, Y8 \
	VFMADD213PD ERFC6, Y4, Y8 \
	VMOVUPD ERFC9, Y9 \
	VFMADD213PD ERFC8, Y4, Y9 \
	VMOVUPD ERFC11, Y10 \
	VFMADD213PD ERFC10, Y4, Y10 \
	VMULPD Y4, Y4, Y11 \
	VFMADD231PD Y11, Y6, Y5 \
	VFMADD231PD Y11, Y8, Y7 \
	VFMADD231PD Y11, Y10, Y9 \
	VMULPD Y11, Y11, Y11 \
	VFMADD231PD Y11, Y7, Y5 \
	VMULPD Y11, Y11, Y11 \
	VFMADD231PD Y11, Y9, Y5 \
	VFNMADD231PD Y3, Y3, Y5 \
	VMULPD LOG2E, Y5, Y12 \
	VADDPD MAGIC, Y12, Y12 \
	VSUBPD MAGIC, Y12, Y13 \
	VFNMADD231PD LN2HI, Y13, Y5 \
	VFNMADD231PD LN2LO, Y13, Y5 \
	VMOVUPD EXP1, Y6 \
	VFMADD213PD EXP0, Y5, Y6 \
	VMOVUPD EXP3, Y7 \
	VFMADD213PD EXP2, Y5, Y7 \
	VMOVUPD EXP5, Y8 \
	VFMADD213PD EXP4, Y5, Y8 \
	VMOVUPD EXP7, Y9 \
	VFMADD213PD EXP6, Y5, Y9 \
	VMULPD Y5, Y5, Y5 \
	VFMADD231PD Y5, Y7, Y6 \
	VFMADD231PD Y5, Y9, Y8 \
	VMULPD Y5, Y5, Y5 \
	VFMADD231PD Y5, Y8, Y6 \
	VPADDQ BIAS, Y12, Y12 \
	VPSLLQ $52, Y12, Y12 \
	VMULPD Y12, Y6, Y6 \
	VMULPD Y4, Y6, Y6 \
	VMULPD HALF, Y6, Y6 \
	VMOVUPD ONE, Y7 \
	VSUBPD Y6, Y7, Y7 \
	VBLENDVPD X, Y6, Y7, Y7 \
	VMULPD Y7, X, X

// func geluAVX2(x *float32, n int)
// x[i] = GELU(x[i]) for i < n, n a positive multiple of 8.
TEXT ·geluAVX2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX

loop:
	VMOVUPS (SI), Y0
	VCVTPS2PD X0, Y1
	VEXTRACTF128 $1, Y0, X0
	VCVTPS2PD X0, Y2
	GELU4(Y1)
	GELU4(Y2)
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VINSERTF128 $1, X2, Y1, Y1
	VMOVUPS Y1, (SI)
	ADDQ $32, SI
	SUBQ $8, CX
	JNZ  loop

	VZEROUPPER
	RET

// GELU8 is GELU4 for the eight doubles of a 512-bit register (constants
// broadcast from their first lane; K1 is clobbered).
#define GELU8(X) \
	VPANDQ.BCST ABSMASK, X, Z3 \
	VMULPD.BCST RSQRT2, Z3, Z3 \
	VBROADCASTSD ZMAX, Z4 \
	VMINPD Z3, Z4, Z3 \
	VBROADCASTSD TWO, Z12 \
	VADDPD Z12, Z3, Z4 \
	VDIVPD Z4, Z12, Z4 \
	VBROADCASTSD ERFC1, Z5 \
	VFMADD213PD.BCST ERFC0, Z4, Z5 \
	VBROADCASTSD ERFC3, Z6 \
	VFMADD213PD.BCST ERFC2, Z4, Z6 \
	VBROADCASTSD ERFC5, Z7 \
	VFMADD213PD.BCST ERFC4, Z4, Z7 \
	VBROADCASTSD ERFC7, Z8 \
	VFMADD213PD.BCST ERFC6, Z4, Z8 \
	VBROADCASTSD ERFC9, Z9 \
	VFMADD213PD.BCST ERFC8, Z4, Z9 \
	VBROADCASTSD ERFC11, Z10 \
	VFMADD213PD.BCST ERFC10, Z4, Z10 \
	VMULPD Z4, Z4, Z11 \
	VFMADD231PD Z11, Z6, Z5 \
	VFMADD231PD Z11, Z8, Z7 \
	VFMADD231PD Z11, Z10, Z9 \
	VMULPD Z11, Z11, Z11 \
	VFMADD231PD Z11, Z7, Z5 \
	VMULPD Z11, Z11, Z11 \
	VFMADD231PD Z11, Z9, Z5 \
	VFNMADD231PD Z3, Z3, Z5 \
	VMULPD.BCST LOG2E, Z5, Z12 \
	VADDPD.BCST MAGIC, Z12, Z12 \
	VSUBPD.BCST MAGIC, Z12, Z13 \
	VFNMADD231PD.BCST LN2HI, Z13, Z5 \
	VFNMADD231PD.BCST LN2LO, Z13, Z5 \
	VBROADCASTSD EXP1, Z6 \
	VFMADD213PD.BCST EXP0, Z5, Z6 \
	VBROADCASTSD EXP3, Z7 \
	VFMADD213PD.BCST EXP2, Z5, Z7 \
	VBROADCASTSD EXP5, Z8 \
	VFMADD213PD.BCST EXP4, Z5, Z8 \
	VBROADCASTSD EXP7, Z9 \
	VFMADD213PD.BCST EXP6, Z5, Z9 \
	VMULPD Z5, Z5, Z5 \
	VFMADD231PD Z5, Z7, Z6 \
	VFMADD231PD Z5, Z9, Z8 \
	VMULPD Z5, Z5, Z5 \
	VFMADD231PD Z5, Z8, Z6 \
	VPADDQ.BCST BIAS, Z12, Z12 \
	VPSLLQ $52, Z12, Z12 \
	VMULPD Z12, Z6, Z6 \
	VMULPD Z4, Z6, Z6 \
	VMULPD.BCST HALF, Z6, Z6 \
	VBROADCASTSD ONE, Z7 \
	VSUBPD Z6, Z7, Z7 \
	VPTESTMQ.BCST SIGNBIT, X, K1 \
	VBLENDMPD Z6, Z7, K1, Z7 \
	VMULPD Z7, X, X

// func geluAVX512(x *float32, n int)
// x[i] = GELU(x[i]) for i < n, n a positive multiple of 16: geluAVX2's
// computation, step for step, eight doubles at a time, so its results are the
// same bits.
TEXT ·geluAVX512(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX

loop512:
	VMOVUPS (SI), Z0
	VCVTPS2PD Y0, Z1
	VEXTRACTF64X4 $1, Z0, Y0
	VCVTPS2PD Y0, Z2
	GELU8(Z1)
	GELU8(Z2)
	VCVTPD2PS Z1, Y1
	VCVTPD2PS Z2, Y2
	VINSERTF64X4 $1, Y2, Z1, Z1
	VMOVUPS Z1, (SI)
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ  loop512

	VZEROUPPER
	RET
