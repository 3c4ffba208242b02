package server

import (
	"context"
	"net/http"
	"time"

	"hfserve/internal/auth"
	"hfserve/internal/ratelimit"
	"hfserve/internal/telemetry"
)

// admitTimeout bounds a limiter call (Redis) and a ticket's release.
const admitTimeout = 5 * time.Second

// admit applies the principal's limits: a refusal is answered 429 here;
// an admission sets the x-ratelimit-* headers and returns the ticket to
// release after the request (nil when nothing is limited).
func (s *Server) admit(w http.ResponseWriter, r *http.Request, limiter ratelimit.Limiter, p *auth.Principal, rec *telemetry.Request) (*ratelimit.Ticket, bool) {
	if limiter == nil || p.KeyID == auth.AdminKeyID || p.Limits == (auth.Limits{}) {
		return nil, true
	}
	ctx, cancel := context.WithTimeout(r.Context(), admitTimeout)
	defer cancel()
	lim := ratelimit.Limits{RPM: p.Limits.RPM, TPM: p.Limits.TPM, MaxConcurrent: p.Limits.MaxConcurrent,
		DailyTokens: p.Limits.DailyTokens, MonthlyTokens: p.Limits.MonthlyTokens}
	d, ticket, err := limiter.Admit(ctx, p.KeyID, lim, 0)
	if err != nil {
		// The limiter could not decide (its usage store failed): serving
		// the key beats refusing every key while the store is away.
		s.log.WarnContext(r.Context(), "rate limit: cannot decide; request let through", "key_id", p.KeyID, "err", err)
		return nil, true
	}
	d.WriteHeaders(w.Header())
	if d.Allowed {
		return ticket, true
	}
	rec.SetAuth(p.KeyID, authRateLimited)
	errType, code, msg := rateLimitError(d)
	WriteError(w, r, http.StatusTooManyRequests, errType, code, "", msg)
	return nil, false
}

// rateLimitError words a refusal as OpenAI does: type "requests" or
// "tokens" with code rate_limit_exceeded, and insufficient_quota for a
// spent daily or monthly quota.
func rateLimitError(d ratelimit.Decision) (errType, code, message string) {
	wait := ratelimit.FormatReset(d.RetryAfter)
	switch d.Reason {
	case ratelimit.ReasonTokens:
		return "tokens", "rate_limit_exceeded", "Rate limit reached for this API key on tokens per min (TPM). Please try again in " + wait + "."
	case ratelimit.ReasonConcurrency:
		return "requests", "rate_limit_exceeded", "Too many concurrent requests for this API key. Please try again when one has finished."
	case ratelimit.ReasonDailyTokens:
		return "insufficient_quota", "insufficient_quota", "This API key has used its daily token quota. It renews in " + wait + "."
	case ratelimit.ReasonMonthlyTokens:
		return "insufficient_quota", "insufficient_quota", "This API key has used its monthly token quota. It renews in " + wait + "."
	}
	return "requests", "rate_limit_exceeded", "Rate limit reached for this API key on requests per min (RPM). Please try again in " + wait + "."
}

// settle releases the request's rate-limit ticket with the tokens it used
// and counts its usage. completed is false after a panic (a 500).
func (s *Server) settle(r *http.Request, opts *AuthOptions, p *auth.Principal, ticket *ratelimit.Ticket, access routeAccess,
	snap telemetry.RequestSnapshot, status int, completed bool) {
	tokens := snap.PromptTokens + snap.GeneratedTokens
	if ticket != nil {
		// The client may be gone; the limiter's books must still balance.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), admitTimeout)
		if err := ticket.Done(ctx, int64(tokens)); err != nil {
			s.log.WarnContext(r.Context(), "rate limit: releasing a request failed", "key_id", p.KeyID, "err", err)
		}
		cancel()
	}
	if opts.Usage != nil && access.countsUsage() {
		// A handler that wrote nothing answered 200.
		failed := !completed || status >= 400
		opts.Usage.Record(p.KeyID, snap.Model, snap.PromptTokens, snap.GeneratedTokens, failed)
	}
}
