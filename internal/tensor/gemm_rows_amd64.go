//go:build amd64 && !purego

package tensor

// gemmRowsMaxRows is the most input rows a product runs on gemmRows'
// kernels (gemm_rows_amd64.s), in groups of 16. Up to it, packing
// the weights into the micro-kernel's panels costs more than the arithmetic
// it serves (a lone short encoder input spent twice as long packing as
// multiplying); above it the packing is shared by enough rows to pay.
const gemmRowsMaxRows = 32

// gemmRowsGroup is how many input rows one kernel call covers: 16, or 8
// (gemmT8x6F32AVX2) when there are no more, so that a lone short input does
// not pay for 8 missing rows.
const gemmRowsGroup = 16

// gemmRowsCols is how many weight rows (outputs) one call of the AVX2 F32
// kernels covers. The others cover 4 (AVX2 BF16), 8 (AVX-512 BF16; 4 for
// fewer than 8 outputs) and 12 (AVX-512 F32, 8 or 16 input rows; 6 for
// fewer than 12 outputs).
const gemmRowsCols = 6

// gemmRowsMaxCols is the most weight rows any gemmRows kernel covers
// (gemmT16x12F32AVX512).
const gemmRowsMaxCols = 12

// rowsFirst reports whether Linear should try gemmRows before gemmDot for
// rows rows of dt weights: always for F32 (gemmDot has none). For BF16, the
// AVX2 set when the rows fill their groups of 16 nearly enough (13–16 of a
// group), since a group's missing rows cost as much as present ones, and
// otherwise its dot-product kernels are faster (BenchmarkGemmRows on a Zen 3:
// 16×4864×896 125 against 90 GFLOP/s, 12×4864×896 46 against 71). The
// AVX-512 set for whole groups and past gemmDotMaxRows: its dot-product
// kernels beat its 16×8 gemmRows kernel at the heights between (on a Zen 5,
// 2 threads, 4864×896 weights: 12 rows 246 against 161 GFLOP/s, 8 rows 268
// against 109; 896×4864: 12 rows 193 against 149), and tie with it at 16 rows
// on the products alone, where the whole 16-sequence decode of a
// Qwen2.5-0.5B-shaped model ran faster with gemmRows in 6 of 6 interleaved
// rounds (medians of the last 4: 188 against 167 tok/s).
func (k kernels) rowsFirst(dt DType, rows int) bool {
	if dt != BF16 {
		return true
	}
	if k.isa == isaAVX512 {
		return rows%gemmRowsGroup == 0 || rows > gemmDotMaxRows
	}
	return rows%gemmRowsGroup == 0 || rows%gemmRowsGroup > gemmRowsGroup-4
}

// gemmRows computes c[m×n] = a[m×kd] · Bᵀ (+ bias) for F32 or BF16 weights
// B stored [n, kd], reading them in place, and reports false, doing nothing,
// when this kernel set has no such kernel for the product. Every output is
// summed over the same depth panels (panelDepth), in the same order and
// with the same roundings as the packed products, so the two agree bit for
// bit and LinearRowInvariant may use either. Workers split the outputs in
// tiles of 6 (BF16: 4); each tile's weights are read from memory once for all
// the rows.
//
// The AVX-512 set runs the 16-row kernels on 512-bit registers and the 8-row
// F32 one as AVX2 code, all at its own panel depth.
// Each output is a chain of fused multiply-adds over a panel's depth
// whatever the vector width, so they then agree bit for bit with the AVX-512
// set's packed products.
func (k kernels) gemmRows(p *Pool, c []float32, m, n, kd int, a []float32, b *bSource, bias []float32) bool {
	if (k.isa != isaAVX2 && k.isa != isaAVX512) || !b.trans || m < 1 || m > gemmRowsMaxRows || kd < 1 {
		return false
	}
	ld := b.ld
	// kernel runs one tile's panel: weights from row j at depth pc,
	// prefetching row pj at depth pp; with cp not nil it also stores the
	// group's rows rows of results to C (row stride n).
	var kernel func(kc int, xt *float32, j, pc int, out *float32, pj, pp int, bias *float32, mode int, cp *float32, rows int)
	group, cols := gemmRowsGroup, gemmRowsCols
	switch {
	case b.dtype == F32 && m <= 8 && k.isa == isaAVX512 && n >= 12: // no arithmetic on 8 missing rows
		group, cols = 8, 12
		kernel = func(kc int, xt *float32, j, pc int, out *float32, pj, pp int, bias *float32, mode int, cp *float32, rows int) {
			gemmT8x12F32AVX512(kc, xt, &b.f32[j*ld+pc], ld, out, &b.f32[pj*ld+pp], bias, mode, cp, n, rows)
		}
	case b.dtype == F32 && m <= 8:
		group = 8
		kernel = func(kc int, xt *float32, j, pc int, out *float32, pj, pp int, bias *float32, mode int, cp *float32, rows int) {
			gemmT8x6F32AVX2(kc, xt, &b.f32[j*ld+pc], ld, out, &b.f32[pj*ld+pp], bias, mode, cp, n, rows)
		}
	case b.dtype == F32 && k.isa == isaAVX512 && n >= 12:
		cols = 12
		kernel = func(kc int, xt *float32, j, pc int, out *float32, pj, pp int, bias *float32, mode int, cp *float32, rows int) {
			gemmT16x12F32AVX512(kc, xt, &b.f32[j*ld+pc], ld, out, &b.f32[pj*ld+pp], bias, mode, cp, n, rows)
		}
	case b.dtype == F32 && k.isa == isaAVX512:
		kernel = func(kc int, xt *float32, j, pc int, out *float32, pj, pp int, bias *float32, mode int, cp *float32, rows int) {
			gemmT16x6F32AVX512(kc, xt, &b.f32[j*ld+pc], ld, out, &b.f32[pj*ld+pp], bias, mode, cp, n, rows)
		}
	case b.dtype == F32:
		kernel = func(kc int, xt *float32, j, pc int, out *float32, pj, pp int, bias *float32, mode int, cp *float32, rows int) {
			gemmT16x6F32AVX2(kc, xt, &b.f32[j*ld+pc], ld, out, &b.f32[pj*ld+pp], bias, mode, cp, n, rows)
		}
	case b.dtype == BF16 && k.isa == isaAVX512 && n >= 8:
		cols = 8
		kernel = func(kc int, xt *float32, j, pc int, out *float32, pj, pp int, bias *float32, mode int, cp *float32, _ int) {
			gemmT16x8BF16AVX512(kc, xt, &b.u16[j*ld+pc], ld, out, &b.u16[pj*ld+pp], bias, mode, cp, n)
		}
	case b.dtype == BF16 && k.isa == isaAVX512:
		cols = 4
		kernel = func(kc int, xt *float32, j, pc int, out *float32, pj, pp int, bias *float32, mode int, cp *float32, _ int) {
			gemmT16x4BF16AVX512(kc, xt, &b.u16[j*ld+pc], ld, out, &b.u16[pj*ld+pp], bias, mode, cp, n)
		}
	case b.dtype == BF16:
		cols = 4
		kernel = func(kc int, xt *float32, j, pc int, out *float32, pj, pp int, bias *float32, mode int, cp *float32, _ int) {
			gemmT16x4BF16AVX2(kc, xt, &b.u16[j*ld+pc], ld, out, &b.u16[pj*ld+pp], bias, mode, cp, n)
		}
	default:
		return false
	}
	if n < cols {
		return false
	}
	// stores reports whether the kernel stores a tile of rows rows to C:
	// the F32 kernels any rows, the BF16 one full groups of 16; a tile that
	// overlaps the one before (skip > 0) goes through Go.
	stores := func(rows, skip int) bool {
		return skip == 0 && (b.dtype == F32 || rows == gemmRowsGroup)
	}
	if b.dtype == F32 {
		_ = b.f32[(n-1)*ld+kd-1] // every weight the kernel reads
	} else {
		_ = b.u16[(n-1)*ld+kd-1]
	}
	groups := (m + group - 1) / group
	_ = c[m*n-1]
	_ = a[m*kd-1]
	// The input, transposed depth-major per group of rows, zero where a
	// group has fewer: xt[(g·kd + p)·group + r] = a[(group·g + r)·kd + p].
	buf := p.getGemmBuf(groups*kd*group, 0)
	defer p.putGemmBuf(buf)
	xt := buf.a[:groups*kd*group]
	p.For(kd, 128, func(s, e int) {
		for g := range groups {
			dst := xt[(g*kd+s)*group : (g*kd+e)*group]
			for r := range group {
				i := g*group + r
				if i >= m {
					for d := r; d < len(dst); d += group {
						dst[d] = 0
					}
					continue
				}
				for d, v := range a[i*kd+s : i*kd+e] {
					dst[d*group+r] = v
				}
			}
		}
	})
	kcMax := k.panelDepth(kd)
	tiles := (n + cols - 1) / cols
	p.For(tiles, 4, func(s, e int) {
		var acc [gemmRowsMaxCols * gemmRowsGroup]float32 // at most cols × group
		for q := s; q < e; q++ {
			// The last tile, when n is not a multiple of cols, overlaps
			// the one before it and keeps only its own outputs.
			j0, skip := q*cols, 0
			if j0+cols > n {
				skip = j0 + cols - n
				j0 = n - cols
			}
			for g := range groups {
				rows := min(group, m-g*group)
				for pc := 0; pc < kd; pc += kcMax {
					kc := min(kcMax, kd-pc)
					// Prefetch what comes next: the next panel of these
					// rows, or the next tile's first panel.
					pj, pp := j0, pc
					switch {
					case pc+kc < kd:
						pp = pc + kc
					case g == groups-1 && q+1 < e && j0+2*cols <= n:
						pj, pp = j0+cols, 0
					}
					// Panels join as the packed products join them: the
					// first panel's sums plus the bias, then each later
					// panel's sums added.
					mode, bp := 2, (*float32)(nil)
					if pc == 0 {
						mode = 0
						if bias != nil {
							mode, bp = 1, &bias[j0]
						}
					}
					// The last panel goes straight to C where the kernel
					// can store it (BF16: full groups of 16; F32: any
					// rows), unless the tile overlaps the one before.
					var cp *float32
					if stores(rows, skip) && pc+kc == kd {
						cp = &c[g*group*n+j0]
					}
					kernel(kc, &xt[(g*kd+pc)*group], j0, pc, &acc[0], pj, pp, bp, mode, cp, rows)
				}
				if stores(rows, skip) {
					continue // stored by the kernel
				}
				// Row by row: each row's outputs share a cache line.
				for r := range rows {
					row := c[(g*group+r)*n+j0 : (g*group+r)*n+j0+cols]
					for jj := skip; jj < len(row); jj++ {
						row[jj] = acc[jj*group+r]
					}
				}
			}
		}
	})
	return true
}
