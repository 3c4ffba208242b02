package auth

import (
	"context"
	"errors"
	"time"
)

// Errors of stores and the Manager, wrapped with context; test with
// errors.Is.
var (
	// ErrKeyNotFound means no stored key has the id or hash asked for.
	ErrKeyNotFound = errors.New("auth: key not found")
	// ErrDuplicateKey means a key with the same id or hash is stored
	// already (a collision of random values: retry with new ones).
	ErrDuplicateKey = errors.New("auth: duplicate key")
	// ErrSchemaTooNew means the store was written by a newer hfserve whose
	// schema this binary does not know; it refuses rather than guess.
	ErrSchemaTooNew = errors.New("auth: store schema is newer than this hfserve")
)

// Store keeps keys and usage. Implementations are safe for concurrent use
// and every write is atomic: it happened entirely or not at all.
type Store interface {
	// CreateKey stores a new key; ErrDuplicateKey if its ID or Hash is taken.
	CreateKey(ctx context.Context, k Key) error
	// Key returns the key with this id, or ErrKeyNotFound.
	Key(ctx context.Context, id string) (Key, error)
	// KeyByHash returns the key whose Hash is hash, or ErrKeyNotFound.
	KeyByHash(ctx context.Context, hash string) (Key, error)
	// Keys lists every key, revoked and expired ones too, newest first.
	Keys(ctx context.Context) ([]Key, error)
	// RevokeKey sets RevokedAt to at and returns the key. Revoking a
	// revoked key changes nothing and returns it as it is.
	RevokeKey(ctx context.Context, id string, at time.Time) (Key, error)
	// RotateKey replaces the key's Hash and Prefix, sets RotatedAt and
	// returns the key: the old hash finds nothing from then on. A revoked
	// key is not rotated (ErrRevokedKey).
	RotateKey(ctx context.Context, id, newHash, newPrefix string, at time.Time) (Key, error)
	// TouchKeys moves LastUsedAt of each key forward to the time given;
	// ids that are not stored are ignored.
	TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error
	// AddUsage adds the counters of each record to the stored ones, all
	// records or none.
	AddUsage(ctx context.Context, records []UsageRecord) error
	// Usage returns the stored records that match f, ordered by day, key
	// id and model.
	Usage(ctx context.Context, f UsageFilter) ([]UsageRecord, error)
	// Close releases the store's resources.
	Close() error
}
