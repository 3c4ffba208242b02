package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"hfserve/api"
)

// CORS (cors_allowed_origins) lets browser pages on other origins call the
// API. It is off unless origins are configured: no Access-Control-* header
// is ever sent then. With origins configured:
//
//   - a preflight (OPTIONS with Access-Control-Request-Method) from an
//     allowed origin is answered here with 204 and the Allow-* headers,
//     before routing and before anything that wants credentials, which
//     browsers never send with a preflight; one from any other origin gets
//     403 in the OpenAI error shape and no CORS headers;
//   - any other request runs as usual; an allowed origin's response carries
//     Access-Control-Allow-Origin and Expose-Headers, a disallowed one's
//     none, so the browser keeps the response from the page.
//
// Credentials mode (cookies, TLS client certificates) is never allowed:
// the API authenticates with the Authorization or X-API-Key header, which
// a page sends explicitly and a preflight clears. So "*" is answered with a
// literal "*", and a listed origin with itself.

// corsMaxAge is how long browsers may cache a preflight's answer, in
// seconds: Chromium's cap (Firefox allows a day).
const corsMaxAge = 7200

// corsAllowMethods are the methods the API's routes use.
const corsAllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"

// corsBaseHeaders are always allowed in a cross-origin request: the
// credentials, the body type and the request id.
var corsBaseHeaders = []string{"Authorization", "Content-Type", "X-API-Key", "X-Request-Id"}

// corsSafeHeaders are request headers allowed too when a preflight asks for
// them: what the OpenAI SDKs (OpenAI-*, their X-Stainless-* telemetry),
// tracing and ordinary fetches send. Lower case, as preflights list them.
var corsSafeHeaders = map[string]bool{
	"accept": true, "accept-language": true, "content-language": true, "cache-control": true,
	"openai-organization": true, "openai-project": true, "openai-beta": true, "idempotency-key": true,
	"traceparent": true, "tracestate": true, "baggage": true,
}

// corsSafePrefixes are header name prefixes allowed like corsSafeHeaders.
var corsSafePrefixes = []string{"x-stainless-"}

// corsExposeHeaders are the response headers a page may read: rate limits,
// Retry-After, the request id and the timing headers.
var corsExposeHeaders = strings.Join([]string{
	"X-RateLimit-Limit-Requests", "X-RateLimit-Remaining-Requests", "X-RateLimit-Reset-Requests",
	"X-RateLimit-Limit-Tokens", "X-RateLimit-Remaining-Tokens", "X-RateLimit-Reset-Tokens",
	"Retry-After", requestIDKey,
	headerQueueTime, headerInferenceTime, headerTimePerToken, headerPromptTokens, headerGeneratedTokens,
}, ", ")

// corsPolicy is the parsed cors_allowed_origins; nil means CORS is off.
type corsPolicy struct {
	any     bool            // "*" was configured
	origins map[string]bool // normalised origins (see normalizeOrigin)
}

// newCORSPolicy parses the configured origins: "*" or scheme://host[:port].
// No origins returns nil (CORS off).
func newCORSPolicy(origins []string) (*corsPolicy, error) {
	if len(origins) == 0 {
		return nil, nil
	}
	p := &corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			p.any = true
			continue
		}
		n, ok := normalizeOrigin(o)
		if !ok {
			return nil, fmt.Errorf("server: CORS origin %q: want scheme://host[:port] or *", o)
		}
		p.origins[n] = true
	}
	return p, nil
}

// normalizeOrigin lower-cases scheme and host and drops the scheme's
// default port, so that "HTTPS://Example.com:443" matches the
// "https://example.com" a browser sends. It refuses anything but an
// http(s) origin.
func normalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(o)
	// url.Parse lower-cases the scheme.
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") ||
		u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" {
		return "", false
	}
	scheme, host, port := u.Scheme, strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, true
}

// allowOrigin is the Access-Control-Allow-Origin value for a request from
// origin, or "" when that origin is not allowed.
func (p *corsPolicy) allowOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	if n, ok := normalizeOrigin(origin); ok && p.origins[n] {
		return origin
	}
	if p.any {
		return "*"
	}
	return ""
}

// allowHeaders is the Access-Control-Allow-Headers value for a preflight
// that asked for requested (comma-separated): the base headers and those
// asked for that are safe. Others are left out, and the browser refuses
// the request that wanted them.
func allowHeaders(requested string) string {
	out := append([]string(nil), corsBaseHeaders...)
	seen := map[string]bool{}
	for _, h := range corsBaseHeaders {
		seen[strings.ToLower(h)] = true
	}
	for _, field := range strings.Split(requested, ",") {
		name := strings.ToLower(strings.TrimSpace(field))
		if name == "" || seen[name] || !safeHeader(name) {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	return strings.Join(out, ", ")
}

// safeHeader reports a lower-case header name a page may send.
func safeHeader(name string) bool {
	if corsSafeHeaders[name] {
		return true
	}
	for _, p := range corsSafePrefixes {
		if strings.HasPrefix(name, p) && len(name) > len(p) {
			return true
		}
	}
	return false
}

// withCORS applies the CORS policy (see the top of this file).
func (s *Server) withCORS(next http.Handler) http.Handler {
	p := s.cors
	if p == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The answer depends on Origin, allowed or not: caches must not
		// serve one origin's answer to another.
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		allowed := p.allowOrigin(origin)
		preflight := r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			if allowed == "" {
				WriteError(w, r, http.StatusForbidden, api.ErrTypePermission, "cors_origin_not_allowed", "",
					fmt.Sprintf("origin %q is not allowed to call this server (cors_allowed_origins)", origin))
				return
			}
			h.Set("Access-Control-Allow-Origin", allowed)
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", allowHeaders(r.Header.Get("Access-Control-Request-Headers")))
			h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed != "" {
			h.Set("Access-Control-Allow-Origin", allowed)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}
