package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"hfserve/internal/breaker"
	"hfserve/internal/respcache"
	"hfserve/internal/schedule"
	"hfserve/internal/serving"
	"hfserve/internal/telemetry"
)

// observedKVBytes is the KV cache budget of observed servers' generation
// models, so that a test can find it again in the exposition.
const observedKVBytes = 64 << 20

// observedServer is an inference server with metrics, a response cache,
// breakers, and JSON logs in a buffer, over a real Manager and Service;
// traced when opts.Tracing is enabled.
type observedServer struct {
	h       http.Handler
	svc     *serving.Service
	metrics *telemetry.Metrics
	logs    *syncBuffer
}

func newObservedServer(t *testing.T, opts Options, entries ...serving.Entry) *observedServer {
	t.Helper()
	return newBudgetedServer(t, opts, 0, entries...)
}

// newBudgetedServer is newObservedServer with a memory budget (0: none).
func newBudgetedServer(t *testing.T, opts Options, budget int64, entries ...serving.Entry) *observedServer {
	t.Helper()
	cat, err := serving.NewCatalog(entries)
	if err != nil {
		t.Fatal(err)
	}
	metrics := telemetry.NewMetrics(telemetry.MetricsOptions{Version: "test"})
	b := serving.Batching{Enabled: true, Decoder: schedule.DecoderOptions{MaxKVBytes: observedKVBytes},
		OnBatch: func(model, kind string, st schedule.StepInfo) {
			metrics.ObserveBatch(model, kind, st.Seqs, st.Tokens, st.Duration)
		}}
	sopts := serving.ServiceOptions{Breaker: &breaker.Settings{FailureThreshold: 3, OpenTimeout: time.Minute}}
	if opts.Tracing != nil && opts.Tracing.Enabled() {
		b.Tracer, sopts.Tracer = opts.Tracing.Provider(), opts.Tracing.Provider()
	}
	m, err := serving.NewManager(serving.ManagerOptions{Catalog: cat, Load: serving.BatchingLoader(nil, b), KeepAlive: -1, MemoryBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	c, err := respcache.New(respcache.Options{Backend: respcache.NewMemory(respcache.MemoryOptions{MaxEntries: 100}), TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	svc, err := serving.NewServiceWith(m, sopts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Metrics = metrics
	opts.Catalog = cat
	s, logs := newTestServer(t, opts)
	s.HandleInference(svc, WithResponseCache(c))
	return &observedServer{h: s.Handler(), svc: svc, metrics: metrics, logs: logs}
}

// scrape fetches /metrics and parses the text exposition.
func (o *observedServer) scrape(t *testing.T) exposition {
	t.Helper()
	rec := serve(o.h, http.MethodGet, "/metrics", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics: Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, rec.Body)
	}
	return exposition(fams)
}

// awaitValue scrapes until series name{labels} reaches at least want,
// or fails the test after a few seconds. It is for what the scheduler
// records on its own goroutine after the answer has gone out: a
// decoder step reports its batch (OnStep) only once the tokens it
// sampled were delivered, so the last step of a generation may trail
// its response. The caller still checks the exact value afterwards.
func (o *observedServer) awaitValue(t *testing.T, name, labels string, want float64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := o.scrape(t).value(name, labels)
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s{%s} = %v after 5s, want %v", name, labels, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exposition is a parsed scrape, by metric family name.
type exposition map[string]*dto.MetricFamily

// labels is a label set written "k=v,k=v" (values without commas or
// equals signs); "" matches a series without labels.
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	if s == "" {
		return out
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// find returns the series of family name whose labels are exactly
// labels (an empty label value matches an absent label, as in
// Prometheus).
func (e exposition) find(name, labels string) (*dto.Metric, bool) {
	fam, ok := e[name]
	if !ok {
		return nil, false
	}
	want := parseLabels(labels)
	for k, v := range want {
		if v == "" {
			delete(want, k)
		}
	}
	for _, m := range fam.Metric {
		got := map[string]string{}
		for _, lp := range m.Label {
			if lp.GetValue() != "" {
				got[lp.GetName()] = lp.GetValue()
			}
		}
		if len(got) != len(want) {
			continue
		}
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
			}
		}
		if match {
			return m, true
		}
	}
	return nil, false
}

// value is a counter's or gauge's value, or a histogram's sample count;
// 0 and false when the series is absent.
func (e exposition) value(name, labels string) (float64, bool) {
	m, ok := e.find(name, labels)
	if !ok {
		return 0, false
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue(), true
	case m.Gauge != nil:
		return m.Gauge.GetValue(), true
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount()), true
	case m.Untyped != nil:
		return m.Untyped.GetValue(), true
	}
	return 0, false
}

// want checks one series' value.
func (e exposition) want(t *testing.T, name, labels string, want float64) {
	t.Helper()
	got, ok := e.value(name, labels)
	if !ok {
		t.Errorf("%s{%s}: absent, want %v", name, labels, want)
		return
	}
	if got != want {
		t.Errorf("%s{%s} = %v, want %v", name, labels, got, want)
	}
}

// labelValues lists every value label takes anywhere in the exposition.
func (e exposition) labelValues(label string) map[string]bool {
	out := map[string]bool{}
	for _, fam := range e {
		for _, m := range fam.Metric {
			for _, lp := range m.Label {
				if lp.GetName() == label {
					out[lp.GetValue()] = true
				}
			}
		}
	}
	return out
}
