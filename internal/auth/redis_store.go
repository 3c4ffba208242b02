package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisPrefix starts the names of a RedisStore's Redis keys when
// OpenRedisStore is given none. Its {hash tag} puts all of them in one
// Cluster slot, which the store's scripts and transactions need.
const DefaultRedisPrefix = "hfserve:auth:{v1}:"

// redisSchemaVersion is the layout of the Redis keys below; a store written
// with a higher one is refused.
const redisSchemaVersion = 1

// RedisStore is a Store on a Redis server, shared by every replica that
// points at it.
//
// Layout under the prefix: "key:<id>" a hash per key; "byhash" a hash from
// secret hash to key id; "keys" a sorted set of key ids by creation time;
// "usage:<day>" a hash per UTC day whose fields "<counter>|<key id>|<model>"
// are incremented with HINCRBY; "usage-days" a sorted set of the days that
// have usage. Reads never SCAN.
type RedisStore struct {
	client  redis.UniversalClient
	prefix  string
	scripts *redisScripts
}

var _ Store = (*RedisStore)(nil)

// OpenRedisStore checks that Redis answers and that its data is in a
// layout this binary knows (ErrSchemaTooNew otherwise), and returns a store
// on it. Keys are named under prefix (DefaultRedisPrefix when empty); a
// prefix should hold a {hash tag} for Redis Cluster. The caller keeps
// ownership of client: Close does not close it.
func OpenRedisStore(ctx context.Context, client redis.UniversalClient, prefix string) (*RedisStore, error) {
	if client == nil {
		return nil, errors.New("auth: redis: nil client")
	}
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	s := &RedisStore{client: client, prefix: prefix, scripts: newRedisScripts()}
	schemaKey := prefix + "schema"
	if err := client.SetNX(ctx, schemaKey, redisSchemaVersion, 0).Err(); err != nil {
		return nil, fmt.Errorf("auth: redis: %w", err)
	}
	v, err := client.Get(ctx, schemaKey).Int()
	if err != nil {
		return nil, fmt.Errorf("auth: redis: read %s: %w", schemaKey, err)
	}
	if v > redisSchemaVersion {
		return nil, fmt.Errorf("%w: redis %s is %d, this binary knows up to %d", ErrSchemaTooNew, schemaKey, v, redisSchemaVersion)
	}
	return s, nil
}

// Close implements Store; it leaves the client open.
func (s *RedisStore) Close() error { return nil }

// Names of the store's Redis keys.
func (s *RedisStore) keyKey(id string) string    { return s.prefix + "key:" + id }
func (s *RedisStore) hashIndexKey() string       { return s.prefix + "byhash" }
func (s *RedisStore) keyListKey() string         { return s.prefix + "keys" }
func (s *RedisStore) usageKey(day string) string { return s.prefix + "usage:" + day }
func (s *RedisStore) usageDaysKey() string       { return s.prefix + "usage-days" }

// scriptResult reads what a key script answered: the key's fields, or one
// of the status codes.
func scriptResult(res any, err error) (Key, error) {
	if err != nil {
		return Key{}, err
	}
	switch v := res.(type) {
	case int64:
		switch v {
		case redisNotFound:
			return Key{}, ErrKeyNotFound
		case redisRevoked:
			return Key{}, ErrRevokedKey
		case redisDuplicate:
			return Key{}, ErrDuplicateKey
		}
		return Key{}, fmt.Errorf("unexpected script status %d", v)
	case []any:
		fields := make(map[string]string, len(v)/2)
		for i := 0; i+1 < len(v); i += 2 {
			name, _ := v[i].(string)
			value, _ := v[i+1].(string)
			fields[name] = value
		}
		if len(fields) == 0 {
			// The index named a key that is gone.
			return Key{}, ErrKeyNotFound
		}
		return decodeRedisKey(fields)
	default:
		return Key{}, fmt.Errorf("unexpected script answer %T", res)
	}
}

// formatNanos writes a time as the decimal Unix nanoseconds the store keeps.
func formatNanos(n int64) string { return strconv.FormatInt(n, 10) }
