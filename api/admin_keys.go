package api

import "time"

// ObjectAdminKey is AdminKey.Object.
const ObjectAdminKey = "admin.key"

// Key states (AdminKey.State).
const (
	KeyStateActive  = "active"
	KeyStateExpired = "expired"
	KeyStateRevoked = "revoked"
)

// Scopes a key can hold (KeyCreateRequest.Scopes, AdminKey.Scopes).
const (
	// ScopeInference allows text generation: /v1/chat/completions,
	// /v1/completions, TGI /generate and /generate_stream.
	ScopeInference = "inference"
	// ScopeEmbeddings allows the encoders: /v1/embeddings, TEI /embed,
	// /rerank and /predict.
	ScopeEmbeddings = "embeddings"
	// ScopeAdmin allows the admin API and dashboard, and every other scope.
	ScopeAdmin = "admin"
)

// KeyLimits are a key's rate limits and token quotas; 0 means unlimited.
// Tokens are prompt plus generated tokens.
type KeyLimits struct {
	// RPM is requests per minute.
	RPM int64 `json:"rpm"`
	// TPM is tokens per minute.
	TPM int64 `json:"tpm"`
	// MaxConcurrent is the most requests in flight at once.
	MaxConcurrent int64 `json:"max_concurrent"`
	// DailyTokens is the tokens per UTC day.
	DailyTokens int64 `json:"daily_tokens"`
	// MonthlyTokens is the tokens per UTC calendar month.
	MonthlyTokens int64 `json:"monthly_tokens"`
}

// KeyCreateRequest is the body of POST /admin/keys. Unknown fields are
// refused (400), so that a misspelt limit never creates an unlimited key.
type KeyCreateRequest struct {
	// Name labels the key (required).
	Name string `json:"name"`
	// Scopes are the endpoint groups the key may call; none means
	// inference and embeddings.
	Scopes []string `json:"scopes,omitempty"`
	// Models restricts the key to these model ids or path.Match patterns
	// ("Qwen/*"); none (or "*") allows every model.
	Models []string `json:"models,omitempty"`
	// RPM, TPM, MaxConcurrent, DailyTokens and MonthlyTokens are as in
	// KeyLimits (0: unlimited). They are not an embedded KeyLimits so that
	// a decoding error names the field as the client wrote it ("rpm").
	RPM           int64 `json:"rpm,omitempty"`
	TPM           int64 `json:"tpm,omitempty"`
	MaxConcurrent int64 `json:"max_concurrent,omitempty"`
	DailyTokens   int64 `json:"daily_tokens,omitempty"`
	MonthlyTokens int64 `json:"monthly_tokens,omitempty"`
	// ExpiresAt, when set (RFC 3339), is when the key stops working; it
	// must be in the future.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// AdminKey is one key as the admin API shows it. It never holds the
// secret, only its first characters (Prefix) to tell keys apart.
type AdminKey struct {
	ID     string `json:"id"`
	Object string `json:"object"` // always ObjectAdminKey
	Name   string `json:"name"`
	// Prefix is the secret's first characters.
	Prefix string   `json:"prefix"`
	Scopes []string `json:"scopes"`
	// Models is empty when every model is allowed.
	Models []string `json:"models"`
	KeyLimits
	// State is KeyStateActive, KeyStateExpired or KeyStateRevoked, as of
	// the answer.
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	RotatedAt *time.Time `json:"rotated_at"`
	// LastUsedAt is as of the server's last usage flush.
	LastUsedAt *time.Time `json:"last_used_at"`
}

// AdminKeySecret is the answer to POST /admin/keys (201) and
// POST /admin/keys/{id}/rotate: the key and its secret, which the server
// shows this once and keeps nowhere.
type AdminKeySecret struct {
	AdminKey
	// Key is the secret to send as "Authorization: Bearer <key>".
	Key string `json:"key"`
}

// AdminKeyList is the body of GET /admin/keys, newest key first.
type AdminKeyList struct {
	Object string     `json:"object"` // always ObjectList
	Data   []AdminKey `json:"data"`
}

// UsageRecord is what one key did with one model on one UTC day.
type UsageRecord struct {
	// Day is the UTC day, YYYY-MM-DD.
	Day string `json:"day"`
	// KeyID is the key's id; "admin" for the bootstrap admin key.
	KeyID string `json:"key_id"`
	// Model is the model's id.
	Model string `json:"model"`
	// Requests counts requests, failed ones included.
	Requests        int64 `json:"requests"`
	PromptTokens    int64 `json:"prompt_tokens"`
	GeneratedTokens int64 `json:"generated_tokens"`
	// Errors counts requests that failed (status 400 or more).
	Errors int64 `json:"errors"`
}

// UsageList is the body of GET /admin/usage?format=json, ordered by day,
// key id and model.
type UsageList struct {
	Object string        `json:"object"` // always ObjectList
	Data   []UsageRecord `json:"data"`
}
