package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// MaxRequestIDLen bounds the length of a request id accepted from a client.
const MaxRequestIDLen = 128

// RequestIDKey is the attribute name request ids carry in log records.
const RequestIDKey = "request_id"

// requestIDKey is the context key; an unexported type keeps other packages
// from colliding with it.
type requestIDKey struct{}

// WithRequestID returns a copy of ctx that carries id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "" when it has none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// NewRequestID returns a fresh random request id: 16 bytes from crypto/rand
// as 32 lowercase hex digits, so ids from many servers do not collide.
func NewRequestID() string {
	var b [16]byte
	// crypto/rand.Read never returns an error (it crashes the program if
	// the kernel cannot supply randomness), so there is nothing to handle.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidRequestID reports whether id, as sent by a client, is fit to use as
// a request id: 1 to MaxRequestIDLen bytes of visible ASCII (0x21–0x7E).
// Spaces and control characters are refused because ids end up in log
// lines, response headers and trace attributes, where they must stay one
// unambiguous token.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}
