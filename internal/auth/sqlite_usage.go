package auth

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// AddUsage implements Store.
func (s *SQLiteStore) AddUsage(ctx context.Context, records []UsageRecord) error {
	if len(records) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO usage_daily
			(day, key_id, model, requests, prompt_tokens, generated_tokens, errors)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (day, key_id, model) DO UPDATE SET
				requests         = requests + excluded.requests,
				prompt_tokens    = prompt_tokens + excluded.prompt_tokens,
				generated_tokens = generated_tokens + excluded.generated_tokens,
				errors           = errors + excluded.errors`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range records {
			if r.isZero() {
				continue // as in RedisStore, which has nowhere to keep one
			}
			if _, err := stmt.ExecContext(ctx, r.Day, r.KeyID, r.Model, r.Requests, r.PromptTokens,
				r.GeneratedTokens, r.Errors); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("auth: sqlite: add %d usage records: %w", len(records), err)
	}
	return nil
}

// Usage implements Store.
func (s *SQLiteStore) Usage(ctx context.Context, f UsageFilter) ([]UsageRecord, error) {
	var (
		where []string
		args  []any
	)
	for _, c := range []struct {
		cond, value string
	}{{"key_id = ?", f.KeyID}, {"model = ?", f.Model}, {"day >= ?", f.From}, {"day <= ?", f.To}} {
		if c.value != "" {
			where = append(where, c.cond)
			args = append(args, c.value)
		}
	}
	query := `SELECT day, key_id, model, requests, prompt_tokens, generated_tokens, errors FROM usage_daily`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY day, key_id, model`
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("auth: sqlite: usage: %w", err)
	}
	defer rows.Close()
	var records []UsageRecord
	for rows.Next() {
		var r UsageRecord
		if err := rows.Scan(&r.Day, &r.KeyID, &r.Model, &r.Requests, &r.PromptTokens, &r.GeneratedTokens, &r.Errors); err != nil {
			return nil, fmt.Errorf("auth: sqlite: usage: %w", err)
		}
		records = append(records, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auth: sqlite: usage: %w", err)
	}
	return records, nil
}
