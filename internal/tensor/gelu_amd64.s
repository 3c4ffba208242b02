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
// Most activations lie in the central range |x| ≤ 4, where a register whose
// lanes all do takes a shorter way (FAST4, FAST8): Φ(x) = 1/2 + x·R(x²), one
// polynomial and no exp or division, Φ's relative error 2.6e-9 there (within
// 0.03 ulp of the float32 result), so the bound above holds. A register with
// any lane outside computes both and keeps each lane's own, so a value's
// result never depends on its neighbours. BenchmarkGELUSets (one thread,
// MiniLM's FFN size): on [−1, 1] 2.73–2.77 → 5.03–5.18 GB/s in the 512-bit
// kernel, 1.44–1.46 → 2.65–2.83 in the AVX2 one; on [−6, 6], where most
// registers take both ways, 2.75 → 2.03 and 1.43 → 1.06.
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

// geluPoly: the central-range path's constants, each in the four lanes of a
// 32-byte row: 4.0, then R's coefficients from the highest degree down.
DATA geluPoly<>+0(SB)/8, $0x4010000000000000
DATA geluPoly<>+8(SB)/8, $0x4010000000000000
DATA geluPoly<>+16(SB)/8, $0x4010000000000000
DATA geluPoly<>+24(SB)/8, $0x4010000000000000
DATA geluPoly<>+32(SB)/8, $0xbb20896b528170bf
DATA geluPoly<>+40(SB)/8, $0xbb20896b528170bf
DATA geluPoly<>+48(SB)/8, $0xbb20896b528170bf
DATA geluPoly<>+56(SB)/8, $0xbb20896b528170bf
DATA geluPoly<>+64(SB)/8, $0x3b9664a0bb51d6b5
DATA geluPoly<>+72(SB)/8, $0x3b9664a0bb51d6b5
DATA geluPoly<>+80(SB)/8, $0x3b9664a0bb51d6b5
DATA geluPoly<>+88(SB)/8, $0x3b9664a0bb51d6b5
DATA geluPoly<>+96(SB)/8, $0xbbfd4e33737ee19a
DATA geluPoly<>+104(SB)/8, $0xbbfd4e33737ee19a
DATA geluPoly<>+112(SB)/8, $0xbbfd4e33737ee19a
DATA geluPoly<>+120(SB)/8, $0xbbfd4e33737ee19a
DATA geluPoly<>+128(SB)/8, $0x3c59012a38eee15f
DATA geluPoly<>+136(SB)/8, $0x3c59012a38eee15f
DATA geluPoly<>+144(SB)/8, $0x3c59012a38eee15f
DATA geluPoly<>+152(SB)/8, $0x3c59012a38eee15f
DATA geluPoly<>+160(SB)/8, $0xbcafc81c54eef6ff
DATA geluPoly<>+168(SB)/8, $0xbcafc81c54eef6ff
DATA geluPoly<>+176(SB)/8, $0xbcafc81c54eef6ff
DATA geluPoly<>+184(SB)/8, $0xbcafc81c54eef6ff
DATA geluPoly<>+192(SB)/8, $0x3d0051d19eda4d0f
DATA geluPoly<>+200(SB)/8, $0x3d0051d19eda4d0f
DATA geluPoly<>+208(SB)/8, $0x3d0051d19eda4d0f
DATA geluPoly<>+216(SB)/8, $0x3d0051d19eda4d0f
DATA geluPoly<>+224(SB)/8, $0xbd4c9ddb2de16341
DATA geluPoly<>+232(SB)/8, $0xbd4c9ddb2de16341
DATA geluPoly<>+240(SB)/8, $0xbd4c9ddb2de16341
DATA geluPoly<>+248(SB)/8, $0xbd4c9ddb2de16341
DATA geluPoly<>+256(SB)/8, $0x3d962f0ac14b6971
DATA geluPoly<>+264(SB)/8, $0x3d962f0ac14b6971
DATA geluPoly<>+272(SB)/8, $0x3d962f0ac14b6971
DATA geluPoly<>+280(SB)/8, $0x3d962f0ac14b6971
DATA geluPoly<>+288(SB)/8, $0xbddef3cd377f840e
DATA geluPoly<>+296(SB)/8, $0xbddef3cd377f840e
DATA geluPoly<>+304(SB)/8, $0xbddef3cd377f840e
DATA geluPoly<>+312(SB)/8, $0xbddef3cd377f840e
DATA geluPoly<>+320(SB)/8, $0x3e23837ad9d7dc61
DATA geluPoly<>+328(SB)/8, $0x3e23837ad9d7dc61
DATA geluPoly<>+336(SB)/8, $0x3e23837ad9d7dc61
DATA geluPoly<>+344(SB)/8, $0x3e23837ad9d7dc61
DATA geluPoly<>+352(SB)/8, $0xbe66214a27f19d71
DATA geluPoly<>+360(SB)/8, $0xbe66214a27f19d71
DATA geluPoly<>+368(SB)/8, $0xbe66214a27f19d71
DATA geluPoly<>+376(SB)/8, $0xbe66214a27f19d71
DATA geluPoly<>+384(SB)/8, $0x3ea658800c31f2be
DATA geluPoly<>+392(SB)/8, $0x3ea658800c31f2be
DATA geluPoly<>+400(SB)/8, $0x3ea658800c31f2be
DATA geluPoly<>+408(SB)/8, $0x3ea658800c31f2be
DATA geluPoly<>+416(SB)/8, $0xbee3ce8bfb2baf51
DATA geluPoly<>+424(SB)/8, $0xbee3ce8bfb2baf51
DATA geluPoly<>+432(SB)/8, $0xbee3ce8bfb2baf51
DATA geluPoly<>+440(SB)/8, $0xbee3ce8bfb2baf51
DATA geluPoly<>+448(SB)/8, $0x3f1e42b04ceeda77
DATA geluPoly<>+456(SB)/8, $0x3f1e42b04ceeda77
DATA geluPoly<>+464(SB)/8, $0x3f1e42b04ceeda77
DATA geluPoly<>+472(SB)/8, $0x3f1e42b04ceeda77
DATA geluPoly<>+480(SB)/8, $0xbf537403f0bbb591
DATA geluPoly<>+488(SB)/8, $0xbf537403f0bbb591
DATA geluPoly<>+496(SB)/8, $0xbf537403f0bbb591
DATA geluPoly<>+504(SB)/8, $0xbf537403f0bbb591
DATA geluPoly<>+512(SB)/8, $0x3f846d04292f1fa4
DATA geluPoly<>+520(SB)/8, $0x3f846d04292f1fa4
DATA geluPoly<>+528(SB)/8, $0x3f846d04292f1fa4
DATA geluPoly<>+536(SB)/8, $0x3f846d04292f1fa4
DATA geluPoly<>+544(SB)/8, $0xbfb1058377e17c5b
DATA geluPoly<>+552(SB)/8, $0xbfb1058377e17c5b
DATA geluPoly<>+560(SB)/8, $0xbfb1058377e17c5b
DATA geluPoly<>+568(SB)/8, $0xbfb1058377e17c5b
DATA geluPoly<>+576(SB)/8, $0x3fd9884533d4343a
DATA geluPoly<>+584(SB)/8, $0x3fd9884533d4343a
DATA geluPoly<>+592(SB)/8, $0x3fd9884533d4343a
DATA geluPoly<>+600(SB)/8, $0x3fd9884533d4343a
GLOBL geluPoly<>(SB), RODATA|NOPTR, $608

#define FOUR geluPoly<>+0(SB)
#define GP17 geluPoly<>+32(SB)
#define GP16 geluPoly<>+64(SB)
#define GP15 geluPoly<>+96(SB)
#define GP14 geluPoly<>+128(SB)
#define GP13 geluPoly<>+160(SB)
#define GP12 geluPoly<>+192(SB)
#define GP11 geluPoly<>+224(SB)
#define GP10 geluPoly<>+256(SB)
#define GP9 geluPoly<>+288(SB)
#define GP8 geluPoly<>+320(SB)
#define GP7 geluPoly<>+352(SB)
#define GP6 geluPoly<>+384(SB)
#define GP5 geluPoly<>+416(SB)
#define GP4 geluPoly<>+448(SB)
#define GP3 geluPoly<>+480(SB)
#define GP2 geluPoly<>+512(SB)
#define GP1 geluPoly<>+544(SB)
#define GP0 geluPoly<>+576(SB)

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

// FAST4 is the central range's GELU of the four doubles in X, into F: for
// |x| ≤ 4, Φ(x) = 1/2 + x·R(x²) with R(v) = erf(√(v/2))/(2√v) a degree-17
// polynomial (the Chebyshev fit on v ∈ [0, 16], made with mpmath; Φ's
// relative error 2.6e-9 there, within 0.03 ulp of the float32 result), so
// F = x·Φ with no exp and no division. M is set to the lanes where |x| ≤ 4
// (false for NaN), V is a temporary. Every step is the same operation in
// FAST8, so the two give the same bits.
#define FAST4(X, F, V, M) \
	VMULPD X, X, V \
	VMOVUPD GP17, F \
	VFMADD213PD GP16, V, F \
	VFMADD213PD GP15, V, F \
	VFMADD213PD GP14, V, F \
	VFMADD213PD GP13, V, F \
	VFMADD213PD GP12, V, F \
	VFMADD213PD GP11, V, F \
	VFMADD213PD GP10, V, F \
	VFMADD213PD GP9, V, F \
	VFMADD213PD GP8, V, F \
	VFMADD213PD GP7, V, F \
	VFMADD213PD GP6, V, F \
	VFMADD213PD GP5, V, F \
	VFMADD213PD GP4, V, F \
	VFMADD213PD GP3, V, F \
	VFMADD213PD GP2, V, F \
	VFMADD213PD GP1, V, F \
	VFMADD213PD GP0, V, F \
	VMOVUPD HALF, M \
	VFMADD213PD M, X, F \
	VMULPD X, F, F \
	VANDPD ABSMASK, X, M \
	VCMPPD $0x12, FOUR, M, M

// func geluAVX2(x *float32, n int)
// x[i] = GELU(x[i]) for i < n, n a positive multiple of 8.
TEXT ·geluAVX2(SB), NOSPLIT, $128-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX

loop:
	VMOVUPS (SI), Y0
	VCVTPS2PD X0, Y1
	VEXTRACTF128 $1, Y0, X0
	VCVTPS2PD X0, Y2
	// Per register of four: the central range's results when every lane
	// is in it, else both ways and each lane's own (a lane's result never
	// depends on its neighbours).
	FAST4(Y1, Y3, Y5, Y6)
	VMOVMSKPD Y6, AX
	CMPQ AX, $15
	JEQ  central1
	VMOVUPD Y3, 0(SP)
	VMOVUPD Y6, 64(SP)
	GELU4(Y1)
	VMOVUPD 64(SP), Y6
	VBLENDVPD Y6, 0(SP), Y1, Y3

central1:
	VMOVAPD Y3, Y1
	FAST4(Y2, Y4, Y5, Y7)
	VMOVMSKPD Y7, AX
	CMPQ AX, $15
	JEQ  central2
	VMOVUPD Y4, 32(SP)
	VMOVUPD Y7, 96(SP)
	GELU4(Y2)
	VMOVUPD 96(SP), Y7
	VBLENDVPD Y7, 32(SP), Y2, Y4

central2:
	VMOVAPD Y4, Y2

store:
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

// FAST8 is FAST4 for the eight doubles of a 512-bit register, the lanes
// where |x| ≤ 4 in mask register K.
#define FAST8(X, F, V, K) \
	VMULPD X, X, V \
	VBROADCASTSD GP17, F \
	VFMADD213PD.BCST GP16, V, F \
	VFMADD213PD.BCST GP15, V, F \
	VFMADD213PD.BCST GP14, V, F \
	VFMADD213PD.BCST GP13, V, F \
	VFMADD213PD.BCST GP12, V, F \
	VFMADD213PD.BCST GP11, V, F \
	VFMADD213PD.BCST GP10, V, F \
	VFMADD213PD.BCST GP9, V, F \
	VFMADD213PD.BCST GP8, V, F \
	VFMADD213PD.BCST GP7, V, F \
	VFMADD213PD.BCST GP6, V, F \
	VFMADD213PD.BCST GP5, V, F \
	VFMADD213PD.BCST GP4, V, F \
	VFMADD213PD.BCST GP3, V, F \
	VFMADD213PD.BCST GP2, V, F \
	VFMADD213PD.BCST GP1, V, F \
	VFMADD213PD.BCST GP0, V, F \
	VFMADD213PD.BCST HALF, X, F \
	VMULPD X, F, F \
	VPANDQ.BCST ABSMASK, X, V \
	VCMPPD.BCST $0x12, FOUR, V, K

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
	FAST8(Z1, Z20, Z22, K2)
	FAST8(Z2, Z21, Z23, K3)
	KMOVW K2, AX
	CMPL AX, $0xff
	JEQ  central1
	GELU8(Z1)
	VBLENDMPD Z20, Z1, K2, Z20

central1:
	KMOVW K3, AX
	CMPL AX, $0xff
	JEQ  central2
	GELU8(Z2)
	VBLENDMPD Z21, Z2, K3, Z21

central2:
	VMOVAPD Z20, Z1
	VMOVAPD Z21, Z2
	VCVTPD2PS Z1, Y1
	VCVTPD2PS Z2, Y2
	VINSERTF64X4 $1, Y2, Z1, Z1
	VMOVUPS Z1, (SI)
	ADDQ $64, SI
	SUBQ $16, CX
	JNZ  loop512

	VZEROUPPER
	RET
