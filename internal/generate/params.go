package generate

import (
	"math"
)

// MaxTopLogprobs is the most alternatives a step can report, as in
// OpenAI's top_logprobs.
const MaxTopLogprobs = 20

// greedyTemperature is the temperature below which sampling is greedy, as
// in vLLM: dividing by a smaller one only amplifies float rounding.
const greedyTemperature = 1e-5

// SamplingParams choose how the next token is picked from the logits. The
// zero value is greedy decoding with no penalties.
//
// Processing order, per step, on the model's logits:
//
//  1. LogitBias is added (before everything, as OpenAI does).
//  2. RepetitionPenalty, over every distinct token of the prompt and the
//     generated text (transformers' RepetitionPenaltyLogitsProcessor): a
//     positive logit is divided by it, a negative one multiplied.
//  3. Presence and frequency penalties, over the generated tokens only
//     (OpenAI): logit -= PresencePenalty*(count>0) + FrequencyPenalty*count.
//  4. Greedy (Temperature 0): the argmax, the lowest id among equal maxima.
//     Otherwise, as transformers' warpers: divide by Temperature, keep the
//     TopK best (ties with the k-th kept), keep the smallest prefix of the
//     best tokens whose probability reaches TopP (renormalised over what
//     top-k kept), drop tokens whose probability is below MinP times the
//     best one's, and draw from what is left. The best token always stays.
type SamplingParams struct {
	// Temperature divides the logits; 0 (anything below 1e-5) means greedy.
	// OpenAI's default is 1: an API layer sets it, and maps TGI's
	// do_sample=false to 0.
	Temperature float64
	// TopK keeps the k most likely tokens; 0 disables it.
	TopK int
	// TopP is the nucleus mass in (0, 1); 0 and 1 disable it. (An API that
	// allows an explicit top_p of 0 should send TopK 1 instead.)
	TopP float64
	// MinP in (0, 1] drops tokens less likely than MinP times the best
	// token; 0 disables it.
	MinP float64
	// RepetitionPenalty above 1 discourages repeats, below 1 encourages
	// them; 0 and 1 disable it.
	RepetitionPenalty float64
	// PresencePenalty and FrequencyPenalty are OpenAI's, usually in [-2, 2].
	PresencePenalty, FrequencyPenalty float64
	// LogitBias adds a value to a token's logit; -Inf bans the token.
	LogitBias map[int32]float64
	// Seed makes sampling reproducible; nil draws one from crypto/rand
	// (reported by Sampler.Seed so a client can replay the request).
	Seed *uint64
}

// LogprobRequest says which log-probabilities a step reports.
type LogprobRequest struct {
	// Enabled reports the chosen token's logprob.
	Enabled bool
	// TopN also reports the TopN most likely tokens (at most
	// MaxTopLogprobs), best first, ties by lower id. It implies Enabled.
	TopN int
	// Raw reports log_softmax of the model's own logits (vLLM's default).
	// Otherwise the logprobs are those of the distribution the token was
	// drawn from, after bias, penalties, temperature and top-k/top-p/min-p
	// (TGI's behaviour; greedy decoding uses temperature 1 and no
	// filtering). Tokens filtered out have probability 0 and are never
	// listed, so TopN may return fewer entries.
	Raw bool
}

// enabled reports whether any logprob is wanted.
func (r LogprobRequest) enabled() bool { return r.Enabled || r.TopN > 0 }

// greedy reports whether p picks the argmax.
func (p *SamplingParams) greedy() bool { return p.Temperature < greedyTemperature }

// topK is the effective top-k for a vocabulary: 0 when it keeps everything.
func (p *SamplingParams) topK(vocab int) int {
	if p.TopK >= vocab {
		return 0
	}
	return p.TopK
}

// topP reports whether nucleus filtering is on.
func (p *SamplingParams) topP() bool { return p.TopP > 0 && p.TopP < 1 }

// repetition reports whether the repetition penalty is on.
func (p *SamplingParams) repetition() bool {
	return p.RepetitionPenalty != 0 && p.RepetitionPenalty != 1
}

// validate checks p for a vocabulary of vocab tokens.
func (p *SamplingParams) validate(vocab int) error {
	switch {
	case !finite(p.Temperature) || p.Temperature < 0:
		return paramErr("temperature", "%v must be a number >= 0", p.Temperature)
	case p.TopK < 0:
		return paramErr("top_k", "%d must be >= 0 (0 disables it)", p.TopK)
	case !finite(p.TopP) || p.TopP < 0 || p.TopP > 1:
		return paramErr("top_p", "%v must be in [0, 1]", p.TopP)
	case !finite(p.MinP) || p.MinP < 0 || p.MinP > 1:
		return paramErr("min_p", "%v must be in [0, 1]", p.MinP)
	case !finite(p.RepetitionPenalty) || p.RepetitionPenalty < 0:
		return paramErr("repetition_penalty", "%v must be > 0 (0 or 1 disables it)", p.RepetitionPenalty)
	case !finite(p.PresencePenalty):
		return paramErr("presence_penalty", "%v is not a finite number", p.PresencePenalty)
	case !finite(p.FrequencyPenalty):
		return paramErr("frequency_penalty", "%v is not a finite number", p.FrequencyPenalty)
	}
	for id, b := range p.LogitBias {
		if id < 0 || int(id) >= vocab {
			return paramErr("logit_bias", "token id %d is outside the vocabulary [0, %d)", id, vocab)
		}
		if math.IsNaN(b) || math.IsInf(b, 1) {
			return paramErr("logit_bias", "bias %v of token %d must be a finite number or -Inf", b, id)
		}
	}
	return nil
}

// validate checks r.
func (r LogprobRequest) validate() error {
	if r.TopN < 0 || r.TopN > MaxTopLogprobs {
		return paramErr("top_logprobs", "%d must be in [0, %d]", r.TopN, MaxTopLogprobs)
	}
	return nil
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
