package auth

import (
	"container/list"
	"sync"
	"time"
)

// MaxLockoutAddrs bounds the client addresses a Lockout tracks: at about
// 150 bytes each, a flood of addresses costs at most about 10 MB.
const MaxLockoutAddrs = 65536

// Lockout refuses client addresses that presented too many bad keys: the
// maxFailures-th failure within window of an address's first one locks it
// out for window. A success forgives an address that is not locked out.
//
// When MaxLockoutAddrs addresses are tracked, the one whose last failure is
// oldest is forgotten to make room, locked out or not: an attacker with
// that many addresses to spare gains little from the one freed. The caller
// picks what an address is (an IPv6 /64 rather than the whole address, say).
// It is safe for concurrent use.
type Lockout struct {
	maxFailures int
	window      time.Duration
	now         func() time.Time
	maxAddrs    int

	mu    sync.Mutex
	addrs map[string]*list.Element // of *lockoutEntry
	order *list.List               // least recently failed first
}

// lockoutEntry is one address's failures.
type lockoutEntry struct {
	addr        string
	failures    int
	windowStart time.Time
	lockedUntil time.Time // zero while not locked out
}

// NewLockout returns a Lockout. maxFailures or window not positive turns it
// off: nothing is ever locked out. now nil is time.Now.
func NewLockout(maxFailures int, window time.Duration, now func() time.Time) *Lockout {
	if now == nil {
		now = time.Now
	}
	return &Lockout{maxFailures: maxFailures, window: window, now: now, maxAddrs: MaxLockoutAddrs,
		addrs: map[string]*list.Element{}, order: list.New()}
}

// enabled reports whether the lockout can lock anything out.
func (l *Lockout) enabled() bool { return l.maxFailures > 0 && l.window > 0 }

// Locked reports whether addr is locked out and, if so, how long it stays
// so (for Retry-After).
func (l *Lockout) Locked(addr string) (retryAfter time.Duration, locked bool) {
	if !l.enabled() {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	el := l.addrs[addr]
	if el == nil {
		return 0, false
	}
	e := el.Value.(*lockoutEntry)
	if e.lockedUntil.IsZero() {
		return 0, false
	}
	now := l.now()
	if now.Before(e.lockedUntil) {
		return e.lockedUntil.Sub(now), true
	}
	l.removeLocked(el) // served its time: a fresh start
	return 0, false
}

// Failure counts a bad key from addr. Failures of an address that is
// locked out are not counted: its lockout does not grow with its retries.
func (l *Lockout) Failure(addr string) {
	if !l.enabled() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	el := l.addrs[addr]
	if el == nil {
		for l.order.Len() >= l.maxAddrs {
			l.removeLocked(l.order.Front())
		}
		el = l.order.PushBack(&lockoutEntry{addr: addr, windowStart: now})
		l.addrs[addr] = el
	}
	e := el.Value.(*lockoutEntry)
	if !e.lockedUntil.IsZero() {
		if now.Before(e.lockedUntil) {
			return
		}
		*e = lockoutEntry{addr: addr, windowStart: now}
	}
	if now.Sub(e.windowStart) >= l.window {
		e.failures, e.windowStart = 0, now
	}
	e.failures++
	if e.failures >= l.maxFailures {
		e.lockedUntil = now.Add(l.window)
	}
	l.order.MoveToBack(el)
}

// Success forgets the failures of addr unless it is locked out.
func (l *Lockout) Success(addr string) {
	if !l.enabled() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	el := l.addrs[addr]
	if el == nil {
		return
	}
	if e := el.Value.(*lockoutEntry); !e.lockedUntil.IsZero() && l.now().Before(e.lockedUntil) {
		return
	}
	l.removeLocked(el)
}

// Tracked is how many addresses the lockout remembers.
func (l *Lockout) Tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

// removeLocked forgets an address; l.mu is held.
func (l *Lockout) removeLocked(el *list.Element) {
	l.order.Remove(el)
	delete(l.addrs, el.Value.(*lockoutEntry).addr)
}
