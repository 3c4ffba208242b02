package server

import (
	"hfserve/internal/respcache"
	"hfserve/internal/serving"
	"hfserve/internal/telemetry"
)

// stateCollector exports the serving layer's state (models, schedulers,
// breakers, memory) and the response cache's counters, read at each
// scrape; cache may be nil.
func stateCollector(svc *serving.Service, cache *respcache.Cache) *telemetry.StateCollector {
	return telemetry.NewStateCollector(func() telemetry.State { return serviceState(svc, cache) })
}

// serviceState maps the serving layer's snapshots onto telemetry's.
func serviceState(svc *serving.Service, cache *respcache.Cache) telemetry.State {
	var st telemetry.State
	for _, s := range serving.ModelStates() {
		st.ModelStates = append(st.ModelStates, string(s))
	}
	m := svc.Manager()
	for _, ms := range m.Status() {
		model := telemetry.ModelState{
			Name: ms.Name, State: string(ms.State), Pinned: ms.Pinned, InFlight: ms.InFlight,
			ResidentBytes: ms.ResidentBytes, EstimatedBytes: ms.EstimatedBytes,
			Loads: ms.Loads, LoadFailures: ms.LoadFailures, LastLoadDuration: ms.LastLoadDuration,
			Hits: ms.Hits, Misses: ms.Misses, Evictions: map[string]uint64{},
		}
		for _, r := range serving.EvictReasons() {
			model.Evictions[string(r)] = ms.Evictions.Get(r)
		}
		if d := ms.Decoder; d != nil {
			model.Decoder = &telemetry.SchedulerState{Queued: d.Queued, Running: d.Active,
				Steps: d.Steps, StepSeqs: d.StepSeqs, StepTokens: d.StepTokens, SharedPromptTokens: d.SharedPromptTokens,
				KVBytesUsed: d.KVBytesReserved, KVBytesCapacity: d.KVBytesLimit}
		}
		if e := ms.Encoder; e != nil {
			model.Encoder = &telemetry.SchedulerState{Queued: e.Queued, Running: e.Running,
				Steps: e.Batches, StepSeqs: e.Rows, StepTokens: e.PaddedTokens}
		}
		st.Models = append(st.Models, model)
	}
	st.BreakerStates = serving.BreakerStates()
	for _, b := range svc.Breakers() {
		st.Breakers = append(st.Breakers, telemetry.BreakerState{Model: b.Model, State: b.State,
			Transitions: b.Transitions, Rejected: b.Rejected})
	}
	if cache != nil {
		c := cache.Stats()
		st.Caches = []telemetry.CacheState{{Backend: c.Backend, Hits: c.Hits, Misses: c.Misses,
			Stores: c.Stores, StoresDropped: c.StoresDropped, Evictions: c.Evictions, Expirations: c.Expirations,
			Entries: c.Entries, Bytes: c.Bytes, BackendErrors: c.BackendErrors}}
	}
	mem := m.Memory()
	st.Memory = telemetry.MemoryState{BudgetBytes: mem.BudgetBytes, UsedBytes: mem.ReservedBytes,
		LoadedModels: mem.LoadedModels, MaxLoadedModels: mem.MaxLoadedModels}
	return st
}
