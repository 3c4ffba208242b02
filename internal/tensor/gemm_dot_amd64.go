//go:build amd64 && !purego

package tensor

// gemmDotMaxRows is the most rows a BF16 product runs on the in-place kernels
// (gemm_dot_amd64.s). Up to it, transposing the weights into panels costs more
// than widening them once per tile of input rows; above it (prefill), the
// packed micro-kernel amortises its packing over enough rows to win.
const gemmDotMaxRows = 24

// gemmDotGrainPairs is the fewest pairs of weight rows a worker claims at once.
const gemmDotGrainPairs = 8

// gemmDotKC is the depth of one pass of the kernels: six input rows of it
// (24 KiB) stay in L1 while the weight rows go by.
const gemmDotKC = 1024

// gemmDotPrefetchPairs is how many pairs of weight rows ahead the first tile
// of a block prefetches (4 pairs at depth 896 is 14 KiB, about 2,000 cycles).
const gemmDotPrefetchPairs = 4

// gemmDotBlockBytes bounds the weights one worker sweeps with every tile of
// input rows before moving on: they are re-read from L2 once per tile.
const gemmDotBlockBytes = 128 << 10

// dotTile is one group of input rows a gemmDot kernel call covers; its first
// skip rows belong to the tile before it as well, and its last pad rows lie
// past the input (zero rows the caller appends; their results are dropped).
type dotTile struct{ start, rows, skip, pad int }

// dotTiles covers m ≥ 4 rows with tiles of 6 and at most one of 4. A remainder
// that fits neither takes a tile overlapping the previous one: the overlapping
// rows are computed twice, which is cheaper than a kernel per height, and only
// one of the two results is kept (adding both, on a later depth pass, would
// count those rows twice).
func dotTiles(m int) []dotTile {
	var tiles []dotTile
	i := 0
	for ; i+6 <= m; i += 6 {
		tiles = append(tiles, dotTile{i, 6, 0, 0})
	}
	switch rest := m - i; {
	case rest == 0:
	case rest == 4:
		tiles = append(tiles, dotTile{i, 4, 0, 0})
	case m == 5:
		tiles = append(tiles, dotTile{0, 4, 0, 0}, dotTile{1, 4, 3, 0})
	case rest == 5:
		tiles = append(tiles, dotTile{m - 6, 6, 1, 0})
	default: // 1 to 3 rows left: m ≥ 6 here, since m ≥ 4 and m ≠ 5
		tiles = append(tiles, dotTile{m - 4, 4, 4 - rest, 0})
	}
	return tiles
}

// dotTilesWide covers m ≥ 4 rows for the AVX-512 kernels: tiles of 8 (the
// most accumulators the registers hold) and at most two of 6 or 4, exact
// where the rows allow. Otherwise 5 or 7 rows alone take one tile of 6 or 8
// reaching a row past m (pad: one call over a zero row instead of two
// overlapping tiles of 4; the BF16 decode of 5 and 7 sequences ran 1.14× and
// 1.05× faster, 3 of 3 interleaved rounds each), and a remainder after tiles
// of 8 a last tile overlapping the one before, as in dotTiles (padding it
// instead measured slower at 9 and 13 rows, 9 of 12 rounds).
func dotTilesWide(m int) []dotTile {
	eights, rest := m/8, m%8
	if rest == 2 && eights > 0 { // 8 + 2 rows as 6 + 4
		eights, rest = eights-1, 10
	}
	tiles := make([]dotTile, 0, eights+2)
	for i := range eights {
		tiles = append(tiles, dotTile{start: 8 * i, rows: 8})
	}
	i := 8 * eights
	switch rest {
	case 0:
	case 4, 6:
		tiles = append(tiles, dotTile{start: i, rows: rest})
	case 10:
		tiles = append(tiles, dotTile{start: i, rows: 6}, dotTile{start: i + 6, rows: 4})
	case 5, 7:
		if m == rest {
			tiles = append(tiles, dotTile{start: 0, rows: m + 1, pad: 1})
		} else {
			tiles = append(tiles, dotTile{start: m - rest - 1, rows: rest + 1, skip: 1})
		}
	default: // 1 or 3 rows after at least one tile of 8
		tiles = append(tiles, dotTile{start: m - 4, rows: 4, skip: 4 - rest})
	}
	return tiles
}

// dotPad is the most rows past the input any tile of dotTilesWide reads.
const dotPad = 1

// dotKernel runs the kernel of t's height (of the AVX-512 set when wide) on
// weight rows j, j+1 at one depth pass, adding to out (stride ldo) when acc
// is set and prefetching the pair of rows at pf. An overlapping tile goes
// through a scratch block so that only its rows past skip are written.
func dotKernel(wide bool, t dotTile, x *float32, ldx int, w *uint16, ldw, kc int, out []float32, ldo, acc int, pf *uint16) {
	kernel := gemmDot4x2BF16AVX2
	switch {
	case wide && t.rows == 8:
		kernel = gemmDot8x2BF16AVX512
	case wide && t.rows == 6:
		kernel = gemmDot6x2BF16AVX512
	case wide:
		kernel = gemmDot4x2BF16AVX512
	case t.rows == 6:
		kernel = gemmDot6x2BF16AVX2
	}
	if t.skip == 0 && t.pad == 0 {
		kernel(x, ldx, w, ldw, kc, &out[0], ldo, acc, pf)
		return
	}
	var tmp [16]float32
	kernel(x, ldx, w, ldw, kc, &tmp[0], 2, 0, pf)
	for r := t.skip; r < t.rows-t.pad; r++ {
		o := out[r*ldo : r*ldo+2]
		if acc != 0 {
			o[0] += tmp[2*r]
			o[1] += tmp[2*r+1]
		} else {
			o[0], o[1] = tmp[2*r], tmp[2*r+1]
		}
	}
}

// splitEvenOdd32 writes src (a multiple of 32 long) to dst as the AVX-512
// dot-product kernels read it: each 32-element block as its 16 even-indexed
// elements followed by its 16 odd-indexed ones.
func splitEvenOdd32(dst, src []float32) {
	for i := 0; i+32 <= len(src); i += 32 {
		d, s := dst[i:i+32:i+32], src[i:i+32:i+32]
		for e := range 16 {
			d[e], d[16+e] = s[2*e], s[2*e+1]
		}
	}
}

// gemmDot computes c[m×n] = a[m×kd] · Bᵀ (+ bias) for BF16 weights B stored
// [n, kd] with the in-place kernels, and reports false, doing nothing, when
// this kernel set has no such kernel for the product. Workers split the weight
// rows in pairs; each pair, widened once per tile, meets every tile of input
// rows while it is in L1.
func (k kernels) gemmDot(p *Pool, c []float32, m, n, kd int, a []float32, b *bSource, bias []float32) bool {
	// The AVX-512 set's kernels take 32 depths a step, the AVX2 set's 16;
	// the depth past the last whole step is added by gemmDotEdges.
	wide, step := k.isa == isaAVX512, 16
	if wide {
		step = 32
	}
	if (k.isa != isaAVX2 && !wide) || b.dtype != BF16 || !b.trans || m < 4 || m > gemmDotMaxRows || kd < step || n < 2 {
		return false
	}
	m16 := kd &^ (step - 1)
	padded := m // input rows and the zero rows the tiles read past them
	if wide {
		padded += dotPad
	}
	buf := p.getGemmBuf(padded*m16, 0)
	defer p.putGemmBuf(buf)
	xs := buf.a[:padded*m16]
	clear(xs[m*m16:]) // their results are dropped; zero keeps stale denormals out of the kernels
	p.For(m, 1, func(s, e int) {
		for r := s; r < e; r++ {
			if wide {
				splitEvenOdd32(xs[r*m16:(r+1)*m16], a[r*kd:r*kd+m16])
			} else {
				splitEvenOdd(xs[r*m16:(r+1)*m16], a[r*kd:r*kd+m16])
			}
		}
	})
	tiles := dotTiles(m)
	if wide {
		tiles = dotTilesWide(m)
	}
	ld := b.ld
	_ = b.u16[(n-1)*ld+kd-1] // every weight the kernels read
	_ = c[m*n-1]
	// Blocks: gemmDotKC of depth keeps a tile of input rows in L1, and
	// pairBlock pairs of weight rows at that depth stay in L2 while every
	// tile passes over them.
	pairBlock := max(1, gemmDotBlockBytes/(4*min(m16, gemmDotKC)))
	p.For(n/2, gemmDotGrainPairs, func(s, e int) {
		for q0 := s; q0 < e; q0 += pairBlock {
			q1 := min(e, q0+pairBlock)
			for pc := 0; pc < m16; pc += gemmDotKC {
				kc, acc := min(gemmDotKC, m16-pc), 0
				if pc > 0 {
					acc = 1
				}
				// The weights come from memory once, in the first tile,
				// and from L2 for every later one. The kernels prefetch
				// as they go: with one tile, a pair a few ahead; with
				// more, the later tiles bring in the next block (one pair
				// per call, spread over them), so that the memory traffic
				// overlaps the arithmetic and the next first tile finds
				// its rows in L2. Only the very first block's first tile
				// fetches its own rows ahead.
				nq0, nq1, npc := q0, q1, pc+gemmDotKC
				if npc >= m16 {
					nq0, nq1, npc = q1, min(e, q1+pairBlock), 0
				}
				spread := len(tiles) > 1
				selfFetch := !spread || (q0 == s && pc == 0)
				ahead := q1
				if !spread && m16 <= gemmDotKC {
					ahead = e // one depth pass: the next block is next in memory
				}
				for ti, t := range tiles {
					x := &xs[t.start*m16+pc]
					for q := q0; q < q1; q++ {
						j := 2 * q
						w := &b.u16[j*ld+pc]
						pf := w
						switch i := q - q0; {
						case ti == 0 && selfFetch && q+gemmDotPrefetchPairs < ahead:
							pf = &b.u16[2*(q+gemmDotPrefetchPairs)*ld+pc]
						case ti > 0 && i%(len(tiles)-1) == ti-1 && nq0+i < nq1:
							pf = &b.u16[2*(nq0+i)*ld+npc]
						}
						dotKernel(wide, t, x, m16, w, ld, kc, c[t.start*n+j:], n, acc, pf)
					}
				}
			}
		}
		k.gemmDotEdges(c, m, n, kd, m16, a, b, bias, 2*s, 2*e)
	})
	if n%2 == 1 {
		j := n - 1
		for r := range m {
			c[r*n+j] = k.rowDot(a[r*kd:(r+1)*kd], b, j*ld)
		}
		if bias != nil {
			for r := range m {
				c[r*n+j] += bias[j]
			}
		}
	}
	return true
}

// gemmDotEdges adds, for columns [j0, j1), what the kernels leave out: the
// depth beyond the last whole 16-element block, and the bias.
func (k kernels) gemmDotEdges(c []float32, m, n, kd, m16 int, a []float32, b *bSource, bias []float32, j0, j1 int) {
	if m16 < kd {
		for r := range m {
			x := a[r*kd+m16 : (r+1)*kd]
			for j := j0; j < j1; j++ {
				c[r*n+j] += k.rowDot(x, b, j*b.ld+m16)
			}
		}
	}
	if bias != nil {
		for r := range m {
			out := c[r*n+j0 : r*n+j1]
			for i, v := range bias[j0:j1] {
				out[i] += v
			}
		}
	}
}
