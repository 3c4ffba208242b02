package respcache

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Namespace prefixes every key hfserve writes to Redis; the version part
// changes when the layout of keys or values does.
const Namespace = "hfserve:v1:"

// Redis key layout under Namespace.
const (
	redisEntryPrefix  = Namespace + "e:"     // + hex key: stamp header + value
	redisGlobalGenKey = Namespace + "gen"    // the cache's generation
	redisModelGenPre  = Namespace + "gen:m:" // + model name: the model's generation
	stampHeaderBytes  = 16                   // two big-endian uint64s before each value
)

// Defaults of RedisOptions.
const (
	DefaultRedisTimeout          = 100 * time.Millisecond
	DefaultRedisFailureThreshold = 3
	DefaultRedisMinBackoff       = 500 * time.Millisecond
	DefaultRedisMaxBackoff       = 30 * time.Second
)

// RedisOptions configure a Redis backend. Zero fields take the defaults.
type RedisOptions struct {
	// URL is redis://[user:password@]host:port/db, rediss:// for TLS, or
	// unix:///path?db=N.
	URL string
	// Timeout bounds each operation, connecting included: a cache that
	// answers slower than this is not worth waiting for.
	Timeout time.Duration
	// FailureThreshold consecutive failures open the breaker for
	// MinBackoff, doubling up to MaxBackoff while probes keep failing.
	FailureThreshold       int
	MinBackoff, MaxBackoff time.Duration
	// Logger receives the breaker's state changes; nil discards them.
	Logger *slog.Logger
	// Clock tells the time for the breaker; nil is time.Now.
	Clock func() time.Time
}

// Redis is a backend on a Redis server, shared by every replica that points
// at it. Entries live under Namespace with their TTL set by SET EX;
// generations are plain counters (INCR), so invalidating a model or
// flushing costs one command and no scan, and the entries it made stale
// expire on their own. A lookup is one round trip (the generations and the
// entry, pipelined). Operations are bounded by Timeout and never retried;
// a breaker stops trying for a while after repeated failures, so a Redis
// that is down costs requests nothing but the cache.
type Redis struct {
	client  *redis.Client
	timeout time.Duration
	breaker *backendBreaker
}

var _ Backend = (*Redis)(nil)

// NewRedis builds a Redis backend. It does not connect: a Redis that is
// down at start-up is a miss like any other until it comes up.
func NewRedis(opts RedisOptions) (*Redis, error) {
	ropts, err := redis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("respcache: redis_url: %w", err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultRedisTimeout
	}
	ropts.DialTimeout, ropts.ReadTimeout, ropts.WriteTimeout = timeout, timeout, timeout
	ropts.PoolTimeout = timeout
	ropts.ContextTimeoutEnabled = true
	ropts.MaxRetries = -1 // the breaker decides when to try again
	ropts.DisableIdentity = true
	ropts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	threshold, minB, maxB := opts.FailureThreshold, opts.MinBackoff, opts.MaxBackoff
	if threshold <= 0 {
		threshold = DefaultRedisFailureThreshold
	}
	if minB <= 0 {
		minB = DefaultRedisMinBackoff
	}
	if maxB <= 0 {
		maxB = DefaultRedisMaxBackoff
	}
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	addr := ropts.Addr
	onChange := func(from, to BreakerState, backoff time.Duration, err error) {
		switch to {
		case BreakerOpen:
			log.Warn("response cache: redis breaker open", "addr", addr, "from", string(from), "retry_in", backoff.String(), "err", err)
		case BreakerClosed:
			log.Info("response cache: redis breaker closed", "addr", addr)
		default:
			log.Info("response cache: redis breaker half-open, probing", "addr", addr)
		}
	}
	return &Redis{client: redis.NewClient(ropts), timeout: timeout,
		breaker: newBackendBreaker(threshold, minB, maxB, now, onChange)}, nil
}

// Name is "redis".
func (r *Redis) Name() string { return "redis" }

// BreakerState is the backend's breaker state now.
func (r *Redis) BreakerState() BreakerState { return r.breaker.current() }

// do runs op under the breaker and the timeout.
func (r *Redis) do(ctx context.Context, op func(ctx context.Context) error) error {
	if !r.breaker.allow() {
		return ErrUnavailable
	}
	// The request's own cancellation must not count as Redis failing.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	err := op(ctx)
	r.breaker.done(err)
	if err != nil {
		return fmt.Errorf("respcache: redis: %w", err)
	}
	return nil
}

func modelGenKey(model string) string { return redisModelGenPre + model }

// parseGen reads a generation counter; a missing key is generation 0.
func parseGen(v any) (uint64, error) {
	switch s := v.(type) {
	case nil:
		return 0, nil
	case string:
		return strconv.ParseUint(s, 10, 64)
	}
	return 0, fmt.Errorf("generation counter holds %T", v)
}

// stamps reads the two generations from an MGET reply.
func stamps(vals []any) (Stamp, error) {
	if len(vals) != 2 {
		return Stamp{}, fmt.Errorf("MGET returned %d values, want 2", len(vals))
	}
	g, err := parseGen(vals[0])
	if err != nil {
		return Stamp{}, err
	}
	m, err := parseGen(vals[1])
	if err != nil {
		return Stamp{}, err
	}
	return Stamp{Global: g, Model: m}, nil
}

// Get reads the generations and the entry in one pipelined round trip.
func (r *Redis) Get(ctx context.Context, model string, key Key) ([]byte, Stamp, error) {
	var (
		value []byte
		stamp Stamp
	)
	err := r.do(ctx, func(ctx context.Context) error {
		pipe := r.client.Pipeline()
		gens := pipe.MGet(ctx, redisGlobalGenKey, modelGenKey(model))
		entry := pipe.Get(ctx, redisEntryPrefix+string(key))
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		var err error
		if stamp, err = stamps(gens.Val()); err != nil {
			return err
		}
		raw, err := entry.Bytes()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(raw) < stampHeaderBytes {
			return nil // not ours, or cut: a miss that the next store overwrites
		}
		written := Stamp{Global: binary.BigEndian.Uint64(raw), Model: binary.BigEndian.Uint64(raw[8:])}
		if written == stamp {
			value = raw[stampHeaderBytes:]
		}
		return nil
	})
	if err != nil {
		return nil, Stamp{}, err
	}
	return value, stamp, nil
}

// Stamp reads model's generations.
func (r *Redis) Stamp(ctx context.Context, model string) (Stamp, error) {
	var stamp Stamp
	err := r.do(ctx, func(ctx context.Context) error {
		vals, err := r.client.MGet(ctx, redisGlobalGenKey, modelGenKey(model)).Result()
		if err != nil {
			return err
		}
		stamp, err = stamps(vals)
		return err
	})
	return stamp, err
}

// Set writes the stamp header and value with SET EX: the TTL rounded to
// whole seconds, at least one.
func (r *Redis) Set(ctx context.Context, _ string, key Key, stamp Stamp, value []byte, ttl time.Duration) error {
	buf := make([]byte, stampHeaderBytes+len(value))
	binary.BigEndian.PutUint64(buf, stamp.Global)
	binary.BigEndian.PutUint64(buf[8:], stamp.Model)
	copy(buf[stampHeaderBytes:], value)
	if ttl > 0 {
		ttl = max(ttl.Round(time.Second), time.Second)
	}
	return r.do(ctx, func(ctx context.Context) error {
		return r.client.Set(ctx, redisEntryPrefix+string(key), buf, ttl).Err()
	})
}

// InvalidateModel bumps model's generation.
func (r *Redis) InvalidateModel(ctx context.Context, model string) error {
	return r.do(ctx, func(ctx context.Context) error { return r.client.Incr(ctx, modelGenKey(model)).Err() })
}

// Flush bumps the global generation: every replica's entries become misses
// at once, and other users of the same Redis database are untouched.
func (r *Redis) Flush(ctx context.Context) error {
	return r.do(ctx, func(ctx context.Context) error { return r.client.Incr(ctx, redisGlobalGenKey).Err() })
}

// Usage is zero: counting Redis's keys would cost a scan.
func (r *Redis) Usage() Usage { return Usage{} }

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }
