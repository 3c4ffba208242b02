package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// MaxCredentialLen bounds the length of a presented secret: generated
// secrets have 47 characters and admin keys are configured by people, so
// anything much longer is an attack on the parser or the logs.
const MaxCredentialLen = 512

// Errors of ParseCredentials; both mean 401.
var (
	// ErrNoCredentials means the request carries neither header.
	ErrNoCredentials = errors.New("auth: no API key: send Authorization: Bearer <key> or X-API-Key: <key>")
	// ErrMalformedCredentials means a header is present but unusable.
	ErrMalformedCredentials = errors.New("auth: malformed API key header")
)

// ParseCredentials returns the secret a request presents, from
// "Authorization: Bearer <secret>" (the scheme in any letter case, then
// spaces, then exactly one token) or "X-API-Key: <secret>". A request with
// both must present the same secret in each. A secret is at most
// MaxCredentialLen bytes with no spaces or control characters. It returns
// ErrNoCredentials when neither header is present and an error wrapping
// ErrMalformedCredentials for anything else it refuses.
func ParseCredentials(h http.Header) (secret string, err error) {
	bearer, hasBearer, err := bearerToken(h)
	if err != nil {
		return "", err
	}
	apiKey, hasAPIKey, err := apiKeyHeader(h)
	if err != nil {
		return "", err
	}
	switch {
	case hasBearer && hasAPIKey && bearer != apiKey:
		return "", fmt.Errorf("%w: Authorization and X-API-Key present different keys", ErrMalformedCredentials)
	case hasBearer:
		return bearer, nil
	case hasAPIKey:
		return apiKey, nil
	default:
		return "", ErrNoCredentials
	}
}

// bearerToken reads the Authorization header.
func bearerToken(h http.Header) (token string, ok bool, err error) {
	values := h.Values("Authorization")
	switch len(values) {
	case 0:
		return "", false, nil
	case 1:
	default:
		return "", false, fmt.Errorf("%w: %d Authorization headers", ErrMalformedCredentials, len(values))
	}
	scheme, rest, found := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		// The scheme is the client's, not a secret, but it may be a secret
		// sent without one: keep it out of the message.
		return "", false, fmt.Errorf("%w: Authorization scheme must be Bearer", ErrMalformedCredentials)
	}
	if !found {
		return "", false, fmt.Errorf("%w: Authorization: Bearer without a key", ErrMalformedCredentials)
	}
	token = strings.TrimLeft(rest, " ")
	if err := checkSecret(token); err != nil {
		return "", false, fmt.Errorf("%w: Authorization: %w", ErrMalformedCredentials, err)
	}
	return token, true, nil
}

// apiKeyHeader reads the X-API-Key header.
func apiKeyHeader(h http.Header) (key string, ok bool, err error) {
	values := h.Values("X-API-Key")
	switch len(values) {
	case 0:
		return "", false, nil
	case 1:
	default:
		return "", false, fmt.Errorf("%w: %d X-API-Key headers", ErrMalformedCredentials, len(values))
	}
	if err := checkSecret(values[0]); err != nil {
		return "", false, fmt.Errorf("%w: X-API-Key: %w", ErrMalformedCredentials, err)
	}
	return values[0], true, nil
}

// checkSecret applies the rules every presented secret obeys. Bytes above
// 0x7f pass, as they do in config's admin_key.
func checkSecret(s string) error {
	switch {
	case s == "":
		return errors.New("empty key")
	case len(s) > MaxCredentialLen:
		return fmt.Errorf("key longer than %d bytes", MaxCredentialLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return errors.New("key contains a space or control character")
		}
	}
	return nil
}
