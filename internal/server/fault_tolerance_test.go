package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hfserve/api"
	"hfserve/internal/breaker"
	"hfserve/internal/config"
	"hfserve/internal/models"
	"hfserve/internal/serving"
)

// Fault tolerance over HTTP: open breakers and timeouts in each API's
// error shape, the breaker admin routes, and graceful shutdown with a real
// generation streaming. The faults are real: weights cut short, and a
// test-only decorator that slows a loaded model's forward passes.

// brokenEntry is a copy of a tiny fixture whose weights file is cut short.
func brokenEntry(t *testing.T, name, fixture string) serving.Entry {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("../../testdata/models/tiny", fixture))); err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(dir, "model.safetensors")
	fi, err := os.Stat(weights)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(weights, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	return fixtureEntry(t, name, dir, config.ModelSpec{})
}

// slowDecoder makes each forward pass take at least delay (or until its
// context ends): a test-only fault around a real loaded model.
type slowDecoder struct {
	models.Decoder
	delay time.Duration
}

func (d *slowDecoder) Forward(ctx context.Context, b *models.Batch) ([]float32, error) {
	t := time.NewTimer(d.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return d.Decoder.Forward(ctx, b)
}

// slowLoader loads runtimes unbatched (so each request calls the model
// itself) and slows their decoders.
func slowLoader(delay time.Duration) serving.LoadFunc {
	return func(ctx context.Context, e serving.Entry) (models.Model, error) {
		rt, err := serving.LoadRuntime(ctx, e, models.LoadOptions{}, serving.Batching{})
		if err != nil {
			return nil, err
		}
		if dec := rt.Decoder(); dec != nil {
			rt.Model = &slowDecoder{Decoder: dec, delay: delay}
		}
		return rt, nil
	}
}

// guardedServer serves the inference and breaker admin routes over a real
// Manager and a Service with sopts.
func guardedServer(t *testing.T, opts Options, sopts serving.ServiceOptions, load serving.LoadFunc, entries ...serving.Entry) (*Server, *serving.Manager) {
	t.Helper()
	cat, err := serving.NewCatalog(entries)
	if err != nil {
		t.Fatal(err)
	}
	if load == nil {
		load = serving.RuntimeLoader(nil)
	}
	m, err := serving.NewManager(serving.ManagerOptions{Catalog: cat, Load: load, KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	svc, err := serving.NewServiceWith(m, sopts)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestServer(t, opts)
	s.HandleInference(svc)
	s.HandleAdminBreakers(svc)
	return s, m
}

// TestBreakerOpenInEveryShape: corrupt models fail their first request
// (500-class, the load's error); with a threshold of one that opens their
// breakers, and every API then answers 503 with Retry-After in its own
// shape; the admin routes report and reset the breakers.
func TestBreakerOpenInEveryShape(t *testing.T) {
	s, _ := guardedServer(t, Options{}, serving.ServiceOptions{Breaker: &breaker.Settings{FailureThreshold: 1, OpenTimeout: 42 * time.Second}}, nil,
		storiesEntry(t), brokenEntry(t, "broken", "llama"), brokenEntry(t, "broken-embed", "bert"))
	h := s.Handler()
	completion := map[string]any{"model": "broken", "prompt": "hi", "max_tokens": 2}

	checkError(t, post(h, "/v1/completions", completion), 500, api.ErrTypeServer, "model_load_failed", "")
	checkHFError(t, post(h, "/embed", map[string]any{"model": "broken-embed", "inputs": "hi"}), 424, api.TEIErrorBackend)

	tests := []struct {
		name  string
		path  string
		body  any
		check func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		{"OpenAI completions", "/v1/completions", completion, func(t *testing.T, rec *httptest.ResponseRecorder) {
			e := checkError(t, rec, 503, api.ErrTypeServiceUnavailable, "circuit_open", "")
			if !strings.Contains(e.Message, "broken") {
				t.Errorf("message %q does not name the model", e.Message)
			}
		}},
		{"OpenAI chat", "/v1/chat/completions", map[string]any{"model": "broken", "messages": []map[string]string{{"role": "user", "content": "hi"}}}, func(t *testing.T, rec *httptest.ResponseRecorder) {
			checkError(t, rec, 503, api.ErrTypeServiceUnavailable, "circuit_open", "")
		}},
		{"TGI generate", "/generate", map[string]any{"model": "broken", "inputs": "hi", "parameters": map[string]any{"max_new_tokens": 2}}, func(t *testing.T, rec *httptest.ResponseRecorder) {
			checkHFError(t, rec, 503, api.TGIErrorUnhealthy)
		}},
		{"OpenAI embeddings", "/v1/embeddings", map[string]any{"model": "broken-embed", "input": "hi"}, func(t *testing.T, rec *httptest.ResponseRecorder) {
			checkError(t, rec, 503, api.ErrTypeServiceUnavailable, "circuit_open", "")
		}},
		{"TEI embed", "/embed", map[string]any{"model": "broken-embed", "inputs": "hi"}, func(t *testing.T, rec *httptest.ResponseRecorder) {
			checkHFError(t, rec, 503, api.TEIErrorUnhealthy)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(h, tt.path, tt.body)
			tt.check(t, rec)
			// 42 s from opening, rounded up; a slow machine may have used
			// a second of it.
			if ra := rec.Header().Get("Retry-After"); ra != "42" && ra != "41" {
				t.Errorf("Retry-After %q, want the breaker's 42 s", ra)
			}
		})
	}
	// The healthy model is untouched.
	if rec := post(h, "/v1/completions", map[string]any{"model": "stories260k", "prompt": "hi", "max_tokens": 2}); rec.Code != 200 {
		t.Fatalf("healthy model: %d %s", rec.Code, rec.Body)
	}

	var list AdminBreakerList
	rec := serve(h, http.MethodGet, "/admin/breakers", nil, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || rec.Code != 200 {
		t.Fatalf("GET /admin/breakers: %d %s", rec.Code, rec.Body)
	}
	states := map[string]AdminBreaker{}
	for _, b := range list.Data {
		states[b.Model] = b
	}
	if !list.Enabled || list.Object != api.ObjectList || len(list.Data) != 3 {
		t.Fatalf("list %+v", list)
	}
	for _, name := range []string{"broken", "broken-embed"} {
		b := states[name]
		if b.State != "open" || b.Failures != 1 || b.Opens != 1 || b.NextProbe == nil || b.LastTransition == nil || !strings.Contains(b.LastError, name) {
			t.Errorf("%s: %+v", name, b)
		}
	}
	if b := states["stories260k"]; b.State != "closed" || b.Failures != 0 || b.Successes != 1 || b.NextProbe != nil {
		t.Errorf("stories260k: %+v", b)
	}

	rec = serve(h, http.MethodPost, "/admin/breakers/broken/reset", nil, nil)
	var one AdminBreaker
	if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil || rec.Code != 200 || one.State != "closed" || one.Model != "broken" {
		t.Fatalf("reset: %d %s", rec.Code, rec.Body)
	}
	// The next request tries the load again, and fails as the model is
	// still broken.
	checkError(t, post(h, "/v1/completions", completion), 500, api.ErrTypeServer, "model_load_failed", "")
	rec = serve(h, http.MethodGet, "/admin/breakers/broken-embed", nil, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil || rec.Code != 200 || one.State != "open" {
		t.Fatalf("GET one breaker: %d %s", rec.Code, rec.Body)
	}
	for _, path := range []string{"/admin/breakers/nope/reset", "/admin/breakers/broken/explode", "/admin/breakers/reset"} {
		if rec := serve(h, http.MethodPost, path, nil, nil); rec.Code != 404 {
			t.Errorf("POST %s: %d, want 404", path, rec.Code)
		}
	}
	if rec := serve(h, http.MethodGet, "/admin/breakers/nope", nil, nil); rec.Code != 404 {
		t.Errorf("GET an unknown model's breaker: %d", rec.Code)
	}
}

// TestRequestTimeoutOverHTTP runs a model slowed to 30 ms a pass under a
// 200 ms request_timeout: the request ends at its deadline with 503 in the
// API's shape, and the timeouts count against the model's breaker.
func TestRequestTimeoutOverHTTP(t *testing.T) {
	s, _ := guardedServer(t, Options{RequestTimeout: 200 * time.Millisecond},
		serving.ServiceOptions{Breaker: &breaker.Settings{FailureThreshold: 2, OpenTimeout: time.Minute}},
		slowLoader(30*time.Millisecond), storiesEntry(t))
	h := s.Handler()
	start := time.Now()
	checkError(t, post(h, "/v1/completions", map[string]any{"model": "stories260k", "prompt": "Once", "max_tokens": 100, "ignore_eos": true}),
		503, api.ErrTypeServiceUnavailable, "timeout", "")
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("the request took %s under a 200ms deadline", took)
	}
	checkHFError(t, post(h, "/generate", map[string]any{"inputs": "Once", "parameters": map[string]any{"max_new_tokens": 100}}),
		503, api.TGIErrorUnhealthy)
	rec := post(h, "/v1/completions", map[string]any{"model": "stories260k", "prompt": "Once", "max_tokens": 1})
	checkError(t, rec, 503, api.ErrTypeServiceUnavailable, "circuit_open", "")
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After on the open breaker's answer")
	}
}

// streamCompletion starts a streamed completion against a running server
// and returns the SSE data lines as they arrive; the channel closes when
// the stream ends.
func streamCompletion(t *testing.T, addr string, maxTokens int) <-chan string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": "stories260k", "prompt": "Once", "max_tokens": maxTokens, "ignore_eos": true, "stream": true})
	resp, err := http.Post("http://"+addr+"/v1/completions", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	lines := make(chan string, maxTokens+8)
	go func() {
		defer close(lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				lines <- data
			}
		}
	}()
	return lines
}

// TestShutdownDrainsStreamingGeneration stops the server while a real
// generation streams: within shutdown_timeout the stream runs to its end
// ([DONE]) and Serve returns cleanly.
func TestShutdownDrainsStreamingGeneration(t *testing.T) {
	s, _ := guardedServer(t, Options{ShutdownTimeout: 20 * time.Second}, serving.ServiceOptions{}, slowLoader(10*time.Millisecond), storiesEntry(t))
	s.SetReady(true)
	srv := startServing(t, s)
	lines := streamCompletion(t, srv.addr, 20)
	<-lines // the generation is under way
	srv.stop()
	var chunks int
	var done bool
	for l := range lines {
		if l == "[DONE]" {
			done = true
			continue
		}
		chunks++
	}
	// 20 tokens, one chunk each, the first already read, plus the final
	// chunk with the finish reason.
	if !done || chunks < 19 {
		t.Fatalf("the drained stream ended after %d more chunks, [DONE] %v", chunks, done)
	}
	if returned, err := srv.result(10 * time.Second); !returned || err != nil {
		t.Fatalf("Serve returned %v, %v; want a clean shutdown", returned, err)
	}
}

// TestShutdownCutsStreamingGeneration stops the server while a long
// generation streams: at shutdown_timeout the stream is cut, Serve says
// so, and the generation itself stops (its model lease is given back).
func TestShutdownCutsStreamingGeneration(t *testing.T) {
	s, m := guardedServer(t, Options{ShutdownTimeout: 150 * time.Millisecond}, serving.ServiceOptions{}, slowLoader(20*time.Millisecond), storiesEntry(t))
	s.SetReady(true)
	srv := startServing(t, s)
	lines := streamCompletion(t, srv.addr, 200) // 4 s of work
	<-lines
	srv.stop()
	returned, err := srv.result(10 * time.Second)
	if !returned || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Serve returned %v, %v; want the shutdown deadline", returned, err)
	}
	for l := range lines {
		if l == "[DONE]" {
			t.Fatal("the cut stream claimed to be complete")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := m.Status()
		if st[0].InFlight == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cut generation still holds its model: %+v", st[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
