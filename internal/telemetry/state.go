package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// State is a snapshot of what hfserve holds, read at scrape time. The
// serving layer's snapshots are mapped onto it by the server, so this
// package knows nothing of models or caches beyond these numbers.
type State struct {
	// ModelStates lists every state a model can be in, so that each model
	// has one hfserve_model_state series per state (1 for its own).
	ModelStates []string
	Models      []ModelState
	// BreakerStates lists every state a breaker can be in.
	BreakerStates []string
	Breakers      []BreakerState
	Caches        []CacheState
	Memory        MemoryState
}

// ModelState is one catalog model.
type ModelState struct {
	Name           string
	State          string
	Pinned         bool
	InFlight       int
	ResidentBytes  int64
	EstimatedBytes int64
	// Loads and LoadFailures count loads; LastLoadDuration is the last
	// one's time.
	Loads, LoadFailures uint64
	LastLoadDuration    time.Duration
	// Hits and Misses count acquisitions that found the model loaded or
	// had to wait for a load.
	Hits, Misses uint64
	// Evictions counts unloads by reason.
	Evictions map[string]uint64
	// Decoder and Encoder are the model's schedulers; nil when it has
	// none (not loaded, or batching off).
	Decoder *SchedulerState
	Encoder *SchedulerState
}

// SchedulerState is one model scheduler. For a decoder, Queued and Running
// count sequences, Steps forward passes, StepSeqs the sequences they ran
// and StepTokens their new tokens; for an encoder, Queued counts inputs,
// Running batches, Steps batches, StepSeqs their inputs and StepTokens
// their padded tokens. SharedPromptTokens (decoders) counts prompt tokens
// not computed because a sequence copied them from another with the same
// prompt.
type SchedulerState struct {
	Queued, Running              int
	Steps, StepSeqs, StepTokens  uint64
	SharedPromptTokens           uint64
	KVBytesUsed, KVBytesCapacity int64
}

// BreakerState is one model's circuit breaker.
type BreakerState struct {
	Model string
	State string
	// Transitions counts changes by the state changed to; give every
	// state a breaker can change to (zeros included), so that each has its
	// series from the start.
	Transitions map[string]uint64
	// Rejected counts requests refused while open.
	Rejected uint64
}

// CacheState is a response cache.
type CacheState struct {
	Backend                             string
	Hits, Misses, Stores, StoresDropped uint64
	Evictions, Expirations              uint64
	Entries, Bytes                      int64
	BackendErrors                       uint64
}

// MemoryState is the model memory budget. BudgetBytes 0 means none, and
// then no available figure is exported.
type MemoryState struct {
	BudgetBytes, UsedBytes int64
	LoadedModels           int
	MaxLoadedModels        int
}

// StateCollector is a prometheus.Collector that reads a State when scraped,
// so that gauges and counters kept by the serving layer are never copied
// on the request path.
type StateCollector struct {
	read  func() State
	descs map[string]*prometheus.Desc
}

// stateMetrics describes the collector's metrics: name, help and labels.
func stateMetrics() []struct {
	name, help string
	labels     []string
} {
	type m = struct {
		name, help string
		labels     []string
	}
	model := []string{"model"}
	sched := []string{"model", "kind"}
	cache := []string{"backend"}
	return []m{
		{"model_state", "1 for the state each catalog model is in, 0 for the others.", []string{"model", "state"}},
		{"model_pinned", "1 for a pinned model (never evicted automatically).", model},
		{"model_in_flight_requests", "Requests holding the model now.", model},
		{"model_resident_bytes", "Measured size of a loaded model; 0 when not loaded.", model},
		{"model_estimated_bytes", "Size predicted from the safetensors headers before loading.", model},
		{"model_loads_total", "Successful model loads.", model},
		{"model_load_failures_total", "Failed model loads.", model},
		{"model_last_load_duration_seconds", "Duration of the model's last load.", model},
		{"model_acquires_total", "Requests that found the model loaded (hit) or waited for its load (miss).", []string{"model", "result"}},
		{"model_evictions_total", "Model unloads by reason (lru, memory, keep_alive, admin).", []string{"model", "reason"}},
		{"scheduler_queue_depth", "Work waiting in the model's scheduler: sequences (decoder) or inputs (encoder).", sched},
		{"scheduler_running", "Work running in the model's scheduler: sequences (decoder) or batches (encoder).", sched},
		{"scheduler_steps_total", "Batched forward passes: decoder steps or encoder batches.", sched},
		{"scheduler_step_sequences_total", "Sequences (decoder) or inputs (encoder) run by the batched forward passes; over steps it is the mean batch size.", sched},
		{"scheduler_step_tokens_total", "Tokens run by the batched forward passes: new tokens (decoder) or padded tokens (encoder).", sched},
		{"scheduler_shared_prompt_tokens_total", "Prompt tokens not computed because a sequence copied them from another with the same prompt (n choices of one request, or identical prompts).", model},
		{"kv_cache_used_bytes", "KV cache reserved by the model's running sequences.", model},
		{"kv_cache_capacity_bytes", "The model's KV cache budget (kv_cache_memory); 0 means none.", model},
		{"num_requests_waiting", "Work waiting in every model's scheduler (the endpoint picker's queue metric).", nil},
		{"num_requests_running", "Work running in every model's scheduler (the endpoint picker's running metric).", nil},
		{"kv_cache_usage_ratio", "KV cache reserved over KV cache budget, 0 to 1, across loaded generation models (the endpoint picker's KV cache metric).", nil},
		{"breaker_state", "1 for the state each model's circuit breaker is in, 0 for the others.", []string{"model", "state"}},
		{"breaker_transitions_total", "Circuit breaker state changes, by the state changed to.", []string{"model", "to"}},
		{"breaker_rejected_requests_total", "Requests refused because the model's circuit breaker was open.", model},
		{"cache_hits_total", "Response cache lookups answered from the cache.", cache},
		{"cache_misses_total", "Cacheable requests computed (not found, no-cache, or backend failing).", cache},
		{"cache_stores_total", "Answers written to the response cache.", cache},
		{"cache_stores_dropped_total", "Answers not written (too large, or the backend failed).", cache},
		{"cache_evictions_total", "Entries the response cache dropped to stay within its bounds.", cache},
		{"cache_expirations_total", "Entries found past their TTL.", cache},
		{"cache_entries", "Entries held (memory backend).", cache},
		{"cache_bytes", "Bytes held (memory backend).", cache},
		{"cache_backend_errors_total", "Failed response cache backend operations.", cache},
		{"memory_budget_bytes", "Memory budget for loaded models (max_memory); 0 means none.", nil},
		{"memory_used_bytes", "Memory held against the budget by loaded, loading and unloading models.", nil},
		{"memory_available_bytes", "Budget left for more models (absent without a budget).", nil},
		{"loaded_models", "Models loaded, loading or unloading.", nil},
		{"max_loaded_models", "Most models resident at once (max_loaded_models); 0 means none.", nil},
	}
}

// NewStateCollector returns a collector that calls read at every scrape.
// read must be safe for concurrent use.
func NewStateCollector(read func() State) *StateCollector {
	c := &StateCollector{read: read, descs: map[string]*prometheus.Desc{}}
	for _, m := range stateMetrics() {
		name := prometheus.BuildFQName(MetricsNamespace, "", m.name)
		c.descs[m.name] = prometheus.NewDesc(name, m.help, m.labels, nil)
	}
	return c
}

// Describe sends every metric's description.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect reads the state and sends its metrics.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.read()
	e := emitter{ch: ch, descs: c.descs}
	c.collectModels(e, s)
	for _, b := range s.Breakers {
		for _, st := range s.BreakerStates {
			e.gauge("breaker_state", boolValue(b.State == st), b.Model, st)
		}
		for to, n := range b.Transitions {
			e.counter("breaker_transitions_total", float64(n), b.Model, to)
		}
		e.counter("breaker_rejected_requests_total", float64(b.Rejected), b.Model)
	}
	for _, k := range s.Caches {
		e.counter("cache_hits_total", float64(k.Hits), k.Backend)
		e.counter("cache_misses_total", float64(k.Misses), k.Backend)
		e.counter("cache_stores_total", float64(k.Stores), k.Backend)
		e.counter("cache_stores_dropped_total", float64(k.StoresDropped), k.Backend)
		e.counter("cache_evictions_total", float64(k.Evictions), k.Backend)
		e.counter("cache_expirations_total", float64(k.Expirations), k.Backend)
		e.gauge("cache_entries", float64(k.Entries), k.Backend)
		e.gauge("cache_bytes", float64(k.Bytes), k.Backend)
		e.counter("cache_backend_errors_total", float64(k.BackendErrors), k.Backend)
	}
	mem := s.Memory
	e.gauge("memory_budget_bytes", float64(mem.BudgetBytes))
	e.gauge("memory_used_bytes", float64(mem.UsedBytes))
	if mem.BudgetBytes > 0 {
		e.gauge("memory_available_bytes", float64(max(mem.BudgetBytes-mem.UsedBytes, 0)))
	}
	e.gauge("loaded_models", float64(mem.LoadedModels))
	e.gauge("max_loaded_models", float64(mem.MaxLoadedModels))
}

// collectModels sends the per-model and per-scheduler metrics, and the
// endpoint picker's totals over them.
func (c *StateCollector) collectModels(e emitter, s State) {
	var waiting, running int
	var kvUsed, kvCap int64
	for _, m := range s.Models {
		for _, st := range s.ModelStates {
			e.gauge("model_state", boolValue(m.State == st), m.Name, st)
		}
		e.gauge("model_pinned", boolValue(m.Pinned), m.Name)
		e.gauge("model_in_flight_requests", float64(m.InFlight), m.Name)
		e.gauge("model_resident_bytes", float64(m.ResidentBytes), m.Name)
		e.gauge("model_estimated_bytes", float64(m.EstimatedBytes), m.Name)
		e.counter("model_loads_total", float64(m.Loads), m.Name)
		e.counter("model_load_failures_total", float64(m.LoadFailures), m.Name)
		e.gauge("model_last_load_duration_seconds", m.LastLoadDuration.Seconds(), m.Name)
		e.counter("model_acquires_total", float64(m.Hits), m.Name, "hit")
		e.counter("model_acquires_total", float64(m.Misses), m.Name, "miss")
		for reason, n := range m.Evictions {
			e.counter("model_evictions_total", float64(n), m.Name, reason)
		}
		for kind, sc := range map[string]*SchedulerState{KindDecoder: m.Decoder, KindEncoder: m.Encoder} {
			if sc == nil {
				continue
			}
			waiting += sc.Queued
			running += sc.Running
			e.gauge("scheduler_queue_depth", float64(sc.Queued), m.Name, kind)
			e.gauge("scheduler_running", float64(sc.Running), m.Name, kind)
			e.counter("scheduler_steps_total", float64(sc.Steps), m.Name, kind)
			e.counter("scheduler_step_sequences_total", float64(sc.StepSeqs), m.Name, kind)
			e.counter("scheduler_step_tokens_total", float64(sc.StepTokens), m.Name, kind)
			if kind == KindDecoder {
				e.counter("scheduler_shared_prompt_tokens_total", float64(sc.SharedPromptTokens), m.Name)
				e.gauge("kv_cache_used_bytes", float64(sc.KVBytesUsed), m.Name)
				e.gauge("kv_cache_capacity_bytes", float64(sc.KVBytesCapacity), m.Name)
				if sc.KVBytesCapacity > 0 { // an unbounded cache has no usage ratio
					kvUsed += sc.KVBytesUsed
					kvCap += sc.KVBytesCapacity
				}
			}
		}
	}
	e.gauge("num_requests_waiting", float64(waiting))
	e.gauge("num_requests_running", float64(running))
	ratio := 0.0
	if kvCap > 0 {
		ratio = float64(kvUsed) / float64(kvCap)
	}
	e.gauge("kv_cache_usage_ratio", ratio)
}

// emitter sends const metrics by short name.
type emitter struct {
	ch    chan<- prometheus.Metric
	descs map[string]*prometheus.Desc
}

func (e emitter) gauge(name string, v float64, labels ...string) {
	e.ch <- prometheus.MustNewConstMetric(e.descs[name], prometheus.GaugeValue, v, labels...)
}

func (e emitter) counter(name string, v float64, labels ...string) {
	e.ch <- prometheus.MustNewConstMetric(e.descs[name], prometheus.CounterValue, v, labels...)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
