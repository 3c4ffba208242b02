package api

import (
	"encoding/json"
	"strings"
)

// TEI error types (TEIError.ErrorType), as text-embeddings-inference sends
// them, with TEI's statuses.
const (
	TEIErrorValidation = "Validation" // 413 (422 for a body that does not decode, 404 for an unknown model)
	TEIErrorTokenizer  = "Tokenizer"  // 422
	TEIErrorBackend    = "Backend"    // 424: the model failed or cannot do this
	TEIErrorOverloaded = "Overloaded" // 429
	TEIErrorUnhealthy  = "Unhealthy"  // 503
	TEIErrorEmpty      = "Empty"      // 400: no inputs
)

// TEIError is the body of every TEI route's errors.
type TEIError struct {
	Error     string `json:"error"`
	ErrorType string `json:"error_type"`
}

// TruncationDirection is TEI's truncation_direction: "Left" or "Right"
// (case-insensitive on input); Right is the default.
type TruncationDirection string

// The truncation directions.
const (
	TruncateLeft  TruncationDirection = "Left"
	TruncateRight TruncationDirection = "Right"
)

// ExpectedJSON names the JSON values TruncationDirection accepts.
func (TruncationDirection) ExpectedJSON() string { return `"Left" or "Right"` }

// UnmarshalJSON accepts "Left" and "Right" in any case; null is Right.
func (d *TruncationDirection) UnmarshalJSON(data []byte) error {
	if isNull(data) {
		*d = TruncateRight
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return typeError(kindOf(data), *d)
	}
	switch strings.ToLower(s) {
	case "left":
		*d = TruncateLeft
	case "right":
		*d = TruncateRight
	default:
		return typeError("string "+strconvQuote(s), *d)
	}
	return nil
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// EmbedInput is one TEI input: a text, or token ids when IDs is non-nil.
type EmbedInput struct {
	Text string
	IDs  []int32
}

// EmbedInputs is TEI's inputs for /embed: a string, token ids, or an array
// mixing strings and token-id arrays. An empty array decodes to no inputs.
type EmbedInputs []EmbedInput

// ExpectedJSON names the JSON shapes EmbedInputs accepts.
func (EmbedInputs) ExpectedJSON() string {
	return "a string, an array of token ids, or an array of strings and arrays of token ids"
}

// UnmarshalJSON accepts TEI's input shapes.
func (in *EmbedInputs) UnmarshalJSON(data []byte) error {
	switch kindOf(data) {
	case "string":
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*in = EmbedInputs{{Text: s}}
		return nil
	case "array":
	default:
		return typeError(kindOf(data), *in)
	}
	raws, err := rawElements(data)
	if err != nil {
		return err
	}
	if len(raws) > 0 && allKind(raws, "number") {
		ids, ok := decodeIDs(data)
		if !ok {
			return typeError("array of numbers that are not all token ids (integers from 0 to 2147483647)", *in)
		}
		*in = EmbedInputs{{IDs: ids}}
		return nil
	}
	out := make(EmbedInputs, len(raws))
	for i, r := range raws {
		switch kindOf(r) {
		case "string":
			if err := json.Unmarshal(r, &out[i].Text); err != nil {
				return err
			}
		case "array":
			ids, ok := decodeIDs(r)
			if !ok {
				return typeError("array with an element that is neither a string nor an array of token ids", *in)
			}
			out[i].IDs = ids
		default:
			return typeError("array with a "+kindOf(r)+" element", *in)
		}
	}
	*in = out
	return nil
}

// MarshalJSON writes the batch form.
func (in EmbedInputs) MarshalJSON() ([]byte, error) {
	out := make([]any, len(in))
	for i, x := range in {
		if x.IDs != nil {
			out[i] = x.IDs
		} else {
			out[i] = x.Text
		}
	}
	return json.Marshal(out)
}

// EmbedRequest is the body of TEI's POST /embed. The answer is one vector
// per input ([][]float32), even for a single string.
type EmbedRequest struct {
	Model  string      `json:"model,omitempty"`
	Inputs EmbedInputs `json:"inputs"`
	// Normalize defaults to true (TEI's default).
	Normalize *bool `json:"normalize,omitempty"`
	// Truncate cuts inputs longer than the model's context instead of
	// failing.
	Truncate            *bool               `json:"truncate,omitempty"`
	TruncationDirection TruncationDirection `json:"truncation_direction,omitempty"`
	// PromptName is not supported; declared so the server can say so.
	PromptName *string `json:"prompt_name,omitempty"`
	// Dimensions keeps the first Dimensions components.
	Dimensions *int `json:"dimensions,omitempty"`
}

// RerankRequest is the body of TEI's POST /rerank.
type RerankRequest struct {
	Model               string              `json:"model,omitempty"`
	Query               string              `json:"query"`
	Texts               []string            `json:"texts"`
	Truncate            *bool               `json:"truncate,omitempty"`
	TruncationDirection TruncationDirection `json:"truncation_direction,omitempty"`
	// RawScores returns logits instead of probabilities.
	RawScores bool `json:"raw_scores,omitempty"`
	// ReturnText echoes each text in its Rank.
	ReturnText bool `json:"return_text,omitempty"`
}

// Rank is one text's score; the answer lists them best first.
type Rank struct {
	Index int     `json:"index"`
	Text  *string `json:"text,omitempty"`
	Score float32 `json:"score"`
}

// PredictSequence is one /predict input: a text, or a pair of texts for a
// cross-encoder (Pair true).
type PredictSequence struct {
	Text, TextPair string
	Pair           bool
}

// PredictInputs is TEI's inputs for /predict: a string, a pair of strings
// [a, b], or a batch of one- and two-string arrays [[a], [a, b], ...].
// Batch tells the last form from the others, for the answer's shape.
type PredictInputs struct {
	Sequences []PredictSequence
	Batch     bool
}

// ExpectedJSON names the JSON shapes PredictInputs accepts.
func (PredictInputs) ExpectedJSON() string {
	return "a string, a pair of strings [string, string], or a batch [[string], [string, string], ...]"
}

// UnmarshalJSON follows TEI's rules: a string or an array starting with a
// string is one input (one string or a pair); an array of arrays is a
// batch whose elements hold one or two strings.
func (p *PredictInputs) UnmarshalJSON(data []byte) error {
	*p = PredictInputs{}
	switch kindOf(data) {
	case "string":
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		p.Sequences = []PredictSequence{{Text: s}}
		return nil
	case "array":
	default:
		return typeError(kindOf(data), *p)
	}
	raws, err := rawElements(data)
	if err != nil {
		return err
	}
	if len(raws) == 0 {
		p.Batch = true
		p.Sequences = []PredictSequence{}
		return nil
	}
	if kindOf(raws[0]) == "string" {
		seq, ok := sequenceOf(data)
		if !ok {
			return typeError("array that is neither one string nor a pair of strings", *p)
		}
		p.Sequences = []PredictSequence{seq}
		return nil
	}
	p.Batch = true
	p.Sequences = make([]PredictSequence, len(raws))
	for i, r := range raws {
		seq, ok := sequenceOf(r)
		if !ok {
			return typeError("batch with an element that is not [string] or [string, string]", *p)
		}
		p.Sequences[i] = seq
	}
	return nil
}

// sequenceOf decodes [a] or [a, b].
func sequenceOf(data []byte) (PredictSequence, bool) {
	var ss []string
	if kindOf(data) != "array" || json.Unmarshal(data, &ss) != nil {
		return PredictSequence{}, false
	}
	switch len(ss) {
	case 1:
		return PredictSequence{Text: ss[0]}, true
	case 2:
		return PredictSequence{Text: ss[0], TextPair: ss[1], Pair: true}, true
	}
	return PredictSequence{}, false
}

// MarshalJSON writes the batch form, or the single form.
func (p PredictInputs) MarshalJSON() ([]byte, error) {
	seq := func(s PredictSequence) []string {
		if s.Pair {
			return []string{s.Text, s.TextPair}
		}
		return []string{s.Text}
	}
	if !p.Batch && len(p.Sequences) == 1 {
		if !p.Sequences[0].Pair {
			return json.Marshal(p.Sequences[0].Text)
		}
		return json.Marshal(seq(p.Sequences[0]))
	}
	out := make([][]string, len(p.Sequences))
	for i, s := range p.Sequences {
		out[i] = seq(s)
	}
	return json.Marshal(out)
}

// PredictRequest is the body of TEI's POST /predict. The answer is a list
// of Predictions (all labels, best first) for a single input, or a list of
// such lists for a batch.
type PredictRequest struct {
	Model               string              `json:"model,omitempty"`
	Inputs              PredictInputs       `json:"inputs"`
	Truncate            *bool               `json:"truncate,omitempty"`
	TruncationDirection TruncationDirection `json:"truncation_direction,omitempty"`
	// RawScores returns logits instead of probabilities.
	RawScores bool `json:"raw_scores,omitempty"`
}

// Prediction is one label's score.
type Prediction struct {
	Score float32 `json:"score"`
	Label string  `json:"label"`
}

// TokenizeInputs is TEI's inputs for /tokenize: a string or an array of
// strings.
type TokenizeInputs []string

// ExpectedJSON names the JSON shapes TokenizeInputs accepts.
func (TokenizeInputs) ExpectedJSON() string { return "a string or an array of strings" }

// UnmarshalJSON accepts a string or an array of strings.
func (t *TokenizeInputs) UnmarshalJSON(data []byte) error {
	switch kindOf(data) {
	case "string":
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*t = TokenizeInputs{s}
		return nil
	case "array":
		var ss []string
		if err := json.Unmarshal(data, &ss); err != nil {
			return typeError("array with an element that is not a string", *t)
		}
		*t = ss
		return nil
	}
	return typeError(kindOf(data), *t)
}

// TokenizeRequest is the body of TEI's POST /tokenize. The answer is one
// list of SimpleTokens per input, even for a single string.
type TokenizeRequest struct {
	Model  string         `json:"model,omitempty"`
	Inputs TokenizeInputs `json:"inputs"`
	// AddSpecialTokens defaults to true.
	AddSpecialTokens *bool `json:"add_special_tokens,omitempty"`
	// PromptName is not supported; declared so the server can say so.
	PromptName *string `json:"prompt_name,omitempty"`
}

// SimpleToken is one token of a /tokenize answer.
type SimpleToken struct {
	ID      int32  `json:"id"`
	Text    string `json:"text"`
	Special bool   `json:"special"`
	// Start and Stop are byte offsets into the input; null for special
	// tokens the tokenizer added.
	Start *int `json:"start"`
	Stop  *int `json:"stop"`
}

// DecodeIDs is TEI's ids for /decode: one array of token ids or an array
// of them.
type DecodeIDs [][]int32

// ExpectedJSON names the JSON shapes DecodeIDs accepts.
func (DecodeIDs) ExpectedJSON() string {
	return "an array of token ids or an array of arrays of token ids"
}

// UnmarshalJSON accepts one id list or a list of them.
func (d *DecodeIDs) UnmarshalJSON(data []byte) error {
	if kindOf(data) != "array" {
		return typeError(kindOf(data), *d)
	}
	raws, err := rawElements(data)
	if err != nil {
		return err
	}
	switch {
	case len(raws) == 0:
		*d = DecodeIDs{}
	case allKind(raws, "number"):
		ids, ok := decodeIDs(data)
		if !ok {
			return typeError("array of numbers that are not all token ids (integers from 0 to 2147483647)", *d)
		}
		*d = DecodeIDs{ids}
	case allKind(raws, "array"):
		lists, ok := decodeIDLists(data)
		if !ok {
			return typeError("array of arrays that are not all token ids (integers from 0 to 2147483647)", *d)
		}
		*d = lists
	default:
		return typeError("array mixing kinds of elements", *d)
	}
	return nil
}

// DecodeRequest is the body of TEI's POST /decode. The answer is one text
// per id list ([]string), even for a single list.
type DecodeRequest struct {
	Model string    `json:"model,omitempty"`
	IDs   DecodeIDs `json:"ids"`
	// SkipSpecialTokens defaults to true.
	SkipSpecialTokens *bool `json:"skip_special_tokens,omitempty"`
}
