package server

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"hfserve/internal/respcache"
	"hfserve/internal/serving"
)

// cachedServer serves the inference and cache admin routes with an
// in-memory response cache.
type cachedServer struct {
	h     http.Handler
	svc   *serving.Service
	cache *respcache.Cache
}

func newCachedServer(t *testing.T, entries ...serving.Entry) *cachedServer {
	t.Helper()
	cat, err := serving.NewCatalog(entries)
	if err != nil {
		t.Fatal(err)
	}
	m, err := serving.NewManager(serving.ManagerOptions{Catalog: cat, Load: serving.RuntimeLoader(nil), KeepAlive: -1})
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
	svc := serving.NewService(m)
	s, err := New(Options{Version: "test", Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	s.HandleInference(svc, WithResponseCache(c))
	s.HandleAdminCache(c)
	return &cachedServer{h: s.Handler(), svc: svc, cache: c}
}

// send posts body with headers (name, value pairs).
func (cs *cachedServer) send(t *testing.T, path string, body any, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Add(headers[i], headers[i+1])
	}
	return serve(cs.h, http.MethodPost, path, strings.NewReader(string(raw)), h)
}

// expect posts body and checks the status and X-Cache.
func (cs *cachedServer) expect(t *testing.T, path string, body any, xcache string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	rec := cs.send(t, path, body, headers...)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST %s: status %d: %s", path, rec.Code, rec.Body)
	}
	if got := rec.Header().Get("X-Cache"); got != xcache {
		t.Fatalf("POST %s %v: X-Cache %q, want %q", path, body, got, xcache)
	}
	return rec
}

// unloadAll unloads every model, so that a hit that needed the model
// would have to load it again.
func (cs *cachedServer) unloadAll(t *testing.T) {
	t.Helper()
	for _, e := range cs.svc.Catalog().Entries() {
		if err := cs.svc.Manager().Unload(context.Background(), e.Name); err != nil {
			t.Fatal(err)
		}
	}
}

// loaded lists the resident models.
func (cs *cachedServer) loaded() []string {
	var out []string
	for _, st := range cs.svc.Manager().Status() {
		if st.State == serving.StateLoaded || st.State == serving.StateLoading {
			out = append(out, st.Name)
		}
	}
	return out
}

// normalized decodes a JSON answer with the per-response fields (id,
// created) removed, so that a cached answer compares equal to a fresh one.
func normalized(t *testing.T, raw string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "id")
		delete(m, "created")
	}
	return v
}

// normalizedStream is normalized over a stream's events, put in choice
// order: with n > 1 the choices' events interleave as the scheduler runs
// them, so only each choice's own sequence is reproducible.
func normalizedStream(t *testing.T, body, prefix string) []any {
	t.Helper()
	var out []any
	for _, ev := range sseEvents(t, body, prefix) {
		if ev == "[DONE]" {
			out = append(out, ev)
			continue
		}
		out = append(out, normalized(t, ev))
	}
	choice := func(ev any) float64 {
		m, _ := ev.(map[string]any)
		choices, _ := m["choices"].([]any)
		if len(choices) != 1 {
			return math.Inf(1) // usage, [DONE], TGI events: keep their place at the end
		}
		c, _ := choices[0].(map[string]any)
		i, _ := c["index"].(float64)
		return i
	}
	sort.SliceStable(out, func(i, j int) bool { return choice(out[i]) < choice(out[j]) })
	return out
}

type cacheCase struct {
	name string
	path string
	body map[string]any
}

func generationCases(t *testing.T) []cacheCase {
	g := readGolden[decoderGolden](t, "llama")
	return []cacheCase{
		{"chat", "/v1/chat/completions", map[string]any{"model": "chat", "messages": g.Chat.Messages, "max_tokens": 6,
			"temperature": 0, "n": 2, "logprobs": true, "top_logprobs": 2}},
		{"chat seeded", "/v1/chat/completions", map[string]any{"model": "chat", "messages": g.Chat.Messages, "max_tokens": 6,
			"temperature": 0.9, "seed": 42}},
		{"completions", "/v1/completions", map[string]any{"prompt": []string{"Once upon", "The cat"}, "max_tokens": 5,
			"temperature": 0, "echo": true, "logprobs": 2}},
		{"completions token prompt", "/v1/completions", map[string]any{"prompt": []int{1, 400, 500}, "max_tokens": 4,
			"temperature": 0, "echo": true}},
		{"tgi", "/generate", map[string]any{"inputs": "Once upon a time", "parameters": map[string]any{"max_new_tokens": 5,
			"details": true, "decoder_input_details": true, "top_n_tokens": 2, "truncate": 3}}},
	}
}

func encoderCases(t *testing.T) []cacheCase {
	return []cacheCase{
		{"embeddings", "/v1/embeddings", map[string]any{"model": "embed", "input": []string{"hello world", "a cat"}}},
		{"tei embed", "/embed", map[string]any{"model": "embed", "inputs": []string{"hello world"}, "normalize": false}},
		{"tei rerank", "/rerank", map[string]any{"model": "rerank", "query": "cats", "texts": []string{"a cat", "a car"}, "return_text": true}},
		{"tei predict", "/predict", map[string]any{"model": "cls", "inputs": [][]string{{"good"}, {"a", "b"}, {"bad"}}}},
	}
}

// TestCacheHitEqualsMiss: for every cacheable route, the second identical
// request is a hit whose answer equals the computed one, and it does not
// need the model (every model is unloaded in between and stays so).
func TestCacheHitEqualsMiss(t *testing.T) {
	cs := newCachedServer(t, inferenceModels(t)...)
	for _, c := range append(generationCases(t), encoderCases(t)...) {
		t.Run(c.name, func(t *testing.T) {
			miss := cs.expect(t, c.path, c.body, "miss")
			cs.unloadAll(t)
			hit := cs.expect(t, c.path, c.body, "hit")
			if got, want := normalized(t, hit.Body.String()), normalized(t, miss.Body.String()); !reflect.DeepEqual(got, want) {
				t.Fatalf("cached answer differs:\n%s\nfresh:\n%s", hit.Body, miss.Body)
			}
			if l := cs.loaded(); len(l) != 0 {
				t.Fatalf("a hit loaded %v", l)
			}
		})
	}
	s := cs.cache.Stats()
	if n := uint64(len(generationCases(t)) + len(encoderCases(t))); s.Hits != n || s.Misses != n || s.Stores != n {
		t.Fatalf("stats %+v, want %d hits, misses and stores", s, n)
	}
}

// TestCacheEmbeddingFormats: the float and base64 forms of one request
// share an entry (the cache keeps the vectors).
func TestCacheEmbeddingFormats(t *testing.T) {
	cs := newCachedServer(t, inferenceModels(t)...)
	body := map[string]any{"model": "embed", "input": "hello world"}
	fresh := map[string]any{"model": "embed", "input": "hello world", "encoding_format": "base64"}
	want := cs.expect(t, "/v1/embeddings", fresh, "miss", "Cache-Control", "no-store")
	cs.expect(t, "/v1/embeddings", body, "miss")
	got := cs.expect(t, "/v1/embeddings", fresh, "hit")
	if !reflect.DeepEqual(normalized(t, got.Body.String()), normalized(t, want.Body.String())) {
		t.Fatalf("base64 from the cache:\n%s\nfresh:\n%s", got.Body, want.Body)
	}
}

// streamCases are the streamed generations, with the plain form of each.
func streamCases(t *testing.T) []struct {
	cacheCase
	stream map[string]any
	prefix string
} {
	g := readGolden[decoderGolden](t, "llama")
	with := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	chat := map[string]any{"model": "chat", "messages": g.Chat.Messages, "max_tokens": 6, "temperature": 0, "n": 2, "logprobs": true}
	cmpl := map[string]any{"prompt": []string{"Once upon", "The cat"}, "max_tokens": 5, "temperature": 0, "echo": true, "logprobs": 1}
	tgi := map[string]any{"inputs": "Once upon a time", "parameters": map[string]any{"max_new_tokens": 6, "top_n_tokens": 2}}
	tgiDetails := map[string]any{"inputs": "Once upon a time", "parameters": map[string]any{"max_new_tokens": 6, "top_n_tokens": 2, "details": true}}
	return []struct {
		cacheCase
		stream map[string]any
		prefix string
	}{
		{cacheCase{"chat", "/v1/chat/completions", chat}, with(chat, "stream", true, "stream_options", map[string]any{"include_usage": true}), "data: "},
		{cacheCase{"completions", "/v1/completions", cmpl}, with(cmpl, "stream", true), "data: "},
		{cacheCase{"tgi", "/generate", tgi}, tgi, "data:"},
		{cacheCase{"tgi details", "/generate", tgiDetails}, tgiDetails, "data:"},
	}
}

func streamPath(path string) string {
	if path == "/generate" {
		return "/generate_stream"
	}
	return path
}

// TestCachedStreamEqualsStream: a stream served from the cache equals the
// stream computed without it, whether the entry came from a stream or
// from the plain request; and a plain request served from a streamed
// entry equals the plain answer.
func TestCachedStreamEqualsStream(t *testing.T) {
	for _, c := range streamCases(t) {
		t.Run(c.name, func(t *testing.T) {
			sp := streamPath(c.path)
			// Server one: stream first (computed), then again (cached),
			// then plain (from the streamed entry).
			one := newCachedServer(t, inferenceModels(t)...)
			fresh := one.expect(t, sp, c.stream, "miss")
			replayed := one.expect(t, sp, c.stream, "hit")
			want := normalizedStream(t, fresh.Body.String(), c.prefix)
			if got := normalizedStream(t, replayed.Body.String(), c.prefix); !reflect.DeepEqual(got, want) {
				t.Fatalf("replayed stream:\n%s\nfresh:\n%s", replayed.Body, fresh.Body)
			}
			plainFromStream := one.expect(t, c.path, c.body, "hit")
			// Server two: plain first, then the stream from its entry.
			// These compare answers of two computations, whose logprobs
			// may differ in the last bits (batching changes the order of
			// float sums): they must agree to the goldens' tolerance.
			two := newCachedServer(t, inferenceModels(t)...)
			plain := two.expect(t, c.path, c.body, "miss")
			if !approxEqual(normalized(t, plainFromStream.Body.String()), normalized(t, plain.Body.String())) {
				t.Fatalf("plain answer from a streamed entry:\n%s\nfresh:\n%s", plainFromStream.Body, plain.Body)
			}
			two.unloadAll(t)
			fromPlain := two.expect(t, sp, c.stream, "hit")
			if got := normalizedStream(t, fromPlain.Body.String(), c.prefix); !approxEqual(got, want) {
				t.Fatalf("stream from a plain entry:\n%s\nfresh stream:\n%s", fromPlain.Body, fresh.Body)
			}
			if l := two.loaded(); len(l) != 0 {
				t.Fatalf("replaying a stream loaded %v", l)
			}
		})
	}
}

// TestCacheControl: what a request's Cache-Control and sampling let the
// cache do, step by step on one key.
func TestCacheControl(t *testing.T) {
	cs := newCachedServer(t, inferenceModels(t)...)
	greedy := map[string]any{"prompt": "Once upon a time", "max_tokens": 4, "temperature": 0}
	sampled := map[string]any{"prompt": "Once upon a time", "max_tokens": 4, "temperature": 0.8}
	steps := []struct {
		body    map[string]any
		control string
		want    string
	}{
		{sampled, "", "bypass"},
		{sampled, "", "bypass"},
		{greedy, "no-store", "miss"},
		{greedy, "", "miss"}, // no-store stored nothing
		{greedy, "", "hit"},
		{greedy, "no-store", "hit"},
		{greedy, "no-cache", "miss"},
		{greedy, "No-Cache, no-store", "bypass"},
		{greedy, "max-age=0, no-cache", "miss"},
		{greedy, "", "hit"},
	}
	for i, s := range steps {
		var headers []string
		if s.control != "" {
			headers = []string{"Cache-Control", s.control}
		}
		rec := cs.send(t, "/v1/completions", s.body, headers...)
		if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != s.want {
			t.Fatalf("step %d (%v, %q): status %d, X-Cache %q, want %q", i, s.body, s.control, rec.Code, rec.Header().Get("X-Cache"), s.want)
		}
	}
	// A request rejected before the cache is asked says nothing of it.
	rec := cs.send(t, "/v1/completions", map[string]any{"prompt": "x", "temperature": 7})
	if rec.Code != http.StatusBadRequest || rec.Header().Get("X-Cache") != "" {
		t.Fatalf("bad request: status %d, X-Cache %q", rec.Code, rec.Header().Get("X-Cache"))
	}
	// Without a cache there is no header at all.
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	if rec := post(h, "/v1/completions", greedy); rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "" {
		t.Fatalf("no cache: status %d, X-Cache %q", rec.Code, rec.Header().Get("X-Cache"))
	}
}

// TestCacheAdminRoutes: stats, per-model invalidation and flush.
func TestCacheAdminRoutes(t *testing.T) {
	cs := newCachedServer(t, inferenceModels(t)...)
	story := map[string]any{"prompt": "Once", "max_tokens": 3, "temperature": 0}
	embed := map[string]any{"model": "embed", "input": "hello"}
	cs.expect(t, "/v1/completions", story, "miss")
	cs.expect(t, "/v1/embeddings", embed, "miss")

	var st respcache.Stats
	if rec := serve(cs.h, http.MethodGet, "/admin/cache", nil, nil); rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &st) != nil {
		t.Fatalf("GET /admin/cache: %d %s", rec.Code, rec.Body)
	}
	if st.Backend != "memory" || st.Entries != 2 || st.Misses != 2 || st.Bytes <= 0 {
		t.Fatalf("stats %+v", st)
	}

	if rec := serve(cs.h, http.MethodPost, "/admin/cache/invalidate/embed", nil, nil); rec.Code != http.StatusOK {
		t.Fatalf("invalidate: %d %s", rec.Code, rec.Body)
	}
	cs.expect(t, "/v1/completions", story, "hit")
	cs.expect(t, "/v1/embeddings", embed, "miss")
	checkError(t, serve(cs.h, http.MethodPost, "/admin/cache/invalidate/nope", nil, nil), http.StatusNotFound, "invalid_request_error", "model_not_found", "model")

	if rec := serve(cs.h, http.MethodPost, "/admin/cache/flush", nil, nil); rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &st) != nil {
		t.Fatalf("flush: %d %s", rec.Code, rec.Body)
	}
	if st.Entries != 0 || st.Flushes != 1 || st.Invalidations != 1 {
		t.Fatalf("stats after flush %+v", st)
	}
	cs.expect(t, "/v1/completions", story, "miss")
}

// TestCacheSingleFlightOverHTTP: identical requests sent together run the
// model once; the others share its answer.
func TestCacheSingleFlightOverHTTP(t *testing.T) {
	cs := newCachedServer(t, inferenceModels(t)...)
	body := map[string]any{"prompt": "Once upon a time", "max_tokens": 24, "temperature": 0, "ignore_eos": true}
	const n = 6
	recs := make(chan *httptest.ResponseRecorder, n)
	for range n {
		go func() { recs <- cs.send(t, "/v1/completions", body) }()
	}
	var first any
	for range n {
		rec := <-recs
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		got := normalized(t, rec.Body.String())
		if first == nil {
			first = got
		} else if !reflect.DeepEqual(got, first) {
			t.Fatalf("answers differ: %v vs %v", got, first)
		}
	}
	if s := cs.cache.Stats(); s.Misses != 1 || s.Hits != n-1 {
		t.Fatalf("stats %+v: want the model run once", s)
	}
}

// FuzzDecodeRecord: entries come from outside (a shared Redis); whatever
// they hold, decoding returns an error or a record, never a panic.
func FuzzDecodeRecord(f *testing.F) {
	rec := &cacheRecord{Gens: []serving.GenerateResult{{Model: "m", PromptTokens: 3}}, Echo: []string{"x"},
		Pieces: map[int32]tokenPiece{1: {Text: "a", Special: true}}}
	good, err := encodeRecord(rec)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{})
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeRecord(data)
	})
}

// approxEqual compares decoded JSON values, numbers within the goldens'
// tolerance.
func approxEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && near(x, y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !approxEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !approxEqual(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
