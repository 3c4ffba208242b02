package server

import (
	"context"
	"fmt"
	"net/http"

	"hfserve/api"
	"hfserve/internal/respcache"
)

// CacheAdmin is what the cache admin endpoints need; *respcache.Cache
// implements it.
type CacheAdmin interface {
	Stats() respcache.Stats
	Flush(ctx context.Context) error
	InvalidateModel(ctx context.Context, model string) error
}

var _ CacheAdmin = (*respcache.Cache)(nil)

// HandleAdminCache registers the response cache's admin endpoints:
//
//	GET  /admin/cache                        the counters (respcache.Stats)
//	POST /admin/cache/flush                  every entry becomes a miss
//	POST /admin/cache/invalidate/{model}     the model's entries become misses
//
// With the Redis backend both actions reach every replica sharing it.
// POSTs answer with the counters afterwards; an unknown model is 404, a
// backend that cannot be reached 503 (nothing was invalidated). Model ids
// may contain slashes (org/name). Auth is the caller's business: mount
// these behind the admin key.
func (s *Server) HandleAdminCache(c CacheAdmin) {
	s.Handle("GET /admin/cache", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeJSON(w, r, http.StatusOK, c.Stats())
	}))
	s.Handle("POST /admin/cache/flush", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := c.Flush(r.Context()); err != nil {
			WriteError(w, r, http.StatusServiceUnavailable, api.ErrTypeServiceUnavailable, "cache_unavailable", "", err.Error())
			return
		}
		s.writeJSON(w, r, http.StatusOK, c.Stats())
	}))
	s.Handle("POST /admin/cache/invalidate/{model...}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		model := r.PathValue("model")
		if !s.knowsModel(r, model) {
			WriteError(w, r, http.StatusNotFound, api.ErrTypeInvalidRequest, "model_not_found", "model",
				fmt.Sprintf("The model '%s' does not exist", model))
			return
		}
		if err := c.InvalidateModel(r.Context(), model); err != nil {
			WriteError(w, r, http.StatusServiceUnavailable, api.ErrTypeServiceUnavailable, "cache_unavailable", "", err.Error())
			return
		}
		s.writeJSON(w, r, http.StatusOK, c.Stats())
	}))
}

// knowsModel reports whether the catalog lists model; without a catalog
// every name is accepted.
func (s *Server) knowsModel(r *http.Request, model string) bool {
	if s.opts.Catalog == nil {
		return model != ""
	}
	for _, m := range s.opts.Catalog.Models(r.Context()) {
		if m.ID == model {
			return true
		}
	}
	return false
}
