package generate

import (
	"math"

	"hfserve/internal/tensor"
)

// expChunk is how many logits are exponentiated at a time: small enough
// for a per-sequence scratch buffer to stay in cache, large enough that the
// per-chunk overhead vanishes.
const expChunk = 4096

// weigher computes the unnormalised probabilities w = exp((l - m)/t) of a
// row of logits whose maximum is m. Exponentials dominate sampling over a
// large vocabulary, so it runs them through the tensor package's
// vectorised softmax, a chunk at a time: a chunk's softmax divided by its
// value at the chunk's own maximum is exp((l - chunkMax)/t), and one
// scalar exponential per chunk moves that to the row's maximum. Precision
// is float32's, as in transformers.
type weigher struct {
	buf    []float32 // one chunk's softmax
	chunkZ []float64 // per-chunk sums of w from the last pass
}

// total computes z = Σ w over logits, remembering each chunk's share for
// draw.
func (wg *weigher) total(logits []float32, m float32, t float64) float64 {
	z, _, _ := wg.pass(logits, m, t, math.Inf(1), true, nil)
	return z
}

// pass appends to out the tokens whose logit is at least thr, with their
// weights, and returns them, their total weight and z = Σ w over all
// logits. Without needZ, chunks whose maximum is below thr are skipped and
// z is not computed.
func (wg *weigher) pass(logits []float32, m float32, t, thr float64, needZ bool, out []cand) (z float64, _ []cand, mass float64) {
	wg.chunkZ = wg.chunkZ[:0]
	skipBelow := thr
	if needZ {
		skipBelow = math.Inf(-1)
	}
	for start := 0; start < len(logits); start += expChunk {
		part := logits[start:min(start+expChunk, len(logits))]
		scale, cm, ok := wg.chunk(part, m, t, skipBelow)
		if !ok {
			wg.chunkZ = append(wg.chunkZ, 0)
			continue
		}
		// buf sums to 1 and buf/buf[chunk max] is exp((l - chunkMax)/t).
		wg.chunkZ = append(wg.chunkZ, scale)
		z += scale
		if float64(cm) < thr {
			continue
		}
		for i, l := range part {
			if float64(l) < thr || math.IsInf(float64(l), -1) {
				continue
			}
			w := float64(wg.buf[i]) * scale
			mass += w
			out = append(out, cand{l: l, id: int32(start + i), w: w})
		}
	}
	return z, out, mass
}

// chunk fills wg.buf with the softmax of part/t and returns the factor
// that turns it into w, which is Σ_part w, and the chunk's maximum. It
// reports false, doing nothing more, for a chunk whose maximum is -Inf or
// below skipBelow.
func (wg *weigher) chunk(part []float32, m float32, t, skipBelow float64) (scale float64, cm float32, ok bool) {
	if cap(wg.buf) < expChunk {
		wg.buf = make([]float32, expChunk)
	}
	buf := wg.buf[:len(part)]
	inv := float32(1 / t)
	// One scalar pass: shift by the row maximum (so that l/t cannot
	// overflow to +Inf), scale, and find the chunk's maximum.
	xmax, arg := float32(math.Inf(-1)), -1
	for i, l := range part {
		x := (l - m) * inv
		buf[i] = x
		if x > xmax {
			xmax, arg = x, i
		}
	}
	if arg < 0 {
		return 0, float32(math.Inf(-1)), false
	}
	if cm = part[arg]; float64(cm) < skipBelow {
		return 0, cm, false
	}
	tensor.Softmax(buf, 1)
	// After the softmax the chunk maximum's entry is 1/Σ exp((l-cm)/t);
	// one float64 exponential moves the sum from cm to m.
	return math.Exp((float64(cm)-float64(m))/t) / float64(buf[arg]), cm, true
}

// draw returns the token at which the running sum of w over logits first
// exceeds target, using the chunk sums of the last pass to skip to the
// right chunk; ok is false when rounding left target beyond the total.
func (wg *weigher) draw(logits []float32, m float32, t, target float64) (id int32, ok bool) {
	acc := 0.0
	for c, cz := range wg.chunkZ {
		if cz == 0 || acc+cz <= target {
			acc += cz
			continue
		}
		start := c * expChunk
		part := logits[start:min(start+expChunk, len(logits))]
		scale, _, _ := wg.chunk(part, m, t, math.Inf(-1))
		last := int32(-1)
		for i, v := range wg.buf[:len(part)] {
			if v == 0 {
				continue
			}
			last = int32(start + i)
			if acc += float64(v) * scale; acc > target {
				return last, true
			}
		}
		if last >= 0 {
			return last, true // rounding inside the chunk: its last token
		}
	}
	return -1, false
}
