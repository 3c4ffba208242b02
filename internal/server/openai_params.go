package server

import (
	"math"
	"strconv"

	"hfserve/internal/generate"
)

// OpenAI's limits on the shared generation fields.
const (
	openAIMaxN             = 128
	openAIMaxStop          = 4
	openAIMaxLogitBias     = 100.0
	openAIMaxCompletionLPs = 5 // legacy completions' logprobs
)

// openAISampling holds the generation fields chat completions and
// completions share, as the client sent them.
type openAISampling struct {
	maxTokens        *int
	maxTokensParam   string
	defaultMaxTokens int // 0: as many as the context has room for
	temperature      *float64
	topP             *float64
	n                *int
	stop             []string
	seed             *int64
	presencePenalty  *float64
	frequencyPenalty *float64
	logitBias        map[string]float64
	ignoreEOS        bool
}

// params validates the fields and maps them onto generate.Params with
// OpenAI's defaults (temperature 1, top_p 1, no penalties) written out, so
// the model's generation_config.json does not apply. It returns the
// number of choices too.
func (o openAISampling) params() (generate.Params, int, error) {
	var p generate.Params
	n := 1
	if o.n != nil {
		if *o.n < 1 || *o.n > openAIMaxN {
			return p, 0, inputError("n", "must be between 1 and %d, got %d", openAIMaxN, *o.n)
		}
		n = *o.n
	}
	p.MaxTokens = o.defaultMaxTokens
	p.IgnoreEOS = o.ignoreEOS
	if o.maxTokens != nil {
		if *o.maxTokens < 1 {
			return p, 0, inputError(o.maxTokensParam, "must be at least 1, got %d", *o.maxTokens)
		}
		p.MaxTokens = *o.maxTokens
	}
	s := &p.Sampling
	s.Temperature, s.TopP = 1, 1
	if o.temperature != nil {
		if t := *o.temperature; !(t >= 0 && t <= 2) {
			return p, 0, inputError("temperature", "must be between 0 and 2, got %g", t)
		}
		s.Temperature = *o.temperature
	}
	if o.topP != nil {
		if tp := *o.topP; !(tp >= 0 && tp <= 1) {
			return p, 0, inputError("top_p", "must be between 0 and 1, got %g", tp)
		}
		s.TopP = *o.topP
		if s.TopP == 0 {
			// The nucleus of mass 0 is the most likely token alone;
			// generate reads TopP 0 as "off".
			s.TopP, s.TopK = 0, 1
		}
	}
	for _, pen := range []struct {
		name string
		v    *float64
		dst  *float64
	}{{"presence_penalty", o.presencePenalty, &s.PresencePenalty}, {"frequency_penalty", o.frequencyPenalty, &s.FrequencyPenalty}} {
		if pen.v == nil {
			continue
		}
		if !(*pen.v >= -2 && *pen.v <= 2) {
			return p, 0, inputError(pen.name, "must be between -2 and 2, got %g", *pen.v)
		}
		*pen.dst = *pen.v
	}
	if len(o.stop) > openAIMaxStop {
		return p, 0, inputError("stop", "at most %d stop sequences are allowed, got %d", openAIMaxStop, len(o.stop))
	}
	for i, st := range o.stop {
		if st == "" {
			return p, 0, inputError("stop", "stop sequence %d is empty", i)
		}
	}
	p.StopStrings = o.stop
	if o.seed != nil {
		// OpenAI seeds are signed; the sampler's are not. Any fixed
		// mapping keeps requests reproducible.
		seed := uint64(*o.seed)
		s.Seed = &seed
	}
	bias, err := logitBias(o.logitBias)
	if err != nil {
		return p, 0, err
	}
	s.LogitBias = bias
	return p, n, nil
}

// logitBias maps OpenAI's logit_bias (token id strings to [-100, 100])
// onto the sampler's; -100 bans the token, as OpenAI documents.
func logitBias(in map[string]float64) (map[int32]float64, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[int32]float64, len(in))
	for k, v := range in {
		id, err := strconv.ParseInt(k, 10, 32)
		if err != nil || id < 0 {
			return nil, inputError("logit_bias", "key %q is not a token id", k)
		}
		if !(v >= -openAIMaxLogitBias && v <= openAIMaxLogitBias) {
			return nil, inputError("logit_bias", "bias for token %s must be between -100 and 100, got %g", k, v)
		}
		if v == -openAIMaxLogitBias {
			v = math.Inf(-1)
		}
		out[int32(id)] = v
	}
	return out, nil
}

// finiteLogprob keeps a logprob encodable: JSON has no -Inf, and OpenAI
// reports "practically impossible" as -9999.
func finiteLogprob(lp float32) float32 {
	if math.IsInf(float64(lp), -1) || lp < -9999 {
		return -9999
	}
	if math.IsNaN(float64(lp)) {
		return -9999
	}
	return lp
}

// utf8Bytes is OpenAI's "bytes" of a token: its UTF-8 bytes as integers.
func utf8Bytes(s string) []int {
	out := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = int(s[i])
	}
	return out
}
