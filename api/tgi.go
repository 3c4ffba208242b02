package api

import (
	"encoding/json"
	"strconv"
)

// TGI error types (TGIError.ErrorType), as text-generation-inference sends
// them; the statuses are TGI's.
const (
	TGIErrorValidation = "validation"            // 422 (404 for an unknown model)
	TGIErrorOverloaded = "overloaded"            // 429
	TGIErrorGeneration = "generation"            // 424: the model failed
	TGIErrorIncomplete = "incomplete_generation" // 500
	TGIErrorUnhealthy  = "unhealthy"             // 503: shutting down, or timed out
)

// TGI finish reasons.
const (
	TGIFinishLength       = "length"
	TGIFinishEOSToken     = "eos_token"
	TGIFinishStopSequence = "stop_sequence"
)

// GenerateRequest is the body of TGI's POST /generate and
// POST /generate_stream.
type GenerateRequest struct {
	// Model picks the model (hfserve's addition); empty is the default
	// model.
	Model      string              `json:"model,omitempty"`
	Inputs     string              `json:"inputs"`
	Parameters *GenerateParameters `json:"parameters,omitempty"`
}

// GenerateParameters are TGI's generation parameters. Omitted fields take
// TGI's defaults: greedy decoding (do_sample false), no penalties, at most
// 100 new tokens, no details.
type GenerateParameters struct {
	// BestOf may only be 1: hfserve does not generate candidates it then
	// drops.
	BestOf *int `json:"best_of,omitempty"`
	// DecoderInputDetails adds the prompt's tokens with their logprobs
	// (details.prefill) when Details is set; streams ignore it (TGI
	// refuses it there).
	DecoderInputDetails bool `json:"decoder_input_details,omitempty"`
	// Details adds details to the answer.
	Details bool `json:"details,omitempty"`
	// DoSample samples instead of decoding greedily; setting temperature,
	// top_k or top_p also samples, as in TGI.
	DoSample         bool     `json:"do_sample,omitempty"`
	FrequencyPenalty *float64 `json:"frequency_penalty,omitempty"` // [-2, 2]
	// MaxNewTokens: omitted is 100; null is as many as the context allows.
	MaxNewTokens      OptionalInt `json:"max_new_tokens,omitzero"`
	RepetitionPenalty *float64    `json:"repetition_penalty,omitempty"` // > 0
	// ReturnFullText puts the inputs before the generated text.
	ReturnFullText *bool    `json:"return_full_text,omitempty"`
	Seed           *uint64  `json:"seed,omitempty"`
	Stop           []string `json:"stop,omitempty"`        // up to 4
	Temperature    *float64 `json:"temperature,omitempty"` // > 0
	TopK           *int     `json:"top_k,omitempty"`       // > 0
	// TopNTokens adds the most likely alternatives to every token.
	TopNTokens *int     `json:"top_n_tokens,omitempty"`
	TopP       *float64 `json:"top_p,omitempty"` // (0, 1)
	// Truncate keeps only the last Truncate tokens of the inputs.
	Truncate *int `json:"truncate,omitempty"`
	// TypicalP, Watermark, Grammar and AdapterID are not supported; they
	// are declared so the server can say so (TypicalP null, Watermark
	// false and null Grammar/AdapterID are accepted).
	TypicalP  *float64        `json:"typical_p,omitempty"`
	Watermark bool            `json:"watermark,omitempty"`
	Grammar   json.RawMessage `json:"grammar,omitempty"`
	AdapterID *string         `json:"adapter_id,omitempty"`
}

// OptionalInt is an integer field whose absence and null mean different
// things: Present is false when the field was left out, Value nil when it
// was null.
type OptionalInt struct {
	Present bool
	Value   *int
}

// ExpectedJSON names the JSON shapes OptionalInt accepts.
func (OptionalInt) ExpectedJSON() string { return "an integer or null" }

// UnmarshalJSON accepts an integer or null.
func (o *OptionalInt) UnmarshalJSON(data []byte) error {
	*o = OptionalInt{Present: true}
	if isNull(data) {
		return nil
	}
	if kindOf(data) != "number" {
		return typeError(kindOf(data), *o)
	}
	n, err := strconv.Atoi(string(data))
	if err != nil {
		return typeError("number that is not an integer", *o)
	}
	o.Value = &n
	return nil
}

// MarshalJSON writes the value or null.
func (o OptionalInt) MarshalJSON() ([]byte, error) {
	if o.Value == nil {
		return []byte("null"), nil
	}
	return []byte(strconv.Itoa(*o.Value)), nil
}

// IsZero reports an absent field, for omitzero.
func (o OptionalInt) IsZero() bool { return !o.Present }

// GenerateResponse is the answer of TGI's POST /generate.
type GenerateResponse struct {
	GeneratedText string `json:"generated_text"`
	// Details is present when the request asked for details.
	Details *GenerateDetails `json:"details,omitempty"`
}

// GenerateDetails describes a generation token by token.
type GenerateDetails struct {
	FinishReason    string `json:"finish_reason"` // TGIFinish*
	GeneratedTokens int    `json:"generated_tokens"`
	// Seed is the sampler's seed; null for greedy decoding.
	Seed *uint64 `json:"seed"`
	// Prefill holds the prompt's tokens when decoder_input_details asked
	// for them (else it is empty).
	Prefill []PrefillToken   `json:"prefill"`
	Tokens  []GeneratedToken `json:"tokens"`
	// TopTokens holds, per generated token, its most likely alternatives
	// when top_n_tokens asked for them.
	TopTokens [][]GeneratedToken `json:"top_tokens,omitempty"`
}

// PrefillToken is one prompt token.
type PrefillToken struct {
	ID   int32  `json:"id"`
	Text string `json:"text"`
	// Logprob is null for the first token: nothing predicts it.
	Logprob *float32 `json:"logprob"`
}

// GeneratedToken is one generated (or alternative) token.
type GeneratedToken struct {
	ID      int32   `json:"id"`
	Text    string  `json:"text"`
	Logprob float32 `json:"logprob"`
	// Special marks the tokenizer's special tokens (end of sequence).
	Special bool `json:"special"`
}

// GenerateStreamEvent is one server-sent event of POST /generate_stream:
// one per generated token; the last one also carries the whole text and the
// details.
type GenerateStreamEvent struct {
	// Index counts the generated tokens from 1.
	Index     int              `json:"index"`
	Token     GeneratedToken   `json:"token"`
	TopTokens []GeneratedToken `json:"top_tokens,omitempty"`
	// GeneratedText is null until the last event.
	GeneratedText *string `json:"generated_text"`
	// Details is null until the last event, and there only when the
	// request asked for details.
	Details *StreamDetails `json:"details"`
}

// StreamDetails ends a stream.
type StreamDetails struct {
	FinishReason    string  `json:"finish_reason"`
	GeneratedTokens int     `json:"generated_tokens"`
	Seed            *uint64 `json:"seed"`
	InputLength     int     `json:"input_length"`
}

// Info is the answer of TGI's GET /info, describing the default model.
type Info struct {
	ModelID          string  `json:"model_id"`
	ModelSHA         *string `json:"model_sha"`
	ModelDType       string  `json:"model_dtype"`
	ModelDeviceType  string  `json:"model_device_type"`
	ModelPipelineTag *string `json:"model_pipeline_tag"`
	// MaxConcurrentRequests is 0: hfserve sets no such limit.
	MaxConcurrentRequests int     `json:"max_concurrent_requests"`
	MaxBestOf             int     `json:"max_best_of"`
	MaxStopSequences      int     `json:"max_stop_sequences"`
	MaxInputTokens        int     `json:"max_input_tokens"`
	MaxTotalTokens        int     `json:"max_total_tokens"`
	ValidationWorkers     int     `json:"validation_workers"`
	MaxClientBatchSize    int     `json:"max_client_batch_size"`
	Router                string  `json:"router"`
	Version               string  `json:"version"`
	SHA                   *string `json:"sha"`
	DockerLabel           *string `json:"docker_label"`
}

// TGIError is the body of every TGI route's errors, and the data of a
// stream's error event.
type TGIError struct {
	Error     string `json:"error"`
	ErrorType string `json:"error_type"`
}
