// Package ratelimit enforces per-key rate limits and token quotas: requests
// per minute, tokens per minute, concurrent requests, and daily and monthly
// token quotas. A key is any string id (the auth package's key id); its
// Limits travel with every call, so a changed limit applies from the next
// admission on.
//
// # Contract
//
// A caller asks Admit before serving a request and, when the answer is
// Allowed, calls the returned Ticket's Done exactly once afterwards with
// the tokens the request really used (prompt + generated; 0 for a request
// that failed, which still counts as a request). Done is idempotent and a
// nil Ticket's Done is a no-op, so `defer ticket.Done(ctx, n)` is safe.
// Admit returns an error only for internal failures (a Seed callback that
// failed, Redis failing with no way to fall back); the caller decides
// whether to fail open. A refusal is not an error: Decision.Allowed is
// false, Decision.Reason says which limit refused and Decision.RetryAfter
// how long until admission would succeed (all else unchanged).
//
// # Semantics
//
// A zero (or negative) field of Limits means unlimited; values above
// MaxLimit are clamped to it.
//
//   - Requests per minute: a token bucket of capacity RPM that refills
//     RPM/60 per second (continuously, at millisecond resolution); an
//     admitted request takes one. RetryAfter is the time until one request
//     token has refilled.
//   - Tokens per minute: a token bucket of capacity TPM refilling TPM/60 per
//     second. Token counts are known only after a request, so the bucket is
//     post-paid, as OpenAI's token limits are: admission needs at least one
//     whole token in the bucket, Admit reserves the caller's estimate (0 if
//     it has none), and Done charges actual-estimate (giving back what was
//     over-reserved). One large request may drive the bucket negative; the
//     key is then refused until it has refilled to one token, which is the
//     RetryAfter.
//   - Concurrency: at most MaxConcurrent admitted requests without Done.
//     RetryAfter is a fixed hint, ConcurrencyRetryAfter, because when a slot
//     frees depends on other requests.
//   - Daily and monthly quotas count tokens per calendar day and month in
//     UTC. Admission is refused while the period's count is at or above the
//     quota (nothing is reserved: requests in flight may overshoot it); Done
//     adds the actual tokens to the period current when Done runs.
//     RetryAfter is the time until the next UTC day or month begins.
//     Counters survive restarts through the Seed callback: the first time a
//     limiter needs a key's counter for a period it asks Seed for the tokens
//     the key has used since the period's start (the usage store knows).
//
// A refused request takes nothing from any limit. When several limits
// refuse, Reason names the one with the longest wait and RetryAfter is that
// wait.
//
// # Headers
//
// Decision.WriteHeaders writes the headers OpenAI sends:
// x-ratelimit-{limit,remaining,reset}-{requests,tokens} for the limits that
// are set, the reset being the time until the bucket is full again written
// as OpenAI does (Go's duration format at millisecond precision: "1s",
// "6m0s", "20ms"), and Retry-After in whole seconds (rounded up, at least 1)
// on a refusal.
//
// # Implementations
//
// Local keeps the state in memory for one process. Redis shares it between
// replicas through atomic Lua scripts and degrades to a Local when Redis is
// unavailable; see Redis for its storage layout, clock and failure
// behaviour.
package ratelimit
