package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"hfserve/api"
	"hfserve/internal/auth"
	"hfserve/internal/ratelimit"
	"hfserve/internal/telemetry"
)

// Authenticator turns a presented secret into the principal it stands for;
// *auth.Manager implements it. Its errors are auth.ErrInvalidKey,
// auth.ErrExpiredKey or auth.ErrRevokedKey (401), anything else a store
// failure (503).
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (*auth.Principal, error)
}

// UsageCounter counts each authenticated inference request;
// *auth.UsageRecorder implements it. Record must not block.
type UsageCounter interface {
	Record(keyID, model string, promptTokens, generatedTokens int, failed bool)
}

var (
	_ Authenticator = (*auth.Manager)(nil)
	_ UsageCounter  = (*auth.UsageRecorder)(nil)
)

// AuthOptions turn API keys on (Options.Auth). Only Keys is required.
type AuthOptions struct {
	// Keys checks the keys requests present.
	Keys Authenticator
	// Limiter enforces each key's rate limits and quotas; nil enforces
	// none. The bootstrap admin key is never limited.
	Limiter ratelimit.Limiter
	// Usage counts inference requests per key and model; nil counts none.
	Usage UsageCounter
	// Lockout refuses client addresses that presented too many bad keys;
	// nil refuses none.
	Lockout *auth.Lockout
	// MetricsRequireKey puts GET /metrics behind the admin scope.
	MetricsRequireKey bool
	// Now tells the time the admin API judges keys' states by (expired or
	// not); nil is time.Now.
	Now func() time.Time
}

// now is the time keys' states are judged at.
func (s *Server) now() time.Time {
	if a := s.opts.Auth; a != nil && a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// principalKey carries the request's *auth.Principal in its context.
type principalKey struct{}

// principalFrom returns the principal a request authenticated as, or nil
// when auth is off (or the route is open).
func principalFrom(ctx context.Context) *auth.Principal {
	p, _ := ctx.Value(principalKey{}).(*auth.Principal)
	return p
}

// Decisions recorded in the access log (telemetry.Request.SetAuth).
const (
	authOK          = "ok"
	authMissing     = "missing"
	authMalformed   = "malformed"
	authInvalid     = "invalid"
	authExpired     = "expired"
	authRevoked     = "revoked"
	authForbidden   = "forbidden"
	authLockedOut   = "locked_out"
	authUnavailable = "unavailable"
	authRateLimited = "rate_limited"
)

// withAuth enforces API keys when Options.Auth is set: every route but
// the open ones (routeAccessFor) needs a valid key with the route's scope;
// the key's rate limits are applied before the handler and its usage
// counted after. Secrets never reach a log: only key ids do.
func (s *Server) withAuth(next http.Handler) http.Handler {
	opts := s.opts.Auth
	if opts == nil || opts.Keys == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := s.mux.Handler(r)
		access := routeAccessFor(pattern, r.URL.Path, opts.MetricsRequireKey)
		if access == accessOpen {
			next.ServeHTTP(w, r)
			return
		}
		rec := telemetry.RequestFrom(r.Context())
		p, ok := s.authenticate(w, r, opts, rec)
		if !ok {
			return
		}
		if sc := access.scope(); sc != "" && !p.Allows(sc) {
			rec.SetAuth(p.KeyID, authForbidden)
			WriteError(w, r, http.StatusForbidden, api.ErrTypePermission, "insufficient_permissions", "",
				"this API key does not have the "+string(sc)+" scope this endpoint needs")
			return
		}
		rec.SetAuth(p.KeyID, authOK)
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		ticket, ok := s.admit(w, r, opts.Limiter, p, rec)
		if !ok {
			return
		}
		tw := &trackingWriter{ResponseWriter: w}
		completed := false
		defer func() {
			// Also after a panic (withRecovery, outside, answers 500): the
			// concurrency slot must come back either way.
			s.settle(r, opts, p, ticket, access, rec.Snapshot(), tw.status, completed)
		}()
		next.ServeHTTP(tw, r)
		completed = true
	})
}

// authenticate checks the request's key, answering 401, 429 (lockout) or
// 503 itself when it fails.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, opts *AuthOptions, rec *telemetry.Request) (*auth.Principal, bool) {
	addr := clientAddr(r.RemoteAddr)
	if opts.Lockout != nil {
		if wait, locked := opts.Lockout.Locked(addr); locked {
			// No key is checked while locked out, so guessing gains nothing.
			rec.SetAuth("", authLockedOut)
			w.Header().Set("Retry-After", retryAfterSeconds(wait))
			WriteError(w, r, http.StatusTooManyRequests, api.ErrTypeRateLimit, "too_many_failed_authentications", "",
				"too many requests with an invalid API key from this address; try again later")
			return nil, false
		}
	}
	secret, err := auth.ParseCredentials(r.Header)
	if err == nil {
		var p *auth.Principal
		p, err = opts.Keys.Authenticate(r.Context(), secret)
		if err == nil {
			if opts.Lockout != nil {
				opts.Lockout.Success(addr)
			}
			return p, true
		}
	}
	decision, msg := authFailure(err)
	if decision == authUnavailable {
		rec.SetAuth("", authUnavailable)
		s.log.ErrorContext(r.Context(), "auth: cannot check API key", "err", err)
		w.Header().Set("Retry-After", "1")
		WriteError(w, r, http.StatusServiceUnavailable, api.ErrTypeServiceUnavailable, "auth_unavailable", "",
			"the API key could not be checked now; try again")
		return nil, false
	}
	// A request without any key is a misconfigured client, not a guess.
	if decision != authMissing && opts.Lockout != nil {
		opts.Lockout.Failure(addr)
	}
	rec.SetAuth("", decision)
	w.Header().Set("WWW-Authenticate", `Bearer realm="hfserve"`)
	// The type and code OpenAI answers a bad key with, so SDKs react alike.
	WriteError(w, r, http.StatusUnauthorized, api.ErrTypeInvalidRequest, "invalid_api_key", "", msg)
	return nil, false
}

// authFailure classifies an error of ParseCredentials or Authenticate and
// words it for the client, without echoing anything it sent.
func authFailure(err error) (decision, message string) {
	switch {
	case errors.Is(err, auth.ErrNoCredentials):
		return authMissing, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or in an X-API-Key header."
	case errors.Is(err, auth.ErrMalformedCredentials):
		return authMalformed, "Malformed API key header: send Authorization: Bearer YOUR_KEY or X-API-Key: YOUR_KEY."
	case errors.Is(err, auth.ErrExpiredKey):
		return authExpired, "The API key provided has expired."
	case errors.Is(err, auth.ErrRevokedKey):
		return authRevoked, "The API key provided has been revoked."
	case errors.Is(err, auth.ErrInvalidKey):
		return authInvalid, "Incorrect API key provided."
	}
	return authUnavailable, ""
}

// clientAddr is what the lockout counts failures by: the client's IP, and
// for IPv6 its /64, which one client usually holds whole.
func clientAddr(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}
