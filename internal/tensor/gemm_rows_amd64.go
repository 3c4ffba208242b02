//go:build amd64 && !purego

package tensor

// gemmRowsMaxRows is the most input rows a product with F32 weights runs on
// gemmT16x6F32AVX2 (gemm_rows_amd64.s), in groups of 16. Up to it, packing
// the weights into the micro-kernel's panels costs more than the arithmetic
// it serves (a lone short encoder input spent twice as long packing as
// multiplying); above it the packing is shared by enough rows to pay.
const gemmRowsMaxRows = 32

// gemmRowsGroup is how many input rows one kernel call covers: 16, or 8
// (gemmT8x6F32AVX2) when there are no more, so that a lone short input does
// not pay for 8 missing rows.
const gemmRowsGroup = 16

// gemmRowsCols is how many weight rows (outputs) one kernel call covers.
const gemmRowsCols = 6

// gemmRows computes c[m×n] = a[m×kd] · Bᵀ (+ bias) for F32 weights B stored
// [n, kd], reading them in place, and reports false, doing nothing, when this
// kernel set has no such kernel for the product. Every output is summed over
// the same depth panels (gemmPanelDepth), in the same order and with the same
// roundings as the packed products, so the two agree bit for bit and
// LinearRowInvariant may use either. Workers split the outputs in groups of
// six; each group's weights are read from memory once for all the rows.
func (k kernels) gemmRows(p *Pool, c []float32, m, n, kd int, a []float32, b *bSource, bias []float32) bool {
	if k.isa != isaAVX2 || b.dtype != F32 || !b.trans || m < 1 || m > gemmRowsMaxRows || n < gemmRowsCols || kd < 1 {
		return false
	}
	group, kernel := gemmRowsGroup, gemmT16x6F32AVX2
	if m <= 8 { // no arithmetic on 8 missing rows
		group, kernel = 8, gemmT8x6F32AVX2
	}
	groups := (m + group - 1) / group
	ld := b.ld
	_ = b.f32[(n-1)*ld+kd-1] // every weight the kernel reads
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
	kcMax := gemmPanelDepth(kd)
	tiles := (n + gemmRowsCols - 1) / gemmRowsCols
	p.For(tiles, 4, func(s, e int) {
		var acc [gemmRowsCols * gemmRowsGroup]float32
		for q := s; q < e; q++ {
			// The last tile, when n is not a multiple of 6, overlaps the
			// one before it and keeps only its own outputs.
			j0, skip := q*gemmRowsCols, 0
			if j0+gemmRowsCols > n {
				skip = j0 + gemmRowsCols - n
				j0 = n - gemmRowsCols
			}
			for g := range groups {
				rows := min(group, m-g*group)
				for pc := 0; pc < kd; pc += kcMax {
					kc := min(kcMax, kd-pc)
					// Prefetch what comes next: the next panel of these
					// rows, or the next tile's first panel.
					pf := &b.f32[j0*ld+pc]
					switch {
					case pc+kc < kd:
						pf = &b.f32[j0*ld+pc+kc]
					case g == groups-1 && q+1 < e && j0+2*gemmRowsCols <= n:
						pf = &b.f32[(j0+gemmRowsCols)*ld]
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
					kernel(kc, &xt[(g*kd+pc)*group], &b.f32[j0*ld+pc], ld, &acc[0], pf, bp, mode)
				}
				for jj := skip; jj < gemmRowsCols; jj++ {
					j := j0 + jj
					for r, v := range acc[jj*group : jj*group+rows] {
						c[(g*group+r)*n+j] = v
					}
				}
			}
		}
	})
	return true
}
