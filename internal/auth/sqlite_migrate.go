package auth

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// A migration takes the schema from version n-1 to n, where n is its
// position in sqliteMigrations counted from 1. Migrations are only ever
// appended: a released one never changes.
type migration struct {
	name       string
	statements []string
}

// sqliteMigrations is the schema's history.
func sqliteMigrations() []migration {
	return []migration{
		{name: "keys and daily usage", statements: []string{
			// Times are Unix nanoseconds (UTC); scopes and models JSON arrays.
			`CREATE TABLE api_keys (
				id             TEXT PRIMARY KEY,
				name           TEXT NOT NULL,
				prefix         TEXT NOT NULL,
				hash           TEXT NOT NULL UNIQUE,
				scopes         TEXT NOT NULL,
				models         TEXT NOT NULL,
				rpm            INTEGER NOT NULL DEFAULT 0,
				tpm            INTEGER NOT NULL DEFAULT 0,
				max_concurrent INTEGER NOT NULL DEFAULT 0,
				daily_tokens   INTEGER NOT NULL DEFAULT 0,
				monthly_tokens INTEGER NOT NULL DEFAULT 0,
				created_at     INTEGER NOT NULL,
				expires_at     INTEGER,
				revoked_at     INTEGER,
				rotated_at     INTEGER,
				last_used_at   INTEGER
			)`,
			`CREATE INDEX api_keys_by_created ON api_keys (created_at DESC, id DESC)`,
			// No foreign key to api_keys: the bootstrap admin key has usage
			// but no row, and usage outlives nothing it should not.
			`CREATE TABLE usage_daily (
				day              TEXT NOT NULL,
				key_id           TEXT NOT NULL,
				model            TEXT NOT NULL,
				requests         INTEGER NOT NULL DEFAULT 0,
				prompt_tokens    INTEGER NOT NULL DEFAULT 0,
				generated_tokens INTEGER NOT NULL DEFAULT 0,
				errors           INTEGER NOT NULL DEFAULT 0,
				PRIMARY KEY (day, key_id, model)
			) WITHOUT ROWID`,
			`CREATE INDEX usage_daily_by_key ON usage_daily (key_id, day)`,
		}},
	}
}

// migrate applies the migrations the database lacks, all in one
// transaction, so that a crash or a second process opening the same file
// leaves it at one version or the next, never between.
func migrate(ctx context.Context, db *sql.DB, migrations []migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("%w: schema version %d, this binary knows up to %d", ErrSchemaTooNew, current, len(migrations))
	}
	for i := current; i < len(migrations); i++ {
		m := migrations[i]
		for _, stmt := range m.statements {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migrate: version %d (%s): %w", i+1, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			i+1, m.name, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("migrate: record version %d: %w", i+1, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
