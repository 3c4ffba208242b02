package ratelimit

import (
	"net/http"
	"strconv"
	"time"
)

// The response headers, as OpenAI names them (http.Header canonicalises
// them; clients match them case-insensitively).
const (
	HeaderLimitRequests     = "x-ratelimit-limit-requests"
	HeaderRemainingRequests = "x-ratelimit-remaining-requests"
	HeaderResetRequests     = "x-ratelimit-reset-requests"
	HeaderLimitTokens       = "x-ratelimit-limit-tokens"
	HeaderRemainingTokens   = "x-ratelimit-remaining-tokens"
	HeaderResetTokens       = "x-ratelimit-reset-tokens"
	HeaderRetryAfter        = "Retry-After"
)

// WriteHeaders sets the x-ratelimit-* headers of the windows that are set
// and, on a refusal, Retry-After.
func (d Decision) WriteHeaders(h http.Header) {
	writeWindow(h, d.Requests, HeaderLimitRequests, HeaderRemainingRequests, HeaderResetRequests)
	writeWindow(h, d.Tokens, HeaderLimitTokens, HeaderRemainingTokens, HeaderResetTokens)
	if !d.Allowed {
		h.Set(HeaderRetryAfter, strconv.FormatInt(RetryAfterSeconds(d.RetryAfter), 10))
	}
}

func writeWindow(h http.Header, w Window, limit, remaining, reset string) {
	if !w.Set {
		return
	}
	h.Set(limit, strconv.FormatInt(w.Limit, 10))
	h.Set(remaining, strconv.FormatInt(max(w.Remaining, 0), 10))
	h.Set(reset, FormatReset(w.Reset))
}

// FormatReset writes a reset time the way OpenAI's x-ratelimit-reset-*
// headers do: Go's duration format at millisecond precision ("20ms",
// "1.5s", "6m0s"), rounded up so that a client waiting that long is not
// early; "0s" for zero or less.
func FormatReset(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if rem := d % time.Millisecond; rem != 0 {
		d += time.Millisecond - rem
	}
	return d.String()
}

// RetryAfterSeconds is d in whole seconds for a Retry-After header:
// rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second > 0 {
		s++
	}
	return max(s, 1)
}
