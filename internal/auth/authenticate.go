package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
)

// Authenticate returns the principal a secret stands for. Failures are
// ErrInvalidKey, ErrExpiredKey or ErrRevokedKey (wrapped with the key's id
// where there is one, never with the secret); any other error means the
// store could not be asked, and the request should fail with 503, not 401.
func (m *Manager) Authenticate(ctx context.Context, secret string) (*Principal, error) {
	sum := sha256.Sum256([]byte(secret))
	// Comparing fixed-size hashes in constant time leaks neither the admin
	// key's length nor how much of it a guess got right.
	if m.hasAdmin && subtle.ConstantTimeCompare(sum[:], m.adminHash[:]) == 1 {
		return adminPrincipal(), nil
	}
	if !looksLikeSecret(secret) {
		return nil, ErrInvalidKey
	}
	// The lookup by hash may take longer for some hashes than others; that
	// tells an attacker about SHA-256 outputs, which cannot be turned back
	// into secrets.
	k, err := m.lookup(ctx, hex.EncodeToString(sum[:]))
	switch {
	case errors.Is(err, ErrKeyNotFound):
		return nil, ErrInvalidKey
	case err != nil:
		return nil, fmt.Errorf("auth: authenticate: %w", err)
	}
	switch k.State(m.now()) {
	case KeyRevoked:
		return nil, fmt.Errorf("%w (key %s)", ErrRevokedKey, k.ID)
	case KeyExpired:
		return nil, fmt.Errorf("%w (key %s)", ErrExpiredKey, k.ID)
	}
	return principalOf(&k), nil
}

// lookup finds a key by hash, in the cache first.
func (m *Manager) lookup(ctx context.Context, hash string) (Key, error) {
	now := m.now()
	if k, ok := m.cache.get(hash, now); ok {
		return k, nil
	}
	k, err := m.store.KeyByHash(ctx, hash)
	if err != nil {
		return Key{}, err
	}
	m.cache.put(hash, k, now)
	return k, nil
}
