package serving

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"hfserve/internal/models"
	"hfserve/internal/retry"
)

// ManagerOptions configure a Manager. Zero limits mean no limit, except
// KeepAlive, whose zero keeps its configuration meaning (unload right after
// each request); use a negative KeepAlive to never unload idle models.
type ManagerOptions struct {
	// Catalog lists the models the Manager may load; required. Models
	// that Service.AddModel adds later join it (and the Manager).
	Catalog *Catalog
	// Load loads one entry; nil means AutoLoader(nil).
	Load LoadFunc
	// MaxLoadedModels bounds the models resident (or loading) at once.
	MaxLoadedModels int
	// MemoryBudget bounds, in bytes, the estimated resident size of the
	// models resident or loading at once.
	MemoryBudget int64
	// LoadTimeout bounds each load (model_load_timeout), waiting for
	// capacity included.
	LoadTimeout time.Duration
	// CapacityWait is how long a load that cannot fit because the resident
	// models are busy (in use or loading) waits for one of them to become
	// evictable before failing with ErrCannotFit. Zero fails at once. A
	// model larger than the whole budget always fails at once.
	CapacityWait time.Duration
	// KeepAlive is how long an idle model stays resident: 0 unloads it as
	// soon as its last request finishes, negative never unloads it.
	KeepAlive time.Duration
	// Preload makes Preload load every model, not only those whose policy
	// asks for it.
	Preload bool
	// PerModel holds per-model policies by name. A model missing from it
	// takes the policy its catalog Entry.Spec gives (PolicyFromSpec).
	PerModel map[string]ModelPolicy
	// OnUnload, when set, is called for every unload once the model is
	// closed and before Unload returns, with the reason ("" for shutdown),
	// on the goroutine that unloads it and outside the Manager's lock: the
	// response cache invalidates a model's answers when an operator
	// unloads it.
	OnUnload func(model string, reason EvictReason)
	// Logger receives loads, failures and evictions; nil discards them.
	Logger *slog.Logger
	// Clock tells the time for last-use, keep-alive and the load backoff;
	// nil is time.Now.
	Clock func() time.Time
	// LoadBackoff spaces out the loads of a model that keeps failing to
	// load: after its n-th failure in a row, requests (not Load or
	// Preload) get a *LoadBackoffError at once until LoadBackoff.Delay(n-1)
	// has passed, and the next request after that tries again. The zero
	// value retries at once (every request tries a failed model again).
	LoadBackoff retry.Backoff
}

// Manager owns the lifecycle of the catalog's models: it loads them on
// demand (one load per model however many callers wait), keeps at most
// MaxLoadedModels of them within MemoryBudget by evicting the least recently
// used idle ones, unloads idle models after their keep-alive, and never
// evicts a model with leases outstanding or a pinned one. It is safe for
// concurrent use. Close stops its background goroutine.
//
// Waiting. A caller of Acquire that finds its model loading waits for that
// load; cancelling its context ends only its own wait. The load itself
// goes on while anyone still waits for it; when the last waiter gives up,
// the load's context is cancelled and its result, should the loader finish
// anyway, is thrown away. A load that outlives its context (a loader that
// ignores it) keeps its memory reserved until it returns, and the model is
// not loaded again before then.
//
// Unloading. Unload marks a model draining: it takes no new leases, and it
// is unloaded when its last lease is released. Acquire calls arriving in
// between wait for the unload to finish and then load the model afresh.
type Manager struct {
	opts ManagerOptions
	load LoadFunc
	log  *slog.Logger
	now  func() time.Time

	base       context.Context // parent of every load; cancelled by Close
	cancelBase context.CancelCauseFunc

	kick        chan struct{} // wakes the janitor; buffered, never blocks
	stop        chan struct{} // closed by Close to stop the janitor
	janitorDone chan struct{}

	mu sync.Mutex
	// slots and byName hold every catalog model's state, in catalog
	// order; they only grow (addModel) and are read and written under mu.
	slots        []*slot
	byName       map[string]*slot
	changed      chan struct{} // closed and replaced on every state change
	closed       bool
	useSeq       uint64 // orders uses for LRU; clock ties cannot
	loadsRunning int    // loader goroutines not yet returned
}

// slot is one catalog model's state. Fields below mu are guarded by
// Manager.mu.
type slot struct {
	entry  Entry
	policy ModelPolicy

	pinned    bool
	keepAlive time.Duration

	state    State
	model    models.Model
	err      error     // why the last load failed, in StateFailed
	call     *loadCall // the load in progress; kept until its loader returns
	estimate int64     // from the safetensors headers; 0 until read
	measured int64     // from the loaded model
	reserved int64     // bytes held against the budget while loading, loaded or unloading
	admitted bool      // the running loader has its place reserved
	leases   int
	draining bool
	// holdUntilUsed keeps a model loaded by Load (not by a request) from
	// being unloaded by a zero keep-alive before any request used it.
	holdUntilUsed bool
	lastUsed      time.Time
	useSeq        uint64
	unloads       uint64 // completed unloads, so Unload knows its own finished

	// failStreak counts the loads failed in a row; while StateFailed,
	// requests before retryAt get a *LoadBackoffError.
	failStreak int
	retryAt    time.Time

	hits, misses, loads, loadFailures uint64
	evictions                         Evictions
	lastLoadDuration                  time.Duration
	lastLoadError                     error // last failure of any kind, capacity included
}

// NewManager checks the options, builds the Manager and starts its
// keep-alive janitor.
func NewManager(opts ManagerOptions) (*Manager, error) {
	if opts.Catalog == nil {
		return nil, fmt.Errorf("serving: NewManager: no catalog")
	}
	if opts.MaxLoadedModels < 0 || opts.MemoryBudget < 0 || opts.LoadTimeout < 0 || opts.CapacityWait < 0 {
		return nil, fmt.Errorf("serving: NewManager: negative limit (max loaded models %d, memory budget %d, load timeout %s, capacity wait %s)",
			opts.MaxLoadedModels, opts.MemoryBudget, opts.LoadTimeout, opts.CapacityWait)
	}
	for name := range opts.PerModel {
		if _, ok := opts.Catalog.Lookup(name); !ok {
			return nil, fmt.Errorf("serving: NewManager: policy for %q: %w", name, ErrUnknownModel)
		}
	}
	m := &Manager{
		opts:        opts,
		load:        opts.Load,
		log:         opts.Logger,
		now:         opts.Clock,
		byName:      map[string]*slot{},
		kick:        make(chan struct{}, 1),
		stop:        make(chan struct{}),
		janitorDone: make(chan struct{}),
		changed:     make(chan struct{}),
	}
	if m.load == nil {
		m.load = AutoLoader(nil)
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.base, m.cancelBase = context.WithCancelCause(context.Background())
	for _, e := range opts.Catalog.Entries() {
		m.appendSlotLocked(e) // nothing else sees m yet
	}
	go m.janitor()
	return m, nil
}

// Lease is a model held for one use. While any lease on a model is
// outstanding the model is never evicted. Release it exactly when the use
// ends; extra Release calls do nothing.
type Lease struct {
	m        *Manager
	s        *slot
	model    models.Model
	request  bool
	released atomic.Bool
}

// Model is the loaded model; valid until Release.
func (l *Lease) Model() models.Model { return l.model }

// Name is the model's catalog name.
func (l *Lease) Name() string { return l.s.entry.Name }

// Release ends the lease; the model becomes evictable once no lease holds it.
func (l *Lease) Release() {
	if !l.released.CompareAndSwap(false, true) {
		return
	}
	l.m.release(l.s, l.request)
}

// Acquire returns a lease on the named model, loading it first if needed.
// Errors: ErrUnknownModel, ErrCannotFit (a *CapacityError), ErrLoadTimeout,
// a *LoadError, ErrClosed, or ctx's error when ctx ends the wait.
func (m *Manager) Acquire(ctx context.Context, name string) (*Lease, error) {
	return m.acquire(ctx, name, true)
}

// acquire is Acquire; request says whether a request (rather than an
// explicit Load) holds the lease, which decides hit/miss counting and the
// zero keep-alive.
func (m *Manager) acquire(ctx context.Context, name string, request bool) (*Lease, error) {
	s, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	for {
		if m.closed {
			m.mu.Unlock()
			return nil, fmt.Errorf("serving: model %q: %w", name, ErrClosed)
		}
		switch {
		case s.state == StateLoaded && !s.draining:
			s.leases++
			m.touch(s)
			m.count(s, request, false)
			l := &Lease{m: m, s: s, model: s.model, request: request}
			m.mu.Unlock()
			return l, nil
		case s.state == StateLoading && !s.call.finished:
			call := s.call
			call.waiters++
			m.mu.Unlock()
			return m.awaitLoad(ctx, s, call, request)
		case s.call != nil || s.state == StateUnloading || s.draining:
			// An abandoned or timed-out loader still running, or an unload
			// under way: wait for it rather than stack a second copy.
			if err := m.waitLocked(ctx); err != nil {
				m.mu.Unlock()
				return nil, fmt.Errorf("serving: waiting for model %q: %w", name, err)
			}
		default: // available or failed: load it
			if err := ctx.Err(); err != nil {
				m.mu.Unlock()
				return nil, fmt.Errorf("serving: model %q: %w", name, err)
			}
			if err := m.backoffLocked(s, request); err != nil {
				m.mu.Unlock()
				return nil, err
			}
			m.startLoadLocked(s)
		}
	}
}

// count records a hit or a miss for a request's Acquire.
func (m *Manager) count(s *slot, request, missed bool) {
	switch {
	case !request:
	case missed:
		s.misses++
	default:
		s.hits++
	}
}

// lookup finds a slot by name; m.mu must not be held. A slot, once
// found, stays the model's for the Manager's life.
func (m *Manager) lookup(name string) (*slot, error) {
	m.mu.Lock()
	s, ok := m.byName[name]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("serving: model %q: %w", name, ErrUnknownModel)
	}
	return s, nil
}

// touch marks s used now, for LRU and keep-alive.
func (m *Manager) touch(s *slot) {
	m.useSeq++
	s.useSeq = m.useSeq
	s.lastUsed = m.now()
}

// release ends one lease on s.
func (m *Manager) release(s *slot, request bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s.leases--
	m.touch(s)
	if request {
		s.holdUntilUsed = false
	} else if s.leases == 0 {
		s.holdUntilUsed = true
	}
	if s.leases == 0 {
		// The model may now be evictable, drained or past a zero
		// keep-alive; Unload and Close may be waiting for it.
		m.broadcastLocked()
		m.kickJanitor()
	}
}

// broadcastLocked wakes everyone waiting in waitLocked.
func (m *Manager) broadcastLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// waitLocked waits, with m.mu held on entry and on return, until the next
// state change or ctx ends.
func (m *Manager) waitLocked(ctx context.Context) error {
	ch := m.changed
	m.mu.Unlock()
	select {
	case <-ch:
		m.mu.Lock()
		return nil
	case <-ctx.Done():
		m.mu.Lock()
		return ctx.Err()
	}
}

// kickJanitor asks the janitor for a sweep without blocking.
func (m *Manager) kickJanitor() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}
