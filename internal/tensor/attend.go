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

func (ks kernels) attend(out, q, k, v []float32, ld, nk int, scale float32, mask []int32, scores []float32) {
	hd := len(q)
	checkLen("Attend", "out", len(out), hd)
	if nk <= 0 || hd == 0 {
		clear(out[:hd])
		return
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
	ks.softmaxRow(s)
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
}
