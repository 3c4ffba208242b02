package generate

import (
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
)

// Sampler picks each next token of one sequence according to its
// SamplingParams, remembering the tokens it picked for the penalties. It is
// not safe for concurrent use; a sequence owns one.
type Sampler struct {
	p     SamplingParams
	vocab int
	topK  int // effective: 0 when it would keep the whole vocabulary
	seed  uint64
	rng   *rand.Rand
	hist  history

	// Scratch reused from step to step.
	wg          weigher
	cands, best []cand
	heap        []float32
	raw         []float32
}

// Choice is one sampled token with the log-probabilities asked for.
type Choice struct {
	// ID is the chosen token.
	ID int32
	// Logprob is the chosen token's log-probability (0 unless asked for).
	Logprob float32
	// TopLogprobs are the most likely tokens, best first (nil unless asked
	// for).
	TopLogprobs []TokenLogprob
}

// TokenLogprob is a token and its log-probability.
type TokenLogprob struct {
	ID      int32
	Logprob float32
}

// NewSampler returns a sampler for a model with a vocabulary of vocab
// tokens, after a prompt (which the repetition penalty counts). Invalid
// parameters are a *ParamError.
func NewSampler(p SamplingParams, vocab int, prompt []int32) (*Sampler, error) {
	if vocab <= 0 {
		return nil, fmt.Errorf("generate: sampler for a vocabulary of %d tokens: %w", vocab, ErrInvalidParams)
	}
	if err := p.validate(vocab); err != nil {
		return nil, err
	}
	for i, id := range prompt {
		if id < 0 || int(id) >= vocab {
			return nil, paramErr("prompt", "token %d is id %d, outside the vocabulary [0, %d)", i, id, vocab)
		}
	}
	s := &Sampler{p: p, vocab: vocab, topK: p.topK(vocab), hist: newHistory(&p, prompt)}
	if p.Seed != nil {
		s.seed = *p.Seed
	} else {
		var b [8]byte
		_, _ = crand.Read(b[:]) // never fails on supported platforms (Go 1.24+)
		s.seed = binary.LittleEndian.Uint64(b[:])
	}
	// The stream for a seed is part of the API (a client replays a request
	// with it), so its construction must never change.
	s.rng = rand.New(rand.NewPCG(s.seed, 0))
	return s, nil
}

// Seed is the seed of the sampler's random stream: the request's, or the
// one drawn for it.
func (s *Sampler) Seed() uint64 { return s.seed }

// Sample picks the next token from one row of next-token logits and
// records it for the penalties. It uses logits as scratch space: their
// values are changed. Greedy steps draw no random number, so a sequence's
// draws depend only on its seed and its sampled steps.
func (s *Sampler) Sample(logits []float32, lp LogprobRequest) (Choice, error) {
	if len(logits) != s.vocab {
		return Choice{}, fmt.Errorf("generate: %d logits for a vocabulary of %d: %w", len(logits), s.vocab, ErrBadLogits)
	}
	if err := lp.validate(); err != nil {
		return Choice{}, err
	}
	wantRaw := lp.enabled() && lp.Raw
	if wantRaw {
		s.raw = append(s.raw[:0], logits...)
	}
	applyBias(logits, s.p.LogitBias)
	applyPenalties(logits, &s.p, &s.hist)
	m, arg, err := argmax(logits)
	if err != nil {
		return Choice{}, err
	}
	processed := lp
	if wantRaw {
		processed = LogprobRequest{}
	}
	var ch Choice
	switch {
	case s.p.greedy():
		ch.ID = arg
		if processed.enabled() {
			s.fullLogprobs(&ch, logits, m, 1, processed.TopN)
		}
	case s.topK == 0 && !s.p.topP() && s.p.MinP == 0:
		ch = s.sampleAll(logits, m, arg, processed)
	default:
		ch = s.sampleFiltered(logits, m, processed)
	}
	if wantRaw {
		rm, _, err := argmax(s.raw)
		if err != nil {
			return Choice{}, fmt.Errorf("generate: raw logprobs: %w", err)
		}
		s.fullLogprobs(&ch, s.raw, rm, 1, lp.TopN)
	}
	s.hist.add(ch.ID)
	return ch, nil
}

// argmax returns the largest logit and its lowest index. NaN and +Inf are
// the model's fault (ErrBadLogits); all -Inf leaves nothing to pick.
func argmax(logits []float32) (float32, int32, error) {
	m, arg := float32(math.Inf(-1)), int32(-1)
	for i, l := range logits {
		if l > m {
			m, arg = l, int32(i)
		} else if l != l {
			return 0, 0, fmt.Errorf("generate: logit %d is NaN: %w", i, ErrBadLogits)
		}
	}
	switch {
	case arg < 0:
		return 0, 0, ErrNoCandidates
	case math.IsInf(float64(m), 1):
		return 0, 0, fmt.Errorf("generate: logit %d is +Inf: %w", arg, ErrBadLogits)
	}
	return m, arg, nil
}

// sampleAll draws from softmax(logits/T) over the whole vocabulary: with no
// filter there is nothing to sort, only one pass to normalise and part of
// one to draw.
func (s *Sampler) sampleAll(logits []float32, m float32, arg int32, lp LogprobRequest) Choice {
	t, mf := s.p.Temperature, float64(m)
	z := s.wg.total(logits, m, t)
	chosen, ok := s.wg.draw(logits, m, t, s.rng.Float64()*z)
	if !ok {
		chosen = arg // float rounding put the draw past the total: p ~ 1e-7
	}
	ch := Choice{ID: chosen}
	if lp.enabled() {
		logZ := math.Log(z)
		ch.Logprob = logprob32((float64(logits[chosen])-mf)/t - logZ)
		if lp.TopN > 0 {
			s.best = bestN(logits, lp.TopN, s.best)
			ch.TopLogprobs = logprobList(s.best, mf, t, logZ)
		}
	}
	return ch
}

// fullLogprobs fills ch's logprobs from log_softmax(logits/t) over the
// whole vocabulary, whose maximum is m.
func (s *Sampler) fullLogprobs(ch *Choice, logits []float32, m float32, t float64, topN int) {
	mf := float64(m)
	z := s.wg.total(logits, m, t)
	logZ := math.Log(z)
	ch.Logprob = logprob32((float64(logits[ch.ID])-mf)/t - logZ)
	ch.TopLogprobs = nil
	if topN > 0 {
		s.best = bestN(logits, topN, s.best)
		ch.TopLogprobs = logprobList(s.best, mf, t, logZ)
	}
}

// logprobList turns candidates into logprobs under log_softmax(l/t).
func logprobList(cs []cand, m, t, logZ float64) []TokenLogprob {
	out := make([]TokenLogprob, len(cs))
	for i, c := range cs {
		out[i] = TokenLogprob{ID: c.id, Logprob: logprob32((float64(c.l)-m)/t - logZ)}
	}
	return out
}

// logprob32 rounds a logprob to float32, keeping it finite: a token whose
// probability underflows still has a logprob a JSON encoder can write.
func logprob32(x float64) float32 {
	return float32(max(x, -math.MaxFloat32))
}
