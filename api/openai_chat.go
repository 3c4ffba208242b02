package api

import "encoding/json"

// ChatCompletionRequest is the body of POST /v1/chat/completions, as the
// OpenAI API reference's "Create chat completion" for the fields hfserve
// supports. Fields it does not declare are rejected (400 naming the field),
// so a client never silently gets less than it asked for.
type ChatCompletionRequest struct {
	Model    string        `json:"model"`
	Messages []ChatMessage `json:"messages"`
	// MaxCompletionTokens and its deprecated alias MaxTokens bound the
	// generated tokens; when both are set MaxCompletionTokens wins.
	MaxTokens           *int          `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int          `json:"max_completion_tokens,omitempty"`
	Temperature         *float64      `json:"temperature,omitempty"` // [0, 2], default 1
	TopP                *float64      `json:"top_p,omitempty"`       // [0, 1], default 1
	N                   *int          `json:"n,omitempty"`           // choices, default 1
	Stop                StopSequences `json:"stop,omitempty"`
	Seed                *int64        `json:"seed,omitempty"`
	// IgnoreEOS keeps generating past end-of-sequence tokens up to the
	// token limit: vLLM's extension, used by benchmarks (hfserve bench) to
	// get fixed-length outputs.
	IgnoreEOS        bool     `json:"ignore_eos,omitempty"`
	PresencePenalty  *float64 `json:"presence_penalty,omitempty"`  // [-2, 2]
	FrequencyPenalty *float64 `json:"frequency_penalty,omitempty"` // [-2, 2]
	// LogitBias maps token ids (as strings) to a bias in [-100, 100]; -100
	// bans the token.
	LogitBias   map[string]float64 `json:"logit_bias,omitempty"`
	Logprobs    *bool              `json:"logprobs,omitempty"`
	TopLogprobs *int               `json:"top_logprobs,omitempty"` // [0, 20], needs logprobs
	// User, SafetyIdentifier and PromptCacheKey are accepted and ignored:
	// they are hints for OpenAI's abuse monitoring and caching.
	User             string          `json:"user,omitempty"`
	SafetyIdentifier string          `json:"safety_identifier,omitempty"`
	PromptCacheKey   string          `json:"prompt_cache_key,omitempty"`
	Stream           bool            `json:"stream,omitempty"`
	StreamOptions    *StreamOptions  `json:"stream_options,omitempty"`
	ResponseFormat   *ResponseFormat `json:"response_format,omitempty"`
	// Tools are passed to the chat template (for templates that render
	// them); the reply is plain text, never parsed into tool calls.
	Tools []json.RawMessage `json:"tools,omitempty"`
	// ToolChoice may only be "none" or "auto": hfserve cannot force a
	// tool call.
	ToolChoice json.RawMessage `json:"tool_choice,omitempty"`
	// ParallelToolCalls is accepted and ignored (it only matters when tool
	// calls are parsed).
	ParallelToolCalls *bool `json:"parallel_tool_calls,omitempty"`
}

// ResponseFormat is OpenAI's response_format; hfserve supports only
// {"type":"text"}.
type ResponseFormat struct {
	Type string `json:"type"`
	// JSONSchema is kept so the server can say it is unsupported rather
	// than that the field is unknown.
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// Chat message roles.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// ChatMessage is one message of a chat completion request.
type ChatMessage struct {
	Role string `json:"role"`
	// Content is nil when absent or null (an assistant message that only
	// calls tools).
	Content *ChatContent `json:"content,omitempty"`
	Name    string       `json:"name,omitempty"`
	// ToolCalls (assistant) and ToolCallID (tool) pass through to the
	// chat template unchanged.
	ToolCalls  json.RawMessage `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
	// Refusal is an earlier assistant refusal; accepted (an assistant
	// message may carry it instead of content) but not rendered.
	Refusal *string `json:"refusal,omitempty"`
}

// ChatContent is a message's content: a string, or an array of content
// parts. Parts is nil for the string form.
type ChatContent struct {
	Text  string
	Parts []ContentPart
}

// ExpectedJSON names the JSON shapes ChatContent accepts.
func (ChatContent) ExpectedJSON() string { return "a string or an array of content parts" }

// UnmarshalJSON accepts a string or an array of content part objects.
func (c *ChatContent) UnmarshalJSON(data []byte) error {
	*c = ChatContent{}
	switch kindOf(data) {
	case "string":
		return json.Unmarshal(data, &c.Text)
	case "array":
		raws, err := rawElements(data)
		if err != nil {
			return err
		}
		if !allKind(raws, "object") {
			return typeError("array with an element that is not an object", *c)
		}
		c.Parts = make([]ContentPart, 0, len(raws))
		return json.Unmarshal(data, &c.Parts)
	}
	return typeError(kindOf(data), *c)
}

// MarshalJSON writes the string form when there are no parts.
func (c ChatContent) MarshalJSON() ([]byte, error) {
	if c.Parts == nil {
		return json.Marshal(c.Text)
	}
	return json.Marshal(c.Parts)
}

// Content part types.
const (
	PartText    = "text"
	PartRefusal = "refusal"
)

// ContentPart is one element of an array content. hfserve serves text
// models: it accepts "text" parts (and "refusal" parts in assistant
// messages); other types are decoded so the server can reject them by
// name.
type ContentPart struct {
	Type    string `json:"type"`
	Text    string `json:"text,omitempty"`
	Refusal string `json:"refusal,omitempty"`
	// The other part types, kept raw.
	ImageURL   json.RawMessage `json:"image_url,omitempty"`
	InputAudio json.RawMessage `json:"input_audio,omitempty"`
	File       json.RawMessage `json:"file,omitempty"`
}

// ChatCompletion is the answer of a non-streamed chat completion.
type ChatCompletion struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"` // ObjectChatCompletion
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	Choices           []ChatChoice `json:"choices"`
	Usage             Usage        `json:"usage"`
	SystemFingerprint string       `json:"system_fingerprint,omitempty"`
}

// ChatChoice is one generated reply.
type ChatChoice struct {
	Index   int                 `json:"index"`
	Message ChatResponseMessage `json:"message"`
	// Logprobs is null unless the request asked for logprobs.
	Logprobs     *ChatLogprobs `json:"logprobs"`
	FinishReason string        `json:"finish_reason"`
}

// ChatResponseMessage is the assistant's reply.
type ChatResponseMessage struct {
	Role    string `json:"role"` // RoleAssistant
	Content string `json:"content"`
	// Refusal is always null: hfserve's models do not refuse through a
	// separate channel.
	Refusal *string `json:"refusal"`
}

// ChatLogprobs holds the log-probabilities of a reply's tokens.
type ChatLogprobs struct {
	Content []TokenLogprob `json:"content"`
	// Refusal is always null.
	Refusal []TokenLogprob `json:"refusal"`
}

// TokenLogprob is one generated token with its log-probability and the
// most likely alternatives at its position.
type TokenLogprob struct {
	Token string `json:"token"`
	// Logprob is the natural log of the token's probability.
	Logprob float32 `json:"logprob"`
	// Bytes are the UTF-8 bytes of Token.
	Bytes       []int        `json:"bytes"`
	TopLogprobs []TopLogprob `json:"top_logprobs"`
}

// TopLogprob is one alternative token.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float32 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// ChatCompletionChunk is one server-sent event of a streamed chat
// completion.
type ChatCompletionChunk struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"` // ObjectChatCompletionChunk
	Created           int64             `json:"created"`
	Model             string            `json:"model"`
	SystemFingerprint string            `json:"system_fingerprint,omitempty"`
	Choices           []ChatChunkChoice `json:"choices"`
	// Usage is set only on the last chunk, when stream_options asked for
	// it; that chunk's Choices is empty.
	Usage *Usage `json:"usage"`
}

// ChatChunkChoice is one choice's part of a chunk.
type ChatChunkChoice struct {
	Index        int           `json:"index"`
	Delta        ChatDelta     `json:"delta"`
	Logprobs     *ChatLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

// ChatDelta is what a chunk adds to a reply: the role in a choice's first
// chunk, then pieces of content; the last chunk's delta is empty.
type ChatDelta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}
