package serving

import (
	"fmt"

	"hfserve/internal/generate"
)

// TokenLimits are the operator's per-request token limits (max_input_tokens,
// max_output_tokens), below the models' own context lengths. Zero fields
// set no limit.
type TokenLimits struct {
	// MaxInput bounds a generation's prompt and each input of an
	// embedding, classification or rerank request (a pair counts as one
	// input), in tokens after any truncation. Truncating requests (TEI's
	// truncate) are cut to it instead of refused, as TEI cuts to its
	// max_input_length.
	MaxInput int
	// MaxOutput bounds the tokens one generation may ask for (per choice).
	// A request asking for more is refused, not clamped, as OpenAI refuses
	// a max_tokens above a model's output limit; one asking for "as many
	// as fit" gets at most MaxOutput.
	MaxOutput int
}

// TokenLimitError is a request over the server's TokenLimits, as opposed to
// the model's context (a *generate.ContextLengthError). The API layer
// answers 400 (TEI: 413), saying the limit and the count.
type TokenLimitError struct {
	// Output is true for a completion length over MaxOutput, false for a
	// prompt or input over MaxInput.
	Output bool
	// Param is the request field at fault as the API spells it
	// ("max_tokens", "max_new_tokens"); "" lets the API mapping name it
	// (inputs are wrapped with their index, as "input[3]: ...").
	Param string
	// Limit is the configured limit and Tokens the request's count: its
	// prompt tokens, or the completion tokens it asked for.
	Limit, Tokens int
}

func (e *TokenLimitError) Error() string {
	if e.Output {
		return fmt.Sprintf("%d completion tokens asked for, more than this server's limit of %d per request", e.Tokens, e.Limit)
	}
	return fmt.Sprintf("the input has %d tokens, more than this server's limit of %d per request", e.Tokens, e.Limit)
}

// checkPrompt refuses a generation prompt of n tokens over MaxInput.
func (l TokenLimits) checkPrompt(n int) error {
	if l.MaxInput > 0 && n > l.MaxInput {
		return &TokenLimitError{Limit: l.MaxInput, Tokens: n}
	}
	return nil
}

// capOutput applies MaxOutput to a generation's parameters: a MaxTokens
// over it is refused; a MaxTokens of 0 ("as many as the context has room
// for") becomes the smaller of the room and the limit. With no room left it
// stays 0, so that the context check reports the prompt as too long.
func (l TokenLimits) capOutput(p *generate.Params, promptTokens, maxPositions int) error {
	if l.MaxOutput <= 0 {
		return nil
	}
	if p.MaxTokens > l.MaxOutput {
		return &TokenLimitError{Output: true, Param: "max_tokens", Limit: l.MaxOutput, Tokens: p.MaxTokens}
	}
	if room := maxPositions - promptTokens; p.MaxTokens == 0 && room > 0 {
		p.MaxTokens = min(room, l.MaxOutput)
	}
	return nil
}

// inputLimit is the longest input an embedding, classification or rerank
// request may send to rt: the model's context, or MaxInput when smaller.
// configured reports that MaxInput is the binding limit, so an input over
// it is a *TokenLimitError rather than a *generate.ContextLengthError.
func (l TokenLimits) inputLimit(rt *Runtime) (limit int, configured bool) {
	limit = maxContext(rt)
	if l.MaxInput > 0 && l.MaxInput < limit {
		return l.MaxInput, true
	}
	return limit, false
}

// TokenLimits are the limits the service enforces.
func (s *Service) TokenLimits() TokenLimits { return s.opts.Limits }
