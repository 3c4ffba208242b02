package server

import (
	"fmt"
	"net/http"

	"hfserve/api"
	"hfserve/internal/telemetry"
)

// router serves requests through mux, but answers unknown routes (404) and
// wrong methods (405, with Allow) in the OpenAI error shape instead of
// net/http's plain text.
type router struct {
	mux *http.ServeMux
}

// maxPathInMessage bounds how much of a client's path an error message
// echoes back.
const maxPathInMessage = 256

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := rt.mux.Handler(r)
	if pattern != "" {
		// The pattern, not the path, names the endpoint in metrics and
		// logs: it is bounded and holds no client input.
		telemetry.RequestFrom(r.Context()).SetEndpoint(pattern)
		// Matched (or a redirect to the canonical path): ServeHTTP routes
		// again, which also sets r.Pattern and the path values.
		rt.mux.ServeHTTP(w, r)
		return
	}
	// No pattern: h is net/http's 404 or 405 handler. Running it against a
	// probe tells which, and for 405 yields the Allow header the mux
	// computed, without duplicating its matching rules.
	probe := &headerProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	path := r.URL.Path
	if len(path) > maxPathInMessage {
		path = path[:maxPathInMessage] + "…"
	}
	if probe.status == http.StatusMethodNotAllowed {
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		WriteError(w, r, http.StatusMethodNotAllowed, api.ErrTypeInvalidRequest, "method_not_allowed", "",
			fmt.Sprintf("method %s is not allowed for %s; allowed: %s", r.Method, path, allow))
		return
	}
	WriteError(w, r, http.StatusNotFound, api.ErrTypeInvalidRequest, "unknown_url", "",
		fmt.Sprintf("Invalid URL (%s %s)", r.Method, path))
}

// headerProbe is a ResponseWriter that keeps the status and headers and
// drops the body.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header { return p.header }

func (p *headerProbe) WriteHeader(status int) {
	if p.status == 0 {
		p.status = status
	}
}

func (p *headerProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
