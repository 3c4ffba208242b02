package server

import (
	"regexp"
	"strings"
	"testing"
)

// TestAdminUIServesWithoutInlineCode checks the dashboard's files: served
// without a key (they hold no data) under the strict CSP, with the right
// types, and a page with no inline script, style or event handler, which
// that CSP would block.
func TestAdminUIServesWithoutInlineCode(t *testing.T) {
	e := newAuthEnv(t, nil)
	types := map[string]string{
		"/admin/ui":         "text/html",
		"/admin/ui/":        "text/html",
		"/admin/ui/app.js":  "text/javascript",
		"/admin/ui/app.css": "text/css",
	}
	for path, ctype := range types {
		rec := e.do("GET", path, "", "", "")
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), ctype) {
			t.Errorf("GET %s: %d %q", path, rec.Code, rec.Header().Get("Content-Type"))
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
	page := e.do("GET", "/admin/ui/", "", "", "").Body.String()
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]`),               // inline script
		regexp.MustCompile(`(?i)<script(?:\s(?:[^>s]|s[^r]|sr[^c])*)?>`), // a script without src
		regexp.MustCompile(`(?i)<style`),                                 // inline stylesheet
		regexp.MustCompile(`(?i)\sstyle\s*=`),                            // style attribute
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),                         // event handler attribute
		regexp.MustCompile(`(?i)(?:src|href)\s*=\s*"(?:https?:)?//`),     // anything from elsewhere
		regexp.MustCompile(`(?i)javascript:`),
	} {
		if m := bad.FindString(page); m != "" {
			t.Errorf("the page has %q (%s), which the CSP blocks or the offline rule forbids", m, bad)
		}
	}
	for _, want := range []string{`src="/admin/ui/app.js"`, `href="/admin/ui/app.css"`, `version test`, `id="login-form"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// Nothing but the page and its two files is open under /admin/ui.
	if rec := e.do("GET", "/admin/ui/other.js", "", "", ""); rec.Code != 401 {
		t.Errorf("GET /admin/ui/other.js without a key: %d, want 401", rec.Code)
	}
}
