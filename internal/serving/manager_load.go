package serving

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"hfserve/internal/models"
)

// loadCall is one load of one model, shared by everyone waiting for it.
// Fields other than ctx, cancel and done are guarded by Manager.mu.
type loadCall struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when finished

	finished bool  // the outcome is decided; the loader may still run
	err      error // the outcome for waiters; nil means each holds a lease
	waiters  int
}

// startLoadLocked puts s into loading and starts its loader goroutine.
func (m *Manager) startLoadLocked(s *slot) {
	ctx, cancel := context.WithCancelCause(m.base)
	stopTimer := context.CancelFunc(func() {})
	if d := m.opts.LoadTimeout; d > 0 {
		cause := &LoadError{Model: s.entry.Name, Err: fmt.Errorf("took longer than model_load_timeout %s: %w", d, ErrLoadTimeout)}
		ctx, stopTimer = context.WithTimeoutCause(ctx, d, cause)
	}
	call := &loadCall{
		ctx:    ctx,
		cancel: func(cause error) { cancel(cause); stopTimer() },
		done:   make(chan struct{}),
	}
	s.state = StateLoading
	s.err = nil
	s.call = call
	m.loadsRunning++
	m.broadcastLocked()
	go m.runLoad(s, call)
}

// runLoad estimates, makes room, loads, and records the outcome.
func (m *Manager) runLoad(s *slot, call *loadCall) {
	name := s.entry.Name
	est, err := m.estimate(s)
	if err != nil {
		m.loadReturned(s, call, nil, 0, &LoadError{Model: name, Err: err}, 0)
		return
	}
	victims, proceed, err := m.admit(s, call, est)
	if !proceed {
		m.loadReturned(s, call, nil, 0, err, 0)
		return
	}
	m.finishUnloads(victims)
	m.log.Info("loading model", "model", name, "estimated_bytes", est)
	start := time.Now()
	model, err := m.callLoader(call.ctx, s.entry)
	took := time.Since(start)
	var measured int64
	switch {
	case err != nil:
		err = &LoadError{Model: name, Err: err}
	case model == nil:
		err = &LoadError{Model: name, Err: errors.New("the loader returned no model")}
	default:
		measured = model.Info().WeightBytes
	}
	m.loadReturned(s, call, model, measured, err, took)
}

// callLoader runs the LoadFunc, turning a panic into an error: a model
// folder is outside input, and a loader bug must not take the server down.
func (m *Manager) callLoader(ctx context.Context, e Entry) (model models.Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			model, err = nil, fmt.Errorf("the loader panicked: %v", r)
		}
	}()
	return m.load(ctx, e)
}

// estimate returns s's estimated resident bytes, reading the headers once.
func (m *Manager) estimate(s *slot) (int64, error) {
	m.mu.Lock()
	est := s.estimate
	m.mu.Unlock()
	if est > 0 {
		return est, nil
	}
	est, err := EstimateBytes(s.entry.Dir)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	s.estimate = est
	m.mu.Unlock()
	return est, nil
}

// unloadJob is a model leaving memory: its slot is in StateUnloading.
type unloadJob struct {
	s      *slot
	model  models.Model
	reason EvictReason // "" for shutdown
}

// admit reserves room for s, waiting up to CapacityWait for busy models to
// become idle. proceed is false when the load must stop: err says why, or
// is nil when the call was already finished (abandoned or closed).
func (m *Manager) admit(s *slot, call *loadCall, est int64) (victims []unloadJob, proceed bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var timeout <-chan time.Time
	for {
		if call.finished {
			return nil, false, nil
		}
		if call.ctx.Err() != nil {
			return nil, false, context.Cause(call.ctx)
		}
		victims, err := m.admitLocked(s, est)
		var ce *CapacityError
		if err == nil || !errors.As(err, &ce) || ce.Permanent || m.opts.CapacityWait <= 0 {
			return victims, err == nil, err
		}
		if timeout == nil {
			t := time.NewTimer(m.opts.CapacityWait)
			defer t.Stop()
			timeout = t.C
		}
		ch := m.changed
		m.mu.Unlock()
		select {
		case <-ch:
		case <-call.ctx.Done():
		case <-timeout:
			m.mu.Lock()
			return nil, false, err
		}
		m.mu.Lock()
	}
}

// admitLocked reserves room for s, choosing the least recently used idle,
// unpinned models to evict. It evicts nothing when even evicting every
// candidate would not make room, so a load that cannot happen costs no
// other model its place.
func (m *Manager) admitLocked(s *slot, est int64) ([]unloadJob, error) {
	budget, maxLoaded := m.opts.MemoryBudget, m.opts.MaxLoadedModels
	capErr := &CapacityError{Model: s.entry.Name, NeedBytes: est, BudgetBytes: budget, MaxLoaded: maxLoaded}
	if budget > 0 && est > budget {
		capErr.Permanent = true
		return nil, capErr
	}
	count, used := 1, est
	var candidates []*slot
	var freeBytes int64
	for _, o := range m.slots {
		// Models already unloading are on their way out; counting them
		// would fail loads for the moment an eviction takes.
		if o == s || o.state == StateUnloading || !o.occupies() {
			continue
		}
		count++
		used += o.reserved
		if o.state == StateLoaded && o.leases == 0 && (!o.pinned || o.draining) {
			candidates = append(candidates, o)
			freeBytes += o.reserved
		}
	}
	capErr.Loaded, capErr.UsedBytes, capErr.Busy = count-1, used-est, count-1-len(candidates)
	if (maxLoaded > 0 && count-len(candidates) > maxLoaded) || (budget > 0 && used-freeBytes > budget) {
		return nil, capErr
	}
	slices.SortFunc(candidates, func(a, b *slot) int { return compareUint64(a.useSeq, b.useSeq) })
	var victims []unloadJob
	for _, c := range candidates {
		overCount := maxLoaded > 0 && count > maxLoaded
		if !overCount && (budget == 0 || used <= budget) {
			break
		}
		reason := EvictMemory
		switch {
		case c.draining:
			reason = EvictAdmin
		case overCount:
			reason = EvictLRU
		}
		victims = append(victims, m.beginUnloadLocked(c, reason))
		count--
		used -= c.reserved
	}
	s.reserved = est
	s.admitted = true
	return victims, nil
}

func compareUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// awaitLoad waits, as one of call's waiters, for the load to finish.
func (m *Manager) awaitLoad(ctx context.Context, s *slot, call *loadCall, request bool) (*Lease, error) {
	select {
	case <-call.done:
	case <-call.ctx.Done():
	case <-ctx.Done():
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !call.finished {
		if call.ctx.Err() == nil {
			// Only this caller gave up.
			call.waiters--
			if call.waiters == 0 {
				call.cancel(errAbandoned)
				m.finishLoadLocked(s, call, nil, 0, errAbandoned, 0)
			}
			return nil, fmt.Errorf("serving: waiting for model %q: %w", s.entry.Name, ctx.Err())
		}
		// Timed out or closing: decide now rather than wait for a
		// loader that may ignore its context.
		m.finishLoadLocked(s, call, nil, 0, context.Cause(call.ctx), 0)
	}
	if call.err != nil {
		return nil, call.err
	}
	// finishLoadLocked counted a lease for every waiter, this one included.
	m.count(s, request, true)
	return &Lease{m: m, s: s, model: s.model, request: request}, nil
}

// finishLoadLocked decides call's outcome and wakes its waiters. On
// success every waiter gets a lease.
func (m *Manager) finishLoadLocked(s *slot, call *loadCall, model models.Model, measured int64, err error, took time.Duration) {
	call.finished = true
	call.err = err
	if took > 0 {
		s.lastLoadDuration = took
	}
	switch {
	case err == nil:
		s.state = StateLoaded
		s.failStreak, s.retryAt = 0, time.Time{}
		s.model = model
		s.measured = measured
		if measured > 0 {
			s.reserved = measured
		}
		s.leases += call.waiters
		s.loads++
		s.holdUntilUsed = false
		m.touch(s)
	case errors.Is(err, errAbandoned), errors.Is(err, ErrClosed):
		s.state = StateAvailable
	case errors.Is(err, ErrCannotFit):
		s.state = StateAvailable
		s.lastLoadError = err
	default:
		s.state = StateFailed
		s.err = err
		s.lastLoadError = err
		s.loadFailures++
		if b := m.opts.LoadBackoff; b.Initial > 0 {
			s.retryAt = m.now().Add(b.Delay(s.failStreak))
		}
		s.failStreak++
	}
	close(call.done)
	m.broadcastLocked()
}

// loadReturned records what the loader goroutine ended with. A result
// that comes after the call was decided (abandoned, timed out, closed) is
// closed; either way the reservation and the goroutine's accounting end.
func (m *Manager) loadReturned(s *slot, call *loadCall, model models.Model, measured int64, err error, took time.Duration) {
	m.mu.Lock()
	decidedHere := !call.finished
	var discard models.Model
	if decidedHere {
		if err != nil && call.ctx.Err() != nil {
			// The loader most likely failed because its context ended;
			// report why it ended.
			err = context.Cause(call.ctx)
		}
		if err != nil {
			discard, model = model, nil
		}
		m.finishLoadLocked(s, call, model, measured, err, took)
	} else {
		discard = model
	}
	if s.state != StateLoaded {
		s.reserved = 0
	}
	s.admitted = false
	s.call = nil
	m.loadsRunning--
	call.cancel(nil)
	m.broadcastLocked()
	m.mu.Unlock()

	switch {
	case !decidedHere:
	case err == nil:
		m.log.Info("loaded model", "model", s.entry.Name, "bytes", measured, "duration", took)
	case !errors.Is(err, errAbandoned) && !errors.Is(err, ErrClosed):
		m.log.Warn("model load failed", "model", s.entry.Name, "err", err)
	}
	if discard != nil {
		if cerr := discard.Close(); cerr != nil {
			m.log.Warn("closing a model whose load was abandoned", "model", s.entry.Name, "err", cerr)
		}
	}
}

// occupies reports whether s holds a place among the loaded models:
// resident, on its way out, or with an admitted loader still running
// (whatever its call's outcome).
func (s *slot) occupies() bool {
	switch s.state {
	case StateLoaded, StateUnloading:
		return true
	}
	return s.admitted
}
