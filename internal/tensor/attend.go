package tensor

import "math"

// Attend computes one query's scaled dot-product attention over nk keys,
// reading keys and values in place from strided rows (a head's slice of a
// [tokens, heads·hd] activation, or a KV cache's rows):
//
//	s_j = scale · q·k_j, p = softmax(s) over the keys j with mask == nil or mask[j] != 0,
//	out = Σ_j p_j · v_j
//
// where hd = len(q), k_j = k[j*ld : j*ld+hd] and v_j likewise. Masked keys get
// probability zero; if every key is masked, out is zero (as Softmax makes a
// row of −Inf zero). scores is the caller's scratch of at least nk elements;
// out (len ≥ hd) must not alias the inputs. Arithmetic is float32 like
// MatMulT, Softmax and MatMul in sequence, up to summation order.
func Attend(out, q, k, v []float32, ld, nk int, scale float32, mask []int32, scores []float32) {
	activeKernels().attend(out, q, k, v, ld, nk, scale, mask, scores)
}

// AttendStats is Attend that also returns the softmax's statistics (see
// SoftmaxStats): the largest scaled score and Σ exp(s_j − max) over the
// unmasked keys (−Inf and 0 when there is none), so that attention over a
// split key range can be merged: each part's out weighted by
// sum·exp(max − M) over their total is attention over all the keys.
func AttendStats(out, q, k, v []float32, ld, nk int, scale float32, mask []int32, scores []float32) (maxScore, sum float32) {
	return activeKernels().attend(out, q, k, v, ld, nk, scale, mask, scores)
}

func (ks kernels) attend(out, q, k, v []float32, ld, nk int, scale float32, mask []int32, scores []float32) (maxScore, sum float32) {
	hd := len(q)
	checkLen("Attend", "out", len(out), hd)
	if nk <= 0 || hd == 0 {
		clear(out[:hd])
		return float32(math.Inf(-1)), 0
	}
	checkLen("Attend", "scores", len(scores), nk)
	checkLen("Attend", "k", len(k), (nk-1)*ld+hd)
	checkLen("Attend", "v", len(v), (nk-1)*ld+hd)
	if mask != nil {
		checkLen("Attend", "mask", len(mask), nk)
	}
	s := scores[:nk]
	ks.dotRows(s, gemvX{x: q}, &bSource{trans: true, dtype: F32, f32: k, ld: ld}, 0)
	negInf := float32(math.Inf(-1))
	for j := range s {
		if mask != nil && mask[j] == 0 {
			s[j] = negInf
		} else {
			s[j] *= scale
		}
	}
	maxScore, sum = ks.softmaxRowStats(s)
	o := out[:hd]
	clear(o)
	j := 0
	if ks.isa != isaGo {
		for ; j+4 <= nk; j += 4 {
			ks.axpy4((*[4]float32)(s[j:j+4]), v[j*ld:], ld, o)
		}
	}
	for ; j < nk; j++ {
		ks.axpy(s[j], v[j*ld:j*ld+hd], o)
	}
	return maxScore, sum
}

// AttendScratch holds AttendAll's buffers; the zero value is ready and one
// scratch serves any number of calls (not concurrent ones).
type AttendScratch struct {
	kt, vp, s, a []float32
	scores       []float32
	ts           tileScratch
}

// attendAllMax bounds the keys and the head width AttendAll runs as matrix
// products: one packed panel deep (longer sequences go query by query).
const attendAllMax = gemmKC

// AttendAll computes Attend for nq queries over the same nk keys: out_i =
// Attend(q_i, k, v) with q_i = q[i*ld : i*ld+hd] and out_i likewise (the rows
// of a head's slice of [tokens, heads·hd] activations), keys and values as in
// Attend. It runs the scores and the weighted sum as two small matrix
// products on the micro-kernel — with a dozen keys of 32 dimensions, one
// query at a time is all call overhead — and gives Attend's results up to
// summation order. out must not alias the inputs.
func AttendAll(out, q, k, v []float32, ld, hd, nq, nk int, scale float32, mask []int32, s *AttendScratch) {
	activeKernels().attendAll(out, q, k, v, ld, hd, nq, nk, scale, mask, s)
}

func (ks kernels) attendAll(out, q, k, v []float32, ld, hd, nq, nk int, scale float32, mask []int32, s *AttendScratch) {
	if nq <= 0 || hd <= 0 {
		return
	}
	checkLen("AttendAll", "q", len(q), (nq-1)*ld+hd)
	checkLen("AttendAll", "out", len(out), (nq-1)*ld+hd)
	if nk > attendAllMax || hd > attendAllMax || nk <= 0 {
		s.scores = growF32(s.scores, max(nk, 1))
		for i := range nq {
			ks.attend(out[i*ld:i*ld+hd], q[i*ld:i*ld+hd], k, v, ld, nk, scale, mask, s.scores)
		}
		return
	}
	checkLen("AttendAll", "k", len(k), (nk-1)*ld+hd)
	checkLen("AttendAll", "v", len(v), (nk-1)*ld+hd)
	if mask != nil {
		checkLen("AttendAll", "mask", len(mask), nk)
	}
	if ks.attendSmall(out, q, k, v, ld, hd, nq, nk, scale, mask, s) {
		return
	}
	mr, nr := ks.mr, ks.nr
	np := (nk + nr - 1) / nr * nr // score columns, padded to whole strips
	hp := (hd + nr - 1) / nr * nr // output columns, likewise
	// B operands: the keys as the columns of Kᵀ (depth hd), the values as
	// rows of depth nk.
	s.kt = growF32(s.kt, hd*np)
	for j := 0; j < nk; j += nr {
		ks.packB(s.kt[j*hd:], &bSource{trans: true, dtype: F32, f32: k, ld: ld}, 0, hd, j, min(nr, nk-j))
	}
	s.vp = growF32(s.vp, nk*hp)
	for d := 0; d < hd; d += nr {
		ks.packB(s.vp[d*nk:], &bSource{dtype: F32, f32: v, ld: ld}, 0, nk, d, min(nr, hd-d))
	}
	s.s = growF32(s.s, nq*np)
	s.a = growF32(s.a, max(hd, nk)*mr)
	ks.smallProduct(s.s, np, q, ld, nq, nk, hd, s.kt, s.a, &s.ts)
	negInf := float32(math.Inf(-1))
	for i := range nq {
		row := s.s[i*np : i*np+nk]
		for j := range row {
			if mask != nil && mask[j] == 0 {
				row[j] = negInf
			} else {
				row[j] *= scale
			}
		}
		ks.softmaxRow(row)
	}
	ks.smallProduct(out, ld, s.s, np, nq, hd, nk, s.vp, s.a, &s.ts)
}

// smallProduct sets c[m×n] (row stride ldc) = a[m×kc] (row stride lda) · B,
// one thread, with B packed as strips of nr columns, kc deep (zero past n),
// strip j at b[j*kc:]; kc ≤ gemmKC. as is scratch of kc·mr.
func (ks kernels) smallProduct(c []float32, ldc int, a []float32, lda, m, n, kc int, b, as []float32, ts *tileScratch) {
	mr, nr := ks.mr, ks.nr
	ap := aPanel{a: a, lda: lda, firstPacked: m + mr} // never read as packed strips by tileAt
	for i0 := 0; i0 < m; i0 += mr {
		rows := min(mr, m-i0)
		var packed []float32
		if !ks.directA() || rows < mr || (i0+mr-1)*lda+kc > len(a) {
			packed = as[:kc*mr]
			ks.packA(packed, a, lda, 0, kc, i0, rows)
		}
		for j0 := 0; j0 < n; j0 += nr {
			cols := min(nr, n-j0)
			ks.tileAt(kc, packed, ap, i0, b[j0*kc:j0*kc+kc*nr], c[i0*ldc+j0:], ldc, rows, cols, true, nil, ts)
		}
	}
}

// growF32 returns b resized to n, reallocated only when too small.
func growF32(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}
