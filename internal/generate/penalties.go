package generate

import "math"

// history is what the penalties look at: the distinct tokens of the prompt
// and the generated text (repetition penalty) and how often each token was
// generated (presence and frequency penalties). Maps, not vocabulary-sized
// arrays, so that an idle sequence costs its length, not the vocabulary.
type history struct {
	seen   map[int32]struct{} // nil unless the repetition penalty is on
	counts map[int32]int      // nil unless a presence or frequency penalty is on
}

// newHistory starts a history with the prompt's tokens.
func newHistory(p *SamplingParams, prompt []int32) history {
	var h history
	if p.repetition() {
		h.seen = make(map[int32]struct{}, len(prompt))
		for _, id := range prompt {
			h.seen[id] = struct{}{}
		}
	}
	if p.PresencePenalty != 0 || p.FrequencyPenalty != 0 {
		h.counts = map[int32]int{}
	}
	return h
}

// add records a generated token.
func (h *history) add(id int32) {
	if h.seen != nil {
		h.seen[id] = struct{}{}
	}
	if h.counts != nil {
		h.counts[id]++
	}
}

// applyBias adds the logit bias in place.
func applyBias(logits []float32, bias map[int32]float64) {
	for id, b := range bias {
		logits[id] = clamp32(float64(logits[id]) + b)
	}
}

// applyPenalties applies the repetition, presence and frequency penalties
// in place, in that order (vLLM's order; transformers has no presence or
// frequency penalty).
func applyPenalties(logits []float32, p *SamplingParams, h *history) {
	if h.seen != nil {
		pen := p.RepetitionPenalty
		for id := range h.seen {
			// transformers: torch.where(score < 0, score * penalty, score / penalty).
			l := float64(logits[id])
			if l < 0 {
				l *= pen
			} else {
				l /= pen
			}
			logits[id] = clamp32(l)
		}
	}
	if h.counts != nil {
		for id, n := range h.counts {
			l := float64(logits[id])
			if math.IsInf(l, -1) {
				continue // a banned token stays banned, whatever the sign of the penalties
			}
			logits[id] = clamp32(l - p.FrequencyPenalty*float64(n) - p.PresencePenalty)
		}
	}
}

// clamp32 rounds a processed logit to float32, keeping a finite value
// finite: a huge bias or a tiny repetition penalty must not turn a logit
// into +Inf, which would poison the softmax with NaN.
func clamp32(x float64) float32 {
	switch {
	case x > math.MaxFloat32:
		return math.MaxFloat32
	case x < -math.MaxFloat32 && !math.IsInf(x, -1):
		return -math.MaxFloat32
	}
	return float32(x)
}
