package api

import (
	"encoding/json"
)

// Encoding formats of embeddings.
const (
	EncodingFloat  = "float"
	EncodingBase64 = "base64"
)

// EmbeddingRequest is the body of POST /v1/embeddings, as the OpenAI API
// reference's "Create embeddings".
type EmbeddingRequest struct {
	Model string      `json:"model"`
	Input PromptInput `json:"input"`
	// EncodingFormat is EncodingFloat (default) or EncodingBase64.
	EncodingFormat string `json:"encoding_format,omitempty"`
	// Dimensions keeps the first Dimensions components (re-normalised
	// when the model normalises).
	Dimensions *int   `json:"dimensions,omitempty"`
	User       string `json:"user,omitempty"`
}

// EmbeddingList is the answer of POST /v1/embeddings.
type EmbeddingList struct {
	Object string         `json:"object"` // ObjectList
	Data   []Embedding    `json:"data"`
	Model  string         `json:"model"`
	Usage  EmbeddingUsage `json:"usage"`
}

// Embedding is one input's vector.
type Embedding struct {
	Object    string          `json:"object"` // ObjectEmbedding
	Index     int             `json:"index"`
	Embedding EmbeddingVector `json:"embedding"`
}

// EmbeddingVector is an embedding as a JSON array of numbers, or, with
// Base64 set, as the base64 of its little-endian float32 bytes (OpenAI's
// encoding_format "base64").
type EmbeddingVector struct {
	Float  []float32
	Base64 string
}

// MarshalJSON writes the base64 string when set, else the numbers.
func (v EmbeddingVector) MarshalJSON() ([]byte, error) {
	if v.Base64 != "" {
		return json.Marshal(v.Base64)
	}
	if v.Float == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(v.Float)
}

// UnmarshalJSON reads either form; the base64 form stays encoded.
func (v *EmbeddingVector) UnmarshalJSON(data []byte) error {
	*v = EmbeddingVector{}
	if kindOf(data) == "string" {
		if err := json.Unmarshal(data, &v.Base64); err != nil {
			return err
		}
		if v.Base64 == "" {
			// The empty vector, as MarshalJSON writes it.
			v.Float = []float32{}
		}
		return nil
	}
	if err := json.Unmarshal(data, &v.Float); err != nil {
		return err
	}
	if v.Float == nil {
		// null: no components, as MarshalJSON writes it.
		v.Float = []float32{}
	}
	return nil
}

// EmbeddingUsage counts an embedding request's tokens.
type EmbeddingUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}
