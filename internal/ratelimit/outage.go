package ratelimit

import (
	"log/slog"
	"sync"
	"time"
)

// outage tracks whether Redis answers. After a failure every call goes to
// the fallback until a backoff has passed; then one call probes Redis
// again, and the backoff doubles (up to maxBackoff) each time a probe
// fails. Each outage is logged once when it begins and once when it ends.
type outage struct {
	now                    func() time.Time
	log                    *slog.Logger
	minBackoff, maxBackoff time.Duration

	mu      sync.Mutex
	down    bool
	backoff time.Duration
	retryAt time.Time
	probing bool
}

// allow reports whether this call should use Redis; probe is true for the
// one call that probes a Redis that was down, which must report back.
func (o *outage) allow() (use, probe bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.down {
		return true, false
	}
	if o.probing || o.now().Before(o.retryAt) {
		return false, false
	}
	o.probing = true
	return true, true
}

// failed records a failed Redis call.
func (o *outage) failed(err error, probe bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case !o.down:
		o.down, o.backoff = true, o.minBackoff
		o.log.Warn("ratelimit: redis unavailable, enforcing limits per replica until it answers",
			"err", err, "retry_in", o.backoff.String())
	case probe:
		o.backoff = min(2*o.backoff, o.maxBackoff)
	default:
		return // a call that began before the outage was noticed
	}
	o.probing = false
	o.retryAt = o.now().Add(o.backoff)
}

// succeeded records a Redis call that answered.
func (o *outage) succeeded() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.down {
		return
	}
	o.down, o.probing = false, false
	o.log.Info("ratelimit: redis available again, enforcing limits across replicas")
}

// isDown reports whether Redis is considered unavailable.
func (o *outage) isDown() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.down
}
