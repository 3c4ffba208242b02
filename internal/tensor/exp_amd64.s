//go:build amd64 && !purego

#include "textflag.h"

// Vectorised e^x for the softmax and SiLU kernels (AVX2+FMA): the Cephes expf
// algorithm (range reduction by ln 2 in two parts, a degree-5 polynomial, scaling
// by 2ⁿ through the exponent bits), within 2 ulps of the exact result over the
// normal range. Inputs below ln(FLT_MIN) give exactly 0, so a masked (−Inf)
// logit gets probability 0; NaN propagates.

// log2e: 1.44269504 = log2(e)
DATA expconst<>+0x0(SB)/4, $0x3fb8aa3b
DATA expconst<>+0x4(SB)/4, $0x3fb8aa3b
DATA expconst<>+0x8(SB)/4, $0x3fb8aa3b
DATA expconst<>+0xc(SB)/4, $0x3fb8aa3b
DATA expconst<>+0x10(SB)/4, $0x3fb8aa3b
DATA expconst<>+0x14(SB)/4, $0x3fb8aa3b
DATA expconst<>+0x18(SB)/4, $0x3fb8aa3b
DATA expconst<>+0x1c(SB)/4, $0x3fb8aa3b
// c1: 0.693359375: ln 2 split in two (Cody-Waite)
DATA expconst<>+0x20(SB)/4, $0x3f318000
DATA expconst<>+0x24(SB)/4, $0x3f318000
DATA expconst<>+0x28(SB)/4, $0x3f318000
DATA expconst<>+0x2c(SB)/4, $0x3f318000
DATA expconst<>+0x30(SB)/4, $0x3f318000
DATA expconst<>+0x34(SB)/4, $0x3f318000
DATA expconst<>+0x38(SB)/4, $0x3f318000
DATA expconst<>+0x3c(SB)/4, $0x3f318000
// c2: -2.12194440e-4
DATA expconst<>+0x40(SB)/4, $0xb95e8083
DATA expconst<>+0x44(SB)/4, $0xb95e8083
DATA expconst<>+0x48(SB)/4, $0xb95e8083
DATA expconst<>+0x4c(SB)/4, $0xb95e8083
DATA expconst<>+0x50(SB)/4, $0xb95e8083
DATA expconst<>+0x54(SB)/4, $0xb95e8083
DATA expconst<>+0x58(SB)/4, $0xb95e8083
DATA expconst<>+0x5c(SB)/4, $0xb95e8083
// hi: 88.3762626: inputs above give +Inf (e^hi = 2.4e38, near FLT_MAX)
DATA expconst<>+0x60(SB)/4, $0x42b0c0a5
DATA expconst<>+0x64(SB)/4, $0x42b0c0a5
DATA expconst<>+0x68(SB)/4, $0x42b0c0a5
DATA expconst<>+0x6c(SB)/4, $0x42b0c0a5
DATA expconst<>+0x70(SB)/4, $0x42b0c0a5
DATA expconst<>+0x74(SB)/4, $0x42b0c0a5
DATA expconst<>+0x78(SB)/4, $0x42b0c0a5
DATA expconst<>+0x7c(SB)/4, $0x42b0c0a5
// lo: -87.3365479 = ln(smallest normal): below it the result is 0
DATA expconst<>+0x80(SB)/4, $0xc2aeac50
DATA expconst<>+0x84(SB)/4, $0xc2aeac50
DATA expconst<>+0x88(SB)/4, $0xc2aeac50
DATA expconst<>+0x8c(SB)/4, $0xc2aeac50
DATA expconst<>+0x90(SB)/4, $0xc2aeac50
DATA expconst<>+0x94(SB)/4, $0xc2aeac50
DATA expconst<>+0x98(SB)/4, $0xc2aeac50
DATA expconst<>+0x9c(SB)/4, $0xc2aeac50
// p0: 1.9875691500e-4: Cephes expf polynomial
DATA expconst<>+0xa0(SB)/4, $0x39506967
DATA expconst<>+0xa4(SB)/4, $0x39506967
DATA expconst<>+0xa8(SB)/4, $0x39506967
DATA expconst<>+0xac(SB)/4, $0x39506967
DATA expconst<>+0xb0(SB)/4, $0x39506967
DATA expconst<>+0xb4(SB)/4, $0x39506967
DATA expconst<>+0xb8(SB)/4, $0x39506967
DATA expconst<>+0xbc(SB)/4, $0x39506967
// p1: 1.3981999507e-3
DATA expconst<>+0xc0(SB)/4, $0x3ab743ce
DATA expconst<>+0xc4(SB)/4, $0x3ab743ce
DATA expconst<>+0xc8(SB)/4, $0x3ab743ce
DATA expconst<>+0xcc(SB)/4, $0x3ab743ce
DATA expconst<>+0xd0(SB)/4, $0x3ab743ce
DATA expconst<>+0xd4(SB)/4, $0x3ab743ce
DATA expconst<>+0xd8(SB)/4, $0x3ab743ce
DATA expconst<>+0xdc(SB)/4, $0x3ab743ce
// p2: 8.3334519073e-3
DATA expconst<>+0xe0(SB)/4, $0x3c088908
DATA expconst<>+0xe4(SB)/4, $0x3c088908
DATA expconst<>+0xe8(SB)/4, $0x3c088908
DATA expconst<>+0xec(SB)/4, $0x3c088908
DATA expconst<>+0xf0(SB)/4, $0x3c088908
DATA expconst<>+0xf4(SB)/4, $0x3c088908
DATA expconst<>+0xf8(SB)/4, $0x3c088908
DATA expconst<>+0xfc(SB)/4, $0x3c088908
// p3: 4.1665795894e-2
DATA expconst<>+0x100(SB)/4, $0x3d2aa9c1
DATA expconst<>+0x104(SB)/4, $0x3d2aa9c1
DATA expconst<>+0x108(SB)/4, $0x3d2aa9c1
DATA expconst<>+0x10c(SB)/4, $0x3d2aa9c1
DATA expconst<>+0x110(SB)/4, $0x3d2aa9c1
DATA expconst<>+0x114(SB)/4, $0x3d2aa9c1
DATA expconst<>+0x118(SB)/4, $0x3d2aa9c1
DATA expconst<>+0x11c(SB)/4, $0x3d2aa9c1
// p4: 1.6666665459e-1
DATA expconst<>+0x120(SB)/4, $0x3e2aaaaa
DATA expconst<>+0x124(SB)/4, $0x3e2aaaaa
DATA expconst<>+0x128(SB)/4, $0x3e2aaaaa
DATA expconst<>+0x12c(SB)/4, $0x3e2aaaaa
DATA expconst<>+0x130(SB)/4, $0x3e2aaaaa
DATA expconst<>+0x134(SB)/4, $0x3e2aaaaa
DATA expconst<>+0x138(SB)/4, $0x3e2aaaaa
DATA expconst<>+0x13c(SB)/4, $0x3e2aaaaa
// p5: 5.0000001201e-1
DATA expconst<>+0x140(SB)/4, $0x3f000000
DATA expconst<>+0x144(SB)/4, $0x3f000000
DATA expconst<>+0x148(SB)/4, $0x3f000000
DATA expconst<>+0x14c(SB)/4, $0x3f000000
DATA expconst<>+0x150(SB)/4, $0x3f000000
DATA expconst<>+0x154(SB)/4, $0x3f000000
DATA expconst<>+0x158(SB)/4, $0x3f000000
DATA expconst<>+0x15c(SB)/4, $0x3f000000
// one: 1.0
DATA expconst<>+0x160(SB)/4, $0x3f800000
DATA expconst<>+0x164(SB)/4, $0x3f800000
DATA expconst<>+0x168(SB)/4, $0x3f800000
DATA expconst<>+0x16c(SB)/4, $0x3f800000
DATA expconst<>+0x170(SB)/4, $0x3f800000
DATA expconst<>+0x174(SB)/4, $0x3f800000
DATA expconst<>+0x178(SB)/4, $0x3f800000
DATA expconst<>+0x17c(SB)/4, $0x3f800000
// bias: the float32 exponent bias (int32)
DATA expconst<>+0x180(SB)/4, $0x00007f
DATA expconst<>+0x184(SB)/4, $0x00007f
DATA expconst<>+0x188(SB)/4, $0x00007f
DATA expconst<>+0x18c(SB)/4, $0x00007f
DATA expconst<>+0x190(SB)/4, $0x00007f
DATA expconst<>+0x194(SB)/4, $0x00007f
DATA expconst<>+0x198(SB)/4, $0x00007f
DATA expconst<>+0x19c(SB)/4, $0x00007f
// inf: +Inf
DATA expconst<>+0x1a0(SB)/4, $0x7f800000
DATA expconst<>+0x1a4(SB)/4, $0x7f800000
DATA expconst<>+0x1a8(SB)/4, $0x7f800000
DATA expconst<>+0x1ac(SB)/4, $0x7f800000
DATA expconst<>+0x1b0(SB)/4, $0x7f800000
DATA expconst<>+0x1b4(SB)/4, $0x7f800000
DATA expconst<>+0x1b8(SB)/4, $0x7f800000
DATA expconst<>+0x1bc(SB)/4, $0x7f800000
GLOBL expconst<>(SB), RODATA|NOPTR, $448

// EXP8 replaces X by e^X in 8 lanes, using N, P, M, R and H as scratch. The
// min against hi keeps X as its second operand so that a NaN passes through.
#define EXP8(X, N, P, M, R, H) \
	VCMPPS $1, expconst<>+0x80(SB), X, M; \
	VCMPPS $0x1e, expconst<>+0x60(SB), X, H; \
	VMOVUPS expconst<>+0x60(SB), R; \
	VMINPS X, R, X; \
	VMULPS expconst<>+0x0(SB), X, N; \
	VROUNDPS $0, N, N; \
	VFNMADD231PS expconst<>+0x20(SB), N, X; \
	VFNMADD231PS expconst<>+0x40(SB), N, X; \
	VMOVUPS expconst<>+0xa0(SB), P; \
	VFMADD213PS expconst<>+0xc0(SB), X, P; \
	VFMADD213PS expconst<>+0xe0(SB), X, P; \
	VFMADD213PS expconst<>+0x100(SB), X, P; \
	VFMADD213PS expconst<>+0x120(SB), X, P; \
	VFMADD213PS expconst<>+0x140(SB), X, P; \
	VMULPS X, X, R; \
	VFMADD213PS X, R, P; \
	VADDPS expconst<>+0x160(SB), P, P; \
	VCVTPS2DQ N, N; \
	VPADDD expconst<>+0x180(SB), N, N; \
	VPSLLD $23, N, N; \
	VMULPS N, P, X; \
	VANDNPS X, M, X; \
	VBLENDVPS H, expconst<>+0x1a0(SB), X, X

// func expSumAVX2(x *float32, n int, shift float32) float32
// x[i] = e^(x[i]−shift) for n a multiple of 8; returns Σ x[i] (float32 lanes).
TEXT ·expSumAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS shift+16(FP), Y5
	VXORPS Y6, Y6, Y6
	TESTQ CX, CX
	JZ   done

loop:
	VMOVUPS (SI), Y0
	VSUBPS Y5, Y0, Y0
	EXP8(Y0, Y1, Y2, Y3, Y4, Y7)
	VMOVUPS Y0, (SI)
	VADDPS Y0, Y6, Y6
	ADDQ $32, SI
	SUBQ $8, CX
	JNZ  loop

done:
	VEXTRACTF128 $1, Y6, X1
	VADDPS X1, X6, X0
	VMOVHLPS X0, X0, X1
	VADDPS X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS X1, X0, X0
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

// func siluAVX2(dst, x *float32, n int)
// dst[i] = x[i] / (1 + e^−x[i]) for n a multiple of 8.
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JZ   sdone

sloop:
	VMOVUPS (SI), Y5
	VSUBPS Y5, Y7, Y0
	EXP8(Y0, Y1, Y2, Y3, Y4, Y6)
	VADDPS expconst<>+0x160(SB), Y0, Y0
	VDIVPS Y0, Y5, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  sloop

sdone:
	VZEROUPPER
	RET

// func swigluAVX2(dst, gate, up *float32, n int)
// dst[i] = gate[i] / (1 + e^−gate[i]) · up[i] for n a multiple of 8.
TEXT ·swigluAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JZ   gdone

gloop:
	VMOVUPS (SI), Y5
	VSUBPS Y5, Y7, Y0
	EXP8(Y0, Y1, Y2, Y3, Y4, Y6)
	VADDPS expconst<>+0x160(SB), Y0, Y0
	VDIVPS Y0, Y5, Y0
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  gloop

gdone:
	VZEROUPPER
	RET

// negInf: −Inf in the eight lanes of a register, the score of a masked key.
DATA attendNegInf<>+0x00(SB)/8, $0xff800000ff800000
DATA attendNegInf<>+0x08(SB)/8, $0xff800000ff800000
DATA attendNegInf<>+0x10(SB)/8, $0xff800000ff800000
DATA attendNegInf<>+0x18(SB)/8, $0xff800000ff800000
GLOBL attendNegInf<>(SB), RODATA|NOPTR, $32

// HMAX8 and HSUM8 reduce the eight lanes of Y with T as scratch and leave
// the result in every lane of Y.
#define HMAX8(Y, T) \
	VPERM2F128 $1, Y, Y, T; \
	VMAXPS T, Y, Y; \
	VPERMILPS $0x4e, Y, T; \
	VMAXPS T, Y, Y; \
	VPERMILPS $0xb1, Y, T; \
	VMAXPS T, Y, Y

#define HSUM8(Y, T) \
	VPERM2F128 $1, Y, Y, T; \
	VADDPS T, Y, Y; \
	VPERMILPS $0x4e, Y, T; \
	VADDPS T, Y, Y; \
	VPERMILPS $0xb1, Y, T; \
	VADDPS T, Y, Y

// ATTENDSUMS is the fused attention kernels' last pass: for every query,
// out = Σ_{j<nk} p_j·v_j from its probabilities (PSTRIDE bytes apart in p),
// 32 columns per pass over the keys while they last, then 8 (R13 the column
// offset in bytes).
#define ATTENDSUMS(PSTRIDE) \
	MOVQ out+0(FP), DI; \
	MOVQ v+24(FP), DX; \
	MOVQ nq+48(FP), R10; \
	MOVQ nk+56(FP), R11; \
	MOVQ p+80(FP), SI; \
row: \
	XORQ R13, R13; \
wide: \
	MOVQ R9, AX; \
	SUBQ R13, AX; \
	CMPQ AX, $128; \
	JLT  narrow; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	LEAQ (DX)(R13*1), AX; \
	MOVQ SI, R12; \
	MOVQ R11, CX; \
wideKey: \
	VBROADCASTSS (R12), Y8; \
	VFMADD231PS (AX), Y8, Y0; \
	VFMADD231PS 32(AX), Y8, Y1; \
	VFMADD231PS 64(AX), Y8, Y2; \
	VFMADD231PS 96(AX), Y8, Y3; \
	ADDQ $4, R12; \
	ADDQ R8, AX; \
	DECQ CX; \
	JNZ  wideKey; \
	VMOVUPS Y0, (DI)(R13*1); \
	VMOVUPS Y1, 32(DI)(R13*1); \
	VMOVUPS Y2, 64(DI)(R13*1); \
	VMOVUPS Y3, 96(DI)(R13*1); \
	ADDQ $128, R13; \
	JMP  wide; \
narrow: \
	CMPQ R13, R9; \
	JGE  next; \
	VXORPS Y0, Y0, Y0; \
	LEAQ (DX)(R13*1), AX; \
	MOVQ SI, R12; \
	MOVQ R11, CX; \
narrowKey: \
	VBROADCASTSS (R12), Y8; \
	VFMADD231PS (AX), Y8, Y0; \
	ADDQ $4, R12; \
	ADDQ R8, AX; \
	DECQ CX; \
	JNZ  narrowKey; \
	VMOVUPS Y0, (DI)(R13*1); \
	ADDQ $32, R13; \
	JMP  narrow; \
next: \
	ADDQ R8, DI; \
	ADDQ $PSTRIDE, SI; \
	DECQ R10; \
	JNZ  row; \
	VZEROUPPER; \
	RET

// func attend16AVX2(out, q, kt, v *float32, ld, hd, nq, nk int, scale float32, invalid *int32, p *float32)
// Attention of nq queries over nk ≤ 16 keys, one head of width hd (a multiple
// of 8): for query i (q and out rows i*ld), scores s_j = scale·q·k_j with the
// keys transposed in kt (kt[d*16+j] = k_j[d]), −Inf where invalid[j] is −1
// (lanes past nk too), softmax over the 16 lanes into p[i*16:] (nq·16
// floats of scratch), then out = Σ_{j<nk} p_j·v_j (v rows j*ld). At least
// one key must be valid.
// Three passes over the queries — scores into p, softmax in place, weighted
// sums — because each query's work is a chain of dependent steps, and short
// loop bodies let the core overlap more queries' chains: one pass doing all
// three per query ran a MiniLM head (12 queries and keys, width 32) in
// 668–687 ns, two passes in 568–588, three in 527–533 (BenchmarkAttendAll).
// Registers in the first pass: Y12 −Inf, Y13 the scale, Y14/Y15 the
// invalid-lane masks.
TEXT ·attend16AVX2(SB), NOSPLIT, $0-88
	MOVQ q+8(FP), SI
	MOVQ kt+16(FP), BX
	MOVQ ld+32(FP), R8
	SHLQ $2, R8
	MOVQ hd+40(FP), R9
	SHLQ $2, R9 // the head's bytes
	MOVQ nq+48(FP), R10
	VBROADCASTSS scale+64(FP), Y13
	MOVQ invalid+72(FP), AX
	VMOVUPS (AX), Y14
	VMOVUPS 32(AX), Y15
	VMOVUPS attendNegInf<>(SB), Y12
	MOVQ p+80(FP), DI

query:
	// Scores: Y0/Y1 keys 0–7/8–15 over even depths, Y2/Y3 over odd ones.
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ SI, AX
	MOVQ BX, CX
	MOVQ R9, R12
	SHRQ $3, R12 // pairs of depths

score:
	VBROADCASTSS (AX), Y8
	VBROADCASTSS 4(AX), Y9
	VFMADD231PS (CX), Y8, Y0
	VFMADD231PS 32(CX), Y8, Y1
	VFMADD231PS 64(CX), Y9, Y2
	VFMADD231PS 96(CX), Y9, Y3
	ADDQ $8, AX
	ADDQ $128, CX
	DECQ R12
	JNZ  score

	VADDPS Y2, Y0, Y0
	VADDPS Y3, Y1, Y1
	VMULPS Y13, Y0, Y0
	VMULPS Y13, Y1, Y1
	VBLENDVPS Y14, Y12, Y0, Y0
	VBLENDVPS Y15, Y12, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ R8, SI
	ADDQ $64, DI
	DECQ R10
	JNZ  query

	// Softmax over each query's 16 lanes: masked lanes are −Inf and come
	// out 0.
	MOVQ nq+48(FP), R10
	MOVQ p+80(FP), DI

softmax:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMAXPS Y1, Y0, Y8
	HMAX8(Y8, Y9)
	VSUBPS Y8, Y0, Y0
	VSUBPS Y8, Y1, Y1
	EXP8(Y0, Y2, Y3, Y4, Y5, Y6)
	EXP8(Y1, Y2, Y3, Y4, Y5, Y6)
	VADDPS Y1, Y0, Y8
	HSUM8(Y8, Y9)
	VMOVUPS expconst<>+0x160(SB), Y9
	VDIVPS Y8, Y9, Y8
	VMULPS Y8, Y0, Y0
	VMULPS Y8, Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, DI
	DECQ R10
	JNZ  softmax

	ATTENDSUMS(64)

// func attend32AVX2(out, q, kt, v *float32, ld, hd, nq, nk int, scale float32, invalid *int32, p *float32)
// attend16AVX2 for at most 32 keys: kt[d*32+j] = k_j[d], 32 entries of
// invalid, nq·32 floats of scratch at p; four registers of scores per query.
TEXT ·attend32AVX2(SB), NOSPLIT, $0-88
	MOVQ q+8(FP), SI
	MOVQ kt+16(FP), BX
	MOVQ ld+32(FP), R8
	SHLQ $2, R8
	MOVQ hd+40(FP), R9
	SHLQ $2, R9 // the head's bytes
	MOVQ nq+48(FP), R10
	MOVQ invalid+72(FP), R11
	VBROADCASTSS scale+64(FP), Y13
	VMOVUPS attendNegInf<>(SB), Y12
	MOVQ p+80(FP), DI

query:
	// Scores: Y0–Y3 keys 0–7, …, 24–31 over even depths, Y4–Y7 over odd.
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ SI, AX
	MOVQ BX, CX
	MOVQ R9, R12
	SHRQ $3, R12 // pairs of depths

score:
	VBROADCASTSS (AX), Y8
	VBROADCASTSS 4(AX), Y9
	VFMADD231PS (CX), Y8, Y0
	VFMADD231PS 32(CX), Y8, Y1
	VFMADD231PS 64(CX), Y8, Y2
	VFMADD231PS 96(CX), Y8, Y3
	VFMADD231PS 128(CX), Y9, Y4
	VFMADD231PS 160(CX), Y9, Y5
	VFMADD231PS 192(CX), Y9, Y6
	VFMADD231PS 224(CX), Y9, Y7
	ADDQ $8, AX
	ADDQ $256, CX
	DECQ R12
	JNZ  score

	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	VMULPS Y13, Y0, Y0
	VMULPS Y13, Y1, Y1
	VMULPS Y13, Y2, Y2
	VMULPS Y13, Y3, Y3
	VMOVUPS (R11), Y8
	VBLENDVPS Y8, Y12, Y0, Y0
	VMOVUPS 32(R11), Y9
	VBLENDVPS Y9, Y12, Y1, Y1
	VMOVUPS 64(R11), Y8
	VBLENDVPS Y8, Y12, Y2, Y2
	VMOVUPS 96(R11), Y9
	VBLENDVPS Y9, Y12, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ R8, SI
	ADDQ $128, DI
	DECQ R10
	JNZ  query

	// Softmax over each query's 32 lanes.
	MOVQ nq+48(FP), R10
	MOVQ p+80(FP), DI

softmax:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMAXPS Y1, Y0, Y8
	VMAXPS Y3, Y2, Y9
	VMAXPS Y9, Y8, Y8
	HMAX8(Y8, Y9)
	VSUBPS Y8, Y0, Y0
	VSUBPS Y8, Y1, Y1
	VSUBPS Y8, Y2, Y2
	VSUBPS Y8, Y3, Y3
	EXP8(Y0, Y4, Y5, Y6, Y7, Y8)
	EXP8(Y1, Y4, Y5, Y6, Y7, Y8)
	EXP8(Y2, Y4, Y5, Y6, Y7, Y8)
	EXP8(Y3, Y4, Y5, Y6, Y7, Y8)
	VADDPS Y1, Y0, Y8
	VADDPS Y3, Y2, Y9
	VADDPS Y9, Y8, Y8
	HSUM8(Y8, Y9)
	VMOVUPS expconst<>+0x160(SB), Y9
	VDIVPS Y8, Y9, Y8
	VMULPS Y8, Y0, Y0
	VMULPS Y8, Y1, Y1
	VMULPS Y8, Y2, Y2
	VMULPS Y8, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	DECQ R10
	JNZ  softmax

	ATTENDSUMS(128)
