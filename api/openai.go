package api

import (
	"encoding/json"
)

// Object kinds of the OpenAI generation and embedding responses.
const (
	ObjectChatCompletion      = "chat.completion"
	ObjectChatCompletionChunk = "chat.completion.chunk"
	ObjectTextCompletion      = "text_completion"
	ObjectEmbedding           = "embedding"
)

// OpenAI finish reasons.
const (
	FinishStop   = "stop"   // a stop sequence or the end-of-sequence token
	FinishLength = "length" // max_tokens or the context length
)

// Usage counts the tokens of a request, as OpenAI's "usage" object.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// StreamOptions is OpenAI's stream_options.
type StreamOptions struct {
	// IncludeUsage adds a last chunk, before [DONE], whose usage counts
	// the whole request and whose choices are empty.
	IncludeUsage bool `json:"include_usage,omitempty"`
}

// StopSequences is OpenAI's stop: a string or an array of strings. Null
// and absent both decode to nil.
type StopSequences []string

// ExpectedJSON names the JSON shapes StopSequences accepts.
func (StopSequences) ExpectedJSON() string { return "a string or an array of strings" }

// UnmarshalJSON accepts a string or an array of strings.
func (s *StopSequences) UnmarshalJSON(data []byte) error {
	switch kindOf(data) {
	case "null":
		*s = nil
		return nil
	case "string":
		var one string
		if err := json.Unmarshal(data, &one); err != nil {
			return err
		}
		*s = StopSequences{one}
		return nil
	case "array":
		var many []string
		if err := json.Unmarshal(data, &many); err != nil {
			return typeError("array with an element that is not a string", *s)
		}
		*s = many
		return nil
	}
	return typeError(kindOf(data), *s)
}

// PromptInput is OpenAI's prompt (completions) and input (embeddings): a
// string, an array of strings, an array of token ids, or an array of arrays
// of token ids. Exactly one of Texts and Tokens is non-nil after decoding;
// an empty array decodes to an empty, non-nil Texts.
type PromptInput struct {
	// Texts holds the string forms.
	Texts []string
	// Tokens holds the token-id forms, one id list per prompt.
	Tokens [][]int32
}

// ExpectedJSON names the JSON shapes PromptInput accepts.
func (PromptInput) ExpectedJSON() string {
	return "a string, an array of strings, an array of token ids, or an array of arrays of token ids"
}

// Len is the number of prompts.
func (p PromptInput) Len() int {
	if p.Tokens != nil {
		return len(p.Tokens)
	}
	return len(p.Texts)
}

// UnmarshalJSON accepts the four shapes.
func (p *PromptInput) UnmarshalJSON(data []byte) error {
	*p = PromptInput{}
	switch kindOf(data) {
	case "string":
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		p.Texts = []string{s}
		return nil
	case "array":
	default:
		return typeError(kindOf(data), *p)
	}
	raws, err := rawElements(data)
	if err != nil {
		return err
	}
	switch {
	case len(raws) == 0:
		p.Texts = []string{}
	case allKind(raws, "string"):
		return json.Unmarshal(data, &p.Texts)
	case allKind(raws, "number"):
		ids, ok := decodeIDs(data)
		if !ok {
			return typeError("array of numbers that are not all token ids (integers from 0 to 2147483647)", *p)
		}
		p.Tokens = [][]int32{ids}
	case allKind(raws, "array"):
		lists, ok := decodeIDLists(data)
		if !ok {
			return typeError("array of arrays that are not all token ids (integers from 0 to 2147483647)", *p)
		}
		p.Tokens = lists
	default:
		return typeError("array mixing kinds of elements", *p)
	}
	return nil
}

// MarshalJSON writes the array forms (a single string as a string).
func (p PromptInput) MarshalJSON() ([]byte, error) {
	if p.Tokens != nil {
		return json.Marshal(p.Tokens)
	}
	if len(p.Texts) == 1 {
		return json.Marshal(p.Texts[0])
	}
	if p.Texts == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(p.Texts)
}
