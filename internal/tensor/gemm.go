package tensor

// Cache blocking of the packed matrix product (the BLIS loop nest): a kc×nc panel
// of B is packed once per call and shared by all workers (it lives in the shared
// last-level cache), each worker walks mc×nb blocks of C, an mc×kc block of packed
// A stays in its L2 and each kc×nr strip of B in its L1 while the micro-kernel
// sweeps down the rows.
const (
	gemmKC = 256  // depth of one packed panel
	gemmNC = 4096 // columns of B packed at once
	gemmMC = 96   // rows of A per task (rounded to the kernel's mr)
)

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

// gemm computes c[m×n] (row stride n) = a[m×kd] (row stride kd) · B + bias, where
// bias (nil or len >= n) is added to every row. It overwrites c.
func (k kernels) gemm(p *Pool, c []float32, m, n, kd int, a []float32, b *bSource, bias []float32) {
	mr, nr := k.mr, k.nr
	mStrips := (m + mr - 1) / mr
	ncMax := min(n, gemmNC)
	buf := p.getGemmBuf(mStrips*mr*min(kd, gemmKC), (ncMax+nr-1)/nr*nr*min(kd, gemmKC))
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
		for pc := 0; pc < kd; pc += gemmKC {
			kc := min(gemmKC, kd-pc)
			p.For(nStrips+mStrips, 4, func(s, e int) {
				for t := s; t < e; t++ {
					if t < nStrips {
						j0 := jc + t*nr
						k.packB(buf.b[t*kc*nr:], b, pc, kc, j0, min(nr, jc+nc-j0))
					} else {
						i0 := (t - nStrips) * mr
						k.packA(buf.a[(t-nStrips)*kc*mr:], a, kd, pc, kc, i0, min(mr, m-i0))
					}
				}
			})
			first := pc == 0
			p.For(mBlocks*nBlocks, 1, func(s, e int) {
				for t := s; t < e; t++ {
					mb, nb := t%mBlocks, t/mBlocks
					k.gemmBlock(c, n, m, jc, nc, kc, buf,
						mb*mcStrips, min(mStrips, (mb+1)*mcStrips),
						nb*nbStrips, min(nStrips, (nb+1)*nbStrips), first, bias)
				}
			})
		}
	}
}

// gemmBlock runs the micro-kernel over A strips [is0, is1) × B strips [js0, js1)
// of the current packed panels. On the first depth panel it first sets each C
// tile to the bias (or zero), since the micro-kernel accumulates.
func (k kernels) gemmBlock(c []float32, ldc, m, jc, nc, kc int, buf *gemmBuf, is0, is1, js0, js1 int, first bool, bias []float32) {
	mr, nr := k.mr, k.nr
	var edge [maxTile]float32
	for js := js0; js < js1; js++ {
		bs := buf.b[js*kc*nr : (js+1)*kc*nr]
		j0 := jc + js*nr
		cols := min(nr, jc+nc-j0)
		for is := is0; is < is1; is++ {
			as := buf.a[is*kc*mr : (is+1)*kc*mr]
			i0 := is * mr
			rows := min(mr, m-i0)
			if first {
				initRows(c, ldc, i0, i0+rows, j0, cols, bias)
			}
			k.tile(kc, as, bs, c[i0*ldc+j0:], ldc, rows, cols, &edge)
		}
	}
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

// initRows sets rows [i0, i1) × columns [j0, j0+cols) of c to the bias (or zero),
// since the micro-kernel accumulates.
func initRows(c []float32, ldc, i0, i1, j0, cols int, bias []float32) {
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j0+cols]
		if bias != nil {
			copy(row, bias[j0:j0+cols])
		} else {
			clear(row)
		}
	}
}
