package server

import (
	"context"
	"net/http"
)

// HandleAdminHardware registers GET /admin/hardware, answering with what
// report returns (the machine, the kernels and the backend selection, as
// serve assembles them) encoded as JSON. Auth is the caller's business, as
// for the other admin routes.
func (s *Server) HandleAdminHardware(report func(ctx context.Context) any) {
	s.Handle("GET /admin/hardware", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		s.writeJSON(w, r, http.StatusOK, report(r.Context()))
	}))
}
