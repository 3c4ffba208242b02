package server

import (
	pathpkg "path"
	"strings"

	"hfserve/internal/auth"
)

// What a route needs of a request's API key, when auth is on.
type routeAccess int

const (
	accessOpen       routeAccess = iota // no key: probes, metrics, the dashboard's static shell
	accessAnyKey                        // any valid key: models, info, tokenize, decode, unknown routes
	accessInference                     // auth.ScopeInference
	accessEmbeddings                    // auth.ScopeEmbeddings
	accessAdmin                         // auth.ScopeAdmin
)

// scopedRoutes maps the routes of a scope to it, by ServeMux pattern;
// never written to.
var scopedRoutes = map[string]routeAccess{
	"POST /v1/chat/completions": accessInference,
	"POST /v1/completions":      accessInference,
	"POST /generate":            accessInference,
	"POST /generate_stream":     accessInference,
	"POST /v1/embeddings":       accessEmbeddings,
	"POST /embed":               accessEmbeddings,
	"POST /rerank":              accessEmbeddings,
	"POST /predict":             accessEmbeddings,
}

// routeAccessFor is what pattern (the ServeMux pattern that matched, ""
// for none) at path needs. Only matched patterns can be open, so a wrong
// method on an open path still needs a key; everything under /admin needs
// the admin scope except the dashboard's static files, which hold no data
// (the page fetches everything with the key the operator types in).
func routeAccessFor(pattern, path string, metricsRequireKey bool) routeAccess {
	switch pattern {
	case "GET /health", "GET /ready":
		return accessOpen
	case "GET /metrics":
		if metricsRequireKey {
			return accessAdmin
		}
		return accessOpen
	}
	if isAdminUIAsset(pattern) {
		return accessOpen
	}
	if a, ok := scopedRoutes[pattern]; ok {
		return a
	}
	if pattern != "" {
		_, path, _ = strings.Cut(pattern, " ")
	} else {
		// No route: judge the path the mux would clean it to, so that
		// "/../admin/x" is as much an admin path as "/admin/x".
		path = canonicalPath(path)
	}
	if path == "/admin" || strings.HasPrefix(path, "/admin/") {
		return accessAdmin
	}
	return accessAnyKey
}

// scope is the auth scope an access level needs; "" for none.
func (a routeAccess) scope() auth.Scope {
	switch a {
	case accessInference:
		return auth.ScopeInference
	case accessEmbeddings:
		return auth.ScopeEmbeddings
	case accessAdmin:
		return auth.ScopeAdmin
	}
	return ""
}

// countsUsage reports whether requests of this access level are inference
// work that usage accounting counts.
func (a routeAccess) countsUsage() bool {
	return a == accessInference || a == accessEmbeddings
}

// canonicalPath is p as net/http's ServeMux cleans it before matching: "."
// and ".." elements and doubled slashes removed, a trailing slash kept.
func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	c := pathpkg.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
