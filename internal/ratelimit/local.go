package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultMaxKeys is LocalOptions.MaxKeys when left zero.
const DefaultMaxKeys = 100_000

// LocalOptions configure a Local limiter. Zero fields take the defaults.
type LocalOptions struct {
	// Now tells the time; nil is time.Now.
	Now func() time.Time
	// Seed, when set, gives a quota counter its starting value the first
	// time the limiter needs it for a period; nil starts counters at 0.
	Seed SeedFunc
	// MaxKeys is the number of keys above which idle keys are evicted
	// (DefaultMaxKeys when zero). A key is idle when nothing of it is in
	// flight, its buckets are full and its quota counters can be seeded
	// again (or are zero): forgetting it changes no decision. Keys that
	// are not idle are kept, so MaxKeys is a soft bound: the map grows
	// past it only by keys in active use.
	MaxKeys int
}

// Local is a Limiter for one process: the state lives in memory behind one
// mutex, which no call holds while it waits (Seed runs outside it).
type Local struct {
	now     func() time.Time
	seed    SeedFunc
	maxKeys int

	mu   sync.Mutex
	keys map[string]*localKey
	// sweepAt is the map size at which the next new key triggers a sweep.
	sweepAt int
}

var _ Limiter = (*Local)(nil)

// quotaCounter counts one key's tokens in one period.
type quotaCounter struct {
	periodMs int64 // the period's start (Unix ms); 0: not counting
	used     int64
}

// localKey is one key's state.
type localKey struct {
	requests, tokens bucket
	inFlight         int64
	day, month       quotaCounter
	// lim are the limits of the last admission: eviction judges the
	// buckets by them.
	lim Limits
}

// NewLocal builds an in-memory limiter.
func NewLocal(opts LocalOptions) *Local {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	maxKeys := opts.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Local{now: now, seed: opts.Seed, maxKeys: maxKeys, keys: make(map[string]*localKey), sweepAt: maxKeys}
}

// Admit implements Limiter. Its only error is a failed Seed.
func (l *Local) Admit(ctx context.Context, key string, lim Limits, estimate int64) (Decision, *Ticket, error) {
	lim = lim.normalized()
	estimate = clampCount(estimate)
	now := l.now()
	p := periodsAt(now)
	// Seed values fetched so far, by period start: they stay valid if the
	// key is evicted and recreated while we fetch, so this loop ends after
	// at most one round of fetching.
	seeds := make(map[int64]int64, 2)
	for {
		l.mu.Lock()
		k := l.entry(key, now.UnixMilli())
		missing := k.applySeeds(lim, p, seeds, l.seed != nil)
		if len(missing) == 0 {
			d, t := l.admitLocked(key, k, lim, estimate, now)
			l.mu.Unlock()
			return d, t, nil
		}
		l.mu.Unlock()
		for _, startMs := range missing {
			start := time.UnixMilli(startMs).UTC()
			n, err := l.seed(ctx, key, start)
			if err != nil {
				return Decision{}, nil, fmt.Errorf("ratelimit: seed quota of key %q from %s: %w", key, start.Format(time.RFC3339), err)
			}
			seeds[startMs] = max(n, 0)
		}
	}
}

// entry returns key's state, creating it (after a sweep, when the map is
// at its bound).
func (l *Local) entry(key string, nowMs int64) *localKey {
	if k, ok := l.keys[key]; ok {
		return k
	}
	if len(l.keys) >= l.sweepAt {
		l.sweep(nowMs)
	}
	k := &localKey{}
	l.keys[key] = k
	return k
}

// applySeeds moves the quota counters that lim uses to the periods of p,
// starting them from seeds (or 0 without a Seed), and returns the period
// starts whose seed has still to be fetched.
func (k *localKey) applySeeds(lim Limits, p periods, seeds map[int64]int64, hasSeed bool) []int64 {
	var missing []int64
	move := func(c *quotaCounter, quota int64, start time.Time) {
		startMs := start.UnixMilli()
		if quota <= 0 || c.periodMs == startMs {
			return
		}
		if !hasSeed {
			*c = quotaCounter{periodMs: startMs}
			return
		}
		if n, ok := seeds[startMs]; ok {
			*c = quotaCounter{periodMs: startMs, used: n}
			return
		}
		// On the first of a month the day and the month start together:
		// one answer serves both.
		if len(missing) == 0 || missing[0] != startMs {
			missing = append(missing, startMs)
		}
	}
	move(&k.day, lim.DailyTokens, p.dayStart)
	move(&k.month, lim.MonthlyTokens, p.monthStart)
	return missing
}

// admitLocked checks and takes under l.mu; the quota counters are current.
func (l *Local) admitLocked(key string, k *localKey, lim Limits, estimate int64, now time.Time) (Decision, *Ticket) {
	nowMs := now.UnixMilli()
	k.lim = lim
	reqLevel, reqLast := k.requests.refilled(lim.RPM, nowMs)
	tokLevel, tokLast := k.tokens.refilled(lim.TPM, nowMs)
	fail := refusals(lim, usage{requests: reqLevel, tokens: tokLevel, inFlight: k.inFlight,
		dayUsed: k.day.used, monthUsed: k.month.used})
	if fail != 0 {
		return decision(lim, now, fail, reqLevel, tokLevel), nil
	}
	if lim.RPM > 0 {
		reqLevel = clampLevel(reqLevel-unitsPerToken, lim.RPM)
		k.requests = bucket{level: reqLevel, lastMs: reqLast, known: true}
	}
	if lim.TPM > 0 {
		tokLevel = clampLevel(tokLevel-estimate*unitsPerToken, lim.TPM)
		k.tokens = bucket{level: tokLevel, lastMs: tokLast, known: true}
	}
	k.inFlight++
	t := &Ticket{release: func(_ context.Context, actual int64) error {
		l.release(key, lim, estimate, actual)
		return nil
	}}
	return decision(lim, now, 0, reqLevel, tokLevel), t
}

// release is a Local ticket's Done.
func (l *Local) release(key string, lim Limits, estimate, actual int64) {
	now := l.now()
	nowMs := now.UnixMilli()
	p := periodsAt(now)
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.keys[key]
	if k == nil {
		return // cannot happen: a key with requests in flight is never evicted
	}
	k.inFlight = max(k.inFlight-1, 0)
	if lim.TPM > 0 && actual != estimate {
		level, last := k.tokens.refilled(lim.TPM, nowMs)
		k.tokens = bucket{level: clampLevel(level-(actual-estimate)*unitsPerToken, lim.TPM), lastMs: last, known: true}
	}
	// Tokens count in the period current now; a counter still on an older
	// period is re-seeded by the next admission, from the store that
	// records this request too.
	if k.day.periodMs == p.dayStart.UnixMilli() {
		k.day.used += actual
	}
	if k.month.periodMs == p.monthStart.UnixMilli() {
		k.month.used += actual
	}
}
