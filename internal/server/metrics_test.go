package server

import (
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"hfserve/internal/builtin"
	"hfserve/internal/config"
	"hfserve/internal/serving"
	"hfserve/internal/telemetry"
)

// usageOf decodes an OpenAI response's usage: the API's own account of the
// tokens, which the metrics must agree with.
func usageOf(t *testing.T, body []byte) (prompt, completion int) {
	t.Helper()
	var r struct {
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("response %s: %v", body, err)
	}
	return r.Usage.PromptTokens, r.Usage.CompletionTokens
}

// TestMetricsAfterKnownTraffic sends a known mix of requests and checks
// that every metric moved by exactly what that traffic implies: request
// counts by model, route and status class; tokens as the responses'
// usage reports them (cache hits excluded); one queue, TTFT and TPOT
// observation per generation that ran; scheduler steps as continuous
// batching must take them; cache, model and breaker state.
func TestMetricsAfterKnownTraffic(t *testing.T) {
	stories := storiesEntry(t)
	embed := tinyEntry(t, "embed", "bert", config.ModelSpec{})
	chat := tinyEntry(t, "chat", "llama", config.ModelSpec{})
	o := newObservedServer(t, Options{Version: "test"}, stories, embed, chat)

	completion := map[string]any{"model": builtin.Name, "prompt": "Once upon a time", "max_tokens": 6, "temperature": 0}
	first := post(o.h, "/v1/completions", completion)
	if first.Code != http.StatusOK || first.Header().Get("X-Cache") != "miss" {
		t.Fatalf("first completion: %d X-Cache %q: %s", first.Code, first.Header().Get("X-Cache"), first.Body)
	}
	promptTok, genTok := usageOf(t, first.Body.Bytes())
	if promptTok == 0 || genTok < 2 {
		t.Fatalf("usage %d/%d: want a prompt and at least two tokens", promptTok, genTok)
	}
	if again := post(o.h, "/v1/completions", completion); again.Header().Get("X-Cache") != "hit" {
		t.Fatalf("second completion: X-Cache %q", again.Header().Get("X-Cache"))
	}
	emb := post(o.h, "/v1/embeddings", map[string]any{"model": "embed", "input": []string{"hello world", "a b c d"}})
	if emb.Code != http.StatusOK {
		t.Fatalf("embeddings: %d %s", emb.Code, emb.Body)
	}
	embTok, _ := usageOf(t, emb.Body.Bytes())
	// A model the catalog does not know must not become a label value.
	if rec := post(o.h, "/v1/completions", map[string]any{"model": "attacker-chosen-name", "prompt": "x"}); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown model: %d", rec.Code)
	}
	if rec := serve(o.h, http.MethodGet, "/no/such/route", nil, nil); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown route: %d", rec.Code)
	}

	// The decoder reports each step's batch after delivering the step's
	// tokens, so the completion's last step may still be reporting.
	o.awaitValue(t, "hfserve_batch_size", "model="+builtin.Name+",kind=decoder", float64(genTok))
	e := o.scrape(t)
	s := builtin.Name
	// Requests by model, route and status class.
	e.want(t, "hfserve_requests_total", "model="+s+",endpoint=POST /v1/completions,status=2xx", 2)
	e.want(t, "hfserve_requests_total", "model=embed,endpoint=POST /v1/embeddings,status=2xx", 1)
	e.want(t, "hfserve_requests_total", "model=,endpoint=POST /v1/completions,status=4xx", 1)
	e.want(t, "hfserve_requests_total", "model=,endpoint=unmatched,status=4xx", 1)
	e.want(t, "hfserve_request_duration_seconds", "model="+s+",endpoint=POST /v1/completions", 2)
	for v := range e.labelValues("model") {
		if v != "" && v != s && v != "embed" && v != "chat" {
			t.Errorf("model label value %q is not a catalog name", v)
		}
	}
	for v := range e.labelValues("endpoint") {
		if v != telemetry.EndpointUnmatched && !strings.HasPrefix(v, "GET ") && !strings.HasPrefix(v, "POST ") {
			t.Errorf("endpoint label value %q is not a route pattern", v)
		}
	}

	// Tokens as the API reported them; the cache hit ran no model.
	e.want(t, "hfserve_prompt_tokens_total", "model="+s, float64(promptTok))
	e.want(t, "hfserve_generated_tokens_total", "model="+s, float64(genTok))
	e.want(t, "hfserve_prompt_tokens_total", "model=embed", float64(embTok))
	e.want(t, "hfserve_generated_tokens_total", "model=embed", 0)
	e.want(t, "hfserve_request_prompt_tokens", "model="+s+",endpoint=POST /v1/completions", 1)
	e.want(t, "hfserve_request_generated_tokens", "model="+s+",endpoint=POST /v1/completions", 1)
	if m, ok := e.find("hfserve_request_prompt_tokens", "model="+s+",endpoint=POST /v1/completions"); ok {
		if got := m.Histogram.GetSampleSum(); got != float64(promptTok) {
			t.Errorf("prompt length sum %v, want %d", got, promptTok)
		}
	}
	e.want(t, "hfserve_request_queue_time_seconds", "model="+s, 1)
	e.want(t, "hfserve_request_queue_time_seconds", "model=embed", 1)
	e.want(t, "hfserve_time_to_first_token_seconds", "model="+s, 1)
	e.want(t, "hfserve_time_per_output_token_seconds", "model="+s, 1)
	if _, ok := e.find("hfserve_time_to_first_token_seconds", "model=embed"); ok {
		t.Error("an embedding request observed a time to first token")
	}

	// One request alone: its prompt in the first step (it fits the step's
	// token budget), then one step per further token, each feeding the
	// token chosen before.
	e.want(t, "hfserve_scheduler_steps_total", "model="+s+",kind=decoder", float64(genTok))
	e.want(t, "hfserve_scheduler_step_sequences_total", "model="+s+",kind=decoder", float64(genTok))
	e.want(t, "hfserve_scheduler_step_tokens_total", "model="+s+",kind=decoder", float64(promptTok+genTok-1))
	e.want(t, "hfserve_batch_size", "model="+s+",kind=decoder", float64(genTok))
	e.want(t, "hfserve_scheduler_steps_total", "model=embed,kind=encoder", 1)
	e.want(t, "hfserve_scheduler_step_sequences_total", "model=embed,kind=encoder", 2)
	e.want(t, "hfserve_batch_size", "model=embed,kind=encoder", 1)
	e.want(t, "hfserve_scheduler_shared_prompt_tokens_total", "model="+s, 0) // one choice: nothing to share
	e.want(t, "hfserve_scheduler_queue_depth", "model="+s+",kind=decoder", 0)
	e.want(t, "hfserve_kv_cache_used_bytes", "model="+s, 0)
	e.want(t, "hfserve_kv_cache_capacity_bytes", "model="+s, observedKVBytes)
	e.want(t, "hfserve_num_requests_waiting", "", 0)
	e.want(t, "hfserve_num_requests_running", "", 0)
	e.want(t, "hfserve_kv_cache_usage_ratio", "", 0)

	// Models: two loaded once each, one never touched.
	e.want(t, "hfserve_model_loads_total", "model="+s, 1)
	e.want(t, "hfserve_model_loads_total", "model=chat", 0)
	e.want(t, "hfserve_model_state", "model="+s+",state=loaded", 1)
	e.want(t, "hfserve_model_state", "model="+s+",state=available", 0)
	e.want(t, "hfserve_model_state", "model=chat,state=available", 1)
	e.want(t, "hfserve_model_acquires_total", "model="+s+",result=miss", 1)
	e.want(t, "hfserve_model_in_flight_requests", "model="+s, 0)
	e.want(t, "hfserve_model_evictions_total", "model="+s+",reason=lru", 0)
	e.want(t, "hfserve_loaded_models", "", 2)
	if st := statusOf(t, o.svc, s); st.ResidentBytes <= 0 {
		t.Fatalf("%s resident bytes %d", s, st.ResidentBytes)
	} else {
		e.want(t, "hfserve_model_resident_bytes", "model="+s, float64(st.ResidentBytes))
	}

	// Cache: the completion missed then hit, the embeddings missed.
	e.want(t, "hfserve_cache_hits_total", "backend=memory", 1)
	e.want(t, "hfserve_cache_misses_total", "backend=memory", 2)
	e.want(t, "hfserve_cache_stores_total", "backend=memory", 2)
	e.want(t, "hfserve_cache_entries", "backend=memory", 2)

	// Breakers closed, never moved.
	e.want(t, "hfserve_breaker_state", "model="+s+",state=closed", 1)
	e.want(t, "hfserve_breaker_state", "model="+s+",state=open", 0)
	e.want(t, "hfserve_breaker_transitions_total", "model="+s+",to=open", 0)
	e.want(t, "hfserve_breaker_rejected_requests_total", "model="+s, 0)

	// Memory: no budget, so nothing available is claimed.
	e.want(t, "hfserve_memory_budget_bytes", "", 0)
	if _, ok := e.find("hfserve_memory_available_bytes", ""); ok {
		t.Error("memory_available_bytes exported without a budget")
	}
	e.want(t, "hfserve_build_info", "version=test", 1)
	if _, ok := e["go_goroutines"]; !ok {
		t.Error("Go runtime collector missing")
	}
	if _, ok := e["process_cpu_seconds_total"]; !ok && processMetricsSupported() {
		t.Error("process collector missing")
	}
}

// processMetricsSupported reports whether the process collector has
// anything to export here (it reads /proc).
func processMetricsSupported() bool { return runtime.GOOS == "linux" }

// statusOf is one model's Manager status.
func statusOf(t *testing.T, svc *serving.Service, name string) serving.ModelStatus {
	t.Helper()
	for _, st := range svc.Manager().Status() {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no status for %s", name)
	return serving.ModelStatus{}
}

// TestMetricsLint runs client_golang's promlint over the whole exposition
// after traffic: names, units, help text and counter suffixes.
func TestMetricsLint(t *testing.T) {
	o := newObservedServer(t, Options{Version: "test"}, storiesEntry(t), tinyEntry(t, "embed", "bert", config.ModelSpec{}))
	post(o.h, "/v1/completions", map[string]any{"model": builtin.Name, "prompt": "Once", "max_tokens": 3, "temperature": 0})
	post(o.h, "/v1/embeddings", map[string]any{"model": "embed", "input": "hello"})
	problems, err := testutil.GatherAndLint(o.metrics.Gatherer())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "hfserve_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}

// TestMetricsDisabled checks that without Metrics there is no /metrics.
func TestMetricsDisabled(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	if rec := serve(s.Handler(), http.MethodGet, "/metrics", nil, nil); rec.Code != http.StatusNotFound {
		t.Fatalf("GET /metrics without metrics: %d", rec.Code)
	}
}
