package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Secret format: SecretPrefix and the unpadded base64url encoding of
// secretBytes random bytes.
const (
	// SecretPrefix starts every generated secret, so that secret scanners
	// (and people) can tell an hfserve key when they see one.
	SecretPrefix = "hfs_"
	// DisplayPrefixLen is how many leading characters of a secret a Key
	// keeps in Prefix, for people to tell keys apart: the 4 of SecretPrefix
	// and 8 random ones (48 bits, too few to help a guess of the other 208).
	DisplayPrefixLen = 12
	secretBytes      = 32
	secretLen        = len(SecretPrefix) + (secretBytes*8+5)/6 // 47
	keyIDPrefix      = "key_"
	keyIDBytes       = 8
)

// Key is a stored API key. It never holds the secret.
//
// Limits is embedded so that the JSON of a Key, as the admin API sends it,
// has rpm, tpm, max_concurrent, daily_tokens and monthly_tokens at the top
// level, like the body that creates one.
type Key struct {
	// ID is "key_" and 16 hex digits; it names the key in the admin API and
	// in usage.
	ID string `json:"id"`
	// Name is the operator's label for the key; names need not be unique.
	Name string `json:"name"`
	// Prefix is the secret's first DisplayPrefixLen characters.
	Prefix string `json:"prefix"`
	// Hash is the hex SHA-256 of the secret. A fast hash is right here,
	// unlike for passwords: the secret is 256 random bits, so no dictionary
	// or brute force over the hash can find it, and a slow hash would only
	// slow every request down.
	Hash string `json:"-"`
	// Scopes are the endpoint groups the key may call.
	Scopes []Scope `json:"scopes"`
	// Models restricts the models the key may use: exact ids or path.Match
	// patterns ("Qwen/*"); empty allows all.
	Models []string `json:"models"`
	Limits
	// CreatedAt is when the key was created.
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt, when set, is when the key stops working.
	ExpiresAt *time.Time `json:"expires_at"`
	// RevokedAt, when set, is when the key was revoked; it works no more.
	RevokedAt *time.Time `json:"revoked_at"`
	// RotatedAt, when set, is when the key last got a new secret.
	RotatedAt *time.Time `json:"rotated_at"`
	// LastUsedAt is when the key was last used, as of the last usage flush
	// (it is not written on every request).
	LastUsedAt *time.Time `json:"last_used_at"`
}

// KeyState is a key's standing at some moment.
type KeyState string

// The states of a key.
const (
	KeyActive  KeyState = "active"
	KeyExpired KeyState = "expired"
	KeyRevoked KeyState = "revoked"
)

// State is the key's standing at now; revocation wins over expiry.
func (k *Key) State(now time.Time) KeyState {
	switch {
	case k.RevokedAt != nil:
		return KeyRevoked
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return KeyExpired
	default:
		return KeyActive
	}
}

// newSecret returns a fresh secret and its hash.
func newSecret() (secret, hash string, err error) {
	var b [secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("auth: generate secret: %w", err)
	}
	secret = SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret), nil
}

// newKeyID returns a fresh key id.
func newKeyID() (string, error) {
	var b [keyIDBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("auth: generate key id: %w", err)
	}
	return keyIDPrefix + hex.EncodeToString(b[:]), nil
}

// HashSecret is the hex SHA-256 of a secret, as Key.Hash stores it.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// looksLikeSecret reports whether s has the shape of a generated secret, so
// that anything else is refused without a store lookup.
func looksLikeSecret(s string) bool {
	if len(s) != secretLen || !strings.HasPrefix(s, SecretPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s[len(SecretPrefix):])
	return err == nil
}

// displayPrefix is the part of a secret a Key keeps.
func displayPrefix(secret string) string {
	return secret[:min(DisplayPrefixLen, len(secret))]
}
