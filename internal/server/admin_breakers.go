package server

import (
	"fmt"
	"net/http"
	"time"

	"hfserve/api"
	"hfserve/internal/serving"
)

// BreakerAdmin is what the breaker admin endpoints need from the serving
// layer; *serving.Service implements it.
type BreakerAdmin interface {
	Breakers() []serving.BreakerStatus
	BreakersEnabled() bool
	ResetBreaker(name string) error
}

var _ BreakerAdmin = (*serving.Service)(nil)

// AdminBreaker is one model's circuit breaker, load backoff and
// concurrency, as GET /admin/breakers reports it. Times are RFC 3339 in
// UTC, null when they do not apply.
type AdminBreaker struct {
	Model string `json:"model"`
	// State is closed, open, half_open, or disabled.
	State string `json:"state"`
	// Failures and Successes are counted in the current state (the run of
	// failures, or the rolling window in ratio mode; for an open breaker,
	// the failures that opened it).
	Failures  int `json:"failures"`
	Successes int `json:"successes"`
	// Opens counts the times the breaker opened.
	Opens          uint64     `json:"opens"`
	LastTransition *time.Time `json:"last_transition"`
	// NextProbe is when an open breaker lets a probe through.
	NextProbe      *time.Time `json:"next_probe"`
	ProbesInFlight int        `json:"probes_in_flight"`
	// LastError is the last failure counted against the model.
	LastError string `json:"last_error,omitempty"`
	// LoadFailures counts the loads failed in a row; NextLoadAttempt is
	// when a request may try again (null when nothing holds it back).
	LoadFailures    int        `json:"load_failures"`
	NextLoadAttempt *time.Time `json:"next_load_attempt"`
	// Running counts the requests on the model holding a concurrency
	// place; MaxRunning is max_concurrent_requests_per_model (0: none).
	Running    int `json:"running"`
	MaxRunning int `json:"max_running"`
}

// AdminBreakerList is the body of GET /admin/breakers.
type AdminBreakerList struct {
	Object string `json:"object"`
	// Enabled is enable_circuit_breaker.
	Enabled bool           `json:"enabled"`
	Data    []AdminBreaker `json:"data"`
}

// HandleAdminBreakers registers the breaker admin endpoints:
//
//	GET  /admin/breakers               every model's breaker
//	GET  /admin/breakers/{id}          one model's
//	POST /admin/breakers/{id}/reset    close it, forget its failures and its
//	                                   load backoff, so the next request runs
//
// The POST answers with the model's breaker afterwards. Model ids may
// contain slashes (org/name), so the action is the last path segment. Auth
// is the caller's business: mount these behind the admin key.
func (s *Server) HandleAdminBreakers(a BreakerAdmin) {
	s.Handle("GET /admin/breakers", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		list := AdminBreakerList{Object: api.ObjectList, Enabled: a.BreakersEnabled(), Data: []AdminBreaker{}}
		for _, st := range a.Breakers() {
			list.Data = append(list.Data, adminBreaker(st))
		}
		w.Header().Set("Cache-Control", "no-store")
		s.writeJSON(w, r, http.StatusOK, list)
	}))
	s.Handle("GET /admin/breakers/{id...}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeAdminBreaker(w, r, a, r.PathValue("id"))
	}))
	s.Handle("POST /admin/breakers/{path...}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.PathValue("path")
		id, verb, ok := cutLast(path, "/")
		if !ok || id == "" || verb != "reset" {
			WriteError(w, r, http.StatusNotFound, api.ErrTypeInvalidRequest, "not_found", "",
				fmt.Sprintf("no route for POST /admin/breakers/%s: use /admin/breakers/{id}/reset", path))
			return
		}
		if err := a.ResetBreaker(id); err != nil {
			WriteModelError(w, r, err)
			return
		}
		s.writeAdminBreaker(w, r, a, id)
	}))
}

// writeAdminBreaker answers with one model's breaker, or 404.
func (s *Server) writeAdminBreaker(w http.ResponseWriter, r *http.Request, a BreakerAdmin, id string) {
	for _, st := range a.Breakers() {
		if st.Model == id {
			w.Header().Set("Cache-Control", "no-store")
			s.writeJSON(w, r, http.StatusOK, adminBreaker(st))
			return
		}
	}
	WriteModelError(w, r, fmt.Errorf("model %q: %w", id, serving.ErrUnknownModel))
}

func adminBreaker(st serving.BreakerStatus) AdminBreaker {
	return AdminBreaker{
		Model: st.Model, State: st.State, Failures: st.Failures, Successes: st.Successes, Opens: st.Opens,
		LastTransition: utcOrNil(st.LastTransition), NextProbe: utcOrNil(st.NextProbe), ProbesInFlight: st.ProbesInFlight,
		LastError: st.LastError, LoadFailures: st.LoadFailures, NextLoadAttempt: utcOrNil(st.NextLoadAttempt),
		Running: st.Running, MaxRunning: st.MaxRunning,
	}
}

// utcOrNil is t in UTC, or nil for the zero time (JSON null).
func utcOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
