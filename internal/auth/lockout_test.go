package auth

import (
	"fmt"
	"testing"
	"time"
)

func TestLockout(t *testing.T) {
	const maxFailures, window = 3, time.Minute
	type step struct {
		advance    time.Duration
		op         string // "fail", "ok", or "check"
		wantLocked bool
		wantRetry  time.Duration // checked when locked
	}
	for _, c := range []struct {
		name  string
		steps []step
	}{
		{"locks at the max-th failure for the window", []step{
			{0, "fail", false, 0}, {time.Second, "fail", false, 0}, {time.Second, "fail", true, window},
			{10 * time.Second, "check", true, window - 10*time.Second},
			{window - 10*time.Second - time.Nanosecond, "check", true, time.Nanosecond},
			{time.Nanosecond, "check", false, 0},
			{0, "fail", false, 0}, // a fresh start after the lockout
		}},
		{"failures spread wider than the window do not lock", []step{
			{0, "fail", false, 0}, {30 * time.Second, "fail", false, 0},
			{30 * time.Second, "fail", false, 0}, // the window restarted here
			{time.Second, "fail", false, 0}, {time.Second, "fail", true, window},
		}},
		{"success forgives before the lockout", []step{
			{0, "fail", false, 0}, {0, "fail", false, 0}, {0, "ok", false, 0}, {0, "fail", false, 0}, {0, "fail", false, 0},
		}},
		{"success does not lift a lockout", []step{
			{0, "fail", false, 0}, {0, "fail", false, 0}, {0, "fail", true, window}, {0, "ok", true, window},
		}},
		{"failures while locked do not extend it", []step{
			{0, "fail", false, 0}, {0, "fail", false, 0}, {0, "fail", true, window},
			{30 * time.Second, "fail", true, 30 * time.Second},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock := newFakeClock()
			l := NewLockout(maxFailures, window, clock.Now)
			for i, s := range c.steps {
				clock.Advance(s.advance)
				switch s.op {
				case "fail":
					l.Failure("10.0.0.1")
				case "ok":
					l.Success("10.0.0.1")
				}
				retry, locked := l.Locked("10.0.0.1")
				if locked != s.wantLocked || (locked && retry != s.wantRetry) {
					t.Fatalf("step %d (%s): Locked = %v, %v; want %v, %v", i, s.op, retry, locked, s.wantRetry, s.wantLocked)
				}
				if _, other := l.Locked("10.0.0.2"); other {
					t.Fatalf("step %d: another address is locked out", i)
				}
			}
		})
	}
}

func TestLockoutBoundedMemory(t *testing.T) {
	clock := newFakeClock()
	l := NewLockout(2, time.Minute, clock.Now)
	l.maxAddrs = 100
	l.Failure("attacker")
	l.Failure("attacker")
	if _, locked := l.Locked("attacker"); !locked {
		t.Fatal("attacker not locked out")
	}
	for i := range 10 * l.maxAddrs {
		clock.Advance(time.Millisecond)
		l.Failure(fmt.Sprintf("flood-%d", i))
		if n := l.Tracked(); n > l.maxAddrs {
			t.Fatalf("tracking %d addresses, cap %d", n, l.maxAddrs)
		}
	}
	// The oldest were forgotten, the newest kept.
	if _, locked := l.Locked("attacker"); locked {
		t.Fatal("the oldest address survived a flood past the cap")
	}
	last := fmt.Sprintf("flood-%d", 10*l.maxAddrs-1)
	l.Failure(last)
	if _, locked := l.Locked(last); !locked {
		t.Fatalf("%s lost its first failure", last)
	}
}

func TestLockoutDisabled(t *testing.T) {
	for _, l := range []*Lockout{NewLockout(0, time.Minute, nil), NewLockout(3, 0, nil)} {
		for range 10 {
			l.Failure("a")
		}
		if _, locked := l.Locked("a"); locked || l.Tracked() != 0 {
			t.Fatalf("a disabled lockout locked or tracked: %+v", l)
		}
	}
}
