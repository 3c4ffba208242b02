package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// createAttempts bounds the retries of Create and Rotate after an id or
// hash collision, which with 64 and 256 random bits never happens twice.
const createAttempts = 3

// ManagerOptions configure a Manager. The zero value has no admin key,
// reads the real clock, discards logs and caches for DefaultCacheTTL.
type ManagerOptions struct {
	// AdminKey is the bootstrap admin key from the configuration; empty
	// means none.
	AdminKey string
	// Now tells the time; nil is time.Now.
	Now func() time.Time
	// Logger receives an audit line for every key created, revoked or
	// rotated (ids and names, never secrets); nil discards them.
	Logger *slog.Logger
	// CacheTTL is how long Authenticate trusts a key it looked up: 0 is
	// DefaultCacheTTL, negative turns the cache off, and more than
	// MaxCacheTTL is MaxCacheTTL.
	CacheTTL time.Duration
}

// Manager creates, lists, revokes and rotates keys, and authenticates
// secrets. It is safe for concurrent use.
type Manager struct {
	store     Store
	adminHash [sha256.Size]byte
	hasAdmin  bool
	now       func() time.Time
	log       *slog.Logger
	cache     *keyCache
}

// NewManager returns a Manager on store.
func NewManager(store Store, opts ManagerOptions) *Manager {
	m := &Manager{store: store, now: opts.Now, log: opts.Logger}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if opts.AdminKey != "" {
		m.adminHash, m.hasAdmin = sha256.Sum256([]byte(opts.AdminKey)), true
	}
	ttl := opts.CacheTTL
	switch {
	case ttl == 0:
		ttl = DefaultCacheTTL
	case ttl > MaxCacheTTL:
		ttl = MaxCacheTTL
	}
	if ttl > 0 {
		m.cache = newKeyCache(ttl, maxCachedKeys)
	}
	return m
}

// Create validates spec (a *ValidationError names a bad field), stores a
// new key and returns it with its secret, which is shown this once and
// kept nowhere.
func (m *Manager) Create(ctx context.Context, spec KeySpec) (Key, string, error) {
	now := m.now().UTC()
	spec, err := spec.normalize(now)
	if err != nil {
		return Key{}, "", err
	}
	for attempt := 1; ; attempt++ {
		id, err := newKeyID()
		if err != nil {
			return Key{}, "", err
		}
		secret, hash, err := newSecret()
		if err != nil {
			return Key{}, "", err
		}
		k := Key{
			ID: id, Name: spec.Name, Prefix: displayPrefix(secret), Hash: hash,
			Scopes: spec.Scopes, Models: spec.Models, Limits: spec.Limits,
			CreatedAt: now, ExpiresAt: spec.ExpiresAt,
		}
		err = m.store.CreateKey(ctx, k)
		if errors.Is(err, ErrDuplicateKey) && attempt < createAttempts {
			continue
		}
		if err != nil {
			return Key{}, "", fmt.Errorf("auth: create key: %w", err)
		}
		m.log.Info("auth: key created", "key_id", k.ID, "name", k.Name, "scopes", k.Scopes)
		return k, secret, nil
	}
}

// Get returns the key with this id (ErrKeyNotFound when there is none).
func (m *Manager) Get(ctx context.Context, id string) (Key, error) {
	k, err := m.store.Key(ctx, id)
	if err != nil {
		return Key{}, fmt.Errorf("auth: get key: %w", err)
	}
	return k, nil
}

// List returns every key, newest first, revoked and expired ones included.
func (m *Manager) List(ctx context.Context) ([]Key, error) {
	keys, err := m.store.Keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("auth: list keys: %w", err)
	}
	return keys, nil
}

// Revoke revokes the key with this id and returns it; it stops working at
// once on this replica and within the cache TTL on the others. Revoking is
// idempotent: a revoked key is returned as it is, with the time of its
// first revocation. An unknown id is ErrKeyNotFound.
func (m *Manager) Revoke(ctx context.Context, id string) (Key, error) {
	k, err := m.store.RevokeKey(ctx, id, m.now().UTC())
	if err != nil {
		return Key{}, fmt.Errorf("auth: revoke key: %w", err)
	}
	m.cache.dropID(id)
	m.log.Info("auth: key revoked", "key_id", k.ID, "name", k.Name)
	return k, nil
}

// Rotate gives the key with this id a new secret, returned this once; the
// old secret stops working at once on this replica and within the cache
// TTL on the others. The key keeps its id, name, scopes, limits, expiry
// and usage. A revoked key is not rotated (ErrRevokedKey).
func (m *Manager) Rotate(ctx context.Context, id string) (Key, string, error) {
	for attempt := 1; ; attempt++ {
		secret, hash, err := newSecret()
		if err != nil {
			return Key{}, "", err
		}
		k, err := m.store.RotateKey(ctx, id, hash, displayPrefix(secret), m.now().UTC())
		if errors.Is(err, ErrDuplicateKey) && attempt < createAttempts {
			continue
		}
		if err != nil {
			return Key{}, "", fmt.Errorf("auth: rotate key: %w", err)
		}
		m.cache.dropID(id)
		m.log.Info("auth: key rotated", "key_id", k.ID, "name", k.Name)
		return k, secret, nil
	}
}
