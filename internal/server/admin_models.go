package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hfserve/api"
	"hfserve/internal/serving"
)

// ModelAdmin is what the model admin endpoints need from the serving
// layer; *serving.Manager implements it.
type ModelAdmin interface {
	Status() []serving.ModelStatus
	Memory() serving.MemoryStatus
	Load(ctx context.Context, name string) error
	Unload(ctx context.Context, name string) error
	Pin(name string, pinned bool) error
}

var _ ModelAdmin = (*serving.Manager)(nil)

// The admin wire types live in package api; these aliases keep the names
// this package has always exported.
type (
	// AdminModel is api.AdminModel.
	AdminModel = api.AdminModel
	// AdminMemory is api.AdminMemory.
	AdminMemory = api.AdminMemory
	// AdminModelList is api.AdminModelList.
	AdminModelList = api.AdminModelList
)

// adminModelActions are the POST /admin/models/{id}/{action} verbs; never
// written to.
var adminModelActions = map[string]func(ctx context.Context, a ModelAdmin, id string) error{
	"load":   func(ctx context.Context, a ModelAdmin, id string) error { return a.Load(ctx, id) },
	"unload": func(ctx context.Context, a ModelAdmin, id string) error { return a.Unload(ctx, id) },
	"pin":    func(_ context.Context, a ModelAdmin, id string) error { return a.Pin(id, true) },
	"unpin":  func(_ context.Context, a ModelAdmin, id string) error { return a.Pin(id, false) },
}

// HandleAdminModels registers the model admin endpoints:
//
//	GET  /admin/models                 every model's state, bytes, use and counters
//	GET  /admin/models/{id}            one model
//	POST /admin/models/{id}/load       load it now (waits for the load)
//	POST /admin/models/{id}/unload     unload it (waits until its requests finish)
//	POST /admin/models/{id}/pin        exempt it from automatic eviction
//	POST /admin/models/{id}/unpin      make it evictable again
//
// POSTs answer with the model's state afterwards. Model ids may contain
// slashes (org/name), so the action is the last path segment. Auth is the
// caller's business: mount these behind the admin key.
func (s *Server) HandleAdminModels(a ModelAdmin) {
	s.Handle("GET /admin/models", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		list := AdminModelList{Object: api.ObjectList, Data: []AdminModel{}, Memory: adminMemory(a.Memory())}
		for _, st := range a.Status() {
			list.Data = append(list.Data, adminModel(st))
		}
		s.writeJSON(w, r, http.StatusOK, list)
	}))
	s.Handle("GET /admin/models/{id...}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeAdminModel(w, r, a, r.PathValue("id"))
	}))
	s.Handle("POST /admin/models/{path...}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.PathValue("path")
		id, verb, ok := cutLast(path, "/")
		action := adminModelActions[verb]
		if !ok || id == "" || action == nil {
			WriteError(w, r, http.StatusNotFound, api.ErrTypeInvalidRequest, "not_found", "",
				fmt.Sprintf("no route for POST /admin/models/%s: use /admin/models/{id}/load, /unload, /pin or /unpin", path))
			return
		}
		if err := action(r.Context(), a, id); err != nil {
			WriteModelError(w, r, err)
			return
		}
		s.writeAdminModel(w, r, a, id)
	}))
}

// writeAdminModel answers with one model's status, or 404.
func (s *Server) writeAdminModel(w http.ResponseWriter, r *http.Request, a ModelAdmin, id string) {
	for _, st := range a.Status() {
		if st.Name == id {
			s.writeJSON(w, r, http.StatusOK, adminModel(st))
			return
		}
	}
	WriteModelError(w, r, fmt.Errorf("model %q: %w", id, serving.ErrUnknownModel))
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func adminModel(st serving.ModelStatus) AdminModel {
	am := AdminModel{
		ID: st.Name, Object: api.ObjectAdminModel, State: string(st.State), Error: st.Error, LastLoadError: st.LastLoadError,
		Pinned: st.Pinned, KeepAliveSeconds: st.KeepAlive.Seconds(),
		EstimatedBytes: st.EstimatedBytes, ResidentBytes: st.ResidentBytes, ReservedBytes: st.ReservedBytes,
		InFlight: st.InFlight, Hits: st.Hits, Misses: st.Misses, Evictions: map[string]uint64{},
		Loads: st.Loads, LoadFailures: st.LoadFailures, LastLoadSeconds: st.LastLoadDuration.Seconds(),
	}
	if st.KeepAlive < 0 {
		am.KeepAliveSeconds = -1
	}
	if !st.LastUsed.IsZero() {
		t := st.LastUsed.UTC()
		am.LastUsed = &t
	}
	for _, reason := range serving.EvictReasons() {
		am.Evictions[string(reason)] = st.Evictions.Get(reason)
	}
	return am
}

func adminMemory(ms serving.MemoryStatus) AdminMemory {
	return AdminMemory{BudgetBytes: ms.BudgetBytes, ReservedBytes: ms.ReservedBytes,
		MaxLoadedModels: ms.MaxLoadedModels, LoadedModels: ms.LoadedModels}
}

// WriteModelError answers with the HTTP form of an error from the serving
// layer (serving.Manager's Acquire, Load, Unload, Pin):
//
//	unknown model                 404 invalid_request_error  model_not_found
//	cannot fit (capacity)         503 overloaded             model_capacity_exceeded + Retry-After
//	load timed out                503 service_unavailable    model_load_timeout + Retry-After
//	manager closed                503 service_unavailable    shutting_down
//	load failed (bad weights...)  500 server_error           model_load_failed
//	request deadline / cancelled  503 service_unavailable    timeout
//	anything else                 500 server_error
func WriteModelError(w http.ResponseWriter, r *http.Request, err error) {
	var capErr *serving.CapacityError
	var loadErr *serving.LoadError
	switch {
	case errors.Is(err, serving.ErrUnknownModel):
		WriteError(w, r, http.StatusNotFound, api.ErrTypeInvalidRequest, "model_not_found", "", err.Error())
	case errors.As(err, &capErr):
		if d := capErr.RetryAfter(); d > 0 {
			w.Header().Set("Retry-After", retryAfterSeconds(d))
		}
		WriteError(w, r, http.StatusServiceUnavailable, api.ErrTypeOverloaded, "model_capacity_exceeded", "", err.Error())
	case errors.Is(err, serving.ErrLoadTimeout):
		// The next request retries the load at once.
		w.Header().Set("Retry-After", "1")
		WriteError(w, r, http.StatusServiceUnavailable, api.ErrTypeServiceUnavailable, "model_load_timeout", "", err.Error())
	case errors.Is(err, serving.ErrClosed):
		WriteError(w, r, http.StatusServiceUnavailable, api.ErrTypeServiceUnavailable, "shutting_down", "", err.Error())
	case errors.As(err, &loadErr):
		WriteError(w, r, http.StatusInternalServerError, api.ErrTypeServer, "model_load_failed", "", err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		WriteError(w, r, http.StatusServiceUnavailable, api.ErrTypeServiceUnavailable, "timeout", "", err.Error())
	default:
		WriteError(w, r, http.StatusInternalServerError, api.ErrTypeServer, "", "", err.Error())
	}
}

// retryAfterSeconds formats d for Retry-After: whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}
