package tensor

// gemmStreamMaxRows is the largest row count served by gemmStream. With few rows
// of A, packing B is not amortised over many A strips, so it is better done by
// each worker for its own columns, strip by strip, with no shared panel and no
// barrier between packing and computing.
const gemmStreamMaxRows = 256

// maxNR bounds nr over all kernel sets (sizes the per-worker B strip buffer).
const maxNR = 32

// gemmStream computes c[m×n] = a[m×kd] · B + bias like gemm, for small m. A is
// packed once, whole and shared; then each task packs one kc×nr strip of B at a
// time into a buffer on its stack (it stays in L1) and sweeps all its A strips
// across it. Tasks split the columns of B, and also the rows of A when B has too
// few column strips to keep every worker busy.
func (k kernels) gemmStream(p *Pool, c []float32, m, n, kd int, a []float32, b *bSource, bias []float32) {
	mr, nr := k.mr, k.nr
	mStrips := (m + mr - 1) / mr
	nStrips := (n + nr - 1) / nr
	kcMax := k.panelDepth(kd)
	kBlocks := (kd + kcMax - 1) / kcMax
	firstPacked := k.firstPackedStrip(m, kd)
	np := mStrips - firstPacked // packed strips
	var buf *gemmBuf
	if np > 0 {
		buf = p.getGemmBuf(np*mr*kd, 0)
		defer p.putGemmBuf(buf)
		// Packed A: depth block by depth block, each holding the packed
		// strips; block kb starts at kb·kcMax·np·mr.
		p.For(kBlocks*np, 4, func(s, e int) {
			for t := s; t < e; t++ {
				pc, q := t/np*kcMax, t%np
				kc := min(kcMax, kd-pc)
				i0 := (firstPacked + q) * mr
				k.packA(buf.a[pc*np*mr+q*kc*mr:], a, kd, pc, kc, i0, min(mr, m-i0))
			}
		})
	}

	mBlocks := 1
	if w := p.Workers(); nStrips < 4*w {
		mBlocks = min(mStrips, (4*w+nStrips-1)/nStrips)
	}
	perBlock := (mStrips + mBlocks - 1) / mBlocks
	mBlocks = (mStrips + perBlock - 1) / perBlock
	p.For(nStrips*mBlocks, 1, func(s, e int) {
		var strip [gemmKC * maxNR]float32
		var ts tileScratch
		for t := s; t < e; t++ {
			js, mb := t/mBlocks, t%mBlocks
			j0 := js * nr
			cols := min(nr, n-j0)
			var bj []float32
			if bias != nil {
				bj = bias[j0:]
			}
			is0, is1 := mb*perBlock, min(mStrips, (mb+1)*perBlock)
			for pc := 0; pc < kd; pc += kcMax {
				kc := min(kcMax, kd-pc)
				bs := strip[:kc*nr]
				k.packB(bs, b, pc, kc, j0, cols)
				ap := aPanel{a: a, lda: kd, pc: pc, firstPacked: firstPacked}
				for is := is0; is < is1; is++ {
					i0 := is * mr
					var as []float32
					if q := is - firstPacked; q >= 0 {
						as = buf.a[pc*np*mr+q*kc*mr : pc*np*mr+(q+1)*kc*mr]
					}
					k.tileAt(kc, as, ap, i0, bs, c[i0*n+j0:], n, min(mr, m-i0), cols, pc == 0, bj, &ts)
				}
			}
		}
	})
}
