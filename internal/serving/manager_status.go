package serving

import (
	"time"

	"hfserve/internal/schedule"
)

// State is where a model stands in its lifecycle.
type State string

// The states of a model.
const (
	// StateAvailable: configured, not resident.
	StateAvailable State = "available"
	// StateLoading: a load is in progress.
	StateLoading State = "loading"
	// StateLoaded: resident and serving.
	StateLoaded State = "loaded"
	// StateFailed: the last load failed (ModelStatus.Error says why); the
	// next Acquire tries again, once ManagerOptions.LoadBackoff allows.
	StateFailed State = "failed"
	// StateUnloading: being unloaded, or draining its last requests after
	// an Unload.
	StateUnloading State = "unloading"
)

// ModelStates lists every State, for metrics that want one series per
// state.
func ModelStates() []State {
	return []State{StateAvailable, StateLoading, StateLoaded, StateFailed, StateUnloading}
}

// EvictReason says why a model was unloaded.
type EvictReason string

// The reasons for an eviction.
const (
	// EvictLRU: least recently used, to stay within max_loaded_models.
	EvictLRU EvictReason = "lru"
	// EvictMemory: least recently used, to stay within the memory budget.
	EvictMemory EvictReason = "memory"
	// EvictKeepAlive: idle longer than its keep-alive.
	EvictKeepAlive EvictReason = "keep_alive"
	// EvictAdmin: an explicit Unload.
	EvictAdmin EvictReason = "admin"
)

// EvictReasons lists every EvictReason, for metrics that want one series
// per reason.
func EvictReasons() []EvictReason {
	return []EvictReason{EvictLRU, EvictMemory, EvictKeepAlive, EvictAdmin}
}

// Evictions counts a model's evictions by reason.
type Evictions struct {
	LRU, Memory, KeepAlive, Admin uint64
}

// Total is the sum over all reasons.
func (e Evictions) Total() uint64 { return e.LRU + e.Memory + e.KeepAlive + e.Admin }

// Get returns the count for one reason (0 for an unknown one).
func (e Evictions) Get(r EvictReason) uint64 {
	switch r {
	case EvictLRU:
		return e.LRU
	case EvictMemory:
		return e.Memory
	case EvictKeepAlive:
		return e.KeepAlive
	case EvictAdmin:
		return e.Admin
	}
	return 0
}

func (e *Evictions) add(r EvictReason) {
	switch r {
	case EvictLRU:
		e.LRU++
	case EvictMemory:
		e.Memory++
	case EvictKeepAlive:
		e.KeepAlive++
	case EvictAdmin:
		e.Admin++
	}
}

// ModelStatus is a snapshot of one model, for GET /admin/models and
// metrics. Counters only grow over the Manager's life.
type ModelStatus struct {
	// Name is the catalog name.
	Name string
	// State is where the model stands.
	State State
	// Error is why the last load failed, in StateFailed; empty otherwise.
	Error string
	// LastLoadError is the last load failure of any kind, capacity
	// refusals included, even after a later success; empty if none.
	LastLoadError string
	// Pinned models are exempt from automatic eviction.
	Pinned bool
	// KeepAlive is the idle time before unloading (negative: never).
	KeepAlive time.Duration
	// EstimatedBytes is the size predicted from the safetensors headers;
	// 0 until first estimated.
	EstimatedBytes int64
	// ResidentBytes is the measured size while loaded; 0 otherwise.
	ResidentBytes int64
	// ReservedBytes is what the model holds against the memory budget:
	// the estimate while loading, the measured size once loaded.
	ReservedBytes int64
	// LastUsed is when a lease was last taken or released; zero if never.
	LastUsed time.Time
	// InFlight counts the leases outstanding.
	InFlight int
	// Hits counts Acquire calls that found the model loaded; Misses those
	// that had to wait for a load.
	Hits, Misses uint64
	// Evictions counts unloads by reason.
	Evictions Evictions
	// Loads counts successful loads; LoadFailures failed ones (capacity
	// refusals and cancelled loads are neither).
	Loads, LoadFailures uint64
	// LastLoadDuration is how long the last load that ran took.
	LastLoadDuration time.Duration
	// Decoder and Encoder are the loaded model's schedulers' snapshots;
	// nil when it is not loaded or runs without one (batching off).
	Decoder *schedule.DecoderStats
	Encoder *schedule.EncoderStats
}

// Status returns a snapshot of every model, in catalog order.
func (m *Manager) Status() []ModelStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ModelStatus, 0, len(m.slots))
	for _, s := range m.slots {
		st := ModelStatus{
			Name:             s.entry.Name,
			State:            s.state,
			Pinned:           s.pinned,
			KeepAlive:        s.keepAlive,
			EstimatedBytes:   s.estimate,
			ReservedBytes:    s.reserved,
			LastUsed:         s.lastUsed,
			InFlight:         s.leases,
			Hits:             s.hits,
			Misses:           s.misses,
			Evictions:        s.evictions,
			Loads:            s.loads,
			LoadFailures:     s.loadFailures,
			LastLoadDuration: s.lastLoadDuration,
		}
		if s.state == StateLoaded && s.draining {
			st.State = StateUnloading
		}
		if s.state == StateLoaded || s.state == StateUnloading {
			st.ResidentBytes = s.measured
			if rt, ok := s.model.(*Runtime); ok {
				// The schedulers take only their own locks, never the
				// Manager's, so reading them under m.mu cannot deadlock.
				st.Decoder, st.Encoder = rt.SchedulerStats()
			}
		}
		if s.err != nil {
			st.Error = s.err.Error()
		}
		if s.lastLoadError != nil {
			st.LastLoadError = s.lastLoadError.Error()
		}
		out = append(out, st)
	}
	return out
}

// MemoryStatus is the Manager's use of its limits.
type MemoryStatus struct {
	// BudgetBytes is the memory budget (0: none).
	BudgetBytes int64
	// ReservedBytes is what loaded, loading and unloading models hold.
	ReservedBytes int64
	// MaxLoadedModels is the limit on resident models (0: none).
	MaxLoadedModels int
	// LoadedModels counts models loaded, loading or unloading.
	LoadedModels int
}

// Memory reports the Manager's use of its limits.
func (m *Manager) Memory() MemoryStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	ms := MemoryStatus{BudgetBytes: m.opts.MemoryBudget, MaxLoadedModels: m.opts.MaxLoadedModels}
	for _, s := range m.slots {
		ms.ReservedBytes += s.reserved
		if s.occupies() {
			ms.LoadedModels++
		}
	}
	return ms
}
