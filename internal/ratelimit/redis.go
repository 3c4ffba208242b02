package ratelimit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of RedisOptions.
const (
	DefaultRedisTimeout = 200 * time.Millisecond
	DefaultSlotTTL      = 10 * time.Minute
	DefaultMinBackoff   = time.Second
	DefaultMaxBackoff   = 30 * time.Second
)

// quotaSlack keeps a quota counter a day past its period's end, so that a
// replica whose clock lags a little does not recreate it empty.
const quotaSlack = 24 * time.Hour

// RedisOptions configure a Redis limiter. Zero fields take the defaults.
type RedisOptions struct {
	// Prefix starts every Redis key (DefaultRedisPrefix when empty).
	Prefix string
	// Fallback decides while Redis is unavailable; nil builds a Local with
	// this Now and Seed.
	Fallback *Local
	// Logger receives one line when an outage begins and one when it ends;
	// nil discards them.
	Logger *slog.Logger
	// Now tells the time; nil is time.Now. See Redis for why the replica's
	// clock is used.
	Now func() time.Time
	// Seed starts quota counters that Redis does not have (first use, or a
	// Redis that lost its data); nil starts them at 0.
	Seed SeedFunc
	// Timeout bounds each Redis call (DefaultRedisTimeout when zero).
	Timeout time.Duration
	// SlotTTL is how long a concurrency slot outlives its admission when
	// Done never comes (DefaultSlotTTL when zero).
	SlotTTL time.Duration
	// MinBackoff and MaxBackoff bound the wait before Redis is tried again
	// after a failure; it doubles with each failed try.
	MinBackoff, MaxBackoff time.Duration
}

// Redis is a Limiter shared by every replica that uses the same Redis.
//
// Each admission is one EVALSHA of a Lua script that refills, checks every
// limit and, only when all pass, takes from each, atomically; each Done is
// one more. Per key (under Prefix, with a hash tag so that a Redis Cluster
// keeps them in one slot) it keeps: the two buckets as hashes {level, ms}
// that expire a minute after they would be full (absent means full); the
// requests in flight as a sorted set of ticket ids scored by expiry, so
// the slots of a replica that crashed before Done free themselves after
// SlotTTL (a request running longer than SlotTTL loses its slot early);
// and a counter per quota period (INCRBY, expiring a day after the period
// ends). Redis is the source of truth for quotas: a counter it lacks is
// seeded from Seed with SET NX, so replicas seeding at once agree.
//
// Time comes from the replica's clock (Now), passed to the scripts, not
// from Redis's TIME: the UTC periods of quotas must be computed by the
// caller anyway, and one clock per decision keeps buckets and periods
// consistent and testable. Replicas are expected to keep their clocks
// synchronised (NTP); a clock behind the bucket's last update refills
// nothing (a bucket never moves back in time), one ahead refills early by
// its skew.
//
// When a Redis call fails or times out, the admission is decided by the
// Fallback instead (limits then hold per replica, not across the cluster);
// the outage is logged once, and Redis is tried again after a backoff.
// Tickets remember who issued them: a fallback ticket's Done goes to the
// fallback. A Redis ticket's Done that fails returns the error; its slot
// expires after SlotTTL.
type Redis struct {
	client   redis.UniversalClient
	prefix   string
	fallback *Local
	now      func() time.Time
	seed     SeedFunc
	timeout  time.Duration
	slotTTL  time.Duration
	admit    *redis.Script
	done     *redis.Script
	outage   *outage
}

var _ Limiter = (*Redis)(nil)

// NewRedis builds a limiter on client. It does not connect: a Redis that is
// down at start-up is an outage like any other. Timeout bounds calls through
// their context, which go-redis honours only when the client was built with
// ContextTimeoutEnabled; a client with few retries (MaxRetries) notices an
// outage sooner.
func NewRedis(client redis.UniversalClient, opts RedisOptions) (*Redis, error) {
	if client == nil {
		return nil, errors.New("ratelimit: NewRedis: nil client")
	}
	r := &Redis{client: client, prefix: opts.Prefix, fallback: opts.Fallback, now: opts.Now, seed: opts.Seed,
		timeout: opts.Timeout, slotTTL: opts.SlotTTL, admit: redis.NewScript(admitLua), done: redis.NewScript(doneLua)}
	if r.prefix == "" {
		r.prefix = DefaultRedisPrefix
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.fallback == nil {
		r.fallback = NewLocal(LocalOptions{Now: r.now, Seed: r.seed})
	}
	if r.timeout <= 0 {
		r.timeout = DefaultRedisTimeout
	}
	if r.slotTTL <= 0 {
		r.slotTTL = DefaultSlotTTL
	}
	minB, maxB := opts.MinBackoff, opts.MaxBackoff
	if minB <= 0 {
		minB = DefaultMinBackoff
	}
	if maxB <= 0 {
		maxB = DefaultMaxBackoff
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r.outage = &outage{now: r.now, log: log, minBackoff: minB, maxBackoff: max(maxB, minB)}
	return r, nil
}

// Degraded reports whether Redis is considered unavailable, so that
// admissions are decided by the fallback.
func (r *Redis) Degraded() bool { return r.outage.isDown() }

// seedError marks a failed Seed: the caller's failure, not Redis's.
type seedError struct{ err error }

func (e *seedError) Error() string { return e.err.Error() }
func (e *seedError) Unwrap() error { return e.err }

// Admit implements Limiter: on Redis, or on the fallback while Redis is
// unavailable. Its errors are a failed Seed (or the fallback's).
func (r *Redis) Admit(ctx context.Context, key string, lim Limits, estimate int64) (Decision, *Ticket, error) {
	use, probe := r.outage.allow()
	if !use {
		return r.fallback.Admit(ctx, key, lim, estimate)
	}
	d, t, err := r.admitRedis(ctx, key, lim.normalized(), clampCount(estimate))
	var se *seedError
	switch {
	case err == nil:
		r.outage.succeeded()
		return d, t, nil
	case errors.As(err, &se):
		r.outage.succeeded() // Redis answered; the store did not
		return Decision{}, nil, err
	}
	r.outage.failed(err, probe)
	return r.fallback.Admit(ctx, key, lim, estimate)
}

// call runs op with the timeout, detached from ctx's cancellation: a
// client that went away must not count as Redis failing.
func (r *Redis) call(ctx context.Context, op func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	return op(ctx)
}

// admitRedis runs the admission script, seeding missing quota counters
// first when it asks for them.
func (r *Redis) admitRedis(ctx context.Context, key string, lim Limits, estimate int64) (Decision, *Ticket, error) {
	now := r.now()
	nowMs := now.UnixMilli()
	p := periodsAt(now)
	keys := keysFor(r.prefix, key, p)
	id := ""
	if lim.MaxConcurrent > 0 {
		id = rand.Text()
	}
	// The second round never asks to seed: a counter that vanished between
	// the rounds counts from 0.
	for round := 0; ; round++ {
		var res []int64
		err := r.call(ctx, func(ctx context.Context) error {
			var err error
			res, err = r.admit.Run(ctx, r.client,
				[]string{keys.requests, keys.tokens, keys.inFlight, keys.day, keys.month},
				nowMs, lim.RPM, lim.TPM, lim.MaxConcurrent, lim.DailyTokens, lim.MonthlyTokens,
				estimate, id, r.slotTTL.Milliseconds(), flag(r.seed != nil && round == 0), int64(levelFloor)).Int64Slice()
			return err
		})
		if err != nil {
			return Decision{}, nil, fmt.Errorf("ratelimit: redis admission script: %w", err)
		}
		if len(res) != 4 {
			return Decision{}, nil, fmt.Errorf("ratelimit: redis admission script returned %d values, want 4", len(res))
		}
		status, bits, reqLevel, tokLevel := res[0], int(res[1]), res[2], res[3]
		switch status {
		case -1:
			if err := r.seedCounters(ctx, key, keys, p, now, bits); err != nil {
				return Decision{}, nil, err
			}
			continue
		case 0:
			return decision(lim, now, bits, reqLevel, tokLevel), nil, nil
		}
		t := &Ticket{release: func(ctx context.Context, actual int64) error {
			return r.release(ctx, key, lim, estimate, actual, id)
		}}
		return decision(lim, now, 0, reqLevel, tokLevel), t, nil
	}
}

// seedCounters asks Seed for the counters named by bits (1 day, 2 month)
// and stores them with SET NX: a replica that seeded first wins.
func (r *Redis) seedCounters(ctx context.Context, key string, keys redisKeys, p periods, now time.Time, bits int) error {
	type counter struct {
		name      string
		start     time.Time
		ttl       time.Duration
		wantedBit int
	}
	fetched := map[int64]int64{}
	for _, c := range []counter{
		{keys.day, p.dayStart, p.nextDay.Add(quotaSlack).Sub(now), 1},
		{keys.month, p.monthStart, p.nextMonth.Add(quotaSlack).Sub(now), 2},
	} {
		if bits&c.wantedBit == 0 {
			continue
		}
		startMs := c.start.UnixMilli()
		n, ok := fetched[startMs]
		if !ok {
			var err error
			if n, err = r.seed(ctx, key, c.start); err != nil {
				return &seedError{fmt.Errorf("ratelimit: seed quota of key %q from %s: %w", key, c.start.Format(time.RFC3339), err)}
			}
			n = max(n, 0)
			fetched[startMs] = n
		}
		err := r.call(ctx, func(ctx context.Context) error { return r.client.SetNX(ctx, c.name, n, c.ttl).Err() })
		if err != nil {
			return fmt.Errorf("ratelimit: redis seed %s: %w", c.name, err)
		}
	}
	return nil
}

// release is a Redis ticket's Done.
func (r *Redis) release(ctx context.Context, key string, lim Limits, estimate, actual int64, id string) error {
	slot := id != ""
	charge := lim.TPM > 0 && actual != estimate
	count := actual > 0 && (lim.DailyTokens > 0 || lim.MonthlyTokens > 0)
	if !slot && !charge && !count {
		return nil // nothing in Redis to release or charge
	}
	now := r.now()
	p := periodsAt(now)
	keys := keysFor(r.prefix, key, p)
	var dayTTL, monthTTL int64
	if lim.DailyTokens > 0 {
		dayTTL = p.nextDay.Add(quotaSlack).Sub(now).Milliseconds()
	}
	if lim.MonthlyTokens > 0 {
		monthTTL = p.nextMonth.Add(quotaSlack).Sub(now).Milliseconds()
	}
	err := r.call(ctx, func(ctx context.Context) error {
		return r.done.Run(ctx, r.client, []string{keys.tokens, keys.inFlight, keys.day, keys.month},
			now.UnixMilli(), lim.TPM, estimate, actual, id, flag(r.seed != nil), dayTTL, monthTTL, int64(levelFloor)).Err()
	})
	if err != nil {
		r.outage.failed(err, false)
		return fmt.Errorf("ratelimit: redis release of key %q: %w", key, err)
	}
	r.outage.succeeded()
	return nil
}

// flag is a script's boolean argument.
func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
