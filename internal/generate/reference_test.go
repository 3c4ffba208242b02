package generate

import (
	"math"
	"sort"
)

// This file is an independent reference for the sampling filters: a
// literal transcription of transformers' warpers (TemperatureLogitsWarper,
// TopKLogitsWarper, TopPLogitsWarper, MinPLogitsWarper, min_tokens_to_keep
// = 1) that sorts the whole vocabulary, as they do. The sampler must give
// the same distribution without sorting.

// refSoftmax is softmax in float64, with -Inf giving 0.
func refSoftmax(s []float64) []float64 {
	m := math.Inf(-1)
	for _, x := range s {
		m = math.Max(m, x)
	}
	out := make([]float64, len(s))
	z := 0.0
	for i, x := range s {
		out[i] = math.Exp(x - m)
		z += out[i]
	}
	for i := range out {
		out[i] /= z
	}
	return out
}

// refProbs is the distribution transformers samples from, given logits
// after bias and penalties.
func refProbs(logits []float32, p SamplingParams) []float64 {
	probs, _ := refProbsAmbiguous(logits, p)
	return probs
}

// refProbsAmbiguous is refProbs, also reporting whether a top-p or min-p
// comparison was too close to call: there float rounding, not the rule,
// decides, and two correct implementations may differ.
func refProbsAmbiguous(logits []float32, p SamplingParams) ([]float64, bool) {
	const closeCall = 1e-5
	ambiguous := false
	n := len(logits)
	s := make([]float64, n)
	for i, l := range logits {
		s[i] = float64(l)
	}
	if p.Temperature < 1e-5 { // greedy: torch.argmax returns the first maximum
		best := 0
		for i := range s {
			if s[i] > s[best] {
				best = i
			}
		}
		out := make([]float64, n)
		out[best] = 1
		return out, false
	}
	for i := range s {
		s[i] /= p.Temperature
	}
	// TopKLogitsWarper: indices_to_remove = scores < topk(scores, k)[-1].
	if k := p.TopK; k > 0 && k < n {
		sorted := append([]float64(nil), s...)
		sort.Sort(sort.Reverse(sort.Float64Slice(sorted)))
		kth := sorted[k-1]
		for i := range s {
			if s[i] < kth {
				s[i] = math.Inf(-1)
			}
		}
	}
	// TopPLogitsWarper: sort ascending, cumulative softmax, remove where
	// cumsum <= 1 - top_p, always keep the last (best). Among equal scores
	// the higher id counts as worse, the sampler's tie rule.
	if p.TopP > 0 && p.TopP < 1 {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool {
			if s[idx[a]] != s[idx[b]] {
				return s[idx[a]] < s[idx[b]]
			}
			return idx[a] > idx[b]
		})
		probs := refSoftmax(s)
		cum := 0.0
		remove := make([]bool, n)
		for j, i := range idx {
			cum += probs[i]
			remove[j] = cum <= 1-p.TopP
			ambiguous = ambiguous || math.Abs(cum-(1-p.TopP)) < closeCall
		}
		remove[n-1] = false
		for j, i := range idx {
			if remove[j] {
				s[i] = math.Inf(-1)
			}
		}
	}
	// MinPLogitsWarper: remove probs < min_p * max(probs), keep the best.
	if p.MinP > 0 {
		probs := refSoftmax(s)
		top := 0.0
		for _, q := range probs {
			top = math.Max(top, q)
		}
		for i, q := range probs {
			if q < p.MinP*top {
				s[i] = math.Inf(-1)
			}
			ambiguous = ambiguous || (q > 0 && math.Abs(q-p.MinP*top) < closeCall*top)
		}
	}
	return refSoftmax(s), ambiguous
}
