package auth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// CreateKey implements Store.
func (s *RedisStore) CreateKey(ctx context.Context, k Key) error {
	fields, err := encodeRedisKey(&k)
	if err != nil {
		return fmt.Errorf("auth: redis: create key %s: %w", k.ID, err)
	}
	args := append([]any{k.ID, k.Hash, k.CreatedAt.UnixMilli()}, fields...)
	res, err := s.scripts.create.Run(ctx, s.client,
		[]string{s.keyKey(k.ID), s.hashIndexKey(), s.keyListKey()}, args...).Int64()
	switch {
	case err != nil:
		return fmt.Errorf("auth: redis: create key %s: %w", k.ID, err)
	case res == redisDuplicate:
		return fmt.Errorf("auth: redis: create key %s: %w", k.ID, ErrDuplicateKey)
	}
	return nil
}

// Key implements Store.
func (s *RedisStore) Key(ctx context.Context, id string) (Key, error) {
	fields, err := s.client.HGetAll(ctx, s.keyKey(id)).Result()
	if err != nil {
		return Key{}, fmt.Errorf("auth: redis: key %s: %w", id, err)
	}
	if len(fields) == 0 {
		return Key{}, fmt.Errorf("auth: redis: key %s: %w", id, ErrKeyNotFound)
	}
	k, err := decodeRedisKey(fields)
	if err != nil {
		return Key{}, fmt.Errorf("auth: redis: key %s: %w", id, err)
	}
	return k, nil
}

// KeyByHash implements Store in one round trip.
func (s *RedisStore) KeyByHash(ctx context.Context, hash string) (Key, error) {
	k, err := scriptResult(s.scripts.byHash.Run(ctx, s.client, []string{s.hashIndexKey()}, hash, s.keyKey("")).Result())
	if err != nil {
		return Key{}, fmt.Errorf("auth: redis: key by hash: %w", err)
	}
	return k, nil
}

// Keys implements Store.
func (s *RedisStore) Keys(ctx context.Context) ([]Key, error) {
	ids, err := s.client.ZRange(ctx, s.keyListKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("auth: redis: list keys: %w", err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.keyKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("auth: redis: list keys: %w", err)
	}
	keys := make([]Key, 0, len(ids))
	for _, cmd := range cmds {
		if len(cmd.Val()) == 0 {
			continue
		}
		k, err := decodeRedisKey(cmd.Val())
		if err != nil {
			return nil, fmt.Errorf("auth: redis: list keys: %w", err)
		}
		keys = append(keys, k)
	}
	// The set's scores are milliseconds; order by the exact times as
	// SQLiteStore does.
	slices.SortFunc(keys, func(a, b Key) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return keys, nil
}

// RevokeKey implements Store.
func (s *RedisStore) RevokeKey(ctx context.Context, id string, at time.Time) (Key, error) {
	k, err := scriptResult(s.scripts.revoke.Run(ctx, s.client, []string{s.keyKey(id)}, formatNanos(at.UnixNano())).Result())
	if err != nil {
		return Key{}, fmt.Errorf("auth: redis: revoke key %s: %w", id, err)
	}
	return k, nil
}

// RotateKey implements Store.
func (s *RedisStore) RotateKey(ctx context.Context, id, newHash, newPrefix string, at time.Time) (Key, error) {
	k, err := scriptResult(s.scripts.rotate.Run(ctx, s.client, []string{s.keyKey(id), s.hashIndexKey()},
		id, newHash, newPrefix, formatNanos(at.UnixNano())).Result())
	if err != nil {
		return Key{}, fmt.Errorf("auth: redis: rotate key %s: %w", id, err)
	}
	return k, nil
}

// TouchKeys implements Store.
func (s *RedisStore) TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	keys := make([]string, 0, len(lastUsed))
	args := make([]any, 0, len(lastUsed))
	for id, t := range lastUsed {
		keys = append(keys, s.keyKey(id))
		args = append(args, formatNanos(t.UnixNano()))
	}
	if err := s.scripts.touch.Run(ctx, s.client, keys, args...).Err(); err != nil {
		return fmt.Errorf("auth: redis: touch %d keys: %w", len(lastUsed), err)
	}
	return nil
}

// encodeRedisKey is a key as field, value, field, value... for HSET;
// unset times are absent fields.
func encodeRedisKey(k *Key) ([]any, error) {
	scopes, models, err := encodeLists(k)
	if err != nil {
		return nil, err
	}
	fields := []any{
		"id", k.ID, "name", k.Name, "prefix", k.Prefix, "hash", k.Hash, "scopes", scopes, "models", models,
		"rpm", k.RPM, "tpm", k.TPM, "max_concurrent", k.MaxConcurrent, "daily_tokens", k.DailyTokens,
		"monthly_tokens", k.MonthlyTokens, "created_at", formatNanos(k.CreatedAt.UnixNano()),
	}
	for _, t := range []struct {
		field string
		at    *time.Time
	}{{"expires_at", k.ExpiresAt}, {"revoked_at", k.RevokedAt}, {"rotated_at", k.RotatedAt}, {"last_used_at", k.LastUsedAt}} {
		if t.at != nil {
			fields = append(fields, t.field, formatNanos(t.at.UnixNano()))
		}
	}
	return fields, nil
}

// decodeRedisKey reads the fields encodeRedisKey wrote.
func decodeRedisKey(f map[string]string) (Key, error) {
	k := Key{ID: f["id"], Name: f["name"], Prefix: f["prefix"], Hash: f["hash"]}
	var errs []error
	if err := json.Unmarshal([]byte(f["scopes"]), &k.Scopes); err != nil {
		errs = append(errs, fmt.Errorf("scopes: %w", err))
	}
	if err := json.Unmarshal([]byte(f["models"]), &k.Models); err != nil {
		errs = append(errs, fmt.Errorf("models: %w", err))
	}
	for _, n := range []struct {
		field string
		dst   *int64
	}{{"rpm", &k.RPM}, {"tpm", &k.TPM}, {"max_concurrent", &k.MaxConcurrent}, {"daily_tokens", &k.DailyTokens}, {"monthly_tokens", &k.MonthlyTokens}} {
		v, err := strconv.ParseInt(f[n.field], 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n.field, err))
		}
		*n.dst = v
	}
	created, err := strconv.ParseInt(f["created_at"], 10, 64)
	if err != nil {
		errs = append(errs, fmt.Errorf("created_at: %w", err))
	}
	k.CreatedAt = time.Unix(0, created).UTC()
	for _, t := range []struct {
		field string
		dst   **time.Time
	}{{"expires_at", &k.ExpiresAt}, {"revoked_at", &k.RevokedAt}, {"rotated_at", &k.RotatedAt}, {"last_used_at", &k.LastUsedAt}} {
		raw, ok := f[t.field]
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.field, err))
			continue
		}
		at := time.Unix(0, n).UTC()
		*t.dst = &at
	}
	if err := errors.Join(errs...); err != nil {
		return Key{}, fmt.Errorf("stored key %q: %w", k.ID, err)
	}
	return k, nil
}
