package respcache

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestBackendBreakerSteps walks the breaker through its transitions with
// an injected clock.
func TestBackendBreakerSteps(t *testing.T) {
	clock := newFakeClock()
	var (
		mu      sync.Mutex
		changes []string
	)
	b := newBackendBreaker(3, time.Second, 4*time.Second, clock.Now, func(from, to BreakerState, backoff time.Duration, _ error) {
		mu.Lock()
		changes = append(changes, fmt.Sprintf("%s->%s/%s", from, to, backoff))
		mu.Unlock()
	})
	fail := errors.New("down")
	type step struct {
		advance   time.Duration
		wantAllow bool
		outcome   error // reported when allowed
		wantState BreakerState
	}
	steps := []step{
		{0, true, fail, BreakerClosed},
		{0, true, nil, BreakerClosed}, // a success resets the count
		{0, true, fail, BreakerClosed},
		{0, true, fail, BreakerClosed},
		{0, true, fail, BreakerOpen}, // third failure in a row
		{999 * time.Millisecond, false, nil, BreakerOpen},
		{time.Millisecond, true, fail, BreakerOpen}, // probe fails: backoff 2s
		{1999 * time.Millisecond, false, nil, BreakerOpen},
		{time.Millisecond, true, fail, BreakerOpen}, // backoff 4s
		{4 * time.Second, true, fail, BreakerOpen},  // capped at 4s
		{4 * time.Second, true, nil, BreakerClosed}, // probe succeeds
		{0, true, fail, BreakerClosed},              // counting starts over
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		ok := b.allow()
		if ok != s.wantAllow {
			t.Fatalf("step %d: allow %t, want %t", i, ok, s.wantAllow)
		}
		if ok {
			b.done(s.outcome)
		}
		if got := b.current(); got != s.wantState {
			t.Fatalf("step %d: state %s, want %s", i, got, s.wantState)
		}
	}
	want := []string{"closed->open/1s", "open->half-open/1s", "half-open->open/2s", "open->half-open/2s",
		"half-open->open/4s", "open->half-open/4s", "half-open->open/4s", "open->half-open/4s", "half-open->closed/0s"}
	if fmt.Sprint(changes) != fmt.Sprint(want) {
		t.Fatalf("changes\n%q\nwant\n%q", changes, want)
	}
}

// TestBackendBreakerOneProbe: while half-open only one operation goes
// through; late failures of operations begun before opening change nothing.
func TestBackendBreakerOneProbe(t *testing.T) {
	clock := newFakeClock()
	b := newBackendBreaker(1, time.Second, time.Minute, clock.Now, nil)
	if !b.allow() || !b.allow() {
		t.Fatal("closed breaker refused")
	}
	b.done(errors.New("x")) // opens
	b.done(errors.New("y")) // the second operation fails late: still 1s
	clock.Advance(time.Second)
	if !b.allow() {
		t.Fatal("no probe after the backoff")
	}
	if b.allow() {
		t.Fatal("a second operation went through while probing")
	}
	b.done(nil)
	if !b.allow() {
		t.Fatal("closed after a good probe, yet refused")
	}
}
