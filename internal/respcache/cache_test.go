package respcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newMemoryCache(t *testing.T, opts MemoryOptions) *Cache {
	t.Helper()
	c, err := New(Options{Backend: NewMemory(opts), TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// compute runs one request through the cache: a hit returns the cached
// value, a miss computes value (counting it) and stores it.
func compute(c *Cache, ctx context.Context, key Key, mode Mode, value string, computed *atomic.Int32) (string, bool) {
	call := c.Begin(ctx, "m", key, mode)
	defer call.Abandon()
	if call.Hit() {
		return string(call.Value), true
	}
	computed.Add(1)
	call.Store(ctx, []byte(value))
	return value, false
}

func TestCacheHitAfterMiss(t *testing.T) {
	c := newMemoryCache(t, MemoryOptions{})
	ctx := context.Background()
	var computed atomic.Int32
	if v, hit := compute(c, ctx, "k", Mode{}, "first", &computed); hit || v != "first" {
		t.Fatalf("first request: %q hit=%t", v, hit)
	}
	if v, hit := compute(c, ctx, "k", Mode{}, "second", &computed); !hit || v != "first" {
		t.Fatalf("second request: %q hit=%t, want the first answer from the cache", v, hit)
	}
	s := c.Stats()
	if s.Hits != 1 || s.Misses != 1 || s.Stores != 1 || s.Entries != 1 || s.Bytes == 0 || s.Backend != "memory" {
		t.Fatalf("stats %+v", s)
	}
}

// TestCacheModes: no-cache computes afresh and replaces the entry;
// no-store reads but never writes.
func TestCacheModes(t *testing.T) {
	ctx := context.Background()
	var computed atomic.Int32
	steps := []struct {
		mode    Mode
		value   string
		want    string
		wantHit bool
	}{
		{Mode{NoStore: true}, "a", "a", false}, // nothing stored
		{Mode{}, "b", "b", false},              // stored
		{Mode{NoStore: true}, "c", "b", true},  // read
		{Mode{NoLookup: true}, "d", "d", false},
		{Mode{}, "e", "d", true}, // no-cache replaced the entry
		{Mode{NoLookup: true, NoStore: true}, "f", "f", false},
		{Mode{}, "g", "d", true},
	}
	c := newMemoryCache(t, MemoryOptions{})
	for i, s := range steps {
		got, hit := compute(c, ctx, "k", s.mode, s.value, &computed)
		if got != s.want || hit != s.wantHit {
			t.Fatalf("step %d (%+v): %q hit=%t, want %q hit=%t", i, s.mode, got, hit, s.want, s.wantHit)
		}
	}
}

// TestSingleFlight: identical requests arriving while one computes wait
// for it and share its answer; the answer is computed once.
func TestSingleFlight(t *testing.T) {
	c := newMemoryCache(t, MemoryOptions{})
	ctx := context.Background()
	leader := c.Begin(ctx, "m", "k", Mode{})
	if leader.Hit() {
		t.Fatal("empty cache hit")
	}
	const followers = 8
	var wg sync.WaitGroup
	got := make([]string, followers)
	shared := make([]bool, followers)
	for i := range followers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call := c.Begin(ctx, "m", "k", Mode{})
			defer call.Abandon()
			got[i], shared[i] = string(call.Value), call.Shared
		}()
	}
	// The followers are waiting: none can have an answer yet.
	waitFor(t, "followers to wait", func() bool { return c.waiters("k") == followers })
	leader.Store(ctx, []byte("answer"))
	wg.Wait()
	for i := range followers {
		if got[i] != "answer" || !shared[i] {
			t.Errorf("follower %d: %q shared=%t", i, got[i], shared[i])
		}
	}
	if s := c.Stats(); s.Misses != 1 || s.Hits != followers || s.SharedHits != followers || s.Stores != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// TestSingleFlightLeaderFails: when the leader gives up, one follower
// computes and the others share its answer.
func TestSingleFlightLeaderFails(t *testing.T) {
	c := newMemoryCache(t, MemoryOptions{})
	ctx := context.Background()
	leader := c.Begin(ctx, "m", "k", Mode{})
	var computed atomic.Int32
	var wg sync.WaitGroup
	results := make(chan string, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _ := compute(c, ctx, "k", Mode{}, "retry", &computed)
			results <- v
		}()
	}
	waitFor(t, "followers to wait", func() bool { return c.waiters("k") == 4 })
	leader.Abandon()
	wg.Wait()
	close(results)
	for v := range results {
		if v != "retry" {
			t.Errorf("follower got %q", v)
		}
	}
	if n := computed.Load(); n != 1 {
		t.Fatalf("the answer was computed %d times after the leader failed, want 1", n)
	}
}

// TestSingleFlightFollowerLeaves: a follower whose context ends stops
// waiting at once, with a miss.
func TestSingleFlightFollowerLeaves(t *testing.T) {
	c := newMemoryCache(t, MemoryOptions{})
	leader := c.Begin(context.Background(), "m", "k", Mode{})
	defer leader.Abandon()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Call)
	go func() { done <- c.Begin(ctx, "m", "k", Mode{}) }()
	waitFor(t, "the follower to wait", func() bool { return c.waiters("k") == 1 })
	cancel()
	select {
	case call := <-done:
		if call.Hit() {
			t.Fatal("a follower that left got a hit")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the follower kept waiting after its context ended")
	}
}

// TestNoStoreDoesNotLead: a no-store request computes alone; an identical
// request does not wait for it.
func TestNoStoreDoesNotLead(t *testing.T) {
	c := newMemoryCache(t, MemoryOptions{})
	ctx := context.Background()
	first := c.Begin(ctx, "m", "k", Mode{NoStore: true})
	defer first.Abandon()
	second := c.Begin(ctx, "m", "k", Mode{}) // would block if first led
	second.Store(ctx, []byte("x"))
	first.Store(ctx, []byte("y"))
	if call := c.Begin(ctx, "m", "k", Mode{}); string(call.Value) != "x" {
		t.Fatalf("cached %q, want the storing request's answer", call.Value)
	}
}

func TestMaxValueBytes(t *testing.T) {
	c, err := New(Options{Backend: NewMemory(MemoryOptions{}), MaxValueBytes: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	call := c.Begin(ctx, "m", "k", Mode{})
	call.Store(ctx, []byte("too long"))
	if call := c.Begin(ctx, "m", "k", Mode{}); call.Hit() {
		t.Fatal("a value over MaxValueBytes was stored")
	}
	if s := c.Stats(); s.StoresDropped != 1 || s.Stores != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// failingBackend fails every operation.
type failingBackend struct{}

var errDown = errors.New("store down")

func (failingBackend) Name() string { return "failing" }
func (failingBackend) Get(context.Context, string, Key) ([]byte, Stamp, error) {
	return nil, Stamp{}, errDown
}
func (failingBackend) Stamp(context.Context, string) (Stamp, error) { return Stamp{}, errDown }
func (failingBackend) Set(context.Context, string, Key, Stamp, []byte, time.Duration) error {
	return errDown
}
func (failingBackend) InvalidateModel(context.Context, string) error { return errDown }
func (failingBackend) Flush(context.Context) error                   { return errDown }
func (failingBackend) Usage() Usage                                  { return Usage{} }
func (failingBackend) Close() error                                  { return nil }

// TestBackendErrorsAreMisses: a failing store costs the cache, never the
// request; errors are counted and returned only by the admin operations.
func TestBackendErrorsAreMisses(t *testing.T) {
	c, err := New(Options{Backend: &failingBackend{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var computed atomic.Int32
	for range 2 {
		if v, hit := compute(c, ctx, "k", Mode{}, "v", &computed); hit || v != "v" {
			t.Fatalf("got %q hit=%t", v, hit)
		}
	}
	compute(c, ctx, "k", Mode{NoLookup: true}, "v", &computed)
	if c.InvalidateModel(ctx, "m") == nil || c.Flush(ctx) == nil {
		t.Fatal("admin operations on a failing store reported success")
	}
	// 2 gets + 1 stamp + 2 invalidate/flush; stores had no stamp to use.
	if s := c.Stats(); s.BackendErrors != 5 || s.Misses != 3 || s.Stores != 0 || s.StoresDropped != 3 {
		t.Fatalf("stats %+v", s)
	}
}

func TestNewNeedsBackend(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without a backend succeeded")
	}
}

// waiters counts the requests that began waiting on key's leader.
func (c *Cache) waiters(key Key) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.flights[key]; f != nil {
		return f.waiters
	}
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
