package tensor

// Cache blocking of the packed matrix product (the BLIS loop nest): a kc×nc panel
// of B is packed once per call and shared by all workers (it lives in the shared
// last-level cache), each worker walks mc×nb blocks of C, an mc×kc block of packed
// A stays in its L2 and each kc×nr strip of B in its L1 while the micro-kernel
// sweeps down the rows.
const (
	gemmKC = 384  // greatest depth of one packed panel (see panelDepth)
	gemmNC = 4096 // columns of B packed at once
	gemmMC = 96   // rows of A per task (rounded to the kernel's mr)
)

// panelDepth is the depth of the packed panels of a product of depth kd: the
// fewest panels of at most the set's kc (gemmKC when unset), made equal. One
// panel is one more pass over C and one more barrier, and a thin last panel
// does the same work for little arithmetic: kd = 384 in one panel rather than
// 256 + 128 ran the MiniLM-shaped 512×384×1536 product at 134 rather than 112
// GFLOP/s. Every path of one set that promises the packed products' summation
// order (gemmRows, LinearRowInvariant) uses the same panels.
func (k kernels) panelDepth(kd int) int {
	kc := k.kc
	if kc <= 0 || kc > gemmKC {
		kc = gemmKC
	}
	panels := (kd + kc - 1) / kc
	return (kd + panels - 1) / panels
}

// gemmBuf is the packing scratch of one gemm call.
type gemmBuf struct{ a, b []float32 }

func (p *Pool) getGemmBuf(na, nb int) *gemmBuf {
	var g *gemmBuf
	if p != nil {
		g, _ = p.scratch.Get().(*gemmBuf)
	}
	if g == nil {
		g = new(gemmBuf)
	}
	if cap(g.a) < na {
		g.a = make([]float32, na)
	}
	if cap(g.b) < nb {
		g.b = make([]float32, nb)
	}
	g.a, g.b = g.a[:na], g.b[:nb]
	return g
}

func (p *Pool) putGemmBuf(g *gemmBuf) {
	if p != nil {
		p.scratch.Put(g)
	}
}

// gemmPackBudget bounds the packed B panels one phase of gemm prepares: as
// many depth panels as fit are packed together and then multiplied together,
// so that a product pays two barriers per group of panels rather than two per
// panel (a MiniLM layer's six products had 36 barriers with one panel per
// phase). The packed panels are shared by all workers from the last-level
// cache, which bounds the group.
const gemmPackBudget = 4 << 20

// gemm computes c[m×n] (row stride n) = a[m×kd] (row stride kd) · B + bias, where
// bias (nil or len >= n) is added to every row. It overwrites c. The depth
// panels are summed in order into every tile, however they are grouped, so
// the result does not depend on the grouping.
func (k kernels) gemm(p *Pool, c []float32, m, n, kd int, a []float32, b *bSource, bias []float32) {
	mr, nr := k.mr, k.nr
	mStrips := (m + mr - 1) / mr
	ncMax := min(n, gemmNC)
	firstPacked := k.firstPackedStrip(m, kd)
	packStrips := mStrips - firstPacked
	kcMax := k.panelDepth(kd)
	panels := (kd + kcMax - 1) / kcMax
	aPanelLen := packStrips * mr * kcMax
	bPanelLen := (ncMax + nr - 1) / nr * nr * kcMax
	group := max(1, min(panels, gemmPackBudget/(4*(aPanelLen+bPanelLen))))
	buf := p.getGemmBuf(group*aPanelLen, group*bPanelLen)
	defer p.putGemmBuf(buf)

	mcStrips := max(1, gemmMC/mr)
	mBlocks := (mStrips + mcStrips - 1) / mcStrips
	workers := p.Workers()
	for jc := 0; jc < n; jc += gemmNC {
		nc := min(gemmNC, n-jc)
		nStrips := (nc + nr - 1) / nr
		// Enough tasks that dynamic claiming balances the workers (a task is an
		// A block from L2 against a few B strips from the shared panel).
		nBlocks := min((nStrips+3)/4, max(1, (16*workers+mBlocks-1)/mBlocks))
		nbStrips := (nStrips + nBlocks - 1) / nBlocks
		nBlocks = (nStrips + nbStrips - 1) / nbStrips
		for g0 := 0; g0 < panels; g0 += group {
			g1 := min(panels, g0+group)
			// Task t packs strip t/ng at panel t%ng: a strip's panels one
			// after the other read its weight rows from start to end.
			ng := g1 - g0
			p.For(ng*(nStrips+packStrips), 4, func(s, e int) {
				for t := s; t < e; t++ {
					u, g := t/ng, t%ng
					pc := (g0 + g) * kcMax
					kc := min(kcMax, kd-pc)
					if u < nStrips {
						j0 := jc + u*nr
						k.packB(buf.b[g*bPanelLen+u*kc*nr:], b, pc, kc, j0, min(nr, jc+nc-j0))
					} else {
						i0 := (firstPacked + u - nStrips) * mr
						k.packA(buf.a[g*aPanelLen+(u-nStrips)*kc*mr:], a, kd, pc, kc, i0, min(mr, m-i0))
					}
				}
			})
			p.For(mBlocks*nBlocks, 1, func(s, e int) {
				for t := s; t < e; t++ {
					mb, nb := t%mBlocks, t/mBlocks
					for g := range ng {
						pc := (g0 + g) * kcMax
						kc := min(kcMax, kd-pc)
						pb := gemmBuf{a: buf.a[g*aPanelLen:], b: buf.b[g*bPanelLen:]}
						k.gemmBlock(c, n, m, jc, nc, kc, &pb, aPanel{a: a, lda: kd, pc: pc, firstPacked: firstPacked},
							mb*mcStrips, min(mStrips, (mb+1)*mcStrips),
							nb*nbStrips, min(nStrips, (nb+1)*nbStrips), pc == 0, bias)
					}
				}
			})
		}
	}
}

// aPanel is the A operand of one depth panel [pc, pc+kc): row-major with row
// stride lda; strips from firstPacked on are packed, the ones before are read
// in place by the micro-kernel.
type aPanel struct {
	a                    []float32
	lda, pc, firstPacked int
}

// firstPackedStrip returns the first of the A strips of an m-row product with
// row stride lda that are packed: all of them for kernel sets without a
// direct-A micro-kernel, and when the stride is a multiple of 4 KiB (the rows
// the micro-kernel reads at once would all fall in the same L1 cache sets:
// measured 10% slower at 1024³); else only a last, partial one (packing it
// once is cheaper than for every tile, and the micro-kernel reads whole
// strips).
func (k kernels) firstPackedStrip(m, lda int) int {
	strips := (m + k.mr - 1) / k.mr
	switch {
	case !k.directA() || lda%1024 == 0:
		return 0
	case m%k.mr != 0:
		return strips - 1
	}
	return strips
}

// gemmBlock runs the micro-kernel over A strips [is0, is1) × B strips [js0, js1)
// of the current depth panel: the B strips are packed in buf.b, the A strips
// from ap.firstPacked on in buf.a. On the first depth panel the tiles are set
// to the product plus bias, later ones accumulate.
func (k kernels) gemmBlock(c []float32, ldc, m, jc, nc, kc int, buf *gemmBuf, ap aPanel, is0, is1, js0, js1 int, first bool, bias []float32) {
	mr, nr := k.mr, k.nr
	var ts tileScratch
	for js := js0; js < js1; js++ {
		bs := buf.b[js*kc*nr : (js+1)*kc*nr]
		j0 := jc + js*nr
		cols := min(nr, jc+nc-j0)
		var bj []float32
		if bias != nil {
			bj = bias[j0:]
		}
		for is := is0; is < is1; is++ {
			var as []float32
			if q := is - ap.firstPacked; q >= 0 {
				as = buf.a[q*kc*mr : (q+1)*kc*mr]
			}
			i0 := is * mr
			k.tileAt(kc, as, ap, i0, bs, c[i0*ldc+j0:], ldc, min(mr, m-i0), cols, first, bj, &ts)
		}
	}
}

// tileScratch holds the buffers of partial tiles: an edge tile of C and, when
// A is read in place, the packed A strip the full-size micro-kernel needs.
type tileScratch struct {
	edge [maxTile]float32
	a    [gemmKC * maxMR]float32
}

// maxMR bounds mr over the kernel sets that read A in place.
const maxMR = 12

// tileAt computes the rows×cols C tile at c (row stride ldc) from A rows
// [i0, i0+rows) over the panel's depths — packed in as, or read in place from
// ap when as is nil (a full strip; a tile with fewer than nr columns packs it
// first) — and the packed B strip bs. On the first depth panel it sets the
// tile to the product plus bias[0:cols] (bias may be nil), later it
// accumulates.
func (k kernels) tileAt(kc int, as []float32, ap aPanel, i0 int, bs, c []float32, ldc, rows, cols int, first bool, bias []float32, ts *tileScratch) {
	mr, nr := k.mr, k.nr
	if as == nil {
		if rows == mr && cols == nr {
			k.microDirect(kc, ap.a[i0*ap.lda+ap.pc:], ap.lda, bs, c, ldc, bias, first)
			return
		}
		as = ts.a[:kc*mr]
		k.packA(as, ap.a, ap.lda, ap.pc, kc, i0, rows)
	}
	if first {
		for r := range rows {
			row := c[r*ldc : r*ldc+cols]
			if bias != nil {
				copy(row, bias[:cols])
			} else {
				clear(row)
			}
		}
	}
	k.tile(kc, as, bs, c, ldc, rows, cols, &ts.edge)
}

// tile accumulates one packed A strip times one packed B strip into the
// rows×cols corner of the tile at c. Partial tiles go through edge, so the
// micro-kernel always runs at full size and never touches memory outside c's tile.
func (k kernels) tile(kc int, as, bs, c []float32, ldc, rows, cols int, edge *[maxTile]float32) {
	mr, nr := k.mr, k.nr
	if cols == nr {
		if rows == mr {
			k.micro(kc, as, bs, c, ldc)
			return
		}
		if k.microRows(kc, as, bs, c, ldc, rows) {
			return
		}
	}
	t := edge[:mr*nr]
	clear(t)
	k.micro(kc, as, bs, t, nr)
	for r := range rows {
		row := c[r*ldc : r*ldc+cols]
		for j := range row {
			row[j] += t[r*nr+j]
		}
	}
}
