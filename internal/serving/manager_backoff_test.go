package serving

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"hfserve/internal/models"
	"hfserve/internal/retry"
)

// TestLoadBackoff steps a failing model's load backoff with an injected
// clock: requests inside the wait get a *LoadBackoffError without a load,
// the wait doubles up to its cap, explicit loads are never held back, and
// a reset or a success clears it.
func TestLoadBackoff(t *testing.T) {
	clock := newTestClock()
	var calls atomic.Int64
	var healthy atomic.Bool
	errBroken := errors.New("weights unreadable")
	real := AutoLoader(nil)
	m, err := NewManager(ManagerOptions{
		Catalog: fixtureCatalog(t, "llama"),
		Load: func(ctx context.Context, e Entry) (models.Model, error) {
			calls.Add(1)
			if healthy.Load() {
				return real(ctx, e)
			}
			return nil, errBroken
		},
		KeepAlive:   -1,
		Clock:       clock.Now,
		LoadBackoff: retry.Backoff{Initial: 10 * time.Second, Max: 40 * time.Second},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	ctx := context.Background()

	acquire := func() error {
		l, err := m.Acquire(ctx, "llama")
		if err == nil {
			l.Release()
		}
		return err
	}
	// loadFails expects a real attempt that fails.
	loadFails := func(step string, wantCalls int64) {
		t.Helper()
		var le *LoadError
		if err := acquire(); !errors.As(err, &le) || !errors.Is(err, errBroken) || errors.Is(err, ErrLoadBackoff) {
			t.Fatalf("%s: %v, want the load's own error", step, err)
		}
		if got := calls.Load(); got != wantCalls {
			t.Fatalf("%s: %d loads, want %d", step, got, wantCalls)
		}
	}
	// backsOff expects a refusal without a load.
	backsOff := func(step string, wantWait time.Duration, wantFailures int, wantCalls int64) {
		t.Helper()
		var lb *LoadBackoffError
		err := acquire()
		if !errors.As(err, &lb) || lb.RetryAfter != wantWait || lb.Failures != wantFailures || !errors.Is(err, errBroken) {
			t.Fatalf("%s: %v, want a backoff of %s after %d failures wrapping the load error", step, err, wantWait, wantFailures)
		}
		if got := calls.Load(); got != wantCalls {
			t.Fatalf("%s: %d loads, want %d", step, got, wantCalls)
		}
		failures, next, err := m.LoadBackoff("llama")
		if err != nil || failures != wantFailures || !next.Equal(clock.Now().Add(wantWait)) {
			t.Fatalf("%s: LoadBackoff = %d, %s, %v", step, failures, next, err)
		}
	}

	loadFails("first request", 1)
	backsOff("at once", 10*time.Second, 1, 1)
	clock.Advance(9 * time.Second)
	backsOff("a second early", time.Second, 1, 1)
	clock.Advance(time.Second)
	loadFails("when due", 2)
	backsOff("doubled", 20*time.Second, 2, 2)
	// An operator's load is not held back (and fails again).
	if err := m.Load(ctx, "llama"); !errors.Is(err, errBroken) {
		t.Fatalf("admin load: %v", err)
	}
	backsOff("doubled again", 40*time.Second, 3, 3)
	clock.Advance(40 * time.Second)
	loadFails("when due again", 4)
	backsOff("capped", 40*time.Second, 4, 4)
	if err := m.ResetLoadBackoff("llama"); err != nil {
		t.Fatal(err)
	}
	if failures, next, _ := m.LoadBackoff("llama"); failures != 0 || !next.IsZero() {
		t.Fatalf("after reset: %d failures, next %s", failures, next)
	}
	loadFails("after reset", 5)
	backsOff("backoff starts over", 10*time.Second, 1, 5)

	clock.Advance(10 * time.Second)
	healthy.Store(true)
	if err := acquire(); err != nil {
		t.Fatalf("mended: %v", err)
	}
	if failures, next, _ := m.LoadBackoff("llama"); failures != 0 || !next.IsZero() {
		t.Fatalf("after a success: %d failures, next %s", failures, next)
	}
	if _, _, err := m.LoadBackoff("nope"); !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("unknown model: %v", err)
	}
	if err := m.ResetLoadBackoff("nope"); !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("unknown model: %v", err)
	}
}

// TestNoLoadBackoffByDefault keeps the Manager's old behaviour: without a
// backoff every request tries a failed model again.
func TestNoLoadBackoffByDefault(t *testing.T) {
	var calls atomic.Int64
	m, err := NewManager(ManagerOptions{
		Catalog: fixtureCatalog(t, "llama"),
		Load: func(context.Context, Entry) (models.Model, error) {
			calls.Add(1)
			return nil, errors.New("broken")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	for i := range 3 {
		if _, err := m.Acquire(context.Background(), "llama"); errors.Is(err, ErrLoadBackoff) || err == nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if calls.Load() != 3 {
		t.Fatalf("%d loads for 3 requests", calls.Load())
	}
}
