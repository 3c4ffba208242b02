//go:build amd64 && !purego

package tensor

import (
	"os"

	"golang.org/x/sys/cpu"
)

func avx2Kernels() kernels { return kernels{isa: isaAVX2, mr: 6, nr: 16} }

// avx512Kernels' panel depth is 192: its 12×32 micro-kernel's B strip
// (kc·32 floats) must share L1 with an A strip, and at 384 it alone fills a
// 48 KiB L1. Measured on a 16-core Xeon (docs/PERFORMANCE.md, 16 threads):
// 512×896×4864 at 768 against 616 GFLOP/s, 1024³ at 694 against 642 in one
// run; within the noise (±15% there) in the next.
func avx512Kernels() kernels { return kernels{isa: isaAVX512, mr: 12, nr: 32, kc: 192} }

// avx512MinRows is the fewest rows for which the AVX-512 set runs Linear with
// its own packed product; fewer go to the AVX2 set, whose in-place kernels
// (the matrix-vector kernels, gemmRows up to gemmRowsMaxRows rows) read the
// weights once for all the rows. Measured on a 16-core Xeon with AVX-512
// (docs/PERFORMANCE.md): at panel depth 192 the AVX-512 packed product ran
// 8, 16 and 32 rows of 896×4864 at 0.46×, 0.58× and 0.85× the AVX2 set,
// 64 and 128 rows at 1.27× and 1.31×; the small 128×768×768 was the one
// larger product it ran slower (0.88×).
const avx512MinRows = gemmRowsMaxRows + 1

// forLinear is the set that runs Linear of rows rows of dt weights for k: k
// itself, except that the AVX-512 set hands F16 products of more than
// gemvMaxRows and fewer than avx512MinRows rows to the AVX2 set (its packed
// product; matrix-vector products stay: dotQuads picks the kernel per
// dtype). F32 and BF16 products of those heights run the AVX-512 set's own
// in-place kernels: for F32 gemmT16x12F32AVX512 (its 16×6 predecessor ran
// 16×896×4864 at 1.45× the AVX2 set's kernel on a Zen 5; up to 8 rows both
// sets run gemmT8x6F32AVX2), for BF16 gemmT16x8BF16AVX512 or the 512-bit
// dot-product kernels (1.1–2.5× the AVX2 ones), as rowsFirst picks.
func (k kernels) forLinear(rows int, dt DType) kernels {
	if k.isa == isaAVX512 && rows > gemvMaxRows && rows < avx512MinRows && dt != F32 && dt != BF16 {
		return avx2Kernels()
	}
	return k
}

// forRowInvariant is the set that runs LinearRowInvariant for k: k itself.
// The promise (a row's bits do not depend on the batch) holds within one set,
// across gemmRows and the packed products, so the whole call stays in one set
// whatever its row count; the AVX-512 set runs gemmRows' AVX2 kernels at its
// own panel depth.
func (k kernels) forRowInvariant() kernels { return k }

// availableKernels lists the kernel sets this CPU can run, portable first.
func availableKernels() []kernels {
	ks := []kernels{portableKernels()}
	x := cpu.X86
	if x.HasAVX2 && x.HasFMA && x.HasF16C {
		ks = append(ks, avx2Kernels())
		if x.HasAVX512F {
			ks = append(ks, avx512Kernels())
		}
	}
	return ks
}

// detectKernels picks the widest set the CPU supports that also passes a quick
// self-check against the portable set (a guard against an assembly bug on a CPU
// the tests never ran on), no wider than KernelsEnv allows.
func detectKernels() kernels {
	return chooseKernels(availableKernels(), os.Getenv(KernelsEnv), selfCheck)
}

// micro runs the micro-kernel on full packed strips a (kc·mr) and b (kc·nr),
// accumulating into the mr×nr tile at c with row stride ldc.
func (k kernels) micro(kc int, a, b, c []float32, ldc int) {
	_ = a[kc*k.mr-1]
	_ = b[kc*k.nr-1]
	_ = c[(k.mr-1)*ldc+k.nr-1]
	switch k.isa {
	case isaAVX2:
		gemm6x16AVX2(kc, &a[0], &b[0], &c[0], ldc)
	case isaAVX512:
		gemm12x32AVX512(kc, &a[0], &b[0], &c[0], ldc)
	default:
		microGo(kc, a, b, c, ldc)
	}
}

// directA reports whether the kernel set has a micro-kernel that reads A in
// place (microDirect): then A is never packed, except for partial tiles.
func (k kernels) directA() bool { return k.isa == isaAVX2 || k.isa == isaAVX512 }

// microDirect is micro for a full tile reading mr rows of a row-major A in
// place from a (row stride lda) over kc depths; on the first depth panel it
// sets the tile to the product plus bias[0:nr] (bias may be nil) rather than
// accumulating. Only sets with directA have it.
func (k kernels) microDirect(kc int, a []float32, lda int, b, c []float32, ldc int, bias []float32, first bool) {
	_ = a[(k.mr-1)*lda+kc-1]
	_ = b[kc*k.nr-1]
	_ = c[(k.mr-1)*ldc+k.nr-1]
	var bp *float32
	f := 0
	if first {
		f = 1
		if bias != nil {
			_ = bias[k.nr-1]
			bp = &bias[0]
		}
	}
	if k.isa == isaAVX512 {
		gemm12x32DirectAVX512(kc, &a[0], lda, &b[0], &c[0], ldc, bp, f)
		return
	}
	gemm6x16DirectAVX2(kc, &a[0], lda, &b[0], &c[0], ldc, bp, f)
}

// microRows is micro for a strip whose C tile has only rows < mr valid rows; it
// reports false when the set has no such variant (the caller then goes through
// an edge buffer).
func (k kernels) microRows(kc int, a, b, c []float32, ldc, rows int) bool {
	if k.isa != isaAVX2 {
		return false
	}
	_ = a[kc*k.mr-1]
	_ = b[kc*k.nr-1]
	_ = c[(rows-1)*ldc+k.nr-1]
	switch rows {
	case 5:
		gemm5x16AVX2(kc, &a[0], &b[0], &c[0], ldc)
	case 4:
		gemm4x16AVX2(kc, &a[0], &b[0], &c[0], ldc)
	case 3:
		gemm3x16AVX2(kc, &a[0], &b[0], &c[0], ldc)
	case 2:
		gemm2x16AVX2(kc, &a[0], &b[0], &c[0], ldc)
	case 1:
		gemm1x16AVX2(kc, &a[0], &b[0], &c[0], ldc)
	default:
		return false
	}
	return true
}

// packChunkBytes bounds the part of a packed strip packBTrans fills per pass:
// it transposes 8 columns at a time, and the lines of the strip those passes
// share stay in L1 between them only when the part is small. With the whole
// depth per pass, a 32-column strip (384 deep: 48 KiB) fell out of L1 between
// its four passes and packed at 9.4–11.8 GB/s; in 8 KiB parts at 13.4–15.0
// (BenchmarkPackB, interleaved runs; 16-column strips the same either way).
const packChunkBytes = 8 << 10

// packBTrans packs a full-width strip of a transposed B (weights [out, in]) with
// the 8×8 transposing routines; depths past the last multiple of 8 are packed in
// Go. It declines partial strips and the portable set.
func (k kernels) packBTrans(dst []float32, b *bSource, p0, kc, j0, cols int) bool {
	if k.isa == isaGo || cols != k.nr {
		return false
	}
	nr := k.nr
	blocks := kc / 8
	_ = dst[kc*nr-1]
	last := (j0+nr-1)*b.ld + p0 + kc - 1 // the last element read
	switch b.dtype {
	case F32:
		_ = b.f32[last]
	default:
		_ = b.u16[last]
	}
	chunk := max(1, packChunkBytes/(8*nr*4)) // blocks of 8 depths per pass
	for b0 := 0; b0 < blocks; b0 += chunk {
		nb := min(chunk, blocks-b0)
		for c := 0; c < nr; c += 8 {
			off := (j0+c)*b.ld + p0 + b0*8
			d := &dst[b0*8*nr+c]
			switch b.dtype {
			case F32:
				packT8F32(d, &b.f32[off], b.ld, nr, nb)
			case BF16:
				packT8BF16(d, &b.u16[off], b.ld, nr, nb)
			case F16:
				packT8F16(d, &b.u16[off], b.ld, nr, nb)
			}
		}
	}
	for kk := blocks * 8; kk < kc; kk++ {
		row := dst[kk*nr : kk*nr+nr]
		for c := range nr {
			off := (j0+c)*b.ld + p0 + kk
			switch b.dtype {
			case F32:
				row[c] = b.f32[off]
			case BF16:
				row[c] = bf16ToF32(b.u16[off])
			case F16:
				row[c] = f16ToF32(b.u16[off])
			}
		}
	}
	return true
}

// attendSmallKeys is the most keys attendSmall takes: four 8-lane registers
// of scores (attend32AVX2); up to 16 keys take two (attend16AVX2).
const attendSmallKeys = 32

// attendSmall runs AttendAll for at most attendSmallKeys keys and a head width
// that is a multiple of 8 in one fused kernel (scores, softmax and weighted
// sum in three passes over the queries, each query's scores in registers),
// and reports false, doing nothing, otherwise. With a dozen keys the
// matrix-product path spends its time packing and padding a tile that is
// two-thirds empty: a MiniLM head (12 queries, 12 keys, width 32) took 1.95
// µs there, 0.53 µs here; 24 keys 3.7 µs.
func (k kernels) attendSmall(out, q, kk, v []float32, ld, hd, nq, nk int, scale float32, mask []int32, s *AttendScratch) bool {
	if k.isa == isaGo || nk > attendSmallKeys || hd%8 != 0 {
		return false
	}
	keys := 16 // score lanes: 16 or 32
	if nk > 16 {
		keys = 32
	}
	var invalid [attendSmallKeys]int32
	valid := false
	for j := range keys {
		if j >= nk || (mask != nil && mask[j] == 0) {
			invalid[j] = -1
		} else {
			valid = true
		}
	}
	if !valid { // every key masked: the weights are all zero (softmaxRow)
		for i := range nq {
			clear(out[i*ld : i*ld+hd])
		}
		return true
	}
	// The keys transposed, 8 at a time; a partial group goes through
	// zero-padded copies, since the rows past nk are another sequence's or
	// past the end of kk.
	s.kt = growF32(s.kt, hd*keys)
	for j0 := 0; j0 < keys; j0 += 8 {
		if nk-j0 >= 8 {
			packT8F32(&s.kt[j0], &kk[j0*ld], ld, keys, hd/8)
			continue
		}
		s.vp = growF32(s.vp, 8*hd)
		clear(s.vp)
		for j := j0; j < nk; j++ {
			copy(s.vp[(j-j0)*hd:(j-j0+1)*hd], kk[j*ld:j*ld+hd])
		}
		packT8F32(&s.kt[j0], &s.vp[0], hd, keys, hd/8)
	}
	_ = q[(nq-1)*ld+hd-1]
	_ = out[(nq-1)*ld+hd-1]
	_ = v[(nk-1)*ld+hd-1]
	s.scores = growF32(s.scores, nq*keys) // the probabilities
	if keys == 16 {
		attend16AVX2(&out[0], &q[0], &s.kt[0], &v[0], ld, hd, nq, nk, scale, &invalid[0], &s.scores[0])
	} else {
		attend32AVX2(&out[0], &q[0], &s.kt[0], &v[0], ld, hd, nq, nk, scale, &invalid[0], &s.scores[0])
	}
	return true
}
