package serving

import (
	"context"
	"fmt"
	"time"
)

// beginUnloadLocked takes an idle loaded model out of service; the caller
// closes it with finishUnloads outside the lock. reason "" counts no
// eviction (shutdown).
func (m *Manager) beginUnloadLocked(s *slot, reason EvictReason) unloadJob {
	s.state = StateUnloading
	s.evictions.add(reason)
	m.broadcastLocked()
	return unloadJob{s: s, model: s.model, reason: reason}
}

// finishUnloads closes the models of jobs and marks them available.
func (m *Manager) finishUnloads(jobs []unloadJob) {
	for _, j := range jobs {
		reason := string(j.reason)
		if reason == "" {
			reason = "shutdown"
		}
		m.log.Info("unloading model", "model", j.s.entry.Name, "reason", reason)
		err := j.model.Close()
		if err != nil {
			m.log.Warn("closing model", "model", j.s.entry.Name, "err", err)
		}
		// Before the state changes, so that Unload returns after it.
		if m.opts.OnUnload != nil {
			m.opts.OnUnload(j.s.entry.Name, j.reason)
		}
		m.mu.Lock()
		j.s.state = StateAvailable
		j.s.model = nil
		j.s.reserved = 0
		j.s.draining = false
		j.s.unloads++
		m.broadcastLocked()
		m.mu.Unlock()
	}
}

// janitor unloads idle models past their keep-alive and drained models.
// It sleeps until the earliest keep-alive deadline or a kick.
func (m *Manager) janitor() {
	defer close(m.janitorDone)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next, ok := m.sweep()
		timer.Stop()
		if ok {
			timer.Reset(max(next.Sub(m.now()), 0))
		}
		select {
		case <-m.stop:
			return
		case <-m.kick:
		case <-timer.C:
		}
	}
}

// sweep unloads what is due now and returns the next keep-alive deadline.
func (m *Manager) sweep() (next time.Time, ok bool) {
	m.mu.Lock()
	now := m.now()
	var jobs []unloadJob
	for _, s := range m.slots {
		if s.state != StateLoaded || s.leases > 0 {
			continue
		}
		if s.draining {
			jobs = append(jobs, m.beginUnloadLocked(s, EvictAdmin))
			continue
		}
		if s.pinned || s.keepAlive < 0 || (s.holdUntilUsed && s.keepAlive == 0) {
			continue
		}
		due := s.lastUsed.Add(s.keepAlive)
		if !now.Before(due) {
			jobs = append(jobs, m.beginUnloadLocked(s, EvictKeepAlive))
			continue
		}
		if !ok || due.Before(next) {
			next, ok = due, true
		}
	}
	m.mu.Unlock()
	m.finishUnloads(jobs)
	return next, ok
}

// Unload unloads the named model: it stops taking new leases at once and
// is unloaded when its last lease is released. Unload waits for that, or
// until ctx ends (the model then still unloads when it drains). Unloading
// a model that is not loaded succeeds and clears a failed load's error; a
// model being loaded is unloaded once its load finishes. Pinned models are
// unloaded too: a pin only stops automatic eviction.
func (m *Manager) Unload(ctx context.Context, name string) error {
	s, err := m.lookup(name)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var target uint64
	marked := false
	for {
		if m.closed {
			return fmt.Errorf("serving: unload %q: %w", name, ErrClosed)
		}
		if marked && s.unloads > target {
			return nil
		}
		switch s.state {
		case StateAvailable:
			return nil
		case StateFailed:
			s.state, s.err = StateAvailable, nil
			m.broadcastLocked()
			return nil
		case StateLoaded:
			if !marked {
				s.draining, marked, target = true, true, s.unloads
				m.log.Info("model draining for unload", "model", name, "in_flight", s.leases)
			}
			m.kickJanitor()
		}
		if err := m.waitLocked(ctx); err != nil {
			return fmt.Errorf("serving: unload %q: %w", name, err)
		}
	}
}

// Close unloads every model and stops the janitor. Leases still
// outstanding are waited for until ctx ends; then their models are closed
// anyway (a model used after Close fails with models.ErrClosed). Loads in
// progress are cancelled and their callers get ErrClosed; a loader that
// ignores its context is waited for until ctx ends. After Close, Acquire,
// Load and Unload fail with ErrClosed. Close is idempotent.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	for _, s := range m.slots {
		if s.state == StateLoading && !s.call.finished {
			s.call.cancel(ErrClosed)
			m.finishLoadLocked(s, s.call, nil, 0, ErrClosed, 0)
		}
	}
	m.broadcastLocked()
	m.mu.Unlock()
	m.cancelBase(ErrClosed)
	close(m.stop)
	<-m.janitorDone

	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		var jobs []unloadJob
		busy := 0
		for _, s := range m.slots {
			switch {
			case s.state == StateLoaded && s.leases == 0:
				jobs = append(jobs, m.beginUnloadLocked(s, ""))
			case s.state == StateLoaded, s.state == StateUnloading:
				busy++
			}
		}
		if len(jobs) > 0 {
			m.mu.Unlock()
			m.finishUnloads(jobs)
			m.mu.Lock()
			continue
		}
		if busy == 0 && m.loadsRunning == 0 {
			return nil
		}
		if err := m.waitLocked(ctx); err != nil {
			return m.forceCloseLocked(err)
		}
	}
}

// forceCloseLocked closes the models still leased when Close's ctx ended.
func (m *Manager) forceCloseLocked(cause error) error {
	var jobs []unloadJob
	leased := 0
	for _, s := range m.slots {
		if s.state == StateLoaded {
			leased += s.leases
			jobs = append(jobs, m.beginUnloadLocked(s, ""))
		}
	}
	loading := m.loadsRunning
	m.mu.Unlock()
	m.finishUnloads(jobs)
	m.mu.Lock()
	return fmt.Errorf("serving: close: %d leases still held and %d loads still running: %w", leased, loading, cause)
}
