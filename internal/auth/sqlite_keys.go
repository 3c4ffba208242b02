package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// keyColumns are the columns scanKey reads, in its order.
const keyColumns = `id, name, prefix, hash, scopes, models, rpm, tpm, max_concurrent, daily_tokens,
	monthly_tokens, created_at, expires_at, revoked_at, rotated_at, last_used_at`

// CreateKey implements Store.
func (s *SQLiteStore) CreateKey(ctx context.Context, k Key) error {
	scopes, models, err := encodeLists(&k)
	if err != nil {
		return fmt.Errorf("auth: sqlite: create key %s: %w", k.ID, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// Checked in the transaction, which holds the write lock, rather
		// than read from a driver-specific constraint error.
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys WHERE id = ? OR hash = ?`, k.ID, k.Hash).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return ErrDuplicateKey
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+keyColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.Name, k.Prefix, k.Hash, scopes, models, k.RPM, k.TPM, k.MaxConcurrent, k.DailyTokens,
			k.MonthlyTokens, k.CreatedAt.UnixNano(), nullTime(k.ExpiresAt), nullTime(k.RevokedAt),
			nullTime(k.RotatedAt), nullTime(k.LastUsedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("auth: sqlite: create key %s: %w", k.ID, err)
	}
	return nil
}

// Key implements Store.
func (s *SQLiteStore) Key(ctx context.Context, id string) (Key, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
	if err != nil {
		return Key{}, fmt.Errorf("auth: sqlite: key %s: %w", id, err)
	}
	return k, nil
}

// KeyByHash implements Store.
func (s *SQLiteStore) KeyByHash(ctx context.Context, hash string) (Key, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if err != nil {
		// The hash of a secret is no secret, but it is the caller's guess:
		// it stays out of the message.
		return Key{}, fmt.Errorf("auth: sqlite: key by hash: %w", err)
	}
	return k, nil
}

// Keys implements Store.
func (s *SQLiteStore) Keys(ctx context.Context) ([]Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("auth: sqlite: list keys: %w", err)
	}
	defer rows.Close()
	var keys []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("auth: sqlite: list keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auth: sqlite: list keys: %w", err)
	}
	return keys, nil
}

// RevokeKey implements Store.
func (s *SQLiteStore) RevokeKey(ctx context.Context, id string, at time.Time) (Key, error) {
	var k Key
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if k, err = scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id)); err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil
		}
		at = at.UTC()
		k.RevokedAt = &at
		_, err = tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ?`, at.UnixNano(), id)
		return err
	})
	if err != nil {
		return Key{}, fmt.Errorf("auth: sqlite: revoke key %s: %w", id, err)
	}
	return k, nil
}

// RotateKey implements Store.
func (s *SQLiteStore) RotateKey(ctx context.Context, id, newHash, newPrefix string, at time.Time) (Key, error) {
	var k Key
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if k, err = scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id)); err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return ErrRevokedKey
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys WHERE hash = ?`, newHash).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return ErrDuplicateKey
		}
		at = at.UTC()
		k.Hash, k.Prefix, k.RotatedAt = newHash, newPrefix, &at
		_, err = tx.ExecContext(ctx, `UPDATE api_keys SET hash = ?, prefix = ?, rotated_at = ? WHERE id = ?`,
			newHash, newPrefix, at.UnixNano(), id)
		return err
	})
	if err != nil {
		return Key{}, fmt.Errorf("auth: sqlite: rotate key %s: %w", id, err)
	}
	return k, nil
}

// TouchKeys implements Store.
func (s *SQLiteStore) TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for id, t := range lastUsed {
			n := t.UnixNano()
			if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ?
				WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, n, id, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("auth: sqlite: touch %d keys: %w", len(lastUsed), err)
	}
	return nil
}

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// scanKey reads the keyColumns of one row; sql.ErrNoRows becomes
// ErrKeyNotFound.
func scanKey(row rowScanner) (Key, error) {
	var (
		k                                  Key
		scopes, models                     string
		created                            int64
		expires, revoked, rotated, lastUse sql.NullInt64
	)
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Hash, &scopes, &models, &k.RPM, &k.TPM, &k.MaxConcurrent,
		&k.DailyTokens, &k.MonthlyTokens, &created, &expires, &revoked, &rotated, &lastUse)
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, ErrKeyNotFound
	}
	if err != nil {
		return Key{}, err
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return Key{}, fmt.Errorf("key %s: scopes: %w", k.ID, err)
	}
	if err := json.Unmarshal([]byte(models), &k.Models); err != nil {
		return Key{}, fmt.Errorf("key %s: models: %w", k.ID, err)
	}
	k.CreatedAt = time.Unix(0, created).UTC()
	k.ExpiresAt, k.RevokedAt, k.RotatedAt, k.LastUsedAt = timeOf(expires), timeOf(revoked), timeOf(rotated), timeOf(lastUse)
	return k, nil
}

// encodeLists is the JSON of a key's scopes and models, never null.
func encodeLists(k *Key) (scopes, models string, err error) {
	s, err := json.Marshal(nonNil(k.Scopes))
	if err != nil {
		return "", "", err
	}
	m, err := json.Marshal(nonNil(k.Models))
	if err != nil {
		return "", "", err
	}
	return string(s), string(m), nil
}

// nonNil turns a nil slice into an empty one, so that JSON writes [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nullTime is an optional time as a nullable column.
func nullTime(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// timeOf is a nullable column as an optional time.
func timeOf(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.Unix(0, n.Int64).UTC()
	return &t
}
