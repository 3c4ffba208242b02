package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// spanSink is an OTLP/HTTP endpoint that keeps the names of the spans it
// receives and the service.name they come from.
type spanSink struct {
	mu       sync.Mutex
	names    map[string]int
	services map[string]bool
}

func (s *spanSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(raw, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				s.services[kv.GetValue().GetStringValue()] = true
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				s.names[sp.Name]++
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
}

// TestE2EObservability runs the real binary with tracing to an OTLP
// receiver: a completion is counted on /metrics with its tokens and
// timing headers, and its spans reach the receiver by the time the server
// has shut down (shutdown flushes them).
func TestE2EObservability(t *testing.T) {
	sink := &spanSink{names: map[string]int{}, services: map[string]bool{}}
	collector := httptest.NewServer(sink)
	defer collector.Close()
	p := startServer(t, nil, "--otel-endpoint", collector.URL, "--otel-service-name", "hfserve-e2e")

	var out struct {
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	postJSON(t, p.baseURL+"/v1/completions", map[string]any{"model": "stories260k", "prompt": "Once upon a time", "max_tokens": 5, "temperature": 0}, http.StatusOK, &out)

	resp, err := http.Get(p.baseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	value := func(name string, labels map[string]string) float64 {
		fam := fams[name]
		if fam == nil {
			t.Fatalf("%s missing from /metrics", name)
		}
	next:
		for _, m := range fam.Metric {
			got := map[string]string{}
			for _, lp := range m.Label {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue next
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
		t.Fatalf("%s%v missing from /metrics", name, labels)
		return 0
	}
	if v := value("hfserve_requests_total", map[string]string{"model": "stories260k", "endpoint": "POST /v1/completions", "status": "2xx"}); v != 1 {
		t.Errorf("completions counted %v times, want 1", v)
	}
	if v := value("hfserve_generated_tokens_total", map[string]string{"model": "stories260k"}); v != float64(out.Usage.CompletionTokens) {
		t.Errorf("generated tokens %v, usage says %d", v, out.Usage.CompletionTokens)
	}
	if v := value("hfserve_model_state", map[string]string{"model": "stories260k", "state": "loaded"}); v != 1 {
		t.Errorf("stories260k loaded = %v", v)
	}

	p.stop(t)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	for _, name := range []string{"POST /v1/completions", "hfserve.generate", "hfserve.queue", "hfserve.batch_step", "hfserve.forward", "hfserve.sample"} {
		if sink.names[name] == 0 {
			t.Errorf("no %q span received (got %v)", name, sink.names)
		}
	}
	if !sink.services["hfserve-e2e"] {
		t.Errorf("service names %v, want hfserve-e2e", sink.services)
	}
}

// TestE2EMetricsDisabled checks metrics_enabled=false: no /metrics.
func TestE2EMetricsDisabled(t *testing.T) {
	p := startServer(t, []string{"HFSERVE_METRICS_ENABLED=false"})
	resp, err := http.Get(p.baseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics with metrics off: %d, want 404", resp.StatusCode)
	}
}
