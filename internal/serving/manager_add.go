package serving

import (
	"fmt"
)

// addModel gives e a slot and then publishes it in the catalog, both under
// m.mu, so that whoever finds e in the catalog finds its slot too (lookup
// takes m.mu). It refuses a name already held (wrapping ErrModelExists)
// and a closed Manager (ErrClosed). The new model starts available, not
// loaded, with the policy start-up would give it: ManagerOptions.PerModel
// by name, else its Spec's, over the global keep-alive.
func (m *Manager) addModel(e Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("serving: add model %q: %w", e.Name, ErrClosed)
	}
	if old, dup := m.byName[e.Name]; dup {
		return fmt.Errorf("serving: add model %q: already served from %s: %w", e.Name, old.entry.Dir, ErrModelExists)
	}
	if err := m.opts.Catalog.add(e); err != nil {
		return fmt.Errorf("serving: add model %q: %w", e.Name, err)
	}
	m.appendSlotLocked(e)
	m.broadcastLocked()
	m.log.Info("model added", "model", e.Name, "dir", e.Dir, "architecture", e.Detection.Architecture,
		"tasks", fmt.Sprint(e.Detection.Tasks), "supported", e.Detection.Supported)
	return nil
}

// appendSlotLocked adds e's slot at the end of the catalog order.
func (m *Manager) appendSlotLocked(e Entry) {
	p, ok := m.opts.PerModel[e.Name]
	if !ok {
		p = PolicyFromSpec(e.Spec)
	}
	s := &slot{entry: e, policy: p, pinned: p.Pinned, keepAlive: p.keepAlive(m.opts.KeepAlive), state: StateAvailable}
	m.slots = append(m.slots, s)
	m.byName[e.Name] = s
}
