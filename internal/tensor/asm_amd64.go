//go:build amd64 && !purego

package tensor

// Assembly routines (gemm_amd64.s, dot_amd64.s, pack_amd64.s). Lengths passed to
// them are multiples of their vector width; the Go wrappers in kernels_amd64.go
// check bounds and finish tails.

//go:noescape
func gemm6x16AVX2(kc int, a, b, c *float32, ldc int)

// gemm{5..1}x16AVX2 are gemm6x16AVX2 for the first rows of a strip (edge strips
// of C with fewer than 6 rows).

//go:noescape
func gemm5x16AVX2(kc int, a, b, c *float32, ldc int)

//go:noescape
func gemm4x16AVX2(kc int, a, b, c *float32, ldc int)

//go:noescape
func gemm3x16AVX2(kc int, a, b, c *float32, ldc int)

//go:noescape
func gemm2x16AVX2(kc int, a, b, c *float32, ldc int)

//go:noescape
func gemm1x16AVX2(kc int, a, b, c *float32, ldc int)

// gemm6x16DirectAVX2 is gemm6x16AVX2 reading six rows of a row-major A in
// place (row stride lda floats); with first != 0 it overwrites C with the
// product plus bias (nil: none) instead of accumulating (gemm_direct_amd64.s).
//
//go:noescape
func gemm6x16DirectAVX2(kc int, a *float32, lda int, b, c *float32, ldc int, bias *float32, first int)

// gemm12x32DirectAVX512 is gemm6x16DirectAVX2 for the AVX-512 12×32 tile.
//
//go:noescape
func gemm12x32DirectAVX512(kc int, a *float32, lda int, b, c *float32, ldc int, bias *float32, first int)

//go:noescape
func gemm12x32AVX512(kc int, a, b, c *float32, ldc int)

//go:noescape
func dotAVX2(x, w *float32, n int) float32

//go:noescape
func dotBF16AVX2(x *float32, w *uint16, n int) float32

//go:noescape
func dotF16AVX2(x *float32, w *uint16, n int) float32

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func addAVX2(dst, a, b *float32, n int)

//go:noescape
func dotAVX512(x, w *float32, n int) float32

//go:noescape
func dotBF16AVX512(x *float32, w *uint16, n int) float32

//go:noescape
func dotF16AVX512(x *float32, w *uint16, n int) float32

//go:noescape
func axpyAVX512(alpha float32, x, y *float32, n int)

//go:noescape
func attend16AVX2(out, q, kt, v *float32, ld, hd, nq, nk int, scale float32, invalid *int32, p *float32)

//go:noescape
func attend32AVX2(out, q, kt, v *float32, ld, hd, nq, nk int, scale float32, invalid *int32, p *float32)

//go:noescape
func packT8F32(dst, src *float32, ld, ldd, blocks int)

//go:noescape
func packT8BF16(dst *float32, src *uint16, ld, ldd, blocks int)

//go:noescape
func packT8F16(dst *float32, src *uint16, ld, ldd, blocks int)

//go:noescape
func expSumAVX2(x *float32, n int, shift float32) float32

//go:noescape
func siluAVX2(dst, x *float32, n int)

//go:noescape
func swigluAVX2(dst, gate, up *float32, n int)

// gemv4*AVX2 are the matrix-vector kernels (gemv_amd64.s): quads groups of
// four rows of w against x, the quads' rows and outputs where stride, step,
// outStride and outStep put them. The F16 one takes n a positive multiple of
// 16; the BF16 one x padded and split into even and odd elements per
// 16-element block (see splitPadded) and whole rows.

//go:noescape
func gemv4F32AVX2(x, w *float32, stride, step, head, n, tail, quads int, out *float32, outStride, outStep, ahead int)

//go:noescape
func gemv4BF16AVX2(xs *float32, w *uint16, stride, step, blocks, skip, keep, quads int, out *float32, outStride, outStep int)

//go:noescape
func gemv4F16AVX2(x *float32, w *uint16, stride, step, n, quads int, out *float32, outStride, outStep int)

//go:noescape
func gemv4F32AVX512(x, w *float32, stride, step, head, body, tail, quads int, out *float32, outStride, outStep, pf int)

//go:noescape
func gemv4BF16AVX512(x *float32, w *uint16, ldw, head, body, tail int, out *float32)

//go:noescape
func gemv4F16AVX512(x *float32, w *uint16, ldw, head, body, tail int, out *float32)

//go:noescape
func axpy4AVX2(alpha *float32, b *float32, ldb int, y *float32, n int)

//go:noescape
func axpy4AVX512(alpha *float32, b *float32, ldb int, y *float32, n int)

//go:noescape
func geluAVX2(x *float32, n int)

//go:noescape
func geluAVX512(x *float32, n int)

// gemmDot{6,4}x2BF16AVX2 (gemm_dot_amd64.s) compute the dot products of 6 or 4
// rows of xs (stride ldx, split as splitEvenOdd does) with 2 rows of w (stride
// ldw), n a positive multiple of 16, into out[r*ldo+j] (added to it when acc
// is not 0), prefetching the same span of the two rows at pf (stride ldw)
// into L2 as they go (prefetches never fault; pass w for none).

//go:noescape
func gemmDot6x2BF16AVX2(xs *float32, ldx int, w *uint16, ldw, n int, out *float32, ldo, acc int, pf *uint16)

//go:noescape
func gemmDot4x2BF16AVX2(xs *float32, ldx int, w *uint16, ldw, n int, out *float32, ldo, acc int, pf *uint16)

// gemmT16x6F32AVX2 (gemm_rows_amd64.s) computes the products of up to 16
// input rows, transposed depth-major into xt, with 6 F32 weight rows read in
// place (row stride ldw floats) over kc depths, for out[16·j + r]: stored
// (mode 0), stored plus bias[j] (mode 1) or added (mode 2). It prefetches the
// same span of the 6 rows at pf. With c not nil it also stores the first rows
// rows to C (row stride ldc floats).
//
//go:noescape
func gemmT16x6F32AVX2(kc int, xt *float32, w *float32, ldw int, out *float32, pf *float32, bias *float32, mode int, c *float32, ldc, rows int)

// gemmT8x6F32AVX2 is gemmT16x6F32AVX2 for up to 8 input rows: out[8·j + r];
// with c not nil it also stores the first rows rows to C (row stride ldc).
//
//go:noescape
func gemmT8x6F32AVX2(kc int, xt *float32, w *float32, ldw int, out *float32, pf *float32, bias *float32, mode int, c *float32, ldc, rows int)

// ropeRotateAVX2 (rope_amd64.s) rotates heads of 2·half values in place as
// rotateHalf does, half a positive multiple of 8.
//
//go:noescape
func ropeRotateAVX2(x, cos, sin *float32, half, heads int)

// sumF64AVX2, sumSqDevF64AVX2 and normAffineAVX2 (norm_amd64.s) are
// LayerNorm's passes over a row, n a positive multiple of 8.
//
//go:noescape
func sumF64AVX2(x *float32, n int) float64

//go:noescape
func sumSqDevF64AVX2(x *float32, n int, mean float64) float64

//go:noescape
func normAffineAVX2(dst, x, w, b *float32, n int, rstd, shift float32)

// gemmT16x4BF16AVX2 is gemmT16x6F32AVX2 for BF16 weights (row stride ldw
// elements) and 4 weight rows: out[16·j + r], j < 4. With c not nil it also
// stores the 16×4 result to C (row stride ldc floats).
//
//go:noescape
func gemmT16x4BF16AVX2(kc int, xt *float32, w *uint16, ldw int, out *float32, pf *uint16, bias *float32, mode int, c *float32, ldc int)

// gemmT16x4BF16AVX512 is gemmT16x4BF16AVX2 on 512-bit registers, with the
// same results bit for bit (gemm_rows_amd64.s).
//
//go:noescape
func gemmT16x4BF16AVX512(kc int, xt *float32, w *uint16, ldw int, out *float32, pf *uint16, bias *float32, mode int, c *float32, ldc int)

// gemmT16x6F32AVX512 is gemmT16x6F32AVX2 on 512-bit registers, with the
// same results bit for bit (gemm_rows_amd64.s).
//
//go:noescape
func gemmT16x6F32AVX512(kc int, xt, w *float32, ldw int, out, pf, bias *float32, mode int, c *float32, ldc, rows int)

// gemmT16x8BF16AVX512 is gemmT16x4BF16AVX512 for 8 weight rows: out[16·j + r],
// j < 8, the same sums bit for bit. With c not nil it also stores the 16×8
// result to C (row stride ldc floats).
//
//go:noescape
func gemmT16x8BF16AVX512(kc int, xt *float32, w *uint16, ldw int, out *float32, pf *uint16, bias *float32, mode int, c *float32, ldc int)

// gemmT16x12F32AVX512 is gemmT16x6F32AVX512 for 12 weight rows:
// out[16·j + r], j < 12, the same sums bit for bit (gemm_rows_amd64.s).
//
//go:noescape
func gemmT16x12F32AVX512(kc int, xt, w *float32, ldw int, out, pf, bias *float32, mode int, c *float32, ldc, rows int)

// gemmDot{8,6,4}x2BF16AVX512 are gemmDot6x2BF16AVX2 (for 8, 6 and 4 input
// rows) on 512-bit registers: n a positive multiple of 32, each input row
// split per 32-element block (splitEvenOdd32).
//
//go:noescape
func gemmDot6x2BF16AVX512(xs *float32, ldx int, w *uint16, ldw, n int, out *float32, ldo, acc int, pf *uint16)

//go:noescape
func gemmDot8x2BF16AVX512(xs *float32, ldx int, w *uint16, ldw, n int, out *float32, ldo, acc int, pf *uint16)

//go:noescape
func gemmDot4x2BF16AVX512(xs *float32, ldx int, w *uint16, ldw, n int, out *float32, ldo, acc int, pf *uint16)

// gemmT8x12F32AVX512 is gemmT8x6F32AVX2 for 12 weight rows on AVX-512's
// extra registers: out[8·j + r], j < 12, the same sums bit for bit
// (gemm_rows_amd64.s).
//
//go:noescape
func gemmT8x12F32AVX512(kc int, xt, w *float32, ldw int, out, pf, bias *float32, mode int, c *float32, ldc, rows int)
