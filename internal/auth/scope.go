package auth

import (
	"fmt"
	"strings"
)

// Scope names a group of endpoints a key may call.
type Scope string

// The scopes a key can hold.
const (
	// ScopeInference covers text generation: OpenAI chat and completions,
	// TGI generate and generate_stream.
	ScopeInference Scope = "inference"
	// ScopeEmbeddings covers encoders: OpenAI embeddings, TEI embed, rerank
	// and predict.
	ScopeEmbeddings Scope = "embeddings"
	// ScopeAdmin covers the admin API and dashboard, and implies every other
	// scope.
	ScopeAdmin Scope = "admin"
)

// Scopes lists every known scope, in the order the admin API documents them.
func Scopes() []Scope { return []Scope{ScopeInference, ScopeEmbeddings, ScopeAdmin} }

// DefaultScopes are the scopes of a key created without any: what a client
// application needs, never admin.
func DefaultScopes() []Scope { return []Scope{ScopeInference, ScopeEmbeddings} }

// ParseScope reads a scope name, ignoring letter case and surrounding space.
func ParseScope(s string) (Scope, error) {
	want := Scope(strings.ToLower(strings.TrimSpace(s)))
	for _, sc := range Scopes() {
		if sc == want {
			return sc, nil
		}
	}
	return "", fmt.Errorf("auth: unknown scope %q (want one of inference, embeddings, admin)", s)
}

// Limits are a key's rate limits and token quotas; 0 means unlimited.
// Tokens are prompt plus generated tokens.
type Limits struct {
	// RPM is requests per minute.
	RPM int64 `json:"rpm"`
	// TPM is tokens per minute.
	TPM int64 `json:"tpm"`
	// MaxConcurrent is requests in flight at once.
	MaxConcurrent int64 `json:"max_concurrent"`
	// DailyTokens is tokens per UTC day.
	DailyTokens int64 `json:"daily_tokens"`
	// MonthlyTokens is tokens per UTC calendar month.
	MonthlyTokens int64 `json:"monthly_tokens"`
}
