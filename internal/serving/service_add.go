package serving

import (
	"context"
	"fmt"
	"maps"
)

// AddModel adds e to the running service: once it returns nil, requests
// may name e.Name, and the model loads on the first (or on an explicit
// Manager.Load), then lives under the same policies as the models
// configured at start-up: the global keep-alive, LRU eviction,
// max_loaded_models and the memory budget, unless e.Spec (or
// ManagerOptions.PerModel) sets its own; the service's breaker,
// concurrency bound and token limits. It appears at the end of the
// catalog order (Catalog.Entries, Manager.Status, Breakers) and in
// Catalog.Models. It is not loaded now, even with ManagerOptions.Preload,
// which acts at start-up, and it does not become the default model.
//
// Build e with NewEntry, so that its detection is the one start-up makes;
// its overrides are checked as start-up checks them. A name already in the
// catalog is refused with an error wrapping ErrModelExists, and a closed
// Manager with ErrClosed; nothing changes then. AddModel is safe to call
// concurrently with requests and with itself: the pieces a request goes
// through (guard, Manager slot, catalog entry) are published in the
// reverse order a request meets them, so a request that finds the model
// in the catalog finds everything else.
func (s *Service) AddModel(ctx context.Context, e Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("serving: add model %q: %w", e.Name, err)
	}
	s.addMu.Lock()
	defer s.addMu.Unlock()
	if old, ok := s.cat.Lookup(e.Name); ok {
		return fmt.Errorf("serving: add model %q: already served from %s: %w", e.Name, old.Dir, ErrModelExists)
	}
	if e.Name == "" {
		return fmt.Errorf("serving: add model at %s: empty name", e.Dir)
	}
	if err := e.CheckOverrides(); err != nil {
		return err
	}
	g, err := newGuard(e.Name, s.opts, s.log)
	if err != nil {
		return err
	}
	old := s.guards.Load()
	s.storeGuard(e.Name, g)
	if err := s.m.addModel(e); err != nil {
		// Not served after all: forget the guard (a Manager shared with
		// another Service may hold the name; its requests are not ours).
		s.guards.Store(old)
		return err
	}
	return nil
}

// storeGuard publishes a copy of the guards with g for name; s.addMu must
// be held.
func (s *Service) storeGuard(name string, g *modelGuard) {
	next := maps.Clone(*s.guards.Load())
	next[name] = g
	s.guards.Store(&next)
}
