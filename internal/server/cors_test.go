package server

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"hfserve/api"
)

// corsHeaders are the CORS response headers a browser reads.
var corsHeaders = []string{
	"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
	"Access-Control-Max-Age", "Access-Control-Expose-Headers", "Access-Control-Allow-Credentials",
}

// preflight builds a browser's preflight headers.
func preflight(origin, method, headers string) http.Header {
	h := http.Header{"Origin": {origin}, "Access-Control-Request-Method": {method}}
	if headers != "" {
		h.Set("Access-Control-Request-Headers", headers)
	}
	return h
}

// headerList splits a comma-separated header into lower-case names.
func headerList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func TestCORS(t *testing.T) {
	const app = "https://app.example.com"
	tests := []struct {
		name    string
		origins []string
		method  string
		path    string
		header  http.Header
		status  int
		// allowOrigin is the Access-Control-Allow-Origin wanted; "" wants
		// no CORS header at all.
		allowOrigin string
		preflight   bool // an answered preflight: the Allow-* headers too
	}{
		{"off: preflight", nil, http.MethodOptions, "/v1/models", preflight(app, "GET", "authorization"), http.StatusMethodNotAllowed, "", false},
		{"off: request with origin", nil, http.MethodGet, "/health", http.Header{"Origin": {app}}, http.StatusOK, "", false},
		{"allowed preflight", []string{app}, http.MethodOptions, "/v1/chat/completions", preflight(app, "POST", "authorization, content-type"), http.StatusNoContent, app, true},
		{"allowed preflight to an unknown path", []string{app}, http.MethodOptions, "/nowhere", preflight(app, "GET", ""), http.StatusNoContent, app, true},
		{"configured origin in another spelling", []string{"HTTPS://App.Example.COM:443"}, http.MethodOptions, "/v1/embeddings", preflight(app, "POST", ""), http.StatusNoContent, app, true},
		{"port must match", []string{"https://app.example.com:8443"}, http.MethodOptions, "/v1/embeddings", preflight(app, "POST", ""), http.StatusForbidden, "", false},
		{"scheme must match", []string{"http://app.example.com"}, http.MethodGet, "/health", http.Header{"Origin": {app}}, http.StatusOK, "", false},
		{"disallowed preflight", []string{app}, http.MethodOptions, "/v1/chat/completions", preflight("https://evil.example", "POST", "authorization"), http.StatusForbidden, "", false},
		{"allowed request", []string{"https://other.example", app}, http.MethodGet, "/health", http.Header{"Origin": {app}}, http.StatusOK, app, false},
		{"disallowed request still runs", []string{app}, http.MethodGet, "/health", http.Header{"Origin": {"https://evil.example"}}, http.StatusOK, "", false},
		{"request without origin", []string{app}, http.MethodGet, "/health", nil, http.StatusOK, "", false},
		{"options without request method is no preflight", []string{app}, http.MethodOptions, "/health", http.Header{"Origin": {app}}, http.StatusMethodNotAllowed, app, false},
		{"any: preflight", []string{"*"}, http.MethodOptions, "/v1/chat/completions", preflight("https://anywhere.example", "POST", ""), http.StatusNoContent, "*", true},
		{"any: request", []string{"*"}, http.MethodGet, "/health", http.Header{"Origin": {"null"}}, http.StatusOK, "*", false},
		{"any and listed: listed echoed", []string{"*", app}, http.MethodGet, "/health", http.Header{"Origin": {app}}, http.StatusOK, app, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{CORSAllowedOrigins: tt.origins})
			rec := serve(s.Handler(), tt.method, tt.path, nil, tt.header)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			h := rec.Header()
			if tt.allowOrigin == "" {
				for _, name := range corsHeaders {
					if v, ok := h[name]; ok {
						t.Errorf("%s: %q sent, want no CORS headers", name, v)
					}
				}
			} else if got := h.Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.allowOrigin)
			}
			if h.Get("Access-Control-Allow-Credentials") != "" {
				t.Error("credentials allowed")
			}
			vary := headerList(strings.Join(h.Values("Vary"), ","))
			if tt.origins != nil && !slices.Contains(vary, "origin") {
				t.Errorf("Vary = %v, want Origin in it", vary)
			}
			if tt.origins == nil && len(vary) != 0 {
				t.Errorf("Vary = %v with CORS off", vary)
			}
			if tt.status == http.StatusForbidden {
				checkError(t, rec, http.StatusForbidden, api.ErrTypePermission, "cors_origin_not_allowed", "")
			}
			if !tt.preflight {
				if h.Get("Access-Control-Allow-Methods") != "" || h.Get("Access-Control-Max-Age") != "" {
					t.Errorf("preflight headers on a non-preflight answer: %v", h)
				}
				if tt.allowOrigin != "" && !slices.Contains(headerList(h.Get("Access-Control-Expose-Headers")), "x-request-id") {
					t.Errorf("Access-Control-Expose-Headers = %q", h.Get("Access-Control-Expose-Headers"))
				}
				return
			}
			if rec.Body.Len() != 0 {
				t.Errorf("preflight body %q", rec.Body)
			}
			methods := headerList(h.Get("Access-Control-Allow-Methods"))
			if want := strings.ToLower(tt.header.Get("Access-Control-Request-Method")); !slices.Contains(methods, want) {
				t.Errorf("Access-Control-Allow-Methods = %v lacks %s", methods, want)
			}
			allowed := headerList(h.Get("Access-Control-Allow-Headers"))
			for _, want := range []string{"authorization", "content-type", "x-api-key", "x-request-id"} {
				if !slices.Contains(allowed, want) {
					t.Errorf("Access-Control-Allow-Headers = %v lacks %s", allowed, want)
				}
			}
			if got := h.Get("Access-Control-Max-Age"); got != strconv.Itoa(corsMaxAge) {
				t.Errorf("Access-Control-Max-Age = %q", got)
			}
		})
	}
}

// TestCORSAllowHeaders checks which requested headers a preflight allows:
// the base ones always, others only from the safe list.
func TestCORSAllowHeaders(t *testing.T) {
	s, _ := newTestServer(t, Options{CORSAllowedOrigins: []string{"https://app.example.com"}})
	tests := []struct {
		requested string
		allowed   []string
		refused   []string
	}{
		{"", []string{"authorization", "content-type", "x-api-key", "x-request-id"}, nil},
		{"X-Stainless-OS, x-stainless-retry-count, OpenAI-Organization, traceparent",
			[]string{"x-stainless-os", "x-stainless-retry-count", "openai-organization", "traceparent"}, nil},
		{"x-evil, cookie, x-stainless-, host", nil, []string{"x-evil", "cookie", "x-stainless-", "host"}},
		{"authorization,Authorization , AUTHORIZATION", []string{"authorization"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.requested, func(t *testing.T) {
			rec := serve(s.Handler(), http.MethodOptions, "/v1/chat/completions", nil, preflight("https://app.example.com", "POST", tt.requested))
			if rec.Code != http.StatusNoContent {
				t.Fatalf("status %d", rec.Code)
			}
			got := headerList(rec.Header().Get("Access-Control-Allow-Headers"))
			for _, want := range tt.allowed {
				if !slices.Contains(got, want) {
					t.Errorf("allowed %v lacks %s", got, want)
				}
			}
			for _, bad := range tt.refused {
				if slices.Contains(got, bad) {
					t.Errorf("allowed %v includes %s", got, bad)
				}
			}
			seen := map[string]bool{}
			for _, name := range got {
				if seen[name] {
					t.Errorf("%s listed twice in %v", name, got)
				}
				seen[name] = true
			}
		})
	}
}

// TestCORSExposeHeaders checks that a page may read the headers it needs.
func TestCORSExposeHeaders(t *testing.T) {
	s, _ := newTestServer(t, Options{CORSAllowedOrigins: []string{"*"}})
	rec := serve(s.Handler(), http.MethodGet, "/health", nil, http.Header{"Origin": {"https://app.example.com"}})
	exposed := headerList(rec.Header().Get("Access-Control-Expose-Headers"))
	for _, want := range []string{
		"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
		"x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
		"retry-after", strings.ToLower(RequestIDHeader),
		"x-queue-time", "x-inference-time", "x-time-per-token", "x-prompt-tokens", "x-generated-tokens",
	} {
		if !slices.Contains(exposed, want) {
			t.Errorf("Access-Control-Expose-Headers %v lacks %s", exposed, want)
		}
	}
}

// TestCORSOnPanic checks that a recovered 500 keeps the CORS and security
// headers, so the page can read the error.
func TestCORSOnPanic(t *testing.T) {
	s, _ := newTestServer(t, Options{CORSAllowedOrigins: []string{"https://app.example.com"}})
	s.Handle("GET /boom", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Handler", "1")
		panic("boom")
	}))
	rec := serve(s.Handler(), http.MethodGet, "/boom", nil, http.Header{"Origin": {"https://app.example.com"}})
	checkError(t, rec, http.StatusInternalServerError, api.ErrTypeServer, "internal_error", "")
	h := rec.Header()
	if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("500 headers %v: want CORS and nosniff kept", h)
	}
	if h.Get("X-Handler") != "" {
		t.Errorf("the handler's header survived the panic: %v", h)
	}
}

func TestCORSBadOrigins(t *testing.T) {
	for _, o := range []string{"app.example.com", "https://app.example.com/", "https://app.example.com/path", "ftp://app.example.com",
		"https://user@app.example.com", "https://app.example.com?q", "https://", ""} {
		if _, err := New(Options{CORSAllowedOrigins: []string{o}}); err == nil {
			t.Errorf("origin %q accepted", o)
		}
	}
	for _, o := range []string{"*", "http://localhost:3000", "https://[::1]:8443", "HTTPS://APP.example.com"} {
		if _, err := New(Options{CORSAllowedOrigins: []string{o}}); err != nil {
			t.Errorf("origin %q: %v", o, err)
		}
	}
}

// TestNormalizeOrigin checks the matching rules against the browser's
// serialisation of an origin (RFC 6454: lower-case scheme and host, no
// default port).
func TestNormalizeOrigin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://app.example.com", "https://app.example.com"},
		{"HTTPS://App.Example.COM:443", "https://app.example.com"},
		{"http://app.example.com:80", "http://app.example.com"},
		{"http://app.example.com:443", "http://app.example.com:443"},
		{"https://[::1]:443", "https://[::1]"},
		{"https://[::1]:8443", "https://[::1]:8443"},
	}
	for _, tt := range tests {
		got, ok := normalizeOrigin(tt.in)
		if !ok || got != tt.want {
			t.Errorf("normalizeOrigin(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
	if _, ok := normalizeOrigin("null"); ok {
		t.Error(`"null" normalised`)
	}
}
