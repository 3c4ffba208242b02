package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the pure-Go driver "sqlite": CGO_ENABLED=0 builds keep working
)

// SQLiteBusyTimeoutMS is how long a connection waits for another writer
// (another connection of this process, or another process on the same file)
// before a write fails with "database is locked".
const SQLiteBusyTimeoutMS = 10000

// SQLiteStore is a Store in one SQLite database file.
//
// The journal is WAL, so lookups by hash never wait for a usage flush, and
// synchronous is FULL, so every commit is fsynced before it returns: a key
// whose creation was acknowledged survives a crash of the process or the
// machine. Write transactions start IMMEDIATE, taking the write lock up
// front, so two writers never deadlock upgrading read locks.
type SQLiteStore struct {
	db   *sql.DB
	path string
}

var _ Store = (*SQLiteStore)(nil)

// OpenSQLite opens the database at path, creating it (mode 0600, in folders
// created with mode 0700: it holds key hashes) when it does not exist, and
// brings its schema up to date. It fails with ErrSchemaTooNew when a newer
// hfserve has migrated the file further than this one knows.
func OpenSQLite(ctx context.Context, path string) (*SQLiteStore, error) {
	if path == "" {
		return nil, errors.New("auth: sqlite: empty database path")
	}
	// The driver reads its options after the first '?'.
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("auth: sqlite: %s: path must not contain '?'", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("auth: sqlite: %w", err)
	}
	// Created here rather than by SQLite so that it gets mode 0600; SQLite
	// gives its -wal and -shm files the database file's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("auth: sqlite: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("auth: sqlite: %w", err)
	}
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("auth: sqlite: %s: %w", path, err)
	}
	s := &SQLiteStore{db: db, path: path}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("auth: sqlite: %s: %w", path, err)
	}
	return s, nil
}

// sqliteDSN is the driver's name for the database at path with the
// settings every connection of the pool gets. busy_timeout comes first so
// that the others wait for a lock rather than fail.
func sqliteDSN(path string) string {
	pragmas := []string{
		fmt.Sprintf("busy_timeout(%d)", SQLiteBusyTimeoutMS),
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"foreign_keys(1)",
	}
	var b strings.Builder
	b.WriteString(path)
	b.WriteString("?_txlock=immediate")
	for _, p := range pragmas {
		b.WriteString("&_pragma=")
		b.WriteString(p)
	}
	return b.String()
}

// init checks the connection's settings and migrates the schema.
func (s *SQLiteStore) init(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, want wal (is the file on a filesystem without shared memory?)", mode)
	}
	return migrate(ctx, s.db, sqliteMigrations())
}

// Path is the database file's path.
func (s *SQLiteStore) Path() string { return s.path }

// Close closes the database.
func (s *SQLiteStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("auth: sqlite: close %s: %w", s.path, err)
	}
	return nil
}

// inTx runs fn in a write transaction and commits it when fn succeeds.
func (s *SQLiteStore) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
