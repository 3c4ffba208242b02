package breaker

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder keeps the transitions a breaker announces.
type recorder struct {
	mu  sync.Mutex
	trs []Transition
}

func (r *recorder) add(tr Transition) {
	r.mu.Lock()
	r.trs = append(r.trs, tr)
	r.mu.Unlock()
}

func (r *recorder) list() []Transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Transition(nil), r.trs...)
}

// step is one action of a scripted scenario.
type step struct {
	advance time.Duration // clock moves first
	call    Outcome       // a call made and finished with this outcome
	noCall  bool          // only check the state
	// wantRejected says Allow must refuse the call (the outcome is then
	// not reported).
	wantRejected bool
	wantState    State // after the step
}

func runScript(t *testing.T, b *Breaker, clock *fakeClock, steps []step) {
	t.Helper()
	for i, s := range steps {
		clock.Advance(s.advance)
		if !s.noCall {
			tk, err := b.Allow()
			switch {
			case s.wantRejected && err == nil:
				t.Fatalf("step %d: call admitted, want rejected (state %s)", i, b.State())
			case !s.wantRejected && err != nil:
				t.Fatalf("step %d: call rejected: %v", i, err)
			case err != nil && !errors.Is(err, ErrOpen):
				t.Fatalf("step %d: rejection %v does not match ErrOpen", i, err)
			case err == nil:
				tk.Done(s.call)
			}
		}
		if got := b.State(); got != s.wantState {
			t.Fatalf("step %d: state %s, want %s", i, got, s.wantState)
		}
	}
}

// TestConsecutiveTransitions walks a breaker through every transition of
// the state machine the package documents, one call at a time.
func TestConsecutiveTransitions(t *testing.T) {
	clock := newFakeClock()
	rec := &recorder{}
	b, err := New(Settings{Name: "m", FailureThreshold: 3, OpenTimeout: 10 * time.Second, HalfOpenProbes: 2,
		Now: clock.Now, OnStateChange: rec.add})
	if err != nil {
		t.Fatal(err)
	}
	runScript(t, b, clock, []step{
		{call: Failure, wantState: Closed},
		{call: Failure, wantState: Closed},
		{call: Success, wantState: Closed}, // the run of failures ends
		{call: Failure, wantState: Closed},
		{call: Ignore, wantState: Closed}, // a client error neither counts nor breaks the run
		{call: Failure, wantState: Closed},
		{call: Failure, wantState: Open}, // third in a row
		{wantRejected: true, wantState: Open},
		{advance: 9 * time.Second, wantRejected: true, wantState: Open},
		{advance: time.Second, noCall: true, wantState: HalfOpen},
		{call: Success, wantState: HalfOpen}, // one of two probes
		{call: Failure, wantState: Open},     // a failed probe reopens
		{advance: 10 * time.Second, call: Success, wantState: HalfOpen},
		{call: Ignore, wantState: HalfOpen}, // decides nothing
		{call: Success, wantState: Closed},  // second success closes
		{call: Failure, wantState: Closed},  // counting starts afresh
	})
	want := []struct {
		from, to State
		reason   string
	}{
		{Closed, Open, "failure threshold"},
		{Open, HalfOpen, "open timeout"},
		{HalfOpen, Open, "probe failed"},
		{Open, HalfOpen, "open timeout"},
		{HalfOpen, Closed, "probes succeeded"},
	}
	got := rec.list()
	if len(got) != len(want) {
		t.Fatalf("transitions %+v, want %d", got, len(want))
	}
	for i, w := range want {
		if got[i].From != w.from || got[i].To != w.to || got[i].Reason != w.reason || got[i].Name != "m" {
			t.Errorf("transition %d: %+v, want %s → %s (%s)", i, got[i], w.from, w.to, w.reason)
		}
	}
	if got[0].Failures != 3 {
		t.Errorf("opening transition counted %d failures, want 3", got[0].Failures)
	}
	if snap := b.Snapshot(); snap.Opens != 2 {
		t.Errorf("opens = %d, want 2", snap.Opens)
	}
}

// TestOpenErrorRetryAfter checks the hint counts down to the probe.
func TestOpenErrorRetryAfter(t *testing.T) {
	clock := newFakeClock()
	b, err := New(Settings{Name: "m", FailureThreshold: 1, OpenTimeout: 30 * time.Second, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := b.Allow()
	tk.Done(Failure)
	opened := clock.Now()
	clock.Advance(12 * time.Second)
	_, err = b.Allow()
	var oe *OpenError
	if !errors.As(err, &oe) || oe.State != Open || oe.RetryAfter != 18*time.Second || oe.Name != "m" {
		t.Fatalf("Allow while open: %v (%+v), want an OpenError with 18s to go", err, oe)
	}
	snap := b.Snapshot()
	if !snap.NextProbe.Equal(opened.Add(30*time.Second)) || !snap.LastTransition.Equal(opened) || snap.Counts.Failures != 1 {
		t.Errorf("snapshot %+v: want next probe at %s, last transition at %s, 1 failure", snap, opened.Add(30*time.Second), opened)
	}
	clock.Advance(18 * time.Second)
	probe, err := b.Allow()
	if err != nil {
		t.Fatalf("probe refused: %v", err)
	}
	_, err = b.Allow()
	if !errors.As(err, &oe) || oe.State != HalfOpen || oe.RetryAfter != probeRetry {
		t.Fatalf("second call while the only probe runs: %v, want a half-open OpenError", err)
	}
	probe.Done(Success)
	if st := b.State(); st != Closed {
		t.Fatalf("state after the probe succeeded: %s", st)
	}
}

// TestRatioMode checks the rolling window: failures open the breaker only
// when there are enough of them and they are a large enough share, and old
// calls leave the window.
func TestRatioMode(t *testing.T) {
	clock := newFakeClock()
	b, err := New(Settings{Name: "m", Mode: ModeRatio, FailureThreshold: 3, FailureRatio: 0.5,
		Window: 10 * time.Second, OpenTimeout: 5 * time.Second, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	for range 4 {
		steps = append(steps, step{call: Success, wantState: Closed})
	}
	// 3 failures among 7 calls: enough failures, too small a share.
	steps = append(steps,
		step{call: Failure, wantState: Closed},
		step{call: Failure, wantState: Closed},
		step{call: Failure, wantState: Closed},
		// 4 of 8: the share is reached.
		step{call: Failure, wantState: Open},
		step{advance: 5 * time.Second, call: Success, wantState: Closed},
	)
	runScript(t, b, clock, steps)

	// After closing the counts start afresh: two failures are below the
	// threshold even at 100%.
	runScript(t, b, clock, []step{
		{call: Failure, wantState: Closed},
		{call: Failure, wantState: Closed},
	})
	// Eleven seconds later those two have left the window, so two more
	// are again only two.
	runScript(t, b, clock, []step{
		{advance: 11 * time.Second, call: Failure, wantState: Closed},
		{call: Failure, wantState: Closed},
		{call: Failure, wantState: Open},
	})
	if snap := b.Snapshot(); snap.Counts.Failures != 3 {
		t.Errorf("open snapshot counts %+v, want the 3 failures that opened it", snap.Counts)
	}
}

// TestWindowCounts checks the window's bucket arithmetic directly.
func TestWindowCounts(t *testing.T) {
	start := time.Unix(1000, 0)
	w := newWindow(10 * time.Second) // 1 s buckets
	w.add(start, true)
	w.add(start.Add(500*time.Millisecond), false)
	w.add(start.Add(3*time.Second), true)
	tests := []struct {
		at         time.Duration
		ok, failed int
	}{
		{0, 1, 1},
		{3 * time.Second, 1, 2},
		{9 * time.Second, 1, 2},
		{10 * time.Second, 0, 1}, // the first bucket has left
		{13 * time.Second, 0, 0},
		{-time.Second, 0, 0}, // a clock that went back sees nothing newer than itself
	}
	for _, tt := range tests {
		ok, failed := w.counts(start.Add(tt.at))
		if ok != tt.ok || failed != tt.failed {
			t.Errorf("at +%s: %d ok %d failed, want %d %d", tt.at, ok, failed, tt.ok, tt.failed)
		}
	}
}

// TestStaleOutcomesDropped checks that a call admitted before a state
// change cannot decide the state after it.
func TestStaleOutcomesDropped(t *testing.T) {
	clock := newFakeClock()
	b, err := New(Settings{Name: "m", FailureThreshold: 2, OpenTimeout: time.Second, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	slow, _ := b.Allow()
	for range 2 {
		tk, _ := b.Allow()
		tk.Done(Failure)
	}
	clock.Advance(time.Second)
	probe, err := b.Allow()
	if err != nil {
		t.Fatal(err)
	}
	// The slow call, admitted while closed, fails now: it must not reopen
	// the half-open breaker or use up its probe.
	slow.Done(Failure)
	if st := b.State(); st != HalfOpen {
		t.Fatalf("a stale failure moved the breaker to %s", st)
	}
	probe.Done(Success)
	probe.Done(Failure) // a second Done is ignored
	if st := b.State(); st != Closed {
		t.Fatalf("state %s after the probe succeeded, want closed", st)
	}
}

// TestReset closes an open breaker and clears its counts.
func TestReset(t *testing.T) {
	clock := newFakeClock()
	rec := &recorder{}
	b, err := New(Settings{Name: "m", FailureThreshold: 2, Now: clock.Now, OnStateChange: rec.add})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		tk, _ := b.Allow()
		tk.Done(Failure)
	}
	b.Reset()
	snap := b.Snapshot()
	if snap.State != Closed || snap.Counts != (Counts{}) || snap.Opens != 1 {
		t.Fatalf("after reset: %+v", snap)
	}
	trs := rec.list()
	if len(trs) != 2 || trs[1].Reason != "reset" || trs[1].From != Open || trs[1].To != Closed {
		t.Fatalf("transitions %+v, want open then reset", trs)
	}
	// One failure after a reset is one, not three.
	tk, _ := b.Allow()
	tk.Done(Failure)
	if st := b.State(); st != Closed {
		t.Fatalf("state %s after one failure following a reset", st)
	}
	// Resetting a closed breaker clears its run and announces nothing.
	b.Reset()
	tk, _ = b.Allow()
	tk.Done(Failure)
	if st := b.State(); st != Closed || len(rec.list()) != 2 {
		t.Fatalf("state %s, transitions %d after resetting a closed breaker", st, len(rec.list()))
	}
}

// TestCallbackMayReenter checks OnStateChange runs outside the lock.
func TestCallbackMayReenter(t *testing.T) {
	var b *Breaker
	var seen []State
	var err error
	b, err = New(Settings{Name: "m", FailureThreshold: 1, OnStateChange: func(tr Transition) {
		seen = append(seen, b.Snapshot().State)
	}})
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := b.Allow()
	tk.Done(Failure)
	if len(seen) != 1 || seen[0] != Open {
		t.Fatalf("callback saw %v", seen)
	}
}

// TestExecute covers the convenience wrapper, panics included.
func TestExecute(t *testing.T) {
	b, err := New(Settings{Name: "m", FailureThreshold: 2})
	if err != nil {
		t.Fatal(err)
	}
	errClient := errors.New("client")
	classify := func(err error) Outcome {
		switch {
		case err == nil:
			return Success
		case errors.Is(err, errClient):
			return Ignore
		}
		return Failure
	}
	for range 3 {
		if err := b.Execute(func() error { return errClient }, classify); !errors.Is(err, errClient) {
			t.Fatalf("Execute returned %v", err)
		}
	}
	if st := b.State(); st != Closed {
		t.Fatalf("client errors opened the breaker")
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic did not go on up")
			}
		}()
		_ = b.Execute(func() error { panic("boom") }, classify)
	}()
	if err := b.Execute(func() error { return errors.New("engine") }, nil); err == nil || errors.Is(err, ErrOpen) {
		t.Fatalf("Execute returned %v", err)
	}
	if st := b.State(); st != Open {
		t.Fatalf("a panic and an engine error left the breaker %s", st)
	}
	called := false
	if err := b.Execute(func() error { called = true; return nil }, classify); !errors.Is(err, ErrOpen) || called {
		t.Fatalf("Execute while open: %v, called %v", err, called)
	}
}

func TestNewRejectsBadSettings(t *testing.T) {
	tests := []Settings{
		{Mode: "sometimes"},
		{FailureThreshold: -1},
		{HalfOpenProbes: -2},
		{Mode: ModeRatio, FailureRatio: 1.5},
		{Mode: ModeRatio, FailureRatio: -0.1},
		{Window: -time.Second},
		{OpenTimeout: -time.Second},
	}
	for _, s := range tests {
		if _, err := New(s); err == nil {
			t.Errorf("New(%+v) accepted", s)
		}
	}
	b, err := New(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	got := b.Settings()
	if got.Mode != ModeConsecutive || got.FailureThreshold != 5 || got.HalfOpenProbes != 1 || got.OpenTimeout != time.Minute {
		t.Errorf("defaults %+v", got)
	}
}

func TestStateStrings(t *testing.T) {
	for st, want := range map[State]string{Closed: "closed", Open: "open", HalfOpen: "half_open", State(9): "State(9)"} {
		if got := st.String(); got != want {
			t.Errorf("%d: %q, want %q", int(st), got, want)
		}
	}
}

// TestConcurrentUse hammers one breaker from many goroutines (run with
// -race) and checks that half-open never admits more probes than allowed.
func TestConcurrentUse(t *testing.T) {
	clock := newFakeClock()
	const probes = 3
	var mu sync.Mutex
	var bad []string
	var b *Breaker
	b, err := New(Settings{Name: "m", FailureThreshold: 4, OpenTimeout: time.Millisecond, HalfOpenProbes: probes, Now: clock.Now,
		OnStateChange: func(tr Transition) {
			if tr.From == tr.To {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("%+v", tr))
				mu.Unlock()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range 2000 {
				clock.Advance(time.Duration(r.IntN(100)) * time.Microsecond)
				tk, err := b.Allow()
				if err != nil {
					continue
				}
				if snap := b.Snapshot(); snap.ProbesInFlight > probes {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%d probes in flight", snap.ProbesInFlight))
					mu.Unlock()
				}
				tk.Done(Outcome(r.IntN(3)))
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("invariants broken: %v", bad[:min(len(bad), 5)])
	}
	if b.Snapshot().Opens == 0 {
		t.Fatal("a third of calls failing never opened the breaker; the test exercised nothing")
	}
}
