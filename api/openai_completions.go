package api

// CompletionRequest is the body of POST /v1/completions, as the OpenAI API
// reference's legacy "Create completion".
type CompletionRequest struct {
	Model  string      `json:"model"`
	Prompt PromptInput `json:"prompt"`
	// MaxTokens bounds each completion; OpenAI's default is 16.
	MaxTokens   *int     `json:"max_tokens,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	// N completions per prompt; choice index is prompt_index*N + i.
	N *int `json:"n,omitempty"`
	// BestOf is accepted only when it equals N (or is 1): hfserve does
	// not generate candidates it then drops.
	BestOf *int          `json:"best_of,omitempty"`
	Stop   StopSequences `json:"stop,omitempty"`
	Seed   *int64        `json:"seed,omitempty"`
	// IgnoreEOS keeps generating past end-of-sequence tokens up to the
	// token limit: vLLM's extension, used by benchmarks (hfserve bench) to
	// get fixed-length outputs.
	IgnoreEOS        bool               `json:"ignore_eos,omitempty"`
	PresencePenalty  *float64           `json:"presence_penalty,omitempty"`
	FrequencyPenalty *float64           `json:"frequency_penalty,omitempty"`
	LogitBias        map[string]float64 `json:"logit_bias,omitempty"`
	// Logprobs in [0, 5] returns that many alternatives per token (and
	// the chosen token's logprob); null returns none.
	Logprobs *int `json:"logprobs,omitempty"`
	// Echo puts the prompt before the completion in the text (and in the
	// logprobs).
	Echo bool `json:"echo,omitempty"`
	// Suffix is not supported; it is declared so the server can say so.
	Suffix        *string        `json:"suffix,omitempty"`
	User          string         `json:"user,omitempty"`
	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *StreamOptions `json:"stream_options,omitempty"`
}

// Completion is the answer of POST /v1/completions, and (with Object
// ObjectTextCompletion too) each chunk of a streamed one.
type Completion struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"` // ObjectTextCompletion
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint,omitempty"`
	Choices           []CompletionChoice `json:"choices"`
	// Usage is always set on a complete answer; in a stream only on the
	// last chunk, when stream_options asked for it.
	Usage *Usage `json:"usage,omitempty"`
}

// CompletionChoice is one completion (or, streamed, a piece of one).
type CompletionChoice struct {
	Text  string `json:"text"`
	Index int    `json:"index"`
	// Logprobs is null unless the request set logprobs.
	Logprobs *CompletionLogprobs `json:"logprobs"`
	// FinishReason is null in a stream's chunks until the choice ends.
	FinishReason *string `json:"finish_reason"`
}

// CompletionLogprobs is the legacy logprobs object: parallel lists with one
// entry per token of the text.
type CompletionLogprobs struct {
	Tokens []string `json:"tokens"`
	// TokenLogprobs is null for the first prompt token (nothing predicts
	// it) when the prompt is echoed.
	TokenLogprobs []*float32 `json:"token_logprobs"`
	// TopLogprobs maps the most likely tokens at each position, and the
	// chosen one, to their logprobs; null where TokenLogprobs is.
	TopLogprobs []map[string]float32 `json:"top_logprobs"`
	// TextOffset is where each token's text starts in the choice's text,
	// in characters (Unicode code points).
	TextOffset []int `json:"text_offset"`
}
