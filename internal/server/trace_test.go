package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"hfserve/internal/builtin"
	"hfserve/internal/config"
	"hfserve/internal/telemetry"
)

// otlpReceiver is a real OTLP/HTTP trace endpoint: it decodes each
// protobuf ExportTraceServiceRequest posted to /v1/traces and keeps the
// spans.
type otlpReceiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	spans    []*tracepb.Span
	service  string
	requests int
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	rcv := &otlpReceiver{}
	rcv.srv = httptest.NewServer(http.HandlerFunc(rcv.handle))
	t.Cleanup(rcv.srv.Close)
	return rcv
}

func (rcv *otlpReceiver) handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces application/x-protobuf", http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rcv.mu.Lock()
	rcv.requests++
	for _, rs := range req.ResourceSpans {
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				rcv.service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			rcv.spans = append(rcv.spans, ss.Spans...)
		}
	}
	rcv.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// await flushes tr until the receiver holds at least n spans named
// name (batch spans end on the scheduler's goroutine, a moment after the
// response), or fails the test after a few seconds.
func (rcv *otlpReceiver) await(t *testing.T, tr *telemetry.Tracing, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := tr.ForceFlush(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, s := range rcv.received() {
			if s.Name == name {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s spans after 5s, want %d", got, name, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// received returns the spans received so far.
func (rcv *otlpReceiver) received() []*tracepb.Span {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return append([]*tracepb.Span(nil), rcv.spans...)
}

// spanAttr returns a span attribute's value as text ("" when absent).
func spanAttr(s *tracepb.Span, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key != key {
			continue
		}
		v := kv.GetValue()
		switch {
		case v.GetStringValue() != "":
			return v.GetStringValue()
		default:
			return strings.TrimSpace(strings.Trim(v.String(), "{}"))
		}
	}
	return ""
}

func intAttr(s *tracepb.Span, key string) (int64, bool) {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.GetValue().GetIntValue(), true
		}
	}
	return 0, false
}

// newTracedServer serves the story model and an embedding model with
// tracing to rcv at ratio.
func newTracedServer(t *testing.T, rcv *otlpReceiver, ratio float64) (*observedServer, *telemetry.Tracing) {
	t.Helper()
	tr, err := telemetry.NewTracing(context.Background(), telemetry.TracingOptions{
		Endpoint: rcv.srv.URL, Protocol: telemetry.ProtocolHTTP, ServiceName: "hfserve-test", ServiceVersion: "test",
		SamplingRatio: ratio, BatchTimeout: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tr.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	o := newObservedServer(t, Options{Version: "test", Tracing: tr}, storiesEntry(t), tinyEntry(t, "embed", "bert", config.ModelSpec{}))
	return o, tr
}

// TestTraceSpanTree sends a generation that continues a client's trace
// and checks the exported tree: the server span under the client's span,
// the cache lookup and the generation under it, the queue wait under the
// generation; and each batch step as a root of its own, linked to the
// generation, with the forward pass and the sampling under it.
func TestTraceSpanTree(t *testing.T) {
	rcv := newOTLPReceiver(t)
	o, tr := newTracedServer(t, rcv, 1)
	const (
		clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
		clientSpan  = "00f067aa0ba902b7"
	)
	body := `{"model":"` + builtin.Name + `","prompt":"Once upon a time","max_tokens":4,"temperature":0}`
	rec := serve(o.h, http.MethodPost, "/v1/completions", strings.NewReader(body), http.Header{
		"Content-Type": {"application/json"}, "Traceparent": {"00-" + clientTrace + "-" + clientSpan + "-01"},
		"X-Request-Id": {"trace-test-1"},
	})
	if rec.Code != http.StatusOK {
		t.Fatalf("completion: %d %s", rec.Code, rec.Body)
	}
	promptTok, genTok := usageOf(t, rec.Body.Bytes())
	// A step's span ends after the forward and sample spans under it, so
	// waiting for the steps waits for their children too.
	rcv.await(t, tr, "hfserve.batch_step", genTok)
	rcv.await(t, tr, "hfserve.sample", genTok)
	spans := rcv.received()
	byName := map[string][]*tracepb.Span{}
	for _, s := range spans {
		byName[s.Name] = append(byName[s.Name], s)
	}
	one := func(name string) *tracepb.Span {
		t.Helper()
		if len(byName[name]) != 1 {
			t.Fatalf("%d %q spans, want 1 (got %v)", len(byName[name]), name, names(spans))
		}
		return byName[name][0]
	}
	hexID := func(b []byte) string { return hex.EncodeToString(b) }

	server := one("POST /v1/completions")
	if hexID(server.TraceId) != clientTrace || hexID(server.ParentSpanId) != clientSpan {
		t.Errorf("server span trace %x parent %x: want the client's %s / %s", server.TraceId, server.ParentSpanId, clientTrace, clientSpan)
	}
	if server.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("server span kind %v", server.Kind)
	}
	for key, want := range map[string]string{"hfserve.request_id": "trace-test-1", "gen_ai.request.model": builtin.Name,
		"http.route": "POST /v1/completions", "hfserve.cache.result": "miss"} {
		if got := spanAttr(server, key); got != want {
			t.Errorf("server span %s = %q, want %q", key, got, want)
		}
	}
	if v, _ := intAttr(server, "http.response.status_code"); v != 200 {
		t.Errorf("server span status code %d", v)
	}
	// The response names the server span, so the client can find it.
	if tp := rec.Header().Get("Traceparent"); tp != "00-"+clientTrace+"-"+hexID(server.SpanId)+"-01" {
		t.Errorf("response traceparent %q, want the server span %x", tp, server.SpanId)
	}

	lookup := one("hfserve.cache.lookup")
	gen := one("hfserve.generate")
	queue := one("hfserve.queue")
	for _, c := range []struct {
		child, parent *tracepb.Span
	}{{lookup, server}, {gen, server}, {queue, gen}} {
		if !bytes.Equal(c.child.ParentSpanId, c.parent.SpanId) || !bytes.Equal(c.child.TraceId, server.TraceId) {
			t.Errorf("%s: parent %x, want %s %x", c.child.Name, c.child.ParentSpanId, c.parent.Name, c.parent.SpanId)
		}
	}
	for _, s := range []*tracepb.Span{lookup, gen, queue} {
		if got := spanAttr(s, "hfserve.request_id"); got != "trace-test-1" {
			t.Errorf("%s: request id %q", s.Name, got)
		}
	}
	if v, _ := intAttr(gen, "gen_ai.usage.input_tokens"); v != int64(promptTok) {
		t.Errorf("generate span input tokens %d, usage %d", v, promptTok)
	}
	if v, _ := intAttr(gen, "gen_ai.usage.output_tokens"); v != int64(genTok) {
		t.Errorf("generate span output tokens %d, usage %d", v, genTok)
	}

	// One step per generated token (the prompt fits one step), each its
	// own trace linked to the generation.
	steps := byName["hfserve.batch_step"]
	if len(steps) != genTok {
		t.Fatalf("%d batch steps, want %d (one per token)", len(steps), genTok)
	}
	stepIDs := map[string]bool{}
	for _, st := range steps {
		stepIDs[hexID(st.SpanId)] = true
		if len(st.ParentSpanId) != 0 || bytes.Equal(st.TraceId, server.TraceId) {
			t.Errorf("batch step is not a root of its own trace (parent %x)", st.ParentSpanId)
		}
		if len(st.Links) != 1 || !bytes.Equal(st.Links[0].SpanId, gen.SpanId) || !bytes.Equal(st.Links[0].TraceId, gen.TraceId) {
			t.Errorf("batch step links %v, want the generate span", st.Links)
		}
		if v, _ := intAttr(st, "hfserve.batch.size"); v != 1 {
			t.Errorf("batch step size %d, want 1", v)
		}
	}
	for _, name := range []string{"hfserve.forward", "hfserve.sample"} {
		if len(byName[name]) != genTok {
			t.Errorf("%d %s spans, want %d", len(byName[name]), name, genTok)
		}
		for _, s := range byName[name] {
			if !stepIDs[hexID(s.ParentSpanId)] {
				t.Errorf("%s under %x, not under a batch step", name, s.ParentSpanId)
			}
		}
	}
	rcv.mu.Lock()
	service := rcv.service
	rcv.mu.Unlock()
	if service != "hfserve-test" {
		t.Errorf("service.name %q", service)
	}
}

func names(spans []*tracepb.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

// TestTraceSampling checks parent-based sampling at ratio 0: a request
// with no traceparent is not traced, one whose traceparent says sampled
// is, and one whose traceparent says not sampled is not.
func TestTraceSampling(t *testing.T) {
	rcv := newOTLPReceiver(t)
	o, tr := newTracedServer(t, rcv, 0)
	send := func(traceparent string) {
		h := http.Header{"Content-Type": {"application/json"}}
		if traceparent != "" {
			h.Set("Traceparent", traceparent)
		}
		// Each input differs, so no answer comes from the cache.
		body := `{"model":"embed","input":"hi ` + traceparent + `","encoding_format":"float"}`
		rec := serve(o.h, http.MethodPost, "/v1/embeddings", strings.NewReader(body), h)
		if rec.Code != http.StatusOK {
			t.Fatalf("embeddings: %d %s", rec.Code, rec.Body)
		}
	}
	send("")
	send("00-11111111111111111111111111111111-2222222222222222-00")
	send("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	rcv.await(t, tr, "hfserve.batch", 1)
	spans := rcv.received()
	if len(spans) == 0 {
		t.Fatal("the sampled request exported nothing")
	}
	for _, s := range spans {
		tid := hex.EncodeToString(s.TraceId)
		if s.Name == "hfserve.batch" || s.Name == "hfserve.forward" {
			continue // batch traces are their own roots
		}
		if tid != "0af7651916cd43dd8448eb211c80319c" {
			t.Errorf("span %s in trace %s: only the sampled request's trace should be exported", s.Name, tid)
		}
	}
	var embedSpans, batches int
	for _, s := range spans {
		switch s.Name {
		case "hfserve.embed":
			embedSpans++
		case "hfserve.batch":
			batches++
		}
	}
	if embedSpans != 1 || batches != 1 {
		t.Errorf("%d embed and %d batch spans, want 1 and 1: %v", embedSpans, batches, names(spans))
	}
}
