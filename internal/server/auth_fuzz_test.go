package server

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"hfserve/internal/telemetry"
)

// FuzzRouteAccess checks, for any method and path, that classifying a
// request never panics and never opens anything but the fixed open
// routes: no path outside them, however spelt, skips the key check.
func FuzzRouteAccess(f *testing.F) {
	for _, seed := range [][2]string{
		{"GET", "/health"}, {"GET", "/admin/ui/"}, {"GET", "/admin/ui/../keys"}, {"POST", "/health"},
		{"GET", "//admin/keys"}, {"GET", "/admin%2Fkeys"}, {"GET", "/ADMIN/keys"}, {"HEAD", "/ready"},
		{"GET", "/admin/ui/app.js/"}, {"GET", "/v1/../admin/usage"}, {"DELETE", "/admin/keys/x"},
	} {
		f.Add(seed[0], seed[1])
	}
	// Every route hfserve registers with API keys on (handlers unused).
	srv, err := New(Options{Metrics: telemetry.NewMetrics(telemetry.MetricsOptions{})})
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range probeRoutes {
		srv.Handle(p, scopeProbe())
	}
	srv.HandleAdminKeys(nil)
	srv.HandleAdminUsage(nil)
	srv.HandleAdminModels(nil)
	if err := srv.HandleAdminUI(); err != nil {
		f.Fatal(err)
	}
	open := map[string]bool{"/health": true, "/ready": true, "/metrics": true, "/admin/ui": true,
		"/admin/ui/": true, "/admin/ui/app.js": true, "/admin/ui/app.css": true}
	f.Fuzz(func(t *testing.T, method, path string) {
		if !validMethod(method) {
			return
		}
		u, err := url.Parse(path)
		if err != nil || !strings.HasPrefix(u.Path, "/") {
			return
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Method, r.URL = method, u
		h, pattern := srv.mux.Handler(r)
		access := routeAccessFor(pattern, u.Path, false)
		// A path the mux does not take as written ("/./admin/ui") is
		// classified by the route it leads to, and answered with nothing
		// but a redirect there; so the route it leads to is what must be
		// open or not.
		canonical := canonicalPath(u.Path)
		if canonical != u.Path {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			switch {
			case rec.Code == http.StatusMovedPermanently || rec.Code == http.StatusTemporaryRedirect || rec.Code == http.StatusPermanentRedirect:
				// only a redirect (its Location is the canonical path,
				// escaped)
			case pattern == "" && (rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed):
				// no route at all
			default:
				t.Fatalf("%s %q (pattern %q): status %d, want a redirect to %q", method, path, pattern, rec.Code, canonical)
			}
		}
		if access == accessOpen && !open[canonical] {
			t.Fatalf("%s %q (pattern %q) is open", method, path, pattern)
		}
		if strings.HasPrefix(canonical, "/admin/") && !open[canonical] && access != accessAdmin {
			t.Fatalf("%s %q (pattern %q) needs %d, not the admin scope", method, path, pattern, access)
		}
	})
}

// validMethod is a method net/http would accept on the wire.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// FuzzClientAddr checks that any RemoteAddr yields an address to count
// failures by: IPv4 as it is, IPv6 as its /64, anything else unchanged.
func FuzzClientAddr(f *testing.F) {
	for _, s := range []string{"192.0.2.1:80", "[2001:db8::1]:443", "[::ffff:192.0.2.1]:1", "nonsense", "", "[fe80::1%eth0]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, remote string) {
		got := clientAddr(remote)
		host, _, err := net.SplitHostPort(remote)
		if err != nil {
			host = remote
		}
		ip := net.ParseIP(host)
		switch {
		case ip == nil || ip.To4() != nil:
			if got != host {
				t.Fatalf("clientAddr(%q) = %q, want %q", remote, got, host)
			}
		default:
			_, n, err := net.ParseCIDR(got)
			if err != nil || !n.Contains(ip) {
				t.Fatalf("clientAddr(%q) = %q, not a network holding %s", remote, got, ip)
			}
			if ones, _ := n.Mask.Size(); ones != 64 {
				t.Fatalf("clientAddr(%q) = %q, want a /64", remote, got)
			}
		}
	})
}

// TestClientAddr pins the examples: two addresses of one IPv6 /64 count
// as one client.
func TestClientAddr(t *testing.T) {
	tests := map[string]string{
		"192.0.2.1:80":               "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::9]:1":   "2001:db8:1:2::/64",
		"[::ffff:192.0.2.1]:1":       "::ffff:192.0.2.1",
		"not an address":             "not an address",
	}
	for in, want := range tests {
		if got := clientAddr(in); got != want {
			t.Errorf("clientAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
