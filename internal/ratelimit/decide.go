package ratelimit

import "time"

// Refusal bits: which limits refuse an admission. The Redis admission
// script uses the same values.
const (
	failRequests = 1 << iota
	failTokens
	failConcurrency
	failDaily
	failMonthly
)

// usage is what an admission is checked against: bucket levels (in units)
// after refill, requests in flight, and the quota counters of the current
// periods.
type usage struct {
	requests, tokens   int64
	inFlight           int64
	dayUsed, monthUsed int64
}

// refusals returns the failRequests... bits of the limits in lim that u
// breaks. Both implementations admit exactly when it is zero.
func refusals(lim Limits, u usage) int {
	fail := 0
	if lim.RPM > 0 && u.requests < unitsPerToken {
		fail |= failRequests
	}
	if lim.TPM > 0 && u.tokens < unitsPerToken {
		fail |= failTokens
	}
	if lim.MaxConcurrent > 0 && u.inFlight >= lim.MaxConcurrent {
		fail |= failConcurrency
	}
	if lim.DailyTokens > 0 && u.dayUsed >= lim.DailyTokens {
		fail |= failDaily
	}
	if lim.MonthlyTokens > 0 && u.monthUsed >= lim.MonthlyTokens {
		fail |= failMonthly
	}
	return fail
}

// decision builds the Decision for the refusal bits fail, with the bucket
// levels requests and tokens (after the take when fail is 0), at now.
func decision(lim Limits, now time.Time, fail int, requests, tokens int64) Decision {
	d := Decision{
		Allowed:  fail == 0,
		Requests: window(lim.RPM, requests),
		Tokens:   window(lim.TPM, tokens),
	}
	if d.Allowed {
		return d
	}
	p := periodsAt(now)
	// In order of preference on equal waits: the reason a client can do
	// something about first.
	candidates := []struct {
		bit    int
		reason string
		wait   func() time.Duration
	}{
		{failRequests, ReasonRequests, func() time.Duration { return waitForOne(lim.RPM, requests) }},
		{failTokens, ReasonTokens, func() time.Duration { return waitForOne(lim.TPM, tokens) }},
		{failConcurrency, ReasonConcurrency, func() time.Duration { return ConcurrencyRetryAfter }},
		{failDaily, ReasonDailyTokens, func() time.Duration { return p.nextDay.Sub(now) }},
		{failMonthly, ReasonMonthlyTokens, func() time.Duration { return p.nextMonth.Sub(now) }},
	}
	for _, c := range candidates {
		if fail&c.bit == 0 {
			continue
		}
		if w := c.wait(); d.Reason == "" || w > d.RetryAfter {
			d.Reason, d.RetryAfter = c.reason, w
		}
	}
	return d
}
