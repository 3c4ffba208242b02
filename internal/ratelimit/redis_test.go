package ratelimit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"hfserve/internal/respcache/redistest"
)

// newClient is a client for a test's redis-server: no retries and a short
// timeout, so that a stopped server shows at once.
func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr: addr, MaxRetries: -1, ContextTimeoutEnabled: true, DisableIdentity: true,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// newTestRedis builds a Redis limiter with a generous timeout (race-detector
// runs on a busy machine are slow) and a fallback the test can inspect.
func newTestRedis(t *testing.T, client redis.UniversalClient, opts RedisOptions) *Redis {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Fallback == nil {
		opts.Fallback = NewLocal(LocalOptions{Now: opts.Now, Seed: opts.Seed})
	}
	r, err := NewRedis(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestConformanceRedis(t *testing.T) {
	srv := redistest.Start(t)
	client := newClient(t, srv.Addr())
	runConformance(t, func(t *testing.T, name string, clock *fakeClock, seed SeedFunc) (Limiter, func()) {
		fallback := NewLocal(LocalOptions{Now: clock.Now, Seed: seed})
		r := newTestRedis(t, client, RedisOptions{Prefix: "conformance:" + name + ":", Now: clock.Now, Seed: seed, Fallback: fallback})
		return r, func() {
			if r.Degraded() || fallback.size() != 0 {
				t.Errorf("the case was decided by the fallback (degraded %v, fallback keys %d)", r.Degraded(), fallback.size())
			}
		}
	})
}

// Two limiters on one Redis are two replicas: the limits hold for both
// together, even when many goroutines admit at once.
func TestRedisReplicasShareLimits(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock(at("2026-11-26T12:00:00Z"))
	tests := []struct {
		name string
		lim  Limits
		want int
	}{
		{"requests per minute", Limits{RPM: 25}, 25},
		{"concurrency", Limits{MaxConcurrent: 7}, 7},
		{"tightest of both", Limits{RPM: 25, MaxConcurrent: 7}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var replicas []Limiter
			var fallbacks []*Local
			for range 2 {
				fb := NewLocal(LocalOptions{Now: clock.Now})
				fallbacks = append(fallbacks, fb)
				replicas = append(replicas, newTestRedis(t, newClient(t, srv.Addr()),
					RedisOptions{Prefix: "shared:" + tt.name + ":", Now: clock.Now, Fallback: fb}))
			}
			tickets := admitMany(t, replicas, 200, "k", tt.lim)
			if len(tickets) != tt.want {
				t.Fatalf("admitted %d of 200 across two replicas, want %d", len(tickets), tt.want)
			}
			for i, fb := range fallbacks {
				if fb.size() != 0 {
					t.Fatalf("replica %d fell back", i)
				}
			}
			// Releasing on any replica frees the cluster-wide slot.
			if tt.lim.MaxConcurrent > 0 && tt.lim.RPM == 0 {
				if err := tickets[0].Done(context.Background(), 0); err != nil {
					t.Fatal(err)
				}
				if d, _, err := replicas[1].Admit(context.Background(), "k", tt.lim, 0); err != nil || !d.Allowed {
					t.Fatalf("after a Done: %+v, %v", d, err)
				}
			}
		})
	}
}

// A replica that crashes never calls Done: its slots free themselves.
func TestRedisSlotsExpire(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock(at("2026-11-26T12:00:00Z"))
	r := newTestRedis(t, newClient(t, srv.Addr()), RedisOptions{Now: clock.Now, SlotTTL: time.Minute})
	ctx := context.Background()
	lim := Limits{MaxConcurrent: 1}
	if d, _, err := r.Admit(ctx, "k", lim, 0); err != nil || !d.Allowed {
		t.Fatalf("first Admit = %+v, %v", d, err)
	}
	clock.Advance(time.Minute - time.Millisecond)
	if d, _, _ := r.Admit(ctx, "k", lim, 0); d.Allowed {
		t.Fatal("slot freed before SlotTTL")
	}
	clock.Advance(time.Millisecond)
	if d, _, err := r.Admit(ctx, "k", lim, 0); err != nil || !d.Allowed {
		t.Fatalf("slot not freed after SlotTTL: %+v, %v", d, err)
	}
}

// Replicas seed a counter once between them, and again when Redis has lost
// it; the counter expires after its period.
func TestRedisSeedsQuotaCounters(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock(at("2026-11-26T12:00:00Z"))
	var (
		mu     sync.Mutex
		calls  int
		stored int64 = 95 // what the usage store has recorded today
	)
	seed := func(context.Context, string, time.Time) (int64, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return stored, nil
	}
	a := newTestRedis(t, newClient(t, srv.Addr()), RedisOptions{Now: clock.Now, Seed: seed})
	b := newTestRedis(t, newClient(t, srv.Addr()), RedisOptions{Now: clock.Now, Seed: seed})
	ctx := context.Background()
	lim := Limits{DailyTokens: 100}
	_, ticket, err := a.Admit(ctx, "k", lim, 0)
	if err != nil || ticket == nil {
		t.Fatalf("Admit on a: %v, %v", ticket, err)
	}
	if err := ticket.Done(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if d, _, err := b.Admit(ctx, "k", lim, 0); err != nil || d.Reason != ReasonDailyTokens {
		t.Fatalf("b after a used the quota: %+v, %v", d, err)
	}
	mu.Lock()
	seedCalls := calls
	mu.Unlock()
	if seedCalls != 1 {
		t.Fatalf("Seed called %d times by two replicas, want 1", seedCalls)
	}
	direct := newClient(t, srv.Addr())
	name := keysFor(DefaultRedisPrefix, "k", periodsAt(clock.Now())).day
	if used, err := direct.Get(ctx, name).Int64(); err != nil || used != 100 {
		t.Fatalf("%s = %d, %v; want 100", name, used, err)
	}
	// Expires a day after the day ends: 12h + 24h from now.
	if ttl, err := direct.PTTL(ctx, name).Result(); err != nil || ttl > 36*time.Hour || ttl < 36*time.Hour-time.Minute {
		t.Fatalf("TTL of %s = %v, %v; want about 36h", name, ttl, err)
	}
	mu.Lock()
	stored = 100 // the store has recorded a's request too
	mu.Unlock()
	srv.Restart() // empty: the counters are gone
	var d Decision
	for range 20 { // the first calls may meet connections the restart broke
		clock.Advance(time.Minute)
		if d, _, err = b.Admit(ctx, "k", lim, 0); err != nil {
			t.Fatal(err)
		}
		if !b.Degraded() {
			break
		}
	}
	if b.Degraded() || d.Reason != ReasonDailyTokens {
		t.Fatalf("after Redis lost its data: degraded %v, %+v; want refused by a re-seeded count", b.Degraded(), d)
	}
}

// Two replicas may seed the same counter at once: the one that stores
// first wins, and the later one's (older) answer must not overwrite the
// counts made since.
func TestRedisSeedLosesToAnEarlierReplica(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock(at("2026-11-26T12:00:00Z"))
	direct := newClient(t, srv.Addr())
	name := keysFor(DefaultRedisPrefix, "k", periodsAt(clock.Now())).day
	r := newTestRedis(t, newClient(t, srv.Addr()), RedisOptions{Now: clock.Now,
		Seed: func(ctx context.Context, _ string, _ time.Time) (int64, error) {
			// Meanwhile another replica seeded and counted 50.
			if err := direct.Set(ctx, name, 50, time.Hour).Err(); err != nil {
				return 0, err
			}
			return 10, nil
		}})
	d, _, err := r.Admit(context.Background(), "k", Limits{DailyTokens: 50}, 0)
	if err != nil || d.Reason != ReasonDailyTokens {
		t.Fatalf("Admit = %+v, %v; want refused by the other replica's 50", d, err)
	}
}

func TestRedisSeedErrorIsNotAnOutage(t *testing.T) {
	srv := redistest.Start(t)
	errStore := errors.New("store down")
	r := newTestRedis(t, newClient(t, srv.Addr()), RedisOptions{
		Seed: func(context.Context, string, time.Time) (int64, error) { return 0, errStore },
	})
	if _, _, err := r.Admit(context.Background(), "k", Limits{MonthlyTokens: 10}, 0); !errors.Is(err, errStore) {
		t.Fatalf("Admit = %v, want the store's error", err)
	}
	if r.Degraded() {
		t.Fatal("a failing store marked Redis unavailable")
	}
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

// Stopping Redis mid-test moves decisions to the fallback (logged once),
// and restarting it moves them back after the backoff.
func TestRedisFallsBackWhileUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	clock := newFakeClock(at("2026-11-26T12:00:00Z"))
	logs := &syncBuffer{}
	fallback := NewLocal(LocalOptions{Now: clock.Now})
	r := newTestRedis(t, newClient(t, srv.Addr()), RedisOptions{
		Now: clock.Now, Fallback: fallback, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		MinBackoff: time.Second, MaxBackoff: 4 * time.Second,
	})
	ctx := context.Background()
	lim := Limits{RPM: 2, MaxConcurrent: 10}
	admit := func() (Decision, *Ticket) {
		t.Helper()
		d, ticket, err := r.Admit(ctx, "k", lim, 0)
		if err != nil {
			t.Fatalf("Admit: %v", err)
		}
		return d, ticket
	}
	if d, _ := admit(); !d.Allowed || r.Degraded() {
		t.Fatalf("with Redis up: %+v, degraded %v", d, r.Degraded())
	}
	_, redisTicket := admit() // Redis's bucket is now empty

	srv.Stop()
	// The fallback has its own, full bucket: two more, then refused.
	d1, fallbackTicket := admit()
	d2, _ := admit()
	d3, _ := admit()
	if !d1.Allowed || !d2.Allowed || d3.Allowed || !r.Degraded() {
		t.Fatalf("with Redis down: %v %v %v, degraded %v; want the fallback's allow, allow, refuse", d1.Allowed, d2.Allowed, d3.Allowed, r.Degraded())
	}
	if fallback.size() != 1 {
		t.Fatalf("fallback holds %d keys, want 1", fallback.size())
	}
	if err := redisTicket.Done(ctx, 0); err == nil {
		t.Fatal("releasing a Redis ticket with Redis down reported no error")
	}
	if n := logs.count("redis unavailable"); n != 1 {
		t.Fatalf("outage logged %d times, want once:\n%s", n, logs.buf.String())
	}

	srv.Restart()
	// Within the backoff the fallback still decides, without trying Redis.
	if d, _ := admit(); d.Allowed || !r.Degraded() {
		t.Fatalf("within the backoff: %+v, degraded %v", d, r.Degraded())
	}
	for i := 0; r.Degraded(); i++ {
		if i == 20 {
			t.Fatal("Redis not used again after it came back")
		}
		clock.Advance(5 * time.Second) // past any backoff
		admit()
	}
	if n := logs.count("redis available again"); n != 1 {
		t.Fatalf("recovery logged %d times, want once:\n%s", n, logs.buf.String())
	}
	if n := logs.count("redis unavailable"); n != 1 {
		t.Fatalf("outage logged %d times, want once:\n%s", n, logs.buf.String())
	}
	// A fallback ticket is released to the fallback.
	inFlight := func() int64 {
		fallback.mu.Lock()
		defer fallback.mu.Unlock()
		return fallback.keys["k"].inFlight
	}
	before := inFlight()
	if err := fallbackTicket.Done(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if after := inFlight(); after != before-1 {
		t.Fatalf("fallback in-flight %d → %d after its ticket's Done, want one less", before, after)
	}
}

func TestRedisKeysShareOneHashTag(t *testing.T) {
	p := periodsAt(at("2026-11-26T12:00:00Z"))
	tests := []struct {
		key, wantTag string
	}{
		{"key_123", "{key_123}"},
		{"a}b", ""}, // hashed
		{"{x}", ""},
		{"", ""},
		{"#abc", ""},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		k := keysFor("p:", tt.key, p)
		names := []string{k.requests, k.tokens, k.inFlight, k.day, k.month}
		open, end := strings.IndexByte(k.requests, '{'), strings.IndexByte(k.requests, '}')
		tag := k.requests[open : end+1]
		if tt.wantTag != "" && tag != tt.wantTag {
			t.Errorf("key %q: tag %s, want %s", tt.key, tag, tt.wantTag)
		}
		if tt.wantTag == "" && (len(tag) != 35 || tag[1] != '#') {
			t.Errorf("key %q: tag %s, want a hash", tt.key, tag)
		}
		for _, n := range names {
			if !strings.HasPrefix(n, "p:"+tag+":") || strings.Count(n, "{") != 1 || strings.Count(n, "}") != 1 {
				t.Errorf("key %q: name %q does not carry the tag %s alone", tt.key, n, tag)
			}
		}
		if other, dup := seen[tag]; dup {
			t.Errorf("keys %q and %q share the tag %s", other, tt.key, tag)
		}
		seen[tag] = tt.key
	}
	if k := keysFor("p:", "k", p); k.day != "p:{k}:day:2026-11-26" || k.month != "p:{k}:month:2026-11" {
		t.Errorf("period names: %q, %q", k.day, k.month)
	}
}
