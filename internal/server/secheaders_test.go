package server

import (
	"net/http"
	"strings"
	"testing"
)

func TestSecurityHeaders(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>dashboard</title>"))
	})
	s.Handle("GET /admin/ui", page)
	s.Handle("GET /admin/ui/", page)
	tests := []struct {
		name    string
		method  string
		path    string
		status  int
		adminUI bool
	}{
		{"API answer", http.MethodGet, "/health", http.StatusOK, false},
		{"API error", http.MethodGet, "/v1/models/nope", http.StatusNotFound, false},
		{"unknown route", http.MethodPost, "/nowhere", http.StatusNotFound, false},
		{"wrong method", http.MethodDelete, "/health", http.StatusMethodNotAllowed, false},
		{"dashboard page", http.MethodGet, "/admin/ui/keys", http.StatusOK, true},
		{"dashboard root", http.MethodGet, "/admin/ui", http.StatusOK, true},
		{"dashboard 404", http.MethodPost, "/admin/ui/nothing", http.StatusMethodNotAllowed, true},
		{"not the dashboard", http.MethodGet, "/admin/uix", http.StatusNotFound, false},
		{"another admin route", http.MethodGet, "/admin/models", http.StatusNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(s.Handler(), tt.method, tt.path, nil, nil)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			h := rec.Header()
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Error("HSTS over plain HTTP")
			}
			want := map[string]string{
				"Content-Security-Policy": "",
				"X-Frame-Options":         "",
				"Referrer-Policy":         "",
			}
			if tt.adminUI {
				want = map[string]string{
					"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
					"X-Frame-Options":         "DENY",
					"Referrer-Policy":         "no-referrer",
					"Cache-Control":           "no-store",
				}
			}
			for name, v := range want {
				if got := h.Get(name); got != v {
					t.Errorf("%s = %q, want %q", name, got, v)
				}
			}
		})
	}
}

func TestIsAdminUI(t *testing.T) {
	for path, want := range map[string]bool{
		"/admin/ui": true, "/admin/ui/": true, "/admin/ui/keys/1": true,
		"/admin/uix": false, "/admin/u": false, "/admin": false, "/": false, "/v1/admin/ui": false,
	} {
		if got := isAdminUI(path); got != want {
			t.Errorf("isAdminUI(%q) = %v", path, got)
		}
	}
	if strings.Contains(adminUICSP, "unsafe") {
		t.Errorf("the dashboard's CSP allows unsafe sources: %s", adminUICSP)
	}
}
