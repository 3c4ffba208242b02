package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hfserve/internal/respcache/redistest"
)

func TestRedisReplicasShareKeys(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	clock := newFakeClock()
	replicaA := NewManager(openTestRedis(t, srv), ManagerOptions{Now: clock.Now})
	replicaB := NewManager(openTestRedis(t, srv), ManagerOptions{Now: clock.Now})

	k, secret, err := replicaA.Create(ctx, KeySpec{Name: "shared", Scopes: []Scope{ScopeEmbeddings}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := replicaB.Authenticate(ctx, secret)
	if err != nil {
		t.Fatalf("key created on replica A refused by replica B: %v", err)
	}
	if p.KeyID != k.ID || !p.Allows(ScopeEmbeddings) || p.Allows(ScopeInference) {
		t.Fatalf("replica B's principal %+v, want key %s with embeddings only", p, k.ID)
	}

	// Revoked on A: refused by A at once, by B once its cache entry is
	// older than the TTL.
	if _, err := replicaA.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := replicaA.Authenticate(ctx, secret); !errors.Is(err, ErrRevokedKey) {
		t.Fatalf("replica A after revoking: %v, want ErrRevokedKey", err)
	}
	if _, err := replicaB.Authenticate(ctx, secret); err != nil {
		t.Fatalf("replica B within its cache TTL: %v, want the cached key", err)
	}
	clock.Advance(DefaultCacheTTL)
	if _, err := replicaB.Authenticate(ctx, secret); !errors.Is(err, ErrRevokedKey) {
		t.Fatalf("replica B after the cache TTL: %v, want ErrRevokedKey", err)
	}
}

func TestRedisConcurrentUsageIncrements(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	stores := []*RedisStore{openTestRedis(t, srv), openTestRedis(t, srv)}
	const perWorker, workersPerStore = 50, 4
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*workersPerStore)
	for _, s := range stores {
		for range workersPerStore {
			wg.Go(func() {
				for range perWorker {
					rec := []UsageRecord{
						{Day: "2026-05-01", KeyID: "key_a", Model: "m", Requests: 1, PromptTokens: 3, GeneratedTokens: 2},
						{Day: "2026-05-02", KeyID: "key_a", Model: "m", Requests: 1, Errors: 1},
					}
					if err := s.AddUsage(ctx, rec); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n := int64(len(stores) * workersPerStore * perWorker)
	got, err := stores[0].Usage(ctx, UsageFilter{KeyID: "key_a"})
	if err != nil {
		t.Fatal(err)
	}
	want := []UsageRecord{
		{Day: "2026-05-01", KeyID: "key_a", Model: "m", Requests: n, PromptTokens: 3 * n, GeneratedTokens: 2 * n},
		{Day: "2026-05-02", KeyID: "key_a", Model: "m", Requests: n, Errors: n},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("usage after %d concurrent increments\n got %+v\nwant %+v", n, got, want)
	}
}

func TestRedisSchemaTooNew(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	c := redisClient(t, srv)
	if err := c.Set(ctx, DefaultRedisPrefix+"schema", redisSchemaVersion+1, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRedisStore(ctx, c, ""); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("OpenRedisStore on a newer layout: %v, want ErrSchemaTooNew", err)
	}
	// Another prefix is another store.
	if _, err := OpenRedisStore(ctx, c, "other:{x}:"); err != nil {
		t.Fatal(err)
	}
}

func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// No retries: the first refused connection is the answer.
	client := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	defer client.Close()
	s, err := OpenRedisStore(ctx, client, "")
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	m := NewManager(s, ManagerOptions{})
	secret, _, err := newSecret()
	if err != nil {
		t.Fatal(err)
	}
	// A store that cannot answer is not a bad key: the server must say 503.
	_, err = m.Authenticate(ctx, secret)
	if err == nil || errors.Is(err, ErrInvalidKey) {
		t.Fatalf("Authenticate with Redis down: %v, want a store error", err)
	}
	if _, err := OpenRedisStore(ctx, client, ""); err == nil {
		t.Fatal("OpenRedisStore with Redis down succeeded")
	}
}
