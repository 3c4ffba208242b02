package generate

import (
	"fmt"
	"slices"

	"hfserve/internal/models"
)

// Params is one generation request, beyond its prompt.
type Params struct {
	// Sampling picks each token.
	Sampling SamplingParams
	// MaxTokens bounds the generated tokens; 0 allows as many as the
	// context has room for.
	MaxTokens int
	// StopStrings end generation when the text contains one; the text is
	// cut before it (OpenAI's stop).
	StopStrings []string
	// StopTokenIDs end generation when generated, in addition to the
	// end-of-sequence ids; IgnoreEOS does not disable them.
	StopTokenIDs []int32
	// EOSTokenIDs are end-of-sequence ids beyond config.json's (the
	// model's ModelSpec): generation_config.json's, see GenerationConfig.
	EOSTokenIDs []int32
	// IgnoreEOS keeps generating past end-of-sequence tokens (benchmarks,
	// vLLM's ignore_eos).
	IgnoreEOS bool
	// KeepSpecialTokens decodes special tokens into the text; by default
	// they are skipped, as OpenAI and TGI do. A stop token's own text is
	// never part of the output.
	KeepSpecialTokens bool
	// Logprobs asks for each token's log-probabilities.
	Logprobs LogprobRequest
}

// ModelSpec is what a Sequence needs to know about its model.
type ModelSpec struct {
	// VocabSize is the width of a row of logits.
	VocabSize int
	// MaxPositions is the context length: prompt plus completion.
	MaxPositions int
	// EOSTokenIDs end generation unless a request sets IgnoreEOS.
	EOSTokenIDs []int32
}

// SpecOf returns the spec of a loaded model, with config.json's
// end-of-sequence ids.
func SpecOf(info models.Info) ModelSpec {
	s := ModelSpec{VocabSize: info.VocabSize, MaxPositions: info.MaxPositions}
	for _, id := range info.EOSTokenIDs {
		s.EOSTokenIDs = append(s.EOSTokenIDs, int32(id))
	}
	return s
}

// FinishReason says why a sequence ended.
type FinishReason uint8

// The reasons a sequence ends.
const (
	// FinishNone: it has not ended.
	FinishNone FinishReason = iota
	// FinishLength: it reached MaxTokens or the model's context.
	FinishLength
	// FinishStopToken: it generated an end-of-sequence or stop token id.
	FinishStopToken
	// FinishStopString: its text reached a stop string.
	FinishStopString
)

// String is the OpenAI finish_reason: "length", "stop" or "".
func (r FinishReason) String() string {
	switch r {
	case FinishLength:
		return "length"
	case FinishStopToken, FinishStopString:
		return "stop"
	}
	return ""
}

// TGI is TGI's finish_reason: "length", "eos_token" or "stop_sequence".
func (r FinishReason) TGI() string {
	switch r {
	case FinishLength:
		return "length"
	case FinishStopToken:
		return "eos_token"
	case FinishStopString:
		return "stop_sequence"
	}
	return ""
}

// Token is one generated token.
type Token struct {
	// ID is the token.
	ID int32
	// Text is the text that may be streamed now: the text completed by this
	// token and any held back before, minus what may still become a stop
	// string. It can be empty; the Texts of all tokens add up to the final
	// text.
	Text string
	// Logprob and TopLogprobs are filled when Params.Logprobs asks.
	Logprob     float32
	TopLogprobs []TokenLogprob
}

// Result is a finished generation.
type Result struct {
	// Tokens are the generated tokens, stop token included.
	Tokens []Token
	// Text is the generated text, cut before a stop string.
	Text string
	// Finish says why generation ended.
	Finish FinishReason
	// StopString is the stop string that ended it, if one did.
	StopString string
	// PromptTokens is the prompt's length.
	PromptTokens int
	// Seed is the sampler's seed (the request's or the one drawn for it).
	Seed uint64
}

// Sequence is the state of one generation: it turns each step's logits into
// a token and decides when to stop. The caller runs the model: it feeds the
// prompt, passes the resulting next-token logits to Next, feeds the returned
// token, and so on until Next reports done. It is not safe for concurrent
// use.
type Sequence struct {
	params    Params
	prompt    []int32
	maxNew    int
	sampler   *Sampler
	stopIDs   map[int32]struct{}
	stops     stopStrings
	detok     *IncrementalDecoder // nil without a Detokenizer
	generated []int32
	text      []byte // generated text so far, cut at a stop string
	emitted   int    // bytes of text handed out
	finish    FinishReason
	stopStr   string
	err       error // the error that broke the sequence, returned again
}

// NewSequence validates a request for a model and returns its state. detok
// may be nil when the request has no stop strings; tokens then carry no
// text. A prompt and MaxTokens that do not fit the context are a
// *ContextLengthError; bad parameters a *ParamError.
func NewSequence(spec ModelSpec, prompt []int32, p Params, detok Detokenizer) (*Sequence, error) {
	if len(prompt) == 0 {
		return nil, paramErr("prompt", "is empty: a decoder needs at least one token to start from")
	}
	for i, id := range prompt {
		if id < 0 || int(id) >= spec.VocabSize {
			return nil, paramErr("prompt", "token %d is id %d, outside the vocabulary [0, %d)", i, id, spec.VocabSize)
		}
	}
	if p.MaxTokens < 0 {
		return nil, paramErr("max_tokens", "%d must be >= 0", p.MaxTokens)
	}
	maxNew := p.MaxTokens
	if maxNew == 0 {
		maxNew = spec.MaxPositions - len(prompt)
	}
	if maxNew <= 0 || len(prompt)+maxNew > spec.MaxPositions {
		return nil, &ContextLengthError{MaxPositions: spec.MaxPositions, PromptTokens: len(prompt), MaxTokens: p.MaxTokens}
	}
	if err := p.Logprobs.validate(); err != nil {
		return nil, err
	}
	stops, err := newStopStrings(p.StopStrings)
	if err != nil {
		return nil, err
	}
	if len(p.StopStrings) > 0 && detok == nil {
		return nil, fmt.Errorf("generate: stop strings need a detokenizer: %w", ErrInvalidParams)
	}
	sampler, err := NewSampler(p.Sampling, spec.VocabSize, prompt)
	if err != nil {
		return nil, err
	}
	s := &Sequence{
		params:  p,
		prompt:  slices.Clone(prompt),
		maxNew:  maxNew,
		sampler: sampler,
		stopIDs: map[int32]struct{}{},
		stops:   stops,
	}
	for _, id := range p.StopTokenIDs {
		if id < 0 || int(id) >= spec.VocabSize {
			return nil, paramErr("stop_token_ids", "id %d is outside the vocabulary [0, %d)", id, spec.VocabSize)
		}
		s.stopIDs[id] = struct{}{}
	}
	if !p.IgnoreEOS {
		for _, id := range slices.Concat(spec.EOSTokenIDs, p.EOSTokenIDs) {
			s.stopIDs[id] = struct{}{}
		}
	}
	if detok != nil {
		if s.detok, err = NewIncrementalDecoder(detok, prompt, !p.KeepSpecialTokens); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Prompt is the prompt; the caller must not change it.
func (s *Sequence) Prompt() []int32 { return s.prompt }

// MaxLen is the most tokens the sequence can reach, prompt included: the
// size of KV cache it needs.
func (s *Sequence) MaxLen() int { return len(s.prompt) + s.maxNew }

// Generated returns the tokens generated so far; the caller must not change
// them.
func (s *Sequence) Generated() []int32 { return s.generated }

// Text is the text streamed so far (all of it once the sequence is done).
func (s *Sequence) Text() string { return string(s.text[:s.emitted]) }

// Done reports whether the sequence has ended.
func (s *Sequence) Done() bool { return s.finish != FinishNone }

// Finish says why the sequence ended (FinishNone while it runs).
func (s *Sequence) Finish() FinishReason { return s.finish }

// StopString is the stop string that ended the sequence, if one did.
func (s *Sequence) StopString() string { return s.stopStr }

// Seed is the seed of the sequence's sampler.
func (s *Sequence) Seed() uint64 { return s.sampler.Seed() }

// Next picks the next token from the logits the model produced for the
// sequence's last position, and reports whether the sequence is done. When
// it is not, the caller feeds the token to the model for the next step. It
// uses logits as scratch space. An error ends the sequence: later calls
// return it again.
func (s *Sequence) Next(logits []float32) (Token, bool, error) {
	switch {
	case s.err != nil:
		return Token{}, false, s.err
	case s.Done():
		return Token{}, true, ErrFinished
	}
	tok, err := s.next(logits)
	if err != nil {
		s.err = err
		return Token{}, false, err
	}
	return tok, s.Done(), nil
}

// next is Next's work.
func (s *Sequence) next(logits []float32) (Token, error) {
	ch, err := s.sampler.Sample(logits, s.params.Logprobs)
	if err != nil {
		return Token{}, err
	}
	s.generated = append(s.generated, ch.ID)
	tok := Token{ID: ch.ID, Logprob: ch.Logprob, TopLogprobs: ch.TopLogprobs}
	if _, stop := s.stopIDs[ch.ID]; stop {
		s.finish = FinishStopToken
	} else if err := s.addText(ch.ID); err != nil {
		return Token{}, err
	}
	if s.finish == FinishNone && len(s.generated) >= s.maxNew {
		s.finish = FinishLength
	}
	if s.finish != FinishNone && s.finish != FinishStopString && s.detok != nil {
		// Text held back for an incomplete character is final now, and may
		// itself complete a stop string.
		tail, err := s.detok.Flush()
		if err != nil {
			return Token{}, err
		}
		s.appendText(tail)
	}
	end := len(s.text)
	if !s.Done() {
		end = max(s.emitted, end-s.stops.holdback(s.text))
	}
	tok.Text = string(s.text[s.emitted:end])
	s.emitted = end
	return tok, nil
}

// addText decodes a new token into the text.
func (s *Sequence) addText(id int32) error {
	if s.detok == nil {
		return nil
	}
	piece, err := s.detok.Add(id)
	if err != nil {
		return err
	}
	s.appendText(piece)
	return nil
}

// appendText appends decoded text and ends the sequence at the first stop
// string it completes, cutting the text there.
func (s *Sequence) appendText(piece string) {
	if piece == "" {
		return
	}
	prev := len(s.text)
	s.text = append(s.text, piece...)
	if at, which := s.stops.find(s.text, prev); at >= 0 {
		// at >= s.emitted: text that could still start a stop string was
		// held back, so a match never reaches into streamed text.
		s.text = s.text[:max(at, s.emitted)]
		s.finish, s.stopStr = FinishStopString, which
	}
}

// Result returns what the sequence generated; tokens are those that Next
// returned, which the caller passes back as it collected them.
func (s *Sequence) Result(tokens []Token) Result {
	return Result{
		Tokens:       tokens,
		Text:         s.Text(),
		Finish:       s.finish,
		StopString:   s.stopStr,
		PromptTokens: len(s.prompt),
		Seed:         s.Seed(),
	}
}
