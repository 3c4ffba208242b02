package respcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Cache.
type Options struct {
	// Backend stores the entries; required. The Cache closes it.
	Backend Backend
	// TTL is how long an entry stays valid (cache_ttl_seconds); zero
	// keeps entries until they are evicted.
	TTL time.Duration
	// MaxValueBytes bounds one value; larger answers are not stored. Zero
	// means no bound (the Memory backend still drops values larger than
	// its byte bound).
	MaxValueBytes int
	// Logger receives backend errors; nil discards them.
	Logger *slog.Logger
}

// Cache is a response cache over a Backend with single flight. It is safe
// for concurrent use.
type Cache struct {
	backend  Backend
	ttl      time.Duration
	maxValue int
	log      *slog.Logger

	mu      sync.Mutex
	flights map[Key]*flight

	hits, sharedHits, misses, stores, storesDropped atomic.Uint64
	backendErrors, backendSkipped                   atomic.Uint64
	invalidations, flushes                          atomic.Uint64
}

// flight is one key being computed; done is closed when value is final.
type flight struct {
	done    chan struct{}
	value   []byte // nil: the leader failed or did not share an answer
	waiters int    // requests that waited on it; guarded by Cache.mu
}

// New returns a Cache over opts.Backend.
func New(opts Options) (*Cache, error) {
	if opts.Backend == nil {
		return nil, errors.New("respcache: no backend")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cache{backend: opts.Backend, ttl: opts.TTL, maxValue: opts.MaxValueBytes, log: log, flights: map[Key]*flight{}}, nil
}

// Mode is what a request lets the cache do, from its Cache-Control header.
type Mode struct {
	// NoLookup computes the answer even when one is cached (no-cache);
	// the fresh answer replaces the cached one.
	NoLookup bool
	// NoStore keeps the answer out of the cache (no-store).
	NoStore bool
}

// Call is one cacheable request. On a hit, Value holds the cached answer;
// otherwise the caller computes the answer and must end the call with
// Store (on success) or Abandon (on failure; deferring it is safe, it does
// nothing after Store). Identical requests that began while this one
// computes wait for it.
type Call struct {
	c       *Cache
	model   string
	key     Key
	mode    Mode
	stamp   Stamp
	stamped bool // stamp was read; without it nothing is stored
	lead    *flight
	ended   bool

	// Value is the cached answer, nil on a miss.
	Value []byte
	// Shared marks a Value taken from an identical request that was in
	// flight rather than from the backend.
	Shared bool
}

// Hit reports whether the call was answered from the cache.
func (c *Call) Hit() bool { return c.Value != nil }

// Begin looks key up for model. Unless mode.NoLookup, an identical request
// in flight is waited for (until ctx ends) and its answer shared; else the
// backend is asked. A backend error is a miss. On a miss the returned call
// leads its key (unless it does not store, mode.NoStore: then nobody waits
// for it).
func (c *Cache) Begin(ctx context.Context, model string, key Key, mode Mode) *Call {
	call := &Call{c: c, model: model, key: key, mode: mode}
	if mode.NoLookup {
		c.misses.Add(1)
		if !mode.NoStore {
			call.readStamp(ctx)
		}
		return call
	}
	for {
		c.mu.Lock()
		f, inFlight := c.flights[key]
		switch {
		case inFlight:
			f.waiters++
		case !mode.NoStore:
			call.lead = &flight{done: make(chan struct{})}
			c.flights[key] = call.lead
		}
		c.mu.Unlock()
		if !inFlight {
			break
		}
		select {
		case <-f.done:
		case <-ctx.Done():
			// The caller is leaving; what it gets no longer matters.
			c.misses.Add(1)
			return call
		}
		if f.value != nil {
			c.hits.Add(1)
			c.sharedHits.Add(1)
			call.Value, call.Shared, call.ended = f.value, true, true
			return call
		}
		// The leader failed: try again, perhaps leading this time.
	}
	value, stamp, err := c.backend.Get(ctx, model, key)
	if err != nil {
		c.backendError("get", model, err)
	} else {
		call.stamp, call.stamped = stamp, true
	}
	if value != nil {
		c.hits.Add(1)
		call.Value = value
		call.finish(value)
		return call
	}
	c.misses.Add(1)
	return call
}

// readStamp gets the stamp for a call that did not look up.
func (c *Call) readStamp(ctx context.Context) {
	stamp, err := c.c.backend.Stamp(ctx, c.model)
	if err != nil {
		c.c.backendError("stamp", c.model, err)
		return
	}
	c.stamp, c.stamped = stamp, true
}

// Store saves value as the call's answer (unless the request said
// no-store, or the value is over the size bound) and hands it to the
// identical requests waiting for it. The caller must not modify value
// afterwards. A backend error is logged and counted, never returned: the
// request has its answer either way.
func (c *Call) Store(ctx context.Context, value []byte) {
	if c.ended {
		return
	}
	if value == nil {
		value = []byte{}
	}
	switch {
	case c.mode.NoStore:
	case !c.stamped:
		c.c.storesDropped.Add(1)
	case c.c.maxValue > 0 && len(value) > c.c.maxValue:
		c.c.storesDropped.Add(1)
	default:
		if err := c.c.backend.Set(ctx, c.model, c.key, c.stamp, value, c.c.ttl); err != nil {
			c.c.backendError("set", c.model, err)
		} else {
			c.c.stores.Add(1)
		}
	}
	c.finish(value)
}

// Abandon ends a call without an answer: requests waiting for it compute
// their own. It does nothing after Store or on a hit.
func (c *Call) Abandon() {
	if !c.ended {
		c.finish(nil)
	}
}

// finish releases the call's followers with value (nil: none).
func (c *Call) finish(value []byte) {
	c.ended = true
	if c.lead == nil {
		return
	}
	c.c.mu.Lock()
	if c.c.flights[c.key] == c.lead {
		delete(c.c.flights, c.key)
	}
	c.c.mu.Unlock()
	c.lead.value = value
	close(c.lead.done)
	c.lead = nil
}

// InvalidateModel makes every entry of model a miss, in this process and,
// with a shared backend, in every replica.
func (c *Cache) InvalidateModel(ctx context.Context, model string) error {
	c.invalidations.Add(1)
	if err := c.backend.InvalidateModel(ctx, model); err != nil {
		c.backendError("invalidate", model, err)
		return fmt.Errorf("respcache: invalidate %q: %w", model, err)
	}
	return nil
}

// Flush makes every entry a miss.
func (c *Cache) Flush(ctx context.Context) error {
	c.flushes.Add(1)
	if err := c.backend.Flush(ctx); err != nil {
		c.backendError("flush", "", err)
		return fmt.Errorf("respcache: flush: %w", err)
	}
	return nil
}

// backendError counts an error; ErrUnavailable (the breaker is open) is
// counted apart and not logged, since the breaker logged its opening.
func (c *Cache) backendError(op, model string, err error) {
	if errors.Is(err, ErrUnavailable) {
		c.backendSkipped.Add(1)
		return
	}
	c.backendErrors.Add(1)
	c.log.Warn("response cache backend error; answering without the cache", "backend", c.backend.Name(), "op", op, "model", model, "err", err)
}

// Backend returns the cache's backend.
func (c *Cache) Backend() Backend { return c.backend }

// Close closes the backend.
func (c *Cache) Close() error { return c.backend.Close() }
