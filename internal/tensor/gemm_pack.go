package tensor

// bSource is the B operand of c = a·b, in one of the two layouts the engine uses.
type bSource struct {
	// trans: B is stored transposed, [n, k] row-major — nn.Linear weights
	// [out, in] and MatMulT's keys. Otherwise B is [k, n] row-major.
	trans bool
	dtype DType
	f32   []float32
	u16   []uint16
	ld    int // elements between consecutive stored rows
}

// packB writes the strip of B holding columns [j0, j0+cols) and depths
// [p0, p0+kc) into dst as kc steps of nr values (dst[kk*nr+c]); columns past cols
// are zero so the micro-kernel can always run a full tile.
func (k kernels) packB(dst []float32, b *bSource, p0, kc, j0, cols int) {
	nr := k.nr
	dst = dst[:kc*nr]
	if !b.trans { // rows of B are contiguous along n: copy row segments
		for kk := range kc {
			row := dst[kk*nr : kk*nr+nr]
			copy(row, b.f32[(p0+kk)*b.ld+j0:(p0+kk)*b.ld+j0+cols])
			clear(row[cols:])
		}
		return
	}
	if k.packBTrans(dst, b, p0, kc, j0, cols) {
		return
	}
	for c := range cols {
		off := (j0+c)*b.ld + p0
		switch b.dtype {
		case F32:
			src := b.f32[off : off+kc]
			for kk, v := range src {
				dst[kk*nr+c] = v
			}
		case BF16:
			src := b.u16[off : off+kc]
			for kk, h := range src {
				dst[kk*nr+c] = bf16ToF32(h)
			}
		case F16:
			src := b.u16[off : off+kc]
			for kk, h := range src {
				dst[kk*nr+c] = f16ToF32(h)
			}
		}
	}
	for c := cols; c < nr; c++ {
		for kk := range kc {
			dst[kk*nr+c] = 0
		}
	}
}

// packA writes rows [i0, i0+rows) and depths [p0, p0+kc) of a (row stride lda)
// into dst as kc steps of mr values (dst[kk*mr+r]), zero-padding missing rows.
func (k kernels) packA(dst, a []float32, lda, p0, kc, i0, rows int) {
	mr := k.mr
	dst = dst[:kc*mr]
	if mr == 6 && rows == 6 { // the AVX2 strip: six sequential reads, one sequential write
		r0 := a[i0*lda+p0 : i0*lda+p0+kc]
		r1 := a[(i0+1)*lda+p0 : (i0+1)*lda+p0+kc]
		r2 := a[(i0+2)*lda+p0 : (i0+2)*lda+p0+kc]
		r3 := a[(i0+3)*lda+p0 : (i0+3)*lda+p0+kc]
		r4 := a[(i0+4)*lda+p0 : (i0+4)*lda+p0+kc]
		r5 := a[(i0+5)*lda+p0 : (i0+5)*lda+p0+kc]
		for kk := range kc {
			d := dst[kk*6 : kk*6+6 : kk*6+6]
			d[0], d[1], d[2], d[3], d[4], d[5] = r0[kk], r1[kk], r2[kk], r3[kk], r4[kk], r5[kk]
		}
		return
	}
	if mr == 12 && rows == 12 { // the AVX-512 strip, likewise
		r0 := a[i0*lda+p0 : i0*lda+p0+kc]
		r1 := a[(i0+1)*lda+p0 : (i0+1)*lda+p0+kc]
		r2 := a[(i0+2)*lda+p0 : (i0+2)*lda+p0+kc]
		r3 := a[(i0+3)*lda+p0 : (i0+3)*lda+p0+kc]
		r4 := a[(i0+4)*lda+p0 : (i0+4)*lda+p0+kc]
		r5 := a[(i0+5)*lda+p0 : (i0+5)*lda+p0+kc]
		r6 := a[(i0+6)*lda+p0 : (i0+6)*lda+p0+kc]
		r7 := a[(i0+7)*lda+p0 : (i0+7)*lda+p0+kc]
		r8 := a[(i0+8)*lda+p0 : (i0+8)*lda+p0+kc]
		r9 := a[(i0+9)*lda+p0 : (i0+9)*lda+p0+kc]
		r10 := a[(i0+10)*lda+p0 : (i0+10)*lda+p0+kc]
		r11 := a[(i0+11)*lda+p0 : (i0+11)*lda+p0+kc]
		for kk := range kc {
			d := dst[kk*12 : kk*12+12 : kk*12+12]
			d[0], d[1], d[2], d[3], d[4], d[5] = r0[kk], r1[kk], r2[kk], r3[kk], r4[kk], r5[kk]
			d[6], d[7], d[8], d[9], d[10], d[11] = r6[kk], r7[kk], r8[kk], r9[kk], r10[kk], r11[kk]
		}
		return
	}
	for r := range rows {
		src := a[(i0+r)*lda+p0 : (i0+r)*lda+p0+kc]
		for kk, v := range src {
			dst[kk*mr+r] = v
		}
	}
	for r := rows; r < mr; r++ {
		for kk := range kc {
			dst[kk*mr+r] = 0
		}
	}
}
