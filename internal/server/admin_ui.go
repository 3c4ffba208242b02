package server

import (
	"slices"

	"hfserve/internal/server/adminui"
)

// HandleAdminUI registers the admin dashboard (package adminui) at
// /admin/ui. Its page and files are open (they hold no data); everything it
// shows comes from the admin API, with the admin key the operator types in.
func (s *Server) HandleAdminUI() error {
	h, err := adminui.Handler(adminui.Options{Version: s.opts.Version})
	if err != nil {
		return err
	}
	for _, p := range adminui.Patterns() {
		s.Handle(p, h)
	}
	return nil
}

// isAdminUIAsset reports whether pattern is one of the dashboard's.
func isAdminUIAsset(pattern string) bool {
	return pattern != "" && slices.Contains(adminui.Patterns(), pattern)
}
