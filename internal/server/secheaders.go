package server

import (
	"net/http"
	"strings"
)

// adminUIPrefix is where the admin dashboard is served: HTML that runs in
// an operator's browser with the admin key, so it gets the strict headers.
const adminUIPrefix = "/admin/ui"

// Security headers. Every response gets nosniff (API bodies are JSON or
// event streams, never something to guess a type for) and, over HTTPS,
// HSTS. The dashboard's pages also get a Content-Security-Policy allowing
// only its own scripts, styles and images (no inline script, no framing,
// no foreign form targets), no framing, no Referer and no caching: they
// show keys and usage.
const (
	// hstsValue keeps browsers on HTTPS for two years. Without
	// includeSubDomains: the server does not own its domain's subdomains.
	hstsValue = "max-age=63072000"
	// adminUICSP is the dashboard's Content-Security-Policy.
	adminUICSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

// withSecurityHeaders sets the security headers before the handler runs,
// so every response has them, errors included; a handler may still
// replace one (the dashboard's own Cache-Control, say).
func (s *Server) withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", hstsValue)
		}
		if isAdminUI(r.URL.Path) {
			h.Set("Content-Security-Policy", adminUICSP)
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// isAdminUI reports a path of the dashboard: /admin/ui or below it, but
// not /admin/uifoo.
func isAdminUI(path string) bool {
	rest, ok := strings.CutPrefix(path, adminUIPrefix)
	return ok && (rest == "" || rest[0] == '/')
}
