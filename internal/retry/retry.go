// Package retry spaces out attempts at something that fails for a while:
// exponential backoff with jitter (Backoff), and a loop that retries a
// transient failure until it succeeds, fails for good, runs out of
// attempts or its context ends (Do).
//
// Jitter only shortens a delay, never lengthens it, so Backoff.Max is a
// hard bound: callers may rely on "the next attempt is at most Max away"
// (the model manager's load backoff does, to line up with the circuit
// breaker's open timeout). Randomness comes from math/rand/v2 unless
// Backoff.Rand is set, so tests can fix it.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Backoff computes exponentially growing delays. The zero value has no
// delay at all.
type Backoff struct {
	// Initial is the delay before the first retry.
	Initial time.Duration
	// Max caps every delay; 0 means no cap.
	Max time.Duration
	// Multiplier grows the delay per attempt; values below 1 mean 2.
	Multiplier float64
	// Jitter is the share of each delay drawn at random, in [0, 1]: the
	// delay is uniform in [d·(1-Jitter), d]. Spreading retries keeps
	// callers that failed together from retrying together.
	Jitter float64
	// Rand returns a number in [0, 1); nil is math/rand/v2's Float64.
	Rand func() float64
}

// Delay is the wait after the attempt-th failure (0 for the first).
func (b Backoff) Delay(attempt int) time.Duration {
	if b.Initial <= 0 {
		return 0
	}
	mult := b.Multiplier
	if mult < 1 {
		mult = 2
	}
	d := float64(b.Initial) * math.Pow(mult, float64(max(attempt, 0)))
	if b.Max > 0 {
		d = min(d, float64(b.Max))
	}
	if j := min(max(b.Jitter, 0), 1); j > 0 {
		r := b.Rand
		if r == nil {
			r = rand.Float64
		}
		d -= d * j * r()
	}
	if d >= math.MaxInt64 { // float64 rounds MaxInt64 up: converting would wrap
		return math.MaxInt64
	}
	return time.Duration(d)
}

// Policy says how Do retries.
type Policy struct {
	Backoff
	// Attempts bounds the tries, the first included; values below 1 mean 1.
	Attempts int
	// Retryable says whether an error is worth another try; nil retries
	// every error. An error wrapped with Permanent is never retried.
	Retryable func(error) bool
}

// permanentError marks an error that retrying cannot cure.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err so that Do gives up at once; the mark changes
// neither the message nor what errors.Is and errors.As find.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// Do calls fn until it returns nil, a permanent or non-retryable error, or
// the attempts run out, sleeping Policy.Delay between tries. It returns
// nil, the last error (with the attempt count when there were several),
// or ctx's error wrapping the last one when ctx ends during a wait.
func Do(ctx context.Context, p Policy, fn func(context.Context) error) error {
	attempts := max(p.Attempts, 1)
	for i := 0; ; i++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			return err
		}
		if (p.Retryable != nil && !p.Retryable(err)) || ctx.Err() != nil {
			return err
		}
		if i+1 >= attempts {
			if attempts == 1 {
				return err
			}
			return fmt.Errorf("after %d attempts: %w", attempts, err)
		}
		t := time.NewTimer(p.Delay(i))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("retry: %w (last error: %w)", ctx.Err(), err)
		}
	}
}
