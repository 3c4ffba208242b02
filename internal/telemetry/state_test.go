package telemetry

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// testState has one loaded decoder model with a bounded KV cache, one
// loaded encoder, and one model never loaded.
func testState() State {
	return State{
		ModelStates: []string{"available", "loaded"},
		Models: []ModelState{
			{Name: "gen", State: "loaded", InFlight: 2, ResidentBytes: 1000, Loads: 1, LastLoadDuration: 1500 * time.Millisecond,
				Evictions: map[string]uint64{"lru": 3},
				Decoder:   &SchedulerState{Queued: 4, Running: 2, Steps: 10, StepSeqs: 15, StepTokens: 40, KVBytesUsed: 300, KVBytesCapacity: 1200}},
			{Name: "enc", State: "loaded", Pinned: true,
				Encoder: &SchedulerState{Queued: 1, Running: 1, Steps: 2, StepSeqs: 5, StepTokens: 64}},
			{Name: "idle", State: "available"},
		},
		BreakerStates: []string{"closed", "open"},
		Breakers:      []BreakerState{{Model: "gen", State: "open", Transitions: map[string]uint64{"open": 1, "closed": 0}, Rejected: 7}},
		Caches:        []CacheState{{Backend: "memory", Hits: 5, Misses: 6, Entries: 2, Bytes: 99}},
		Memory:        MemoryState{BudgetBytes: 5000, UsedBytes: 1200, LoadedModels: 2, MaxLoadedModels: 3},
	}
}

// TestStateCollector checks the exposition of a known State: one series
// per model and state, schedulers by kind, and the endpoint picker's
// totals (waiting 4+1, running 2+1, KV usage 300/1200).
func TestStateCollector(t *testing.T) {
	c := NewStateCollector(testState)
	want := `
# HELP hfserve_model_state 1 for the state each catalog model is in, 0 for the others.
# TYPE hfserve_model_state gauge
hfserve_model_state{model="enc",state="available"} 0
hfserve_model_state{model="enc",state="loaded"} 1
hfserve_model_state{model="gen",state="available"} 0
hfserve_model_state{model="gen",state="loaded"} 1
hfserve_model_state{model="idle",state="available"} 1
hfserve_model_state{model="idle",state="loaded"} 0
# HELP hfserve_num_requests_waiting Work waiting in every model's scheduler (the endpoint picker's queue metric).
# TYPE hfserve_num_requests_waiting gauge
hfserve_num_requests_waiting 5
# HELP hfserve_num_requests_running Work running in every model's scheduler (the endpoint picker's running metric).
# TYPE hfserve_num_requests_running gauge
hfserve_num_requests_running 3
# HELP hfserve_kv_cache_usage_ratio KV cache reserved over KV cache budget, 0 to 1, across loaded generation models (the endpoint picker's KV cache metric).
# TYPE hfserve_kv_cache_usage_ratio gauge
hfserve_kv_cache_usage_ratio 0.25
# HELP hfserve_scheduler_step_sequences_total Sequences (decoder) or inputs (encoder) run by the batched forward passes; over steps it is the mean batch size.
# TYPE hfserve_scheduler_step_sequences_total counter
hfserve_scheduler_step_sequences_total{kind="decoder",model="gen"} 15
hfserve_scheduler_step_sequences_total{kind="encoder",model="enc"} 5
# HELP hfserve_breaker_rejected_requests_total Requests refused because the model's circuit breaker was open.
# TYPE hfserve_breaker_rejected_requests_total counter
hfserve_breaker_rejected_requests_total{model="gen"} 7
# HELP hfserve_breaker_state 1 for the state each model's circuit breaker is in, 0 for the others.
# TYPE hfserve_breaker_state gauge
hfserve_breaker_state{model="gen",state="closed"} 0
hfserve_breaker_state{model="gen",state="open"} 1
# HELP hfserve_memory_available_bytes Budget left for more models (absent without a budget).
# TYPE hfserve_memory_available_bytes gauge
hfserve_memory_available_bytes 3800
# HELP hfserve_model_last_load_duration_seconds Duration of the model's last load.
# TYPE hfserve_model_last_load_duration_seconds gauge
hfserve_model_last_load_duration_seconds{model="enc"} 0
hfserve_model_last_load_duration_seconds{model="gen"} 1.5
hfserve_model_last_load_duration_seconds{model="idle"} 0
`
	names := []string{"hfserve_model_state", "hfserve_num_requests_waiting", "hfserve_num_requests_running",
		"hfserve_kv_cache_usage_ratio", "hfserve_scheduler_step_sequences_total", "hfserve_breaker_rejected_requests_total",
		"hfserve_breaker_state", "hfserve_memory_available_bytes", "hfserve_model_last_load_duration_seconds"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestStateCollectorNoBudget checks that without a memory budget or a KV
// bound nothing claims availability or usage.
func TestStateCollectorNoBudget(t *testing.T) {
	c := NewStateCollector(func() State {
		return State{Models: []ModelState{{Name: "g", Decoder: &SchedulerState{KVBytesUsed: 50}}}}
	})
	if n := testutil.CollectAndCount(c, "hfserve_memory_available_bytes"); n != 0 {
		t.Errorf("memory_available_bytes exported without a budget (%d series)", n)
	}
	want := "# HELP hfserve_kv_cache_usage_ratio KV cache reserved over KV cache budget, 0 to 1, across loaded generation models (the endpoint picker's KV cache metric).\n" +
		"# TYPE hfserve_kv_cache_usage_ratio gauge\nhfserve_kv_cache_usage_ratio 0\n"
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "hfserve_kv_cache_usage_ratio"); err != nil {
		t.Error(err)
	}
}
