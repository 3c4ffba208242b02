package serving

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Load makes the named model resident without using it, as an admin
// request or preload does. The model then stays until evicted, its
// keep-alive runs out after this call, or — with a zero keep-alive — the
// first request that uses it finishes. Loading a loaded model refreshes its
// last use. Errors are those of Acquire.
func (m *Manager) Load(ctx context.Context, name string) error {
	l, err := m.acquire(ctx, name, false)
	if err != nil {
		return err
	}
	l.Release()
	return nil
}

// Pin sets whether the named model is exempt from automatic eviction (LRU,
// memory budget, keep-alive). Pinning does not load the model.
func (m *Manager) Pin(name string, pinned bool) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	m.mu.Lock()
	s.pinned = pinned
	m.broadcastLocked()
	m.mu.Unlock()
	// An unpinned model may be past its keep-alive already.
	m.kickJanitor()
	return nil
}

// Preload loads, in catalog order, every model whose policy asks for it
// (or every model, with ManagerOptions.Preload). A model that fails does
// not stop the others; the failures are returned joined.
func (m *Manager) Preload(ctx context.Context) error {
	var errs []error
	m.mu.Lock()
	slots := slices.Clone(m.slots) // a model added meanwhile is not preloaded
	m.mu.Unlock()
	for _, s := range slots {
		if !m.opts.Preload && !s.policy.Preload {
			continue
		}
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, fmt.Errorf("serving: preload: %w", err))...)
		}
		if err := m.Load(ctx, s.entry.Name); err != nil {
			errs = append(errs, fmt.Errorf("serving: preload: %w", err))
		}
	}
	return errors.Join(errs...)
}
