package ratelimit

import (
	"context"
	"sync/atomic"
	"time"
)

// Limits are one key's limits. A zero or negative field means unlimited.
type Limits struct {
	// RPM is the requests per minute (token bucket capacity).
	RPM int64
	// TPM is the tokens per minute (token bucket capacity), prompt and
	// generated tokens together.
	TPM int64
	// MaxConcurrent is the most requests in flight at once.
	MaxConcurrent int64
	// DailyTokens is the quota of tokens per UTC calendar day.
	DailyTokens int64
	// MonthlyTokens is the quota of tokens per UTC calendar month.
	MonthlyTokens int64
}

// MaxLimit caps every limit, estimate and token count: it keeps the bucket
// arithmetic exact in both int64 and the doubles of Redis's Lua (10 billion
// per minute is unlimited in practice).
const MaxLimit = 10_000_000_000

// ConcurrencyRetryAfter is the RetryAfter of a refusal for concurrency:
// a hint, since when a slot frees depends on the requests holding them.
const ConcurrencyRetryAfter = time.Second

// Reasons a request is refused (Decision.Reason).
const (
	ReasonRequests      = "requests"
	ReasonTokens        = "tokens"
	ReasonConcurrency   = "concurrency"
	ReasonDailyTokens   = "daily_tokens"
	ReasonMonthlyTokens = "monthly_tokens"
)

// Window is the state of one per-minute bucket after a decision, as the
// x-ratelimit-* headers report it.
type Window struct {
	// Limit is the bucket's capacity (RPM or TPM).
	Limit int64
	// Remaining is the whole requests or tokens left in the bucket, never
	// negative.
	Remaining int64
	// Reset is the time until the bucket is full again.
	Reset time.Duration
	// Set is false when the limit is not set; the other fields are then
	// zero and no headers are written for it.
	Set bool
}

// Decision is the answer to one admission.
type Decision struct {
	// Allowed says the request may be served.
	Allowed bool
	// Reason is the Reason* constant of the limit that refused; empty when
	// Allowed.
	Reason string
	// RetryAfter is how long until admission would succeed, other things
	// unchanged; zero when Allowed.
	RetryAfter time.Duration
	// Requests and Tokens are the per-minute buckets after the decision
	// (after this request's take when Allowed).
	Requests, Tokens Window
}

// Limiter admits requests for keys under their limits. Implementations are
// safe for concurrent use.
type Limiter interface {
	// Admit decides whether key may start a request under lim, reserving
	// estimate tokens (0 for none) from the tokens-per-minute bucket. When
	// the decision is Allowed the Ticket is non-nil and must be released
	// with Done; otherwise it is nil. The error is for internal failures
	// only.
	Admit(ctx context.Context, key string, lim Limits, estimate int64) (Decision, *Ticket, error)
}

// SeedFunc returns the tokens key has used since periodStart (the start of
// a UTC day or month) as recorded by a durable store, so that quotas
// survive restarts. It is called the first time a limiter needs key's
// counter for a period.
type SeedFunc func(ctx context.Context, key string, periodStart time.Time) (int64, error)

// Ticket is an admitted request's hold on its limits. The zero value and a
// nil *Ticket are valid and release nothing.
type Ticket struct {
	done    atomic.Bool
	release func(ctx context.Context, actualTokens int64) error
}

// Done releases the request's concurrency slot and charges actualTokens:
// the correction actual-estimate to the tokens-per-minute bucket and the
// actual tokens to the quotas. Only the first call does anything; later
// calls return nil. actualTokens below zero count as zero. The error
// reports an internal failure (the slot then expires on its own where the
// implementation allows, see Redis).
func (t *Ticket) Done(ctx context.Context, actualTokens int64) error {
	if t == nil || t.release == nil || !t.done.CompareAndSwap(false, true) {
		return nil
	}
	return t.release(ctx, clampCount(actualTokens))
}

// normalized clamps every field into [0, MaxLimit].
func (l Limits) normalized() Limits {
	return Limits{
		RPM:           clampCount(l.RPM),
		TPM:           clampCount(l.TPM),
		MaxConcurrent: clampCount(l.MaxConcurrent),
		DailyTokens:   clampCount(l.DailyTokens),
		MonthlyTokens: clampCount(l.MonthlyTokens),
	}
}

// clampCount clamps n into [0, MaxLimit].
func clampCount(n int64) int64 { return min(max(n, 0), MaxLimit) }
