package auth

import (
	"errors"
	"fmt"
)

// Errors of Manager.Authenticate: all mean 401 to the client; the
// difference is for the log. Rotating a revoked key fails with
// ErrRevokedKey too.
var (
	// ErrInvalidKey means the secret matches no key.
	ErrInvalidKey = errors.New("auth: invalid API key")
	// ErrExpiredKey means the key's ExpiresAt has passed.
	ErrExpiredKey = errors.New("auth: API key expired")
	// ErrRevokedKey means the key was revoked.
	ErrRevokedKey = errors.New("auth: API key revoked")
)

// ValidationError is a bad field of a request to the Manager: the server
// answers 400 with Field as the error's param.
type ValidationError struct {
	// Field is the field's name in the admin API's JSON ("name", "scopes",
	// "models", "rpm", "expires_at", "from", ...).
	Field string
	// Msg says what is wrong with it.
	Msg string
}

// Error implements error.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("auth: invalid %s: %s", e.Field, e.Msg)
}
