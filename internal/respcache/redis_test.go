package respcache

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hfserve/internal/respcache/redistest"
)

func newRedis(t *testing.T, url string, clock *fakeClock) *Redis {
	t.Helper()
	opts := RedisOptions{URL: url}
	if clock != nil {
		opts.Clock = clock.Now
	}
	r, err := NewRedis(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRedisBackend(t *testing.T) {
	srv := redistest.Start(t)
	r := newRedis(t, srv.URL(), nil)
	ctx := context.Background()
	get := func(model string, key Key) []byte {
		t.Helper()
		v, _, err := r.Get(ctx, model, key)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	set := func(model string, key Key, value string, ttl time.Duration) Stamp {
		t.Helper()
		st, err := r.Stamp(ctx, model)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Set(ctx, model, key, st, []byte(value), ttl); err != nil {
			t.Fatal(err)
		}
		return st
	}
	if v := get("a", "k1"); v != nil {
		t.Fatalf("empty Redis hit: %q", v)
	}
	set("a", "k1", "v1", 90*time.Second)
	set("b", "k2", "v2", 90*time.Second)
	if v := get("a", "k1"); string(v) != "v1" {
		t.Fatalf("got %q, want v1", v)
	}

	// The entry lives under the namespace with its TTL set.
	direct := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer direct.Close()
	ttl, err := direct.TTL(ctx, Namespace+"e:k1").Result()
	if err != nil || ttl <= 85*time.Second || ttl > 90*time.Second {
		t.Fatalf("TTL of the entry = %v, %v; want about 90s", ttl, err)
	}

	stale, _ := r.Stamp(ctx, "a")
	if err := r.InvalidateModel(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if v := get("a", "k1"); v != nil {
		t.Fatalf("invalidated entry served: %q", v)
	}
	if v := get("b", "k2"); string(v) != "v2" {
		t.Fatalf("invalidating a dropped b's entry: %q", v)
	}
	// Computed before the invalidation, stored after: never served.
	if err := r.Set(ctx, "a", "k1", stale, []byte("old"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v := get("a", "k1"); v != nil {
		t.Fatalf("stale answer served: %q", v)
	}
	set("a", "k1", "new", time.Minute)
	if v := get("a", "k1"); string(v) != "new" {
		t.Fatalf("after invalidation the new answer is %q", v)
	}
	if err := r.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if get("a", "k1") != nil || get("b", "k2") != nil {
		t.Fatal("entries served after Flush")
	}
	// A value that is not ours (too short for the stamp) is a miss.
	if err := direct.Set(ctx, Namespace+"e:junk", "x", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if v := get("a", "junk"); v != nil {
		t.Fatalf("foreign value served: %q", v)
	}
}

// TestRedisSharedBetweenCaches: what one process stores, another finds.
func TestRedisSharedBetweenCaches(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	one, err := New(Options{Backend: newRedis(t, srv.URL(), nil), TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	two, err := New(Options{Backend: newRedis(t, srv.URL(), nil), TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	call := one.Begin(ctx, "m", "k", Mode{})
	if call.Hit() {
		t.Fatal("hit in an empty Redis")
	}
	call.Store(ctx, []byte("shared"))
	if got := two.Begin(ctx, "m", "k", Mode{}); string(got.Value) != "shared" || got.Shared {
		t.Fatalf("second cache: %q shared=%t, want a backend hit", got.Value, got.Shared)
	}
	if err := two.InvalidateModel(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if got := one.Begin(ctx, "m", "k", Mode{}); got.Hit() {
		t.Fatal("an invalidation by one replica did not reach the other")
	}
}

// TestRedisDownAndBack: with Redis gone, requests miss (and still get
// their answers), errors are counted, the breaker stops the attempts; once
// Redis is back and the backoff has passed, the cache works again.
func TestRedisDownAndBack(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock()
	ctx := context.Background()
	c, err := New(Options{Backend: newRedis(t, srv.URL(), clock), TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	request := func(key Key) (hit bool) {
		t.Helper()
		start := time.Now()
		call := c.Begin(ctx, "m", key, Mode{})
		defer call.Abandon()
		if !call.Hit() {
			call.Store(ctx, []byte("answer"))
		}
		// A lookup and a store, each bounded by the timeout.
		if d := time.Since(start); d > 2*DefaultRedisTimeout+time.Second {
			t.Fatalf("a request spent %v on the cache", d)
		}
		return call.Hit()
	}
	if request("k") || !request("k") {
		t.Fatal("Redis up: want a miss then a hit")
	}

	srv.Stop()
	for i := range 6 {
		if request("k") {
			t.Fatalf("request %d hit with Redis down", i)
		}
	}
	s := c.Stats()
	if s.BackendErrors != DefaultRedisFailureThreshold || s.BackendSkipped == 0 || s.Breaker != string(BreakerOpen) {
		t.Fatalf("with Redis down: stats %+v; want %d errors then skipped operations, breaker open", s, DefaultRedisFailureThreshold)
	}

	srv.Restart() // empty: persistence is off
	if request("k") {
		t.Fatal("hit before the breaker let a probe through")
	}
	clock.Advance(DefaultRedisMinBackoff)
	if request("k") { // the probe: a miss in the new, empty Redis, then stored
		t.Fatal("the restarted Redis cannot hold the old entry")
	}
	if !request("k") {
		t.Fatal("after Redis came back the cache does not work")
	}
	if s := c.Stats(); s.Breaker != string(BreakerClosed) {
		t.Fatalf("breaker %s after recovery", s.Breaker)
	}
}

// TestRedisSlowIsAMiss: a Redis that accepts connections but never answers
// costs each request at most the timeout, and only until the breaker opens.
func TestRedisSlowIsAMiss(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer conn.Close(); io.Copy(io.Discard, conn) }()
		}
	}()
	// The breaker's clock stands still: once open it stays open however
	// long a loaded machine takes over the loop, where the real clock
	// would let a probe (a fourth timeout) through after MinBackoff. The
	// operations' timeout still runs on the real clock.
	r, err := NewRedis(RedisOptions{URL: "redis://" + ln.Addr().String() + "/0", Timeout: 50 * time.Millisecond, Clock: newFakeClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Backend: r})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	start := time.Now()
	for range 10 {
		call := c.Begin(ctx, "m", "k", Mode{})
		if call.Hit() {
			t.Fatal("a silent Redis hit")
		}
		call.Store(ctx, []byte("v"))
	}
	// Three timed-out operations open the breaker; the rest cost nothing.
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("10 requests took %v against a silent Redis", d)
	}
	if s := c.Stats(); s.BackendErrors != DefaultRedisFailureThreshold || s.Misses != 10 || s.Breaker != string(BreakerOpen) {
		t.Fatalf("stats %+v", s)
	}
}

func TestNewRedisBadURL(t *testing.T) {
	if _, err := NewRedis(RedisOptions{URL: "http://localhost"}); err == nil {
		t.Fatal("an http URL was accepted")
	}
}
