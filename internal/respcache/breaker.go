package respcache

import (
	"sync"
	"time"
)

// BreakerState is the state of a backend's breaker.
type BreakerState string

// The breaker's states.
const (
	// BreakerClosed: operations go to the store.
	BreakerClosed BreakerState = "closed"
	// BreakerOpen: operations fail at once with ErrUnavailable until the
	// backoff has passed.
	BreakerOpen BreakerState = "open"
	// BreakerHalfOpen: one probe operation goes to the store; the others
	// fail at once until it answers.
	BreakerHalfOpen BreakerState = "half-open"
)

// backendBreaker keeps a failing store from costing every request a
// timeout: after threshold consecutive failures it opens for a backoff that
// doubles (up to maxBackoff) each time a probe fails and resets when one
// succeeds.
type backendBreaker struct {
	threshold              int
	minBackoff, maxBackoff time.Duration
	now                    func() time.Time
	// onChange is called, outside the lock, on every state change.
	onChange func(from, to BreakerState, backoff time.Duration, err error)

	mu        sync.Mutex
	state     BreakerState
	failures  int
	backoff   time.Duration
	openUntil time.Time
	probing   bool
}

func newBackendBreaker(threshold int, minBackoff, maxBackoff time.Duration, now func() time.Time,
	onChange func(from, to BreakerState, backoff time.Duration, err error)) *backendBreaker {
	return &backendBreaker{threshold: max(threshold, 1), minBackoff: minBackoff, maxBackoff: max(maxBackoff, minBackoff),
		now: now, onChange: onChange, state: BreakerClosed}
}

// allow reports whether an operation may go to the store; every allowed
// operation must report its outcome with done.
func (b *backendBreaker) allow() (ok bool) {
	b.mu.Lock()
	var from BreakerState
	switch b.state {
	case BreakerClosed:
		b.mu.Unlock()
		return true
	case BreakerOpen:
		if b.now().Before(b.openUntil) {
			b.mu.Unlock()
			return false
		}
		from, b.state, b.probing = b.state, BreakerHalfOpen, true
	case BreakerHalfOpen:
		if b.probing {
			b.mu.Unlock()
			return false
		}
		b.probing = true
		b.mu.Unlock()
		return true
	}
	backoff := b.backoff
	b.mu.Unlock()
	b.changed(from, BreakerHalfOpen, backoff, nil)
	return true
}

// done reports an operation's outcome. A success closes the breaker
// whatever its state (the store answers again); a failure counts towards
// opening a closed breaker, reopens a half-open one with twice the backoff,
// and changes nothing while open (operations that began before it opened
// are still finishing).
func (b *backendBreaker) done(err error) {
	b.mu.Lock()
	from := b.state
	if err == nil {
		b.failures, b.probing = 0, false
		if from == BreakerClosed {
			b.mu.Unlock()
			return
		}
		b.state, b.backoff = BreakerClosed, 0
		b.mu.Unlock()
		b.changed(from, BreakerClosed, 0, nil)
		return
	}
	switch from {
	case BreakerOpen:
		b.mu.Unlock()
		return
	case BreakerClosed:
		b.failures++
		if b.failures < b.threshold {
			b.mu.Unlock()
			return
		}
		b.backoff = b.minBackoff
	case BreakerHalfOpen:
		b.backoff = min(2*max(b.backoff, b.minBackoff), b.maxBackoff)
	}
	b.state, b.probing = BreakerOpen, false
	b.openUntil = b.now().Add(b.backoff)
	backoff := b.backoff
	b.mu.Unlock()
	b.changed(from, BreakerOpen, backoff, err)
}

// current is the state now.
func (b *backendBreaker) current() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

func (b *backendBreaker) changed(from, to BreakerState, backoff time.Duration, err error) {
	if b.onChange != nil {
		b.onChange(from, to, backoff, err)
	}
}
