package server

import (
	"fmt"

	"hfserve/internal/generate"
	"hfserve/internal/serving"
)

// The operator's token limits (max_input_tokens, max_output_tokens) are
// enforced by the serving layer, which alone knows a prompt's length; this
// file adds what only the API layer knows: whether the client asked for a
// completion length or took the API's default, and what the field is
// called.

// limitMaxTokens applies max_output_tokens to a generation's parameters.
// asked is the completion length the client sent (nil when it sent none)
// and param its field's name. A length asked for above the limit is
// refused (OpenAI refuses a max_tokens above a model's output limit rather
// than clamping it); the API's own default (16 for legacy completions, 100
// for TGI) is lowered to the limit, since the client asked for nothing.
// The serving layer caps "as many as fit" (MaxTokens 0) itself.
func (h *inference) limitMaxTokens(p *generate.Params, asked *int, param string) error {
	limit := h.svc.TokenLimits().MaxOutput
	if limit <= 0 {
		return nil
	}
	if asked != nil {
		if *asked > limit {
			return &serving.TokenLimitError{Output: true, Param: param, Limit: limit, Tokens: *asked}
		}
		return nil
	}
	p.MaxTokens = min(p.MaxTokens, limit)
	return nil
}

// tokenLimitMessage words a token-limit error for the OpenAI routes, after
// OpenAI's own messages for a max_tokens over a model's limit and for a
// prompt over its context. param is the field at fault.
func tokenLimitMessage(le *serving.TokenLimitError, pc promptContext, param string) string {
	switch {
	case le.Output:
		return fmt.Sprintf("%s is too large: %d. This server supports at most %d completion tokens per request, whereas you provided %d.",
			param, le.Tokens, le.Limit, le.Tokens)
	case pc == embeddingPrompt:
		return fmt.Sprintf("This server's maximum input length is %d tokens. However, %s has %d tokens. Please reduce the length of the input.",
			le.Limit, param, le.Tokens)
	}
	return fmt.Sprintf("This server's maximum input length is %d tokens. However, your %s resulted in %d tokens. Please reduce the length of the %s.",
		le.Limit, pc.noun, le.Tokens, pc.noun)
}

// hfLimitMessage words a token-limit error as TGI and TEI word their own
// max_input_tokens check (and, for the completion length, as TGI words
// its other parameter bounds).
func hfLimitMessage(le *serving.TokenLimitError) string {
	if le.Output {
		return fmt.Sprintf("%s`max_new_tokens` must be <= %d. Given: %d", validationPrefix, le.Limit, le.Tokens)
	}
	return fmt.Sprintf("%s`inputs` must have less than %d tokens. Given: %d", validationPrefix, le.Limit, le.Tokens)
}
