package server

import (
	"fmt"
	"net/http"

	"hfserve/api"
)

// routes registers the built-in endpoints.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /health", s.handleHealth)
	s.mux.HandleFunc("GET /ready", s.handleReady)
	s.mux.HandleFunc("GET /v1/models", s.handleListModels)
	// {id...} because Hugging Face ids contain a slash (org/name) and
	// clients send it unescaped.
	s.mux.HandleFunc("GET /v1/models/{id...}", s.handleGetModel)
	if s.opts.Metrics != nil {
		// Open to every client even with API keys on, as /health and
		// /ready are (scrapers and the endpoint picker carry no key, and
		// the exposition holds no request content), unless
		// AuthOptions.MetricsRequireKey puts it behind the admin scope.
		s.mux.Handle("GET /metrics", s.opts.Metrics.Handler())
	}
}

// handleHealth is the liveness probe: it answers 200 as long as the
// process can serve HTTP at all.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusOK, api.Health{Status: api.HealthOK})
}

// handleReady is the readiness probe: 200 once SetReady(true) has been
// called, 503 before that and while shutting down, so load balancers stop
// sending traffic before connections are refused.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case s.draining.Load():
		s.writeJSON(w, r, http.StatusServiceUnavailable, api.Health{Status: api.HealthShuttingDown})
	case !s.ready.Load():
		s.writeJSON(w, r, http.StatusServiceUnavailable, api.Health{Status: api.HealthNotReady})
	default:
		s.writeJSON(w, r, http.StatusOK, api.Health{Status: api.HealthReady})
	}
}

func (s *Server) handleListModels(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, api.ModelList{Object: api.ObjectList, Data: s.models(r)})
}

func (s *Server) handleGetModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, m := range s.models(r) {
		if m.ID == id {
			s.writeJSON(w, r, http.StatusOK, m)
			return
		}
	}
	// Message, param and code as OpenAI answers for an unknown model.
	WriteError(w, r, http.StatusNotFound, api.ErrTypeInvalidRequest, "model_not_found", "model",
		fmt.Sprintf("The model '%s' does not exist", id))
}

// models returns the catalog's models that the request's API key may use
// (all without API keys), never nil (so the list encodes as []), with
// Object filled in.
func (s *Server) models(r *http.Request) []api.Model {
	var src []api.Model
	if s.opts.Catalog != nil {
		src = s.opts.Catalog.Models(r.Context())
	}
	out := make([]api.Model, 0, len(src))
	p := principalFrom(r.Context())
	for _, m := range src {
		// A key limited to some models sees only those.
		if p != nil && !p.AllowsModel(m.ID) {
			continue
		}
		m.Object = api.ObjectModel
		out = append(out, m)
	}
	return out
}

// writeJSON is WriteJSON with the encoding failure logged.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	if err := WriteJSON(w, r, status, v); err != nil {
		s.log.ErrorContext(r.Context(), "write response", "err", err)
	}
}
