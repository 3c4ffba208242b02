package generate

import "math"

// cand is a candidate token during filtering.
type cand struct {
	l  float32 // processed logit, before temperature
	id int32
	w  float64 // exp((l - max)/T): its probability up to normalisation
}

// better orders candidates best first: higher logit, then lower id, so
// that ties resolve the same way every time.
func better(a, b cand) bool { return a.l > b.l || (a.l == b.l && a.id < b.id) }

// thresholdLevels returns the relative weights exp((l-max)/T) below which
// top-p first leaves tokens out of its candidates, loosest last. Real
// next-token distributions put almost all their mass on a few hundred
// tokens, so the first level usually suffices and the filter works on a
// handful of candidates instead of the vocabulary.
func thresholdLevels() [3]float64 { return [...]float64{1e-4, 1e-10, 1e-20} }

// sampleFiltered draws with top-k, top-p and min-p.
func (s *Sampler) sampleFiltered(logits []float32, m float32, lp LogprobRequest) Choice {
	t, mf := s.p.Temperature, float64(m)
	kept, sum := s.filter(logits, m)
	target := s.rng.Float64() * sum
	chosen, acc := kept[len(kept)-1], 0.0
	for _, c := range kept {
		if acc += c.w; acc > target {
			chosen = c
			break
		}
	}
	ch := Choice{ID: chosen.id}
	if lp.enabled() {
		logZ := math.Log(sum)
		ch.Logprob = logprob32((float64(chosen.l)-mf)/t - logZ)
		if lp.TopN > 0 {
			s.best = s.best[:0]
			for _, c := range kept {
				s.best = insertBest(s.best, c, lp.TopN)
			}
			ch.TopLogprobs = logprobList(s.best, mf, t, logZ)
		}
	}
	return ch
}

// filter returns the tokens that top-k, top-p and min-p keep, in no
// particular order, with their total weight; m is the largest logit. Each
// filter keeps a prefix of the tokens sorted best first, so none needs the
// sort: gather the tokens above a weight threshold low enough to hold the
// answer, then find each prefix's end by quickselect, in linear time.
func (s *Sampler) filter(logits []float32, m float32) ([]cand, float64) {
	t, mf := s.p.Temperature, float64(m)
	k, topP, minP := s.topK, s.p.topP(), s.p.MinP
	// transformers renormalises top-p over what top-k kept, so with both
	// the top-k set must be complete to know its mass.
	needZk := k > 0 && topP
	minPThr := math.Inf(-1)
	if minP > 0 {
		minPThr = mf + t*math.Log(minP)
	}
	// The candidates are the tokens above a logit threshold that must
	// hold every token the filters keep. Top-k and min-p know theirs
	// exactly; top-p alone needs the total mass, so it starts high and
	// loosens until the candidates hold p of it.
	var thr float64
	switch {
	case k > 0:
		var kth float32
		kth, s.heap = kthLargest(logits, k, s.heap[:0])
		thr = float64(kth)
		if !needZk {
			thr = max(thr, minPThr)
		}
	case minP > 0:
		thr = minPThr
	case topP:
		thr = mf + t*math.Log(thresholdLevels()[0])
	default:
		thr = math.Inf(-1) // no filter: everything
	}
	var z float64
	for {
		var mass float64
		// Only top-p over the whole vocabulary needs its total weight;
		// otherwise chunks with no candidate are skipped.
		z, s.cands, mass = s.wg.pass(logits, m, t, thr, topP && !needZk, s.cands[:0])
		if k > 0 || minP > 0 || math.IsInf(thr, -1) || mass >= s.p.TopP*z {
			break
		}
		thr = lowerThreshold(thr, mf, t)
	}

	c := s.cands
	if k > 0 {
		c = c[:selectTopK(c, k)]
	}
	if topP {
		total := z
		if needZk {
			total = weightOf(c)
		}
		c = c[:selectMass(c, s.p.TopP*total)]
	}
	c = dropBelow(c, minPThr)
	return c, weightOf(c)
}

// lowerThreshold returns the next looser logit threshold below thr.
func lowerThreshold(thr, m, t float64) float64 {
	for _, lvl := range thresholdLevels() {
		if next := m + t*math.Log(lvl); next < thr {
			return next
		}
	}
	return math.Inf(-1)
}

// kthLargest returns the k-th largest finite logit (-Inf when fewer are
// finite), using heap as scratch: a min-heap of the k best so far, whose
// root most logits fail to beat, so the pass is mostly comparisons.
func kthLargest(logits []float32, k int, heap []float32) (float32, []float32) {
	for _, l := range logits {
		switch {
		case math.IsInf(float64(l), -1):
		case len(heap) < k:
			heap = append(heap, l)
			for i := len(heap) - 1; i > 0; {
				parent := (i - 1) / 2
				if heap[parent] <= heap[i] {
					break
				}
				heap[parent], heap[i] = heap[i], heap[parent]
				i = parent
			}
		case l > heap[0]:
			heap[0] = l
			for i := 0; ; {
				least, left := i, 2*i+1
				if left < k && heap[left] < heap[least] {
					least = left
				}
				if right := left + 1; right < k && heap[right] < heap[least] {
					least = right
				}
				if least == i {
					break
				}
				heap[i], heap[least] = heap[least], heap[i]
				i = least
			}
		}
	}
	if len(heap) < k {
		return float32(math.Inf(-1)), heap
	}
	return heap[0], heap
}

// weightOf is the total weight of cs.
func weightOf(cs []cand) float64 {
	sum := 0.0
	for _, c := range cs {
		sum += c.w
	}
	return sum
}

// selectTopK moves the k best candidates, and any tied with the k-th (as
// transformers keeps them), to the front and returns how many there are.
func selectTopK(c []cand, k int) int {
	if len(c) <= k {
		return len(c)
	}
	nthElement(c, k-1)
	kth, r := c[k-1].l, k
	for i := k; i < len(c); i++ {
		if c[i].l == kth {
			c[r], c[i] = c[i], c[r]
			r++
		}
	}
	return r
}

// selectMass moves to the front the candidates that top-p keeps (those
// with less than target weight strictly better than them: transformers'
// rule, dropping tokens whose ascending cumulative probability is at most
// 1-p, read from the top) and returns how many there are. With target > 0
// the best always stays.
func selectMass(c []cand, target float64) int {
	// c[:lo] are kept with total weight before, c[hi:] are not, c[lo:hi]
	// are undecided.
	lo, hi, before := 0, len(c), 0.0
	for lo < hi {
		p := lo + partition(c[lo:hi])
		ahead := weightOf(c[lo:p])
		if before+ahead < target {
			before += ahead + c[p].w
			lo = p + 1
		} else {
			hi = p
		}
	}
	return lo
}

// dropBelow removes the candidates whose logit is below thr (min-p).
func dropBelow(c []cand, thr float64) []cand {
	out := c[:0]
	for _, x := range c {
		if float64(x.l) >= thr {
			out = append(out, x)
		}
	}
	return out
}

// nthElement reorders c so that c[n] is the candidate of rank n (best
// first), with better ones before it and worse ones after.
func nthElement(c []cand, n int) {
	lo, hi := 0, len(c)
	for hi-lo > 1 {
		p := lo + partition(c[lo:hi])
		switch {
		case p == n:
			return
		case n < p:
			hi = p
		default:
			lo = p + 1
		}
	}
}

// partition puts a pivot (the median of the first, middle and last
// candidates) in its final place and returns its index: better candidates
// before it, worse after.
func partition(c []cand) int {
	last, mid := len(c)-1, len(c)/2
	if better(c[mid], c[0]) {
		c[mid], c[0] = c[0], c[mid]
	}
	if better(c[last], c[0]) {
		c[last], c[0] = c[0], c[last]
	}
	if better(c[last], c[mid]) {
		c[last], c[mid] = c[mid], c[last]
	}
	// Now c[0] >= c[mid] >= c[last] in rank order: the median is c[mid].
	c[mid], c[last] = c[last], c[mid]
	pivot, i := c[last], 0
	for j := range last {
		if better(c[j], pivot) {
			c[i], c[j] = c[j], c[i]
			i++
		}
	}
	c[i], c[last] = c[last], c[i]
	return i
}

// bestN returns the n best tokens with a finite logit, best first, in buf.
// One pass with insertion into a short sorted list: O(vocab) for the small
// n that logprobs allow.
func bestN(logits []float32, n int, buf []cand) []cand {
	buf = buf[:0]
	for i, l := range logits {
		// Most logits lose to the current n-th at once: test that first.
		if len(buf) == n && l < buf[n-1].l || math.IsInf(float64(l), -1) {
			continue
		}
		buf = insertBest(buf, cand{l: l, id: int32(i)}, n)
	}
	return buf
}

// insertBest inserts c into buf, sorted best first and at most n long.
func insertBest(buf []cand, c cand, n int) []cand {
	if len(buf) == n && !better(c, buf[n-1]) {
		return buf
	}
	if len(buf) < n {
		buf = append(buf, c)
	} else {
		buf[n-1] = c
	}
	for j := len(buf) - 1; j > 0 && better(buf[j], buf[j-1]); j-- {
		buf[j], buf[j-1] = buf[j-1], buf[j]
	}
	return buf
}
