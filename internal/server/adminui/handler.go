// Package adminui is hfserve's admin dashboard: one HTML page rendered with
// html/template, a script and a stylesheet, all embedded in the binary (it
// works without internet: no CDN, no external library).
//
// The page and its files hold no data and need no key: they are a login
// form and the code that, once the operator has typed the admin key, asks
// the admin API for everything it shows, sending the key as an
// Authorization header from sessionStorage (this tab only). No cookie is
// ever set, so no other site can make the browser act with the key (no
// CSRF); the page runs under a Content-Security-Policy that allows only its
// own script and stylesheet, so it uses no inline script, style or event
// handler attribute.
package adminui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
)

// Base is the path the dashboard is served under.
const Base = "/admin/ui"

//go:embed assets/index.html assets/app.js assets/app.css
var assets embed.FS

// Patterns are the ServeMux patterns the dashboard answers; the server
// leaves them open (they hold no data) and registers Handler for each.
func Patterns() []string {
	return []string{"GET " + Base, "GET " + Base + "/{$}", "GET " + Base + "/app.js", "GET " + Base + "/app.css"}
}

// Options configure the page.
type Options struct {
	// Version is shown in the page's header.
	Version string
}

// page is the data of the page's template.
type page struct {
	Base    string
	Version string
}

// Handler serves the page at Base and Base/, and its script and
// stylesheet. The page is rendered once, here: it does not change while
// the server runs.
func Handler(opts Options) (http.Handler, error) {
	tmpl, err := template.ParseFS(assets, "assets/index.html")
	if err != nil {
		return nil, fmt.Errorf("adminui: %w", err)
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	var html bytes.Buffer
	if err := tmpl.Execute(&html, page{Base: Base, Version: version}); err != nil {
		return nil, fmt.Errorf("adminui: render: %w", err)
	}
	js, err := assets.ReadFile("assets/app.js")
	if err != nil {
		return nil, fmt.Errorf("adminui: %w", err)
	}
	css, err := assets.ReadFile("assets/app.css")
	if err != nil {
		return nil, fmt.Errorf("adminui: %w", err)
	}
	files := map[string]file{
		Base:              {"text/html; charset=utf-8", html.Bytes()},
		Base + "/":        {"text/html; charset=utf-8", html.Bytes()},
		Base + "/app.js":  {"text/javascript; charset=utf-8", js},
		Base + "/app.css": {"text/css; charset=utf-8", css},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("Content-Length", fmt.Sprint(len(f.body)))
		// The page changes with the binary; an old script against a new
		// API would break in odd ways.
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(f.body)
		}
	}), nil
}

// file is one response the dashboard serves.
type file struct {
	contentType string
	body        []byte
}
