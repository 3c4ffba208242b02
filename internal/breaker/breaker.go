package breaker

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// State is where a breaker stands.
type State int

// The breaker's states.
const (
	// Closed lets every call through and counts outcomes.
	Closed State = iota
	// Open rejects every call until its timeout passes.
	Open
	// HalfOpen lets a few probe calls through to test recovery.
	HalfOpen
)

// String is the state as the admin API and logs spell it.
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half_open"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Mode is how a closed breaker decides to open.
type Mode string

// The modes.
const (
	// ModeConsecutive opens after FailureThreshold failures in a row.
	ModeConsecutive Mode = "consecutive"
	// ModeRatio opens when the rolling window holds at least
	// FailureThreshold failures and they are at least FailureRatio of
	// its calls.
	ModeRatio Mode = "ratio"
)

// Modes lists the valid modes, for configuration checks.
func Modes() []Mode { return []Mode{ModeConsecutive, ModeRatio} }

// Outcome is how a call went, as the caller judges it.
type Outcome int

// The outcomes.
const (
	// Success counts towards closing a half-open breaker and, in
	// consecutive mode, ends a run of failures.
	Success Outcome = iota
	// Failure counts towards opening.
	Failure
	// Ignore counts nothing: the call says nothing about the protected
	// thing's health (a bad request, a caller that gave up).
	Ignore
)

// Settings configure a Breaker. Zero values take the defaults noted.
type Settings struct {
	// Name identifies the breaker in errors and transitions.
	Name string
	// Mode is how the closed breaker decides to open; "" is
	// ModeConsecutive.
	Mode Mode
	// FailureThreshold is the failures that open the breaker (in a row,
	// or within the window in ModeRatio); default 5.
	FailureThreshold int
	// FailureRatio is ModeRatio's share of failed calls in the window, in
	// (0, 1]; default 0.5.
	FailureRatio float64
	// Window is ModeRatio's rolling window; default one minute. It is
	// kept as ten buckets, so a call leaves the window between 0.9 and 1
	// Window after it was counted.
	Window time.Duration
	// OpenTimeout is how long the breaker stays open before probing;
	// default one minute.
	OpenTimeout time.Duration
	// HalfOpenProbes is how many probes are let through at once when half
	// open, and how many must succeed to close; default 1.
	HalfOpenProbes int
	// Now tells the time; nil is time.Now.
	Now func() time.Time
	// OnStateChange, when not nil, is told of every state change.
	OnStateChange func(Transition)
}

// Transition is one state change.
type Transition struct {
	Name     string
	From, To State
	// At is when the breaker changed (for Open → HalfOpen: when it was
	// next asked after the timeout).
	At time.Time
	// Failures are the failures counted when it happened.
	Failures int
	// Reason says why, for logs: "failure threshold", "open timeout",
	// "probe failed", "probes succeeded" or "reset".
	Reason string
}

// ErrOpen is matched (errors.Is) by every *OpenError.
var ErrOpen = errors.New("breaker: circuit open")

// OpenError is a call the breaker rejected.
type OpenError struct {
	// Name is the breaker's.
	Name string
	// State is Open, or HalfOpen when every probe place is taken.
	State State
	// RetryAfter is how long until a call may be let through: the rest of
	// the open timeout, or a second while probes run.
	RetryAfter time.Duration
}

// Error implements error.
func (e *OpenError) Error() string {
	if e.State == HalfOpen {
		return fmt.Sprintf("breaker %s: half open, probes already running; retry in %s", e.Name, e.RetryAfter)
	}
	return fmt.Sprintf("breaker %s: circuit open; next probe in %s", e.Name, e.RetryAfter)
}

// Is makes errors.Is(err, ErrOpen) true.
func (e *OpenError) Is(target error) bool { return target == ErrOpen }

// probeRetry is the Retry-After hint while the probes are running: they
// decide soon, one way or the other.
const probeRetry = time.Second

// Breaker is one circuit breaker. Build it with New.
type Breaker struct {
	set    Settings
	now    func() time.Time
	notify func(Transition)

	mu         sync.Mutex
	state      State
	gen        uint64 // bumped on every state change; stale outcomes are dropped
	changedAt  time.Time
	openUntil  time.Time
	opens      uint64
	consecFail int
	consecOK   int
	okCount    int // since the last change (consecutive mode) or in half open
	failCount  int
	probes     int // probes in flight
	win        *window
}

// New checks s, fills its defaults and returns a closed breaker.
func New(s Settings) (*Breaker, error) {
	if s.Mode == "" {
		s.Mode = ModeConsecutive
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&s.FailureThreshold, 5)
	def(&s.HalfOpenProbes, 1)
	if s.FailureRatio == 0 {
		s.FailureRatio = 0.5
	}
	if s.Window == 0 {
		s.Window = time.Minute
	}
	if s.OpenTimeout == 0 {
		s.OpenTimeout = time.Minute
	}
	switch {
	case s.Mode != ModeConsecutive && s.Mode != ModeRatio:
		return nil, fmt.Errorf("breaker %s: mode %q is not one of %q", s.Name, s.Mode, Modes())
	case s.FailureThreshold < 1:
		return nil, fmt.Errorf("breaker %s: failure threshold %d must be at least 1", s.Name, s.FailureThreshold)
	case s.HalfOpenProbes < 1:
		return nil, fmt.Errorf("breaker %s: half-open probes %d must be at least 1", s.Name, s.HalfOpenProbes)
	case !(s.FailureRatio > 0 && s.FailureRatio <= 1):
		return nil, fmt.Errorf("breaker %s: failure ratio %g must be in (0, 1]", s.Name, s.FailureRatio)
	case s.Window < 0 || s.OpenTimeout < 0:
		return nil, fmt.Errorf("breaker %s: negative window %s or open timeout %s", s.Name, s.Window, s.OpenTimeout)
	}
	b := &Breaker{set: s, now: s.Now, notify: s.OnStateChange}
	if b.now == nil {
		b.now = time.Now
	}
	if s.Mode == ModeRatio {
		b.win = newWindow(s.Window)
	}
	return b, nil
}

// Settings returns the breaker's settings with defaults filled in.
func (b *Breaker) Settings() Settings { return b.set }

// Ticket is one admitted call. Call Done exactly once when the call ends;
// later calls do nothing.
type Ticket struct {
	b     *Breaker
	gen   uint64
	probe bool
	done  atomic.Bool
}

// Done reports the call's outcome.
func (t *Ticket) Done(o Outcome) {
	if t == nil || !t.done.CompareAndSwap(false, true) {
		return
	}
	t.b.record(t, o)
}

// Allow admits a call, or rejects it with an *OpenError.
func (b *Breaker) Allow() (*Ticket, error) {
	b.mu.Lock()
	now := b.now()
	tr := b.advanceLocked(now)
	var (
		t   *Ticket
		err error
	)
	switch b.state {
	case Closed:
		t = &Ticket{b: b, gen: b.gen}
	case Open:
		err = &OpenError{Name: b.set.Name, State: Open, RetryAfter: b.openUntil.Sub(now)}
	case HalfOpen:
		if b.probes+b.okCount < b.set.HalfOpenProbes {
			b.probes++
			t = &Ticket{b: b, gen: b.gen, probe: true}
		} else {
			err = &OpenError{Name: b.set.Name, State: HalfOpen, RetryAfter: probeRetry}
		}
	}
	b.mu.Unlock()
	b.announce(tr)
	return t, err
}

// Execute runs fn if the breaker admits it and reports classify's verdict
// on its error (nil classify: any error is a Failure). It returns the
// *OpenError of a rejected call, or fn's error. A panic in fn counts as a
// Failure and goes on up.
func (b *Breaker) Execute(fn func() error, classify func(error) Outcome) (err error) {
	t, err := b.Allow()
	if err != nil {
		return err
	}
	outcome := Failure // until fn returns: a panic is a failure
	defer func() { t.Done(outcome) }()
	err = fn()
	switch {
	case classify != nil:
		outcome = classify(err)
	case err == nil:
		outcome = Success
	}
	return err
}

// State is the breaker's state now.
func (b *Breaker) State() State {
	b.mu.Lock()
	tr := b.advanceLocked(b.now())
	st := b.state
	b.mu.Unlock()
	b.announce(tr)
	return st
}

// Reset closes the breaker and forgets every count, as if new (the open
// count stays: it is history).
func (b *Breaker) Reset() {
	b.mu.Lock()
	var tr *Transition
	if b.state != Closed {
		tr = b.changeLocked(Closed, b.now(), "reset")
	} else {
		b.gen++
		b.clearCountsLocked()
	}
	b.mu.Unlock()
	b.announce(tr)
}

// Counts are a breaker's tallies in its current state.
type Counts struct {
	// Successes and Failures are counted since the last state change
	// (ModeConsecutive and half open) or within the window (ModeRatio,
	// closed).
	Successes, Failures int
	// ConsecutiveFailures is the current run of failures.
	ConsecutiveFailures int
}

// Snapshot is a breaker's state for reports.
type Snapshot struct {
	Name   string
	State  State
	Counts Counts
	// LastTransition is when the state last changed; zero if never.
	LastTransition time.Time
	// NextProbe is when an open breaker lets its first probe through;
	// zero unless open.
	NextProbe time.Time
	// Opens counts the times the breaker opened.
	Opens uint64
	// ProbesInFlight counts the half-open probes running.
	ProbesInFlight int
}

// Snapshot reports the breaker's state now.
func (b *Breaker) Snapshot() Snapshot {
	b.mu.Lock()
	now := b.now()
	tr := b.advanceLocked(now)
	s := Snapshot{
		Name: b.set.Name, State: b.state, LastTransition: b.changedAt, Opens: b.opens, ProbesInFlight: b.probes,
		Counts: Counts{Successes: b.okCount, Failures: b.failCount, ConsecutiveFailures: b.consecFail},
	}
	if b.state == Closed && b.win != nil {
		s.Counts.Successes, s.Counts.Failures = b.win.counts(now)
	}
	if b.state == Open {
		s.NextProbe = b.openUntil
	}
	b.mu.Unlock()
	b.announce(tr)
	return s
}

// record counts one outcome of a call admitted in generation t.gen.
func (b *Breaker) record(t *Ticket, o Outcome) {
	b.mu.Lock()
	now := b.now()
	tr := b.advanceLocked(now)
	if t.gen == b.gen {
		if t.probe {
			b.probes--
		}
		switch o {
		case Success:
			tr = b.successLocked(now, tr)
		case Failure:
			tr = b.failureLocked(now, tr)
		}
	}
	b.mu.Unlock()
	b.announce(tr)
}

func (b *Breaker) successLocked(now time.Time, tr *Transition) *Transition {
	b.okCount++
	b.consecOK++
	b.consecFail = 0
	if b.win != nil && b.state == Closed {
		b.win.add(now, false)
	}
	if b.state == HalfOpen && b.okCount >= b.set.HalfOpenProbes {
		return b.changeLocked(Closed, now, "probes succeeded")
	}
	return tr
}

func (b *Breaker) failureLocked(now time.Time, tr *Transition) *Transition {
	b.failCount++
	b.consecFail++
	b.consecOK = 0
	switch b.state {
	case HalfOpen:
		return b.changeLocked(Open, now, "probe failed")
	case Closed:
		if b.win == nil {
			if b.consecFail >= b.set.FailureThreshold {
				return b.changeLocked(Open, now, "failure threshold")
			}
			return tr
		}
		b.win.add(now, true)
		ok, failed := b.win.counts(now)
		if failed >= b.set.FailureThreshold && float64(failed) >= b.set.FailureRatio*float64(ok+failed) {
			return b.changeLocked(Open, now, "failure threshold")
		}
	}
	return tr
}

// advanceLocked turns an open breaker whose timeout has passed half open.
func (b *Breaker) advanceLocked(now time.Time) *Transition {
	if b.state == Open && !now.Before(b.openUntil) {
		return b.changeLocked(HalfOpen, now, "open timeout")
	}
	return nil
}

// changeLocked moves to state to and returns the transition to announce.
func (b *Breaker) changeLocked(to State, now time.Time, reason string) *Transition {
	failures := b.consecFail
	if b.win != nil && b.state == Closed {
		_, failures = b.win.counts(now)
	}
	tr := &Transition{Name: b.set.Name, From: b.state, To: to, At: now, Failures: failures, Reason: reason}
	b.state = to
	b.gen++
	b.changedAt = now
	b.clearCountsLocked()
	if to == Open {
		b.opens++
		b.openUntil = now.Add(b.set.OpenTimeout)
		// The failures that opened it stay visible in reports.
		b.consecFail, b.failCount = failures, failures
	}
	return tr
}

func (b *Breaker) clearCountsLocked() {
	b.consecFail, b.consecOK, b.okCount, b.failCount, b.probes = 0, 0, 0, 0, 0
	if b.win != nil {
		b.win.reset()
	}
}

// announce calls OnStateChange outside the lock.
func (b *Breaker) announce(tr *Transition) {
	if tr != nil && b.notify != nil {
		b.notify(*tr)
	}
}
