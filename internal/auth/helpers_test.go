package auth

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hfserve/internal/respcache/redistest"
)

// fakeClock is a settable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 14, 23, 59, 0, 123456789, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openTestSQLite opens a fresh SQLiteStore closed when t ends.
func openTestSQLite(t testing.TB) *SQLiteStore {
	t.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// redisClient is a client of srv closed when t ends.
func redisClient(t testing.TB, srv *redistest.Server) redis.UniversalClient {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { c.Close() })
	return c
}

// openTestRedis opens a RedisStore on srv with its own client.
func openTestRedis(t testing.TB, srv *redistest.Server) *RedisStore {
	t.Helper()
	s, err := OpenRedisStore(context.Background(), redisClient(t, srv), "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// backends are the Store implementations every conformance test runs on.
func backends() []struct {
	name string
	open func(t *testing.T) Store
} {
	return []struct {
		name string
		open func(t *testing.T) Store
	}{
		{"sqlite", func(t *testing.T) Store { return openTestSQLite(t) }},
		{"redis", func(t *testing.T) Store { return openTestRedis(t, redistest.Start(t)) }},
	}
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
