package main

// End-to-end tests of the response cache (issue 7): the real binary with
// the in-memory backend, and two server processes sharing one real
// redis-server, which the test also stops and restarts.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"hfserve/internal/respcache/redistest"
)

// cacheAnswer is one response as the cache tests look at it.
type cacheAnswer struct {
	status int
	xcache string
	body   string
}

// postCache posts body with extra headers (name, value pairs).
func postCache(t *testing.T, url string, body any, headers ...string) cacheAnswer {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return cacheAnswer{status: resp.StatusCode, xcache: resp.Header.Get("X-Cache"), body: string(raw)}
}

// expectCache posts body and checks for a 200 with the given X-Cache.
func expectCache(t *testing.T, url string, body any, xcache string, headers ...string) cacheAnswer {
	t.Helper()
	a := postCache(t, url, body, headers...)
	if a.status != http.StatusOK || a.xcache != xcache {
		t.Fatalf("POST %s: status %d, X-Cache %q; want 200 and %q\n%s", url, a.status, a.xcache, xcache, a.body)
	}
	return a
}

// withoutIDs drops what differs between two answers to one request (ids,
// creation times) from a JSON body, or from each event of a stream.
func withoutIDs(t *testing.T, body string) any {
	t.Helper()
	strip := func(s string) any {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return s // [DONE]
		}
		if m, ok := v.(map[string]any); ok {
			delete(m, "id")
			delete(m, "created")
		}
		return v
	}
	if !strings.HasPrefix(body, "data:") {
		return strip(body)
	}
	var events []any
	for _, line := range strings.Split(body, "\n") {
		if d, ok := strings.CutPrefix(line, "data:"); ok {
			events = append(events, strip(strings.TrimSpace(d)))
		}
	}
	return events
}

func cacheStats(t *testing.T, p *serverProcess) map[string]any {
	t.Helper()
	var s map[string]any
	getJSON(t, p.baseURL+"/admin/cache", http.StatusOK, &s)
	return s
}

func adminPost(t *testing.T, url string, wantStatus int) {
	t.Helper()
	resp, err := http.Post(url, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != wantStatus {
		t.Fatalf("POST %s: status %d, want %d: %s", url, resp.StatusCode, wantStatus, body)
	}
}

var storyRequest = map[string]any{"model": "stories260k", "prompt": "Once upon a time", "max_tokens": 12, "temperature": 0}

func TestE2ECacheMemory(t *testing.T) {
	p := startServer(t, nil, "--model", "builtin")
	url := p.baseURL + "/v1/completions"

	miss := expectCache(t, url, storyRequest, "miss")
	hit := expectCache(t, url, storyRequest, "hit")
	if !reflect.DeepEqual(withoutIDs(t, hit.body), withoutIDs(t, miss.body)) {
		t.Fatalf("cached answer %s differs from %s", hit.body, miss.body)
	}
	expectCache(t, url, storyRequest, "miss", "Cache-Control", "no-cache")
	expectCache(t, url, storyRequest, "hit", "Cache-Control", "no-store")
	expectCache(t, url, storyRequest, "bypass", "Cache-Control", "no-cache, no-store")
	sampled := map[string]any{"model": "stories260k", "prompt": "Once upon a time", "max_tokens": 12}
	expectCache(t, url, sampled, "bypass")
	fresh := map[string]any{"model": "stories260k", "prompt": "The dog", "max_tokens": 6, "temperature": 0}
	expectCache(t, url, fresh, "miss", "Cache-Control", "no-store")
	expectCache(t, url, fresh, "miss")

	// A stream computed afresh, the same stream from the cache, and the
	// stream of an entry made by a plain request: all equal.
	stream := map[string]any{"model": "stories260k", "prompt": "One day", "max_tokens": 10, "temperature": 0, "stream": true}
	computed := expectCache(t, url, stream, "miss")
	replayed := expectCache(t, url, stream, "hit")
	if !reflect.DeepEqual(withoutIDs(t, replayed.body), withoutIDs(t, computed.body)) {
		t.Fatalf("replayed stream\n%s\ndiffers from the computed one\n%s", replayed.body, computed.body)
	}
	plain := map[string]any{"model": "stories260k", "prompt": "One day", "max_tokens": 10, "temperature": 0}
	expectCache(t, url, plain, "hit")

	// Invalidation: the admin route, and an operator's unload.
	adminPost(t, p.baseURL+"/admin/cache/invalidate/stories260k", http.StatusOK)
	expectCache(t, url, storyRequest, "miss")
	expectCache(t, url, storyRequest, "hit")
	adminPost(t, p.baseURL+"/admin/models/stories260k/unload", http.StatusOK)
	expectCache(t, url, storyRequest, "miss")
	adminPost(t, p.baseURL+"/admin/cache/flush", http.StatusOK)
	expectCache(t, url, storyRequest, "miss")
	adminPost(t, p.baseURL+"/admin/cache/invalidate/no-such-model", http.StatusNotFound)

	s := cacheStats(t, p)
	if s["backend"] != "memory" || s["hits"].(float64) < 4 || s["invalidations"].(float64) != 2 || s["flushes"].(float64) != 1 {
		t.Fatalf("stats %v", s)
	}
	p.stop(t)
}

// TestE2ECacheRedisShared: two servers share one Redis: an answer computed
// by one is a hit on the other, an invalidation on one reaches both, and
// Redis going away costs hits, never requests.
func TestE2ECacheRedisShared(t *testing.T) {
	rs := redistest.Start(t)
	args := []string{"--model", "builtin", "--cache-backend", "redis", "--redis-url", rs.URL()}
	one := startServer(t, nil, args...)
	two := startServer(t, nil, args...)

	first := expectCache(t, one.baseURL+"/v1/completions", storyRequest, "miss")
	second := expectCache(t, two.baseURL+"/v1/completions", storyRequest, "hit")
	if !reflect.DeepEqual(withoutIDs(t, second.body), withoutIDs(t, first.body)) {
		t.Fatalf("the other server's cached answer %s differs from %s", second.body, first.body)
	}
	// The streamed form, from the entry the first server stored.
	stream := map[string]any{"model": "stories260k", "prompt": "Once upon a time", "max_tokens": 12, "temperature": 0, "stream": true}
	expectCache(t, two.baseURL+"/v1/completions", stream, "hit")
	tgi := map[string]any{"inputs": "Once upon a time", "parameters": map[string]any{"max_new_tokens": 8}}
	expectCache(t, two.baseURL+"/generate", tgi, "miss")
	expectCache(t, one.baseURL+"/generate_stream", tgi, "hit")

	adminPost(t, two.baseURL+"/admin/cache/invalidate/stories260k", http.StatusOK)
	expectCache(t, one.baseURL+"/v1/completions", storyRequest, "miss")
	expectCache(t, two.baseURL+"/v1/completions", storyRequest, "hit")

	// Redis gone: requests still succeed, as misses, and the errors show.
	rs.Stop()
	for range 5 {
		expectCache(t, one.baseURL+"/v1/completions", storyRequest, "miss")
	}
	s := cacheStats(t, one)
	if s["backend"] != "redis" || s["backend_errors"].(float64) < 1 || s["breaker"] != "open" {
		t.Fatalf("stats with Redis down: %v", s)
	}
	adminPost(t, one.baseURL+"/admin/cache/flush", http.StatusServiceUnavailable)

	// Redis back (empty): once the breaker's backoff has passed the cache
	// works again.
	rs.Restart()
	deadline := time.Now().Add(30 * time.Second)
	for {
		a := postCache(t, one.baseURL+"/v1/completions", storyRequest)
		if a.status != http.StatusOK {
			t.Fatalf("status %d after Redis came back: %s", a.status, a.body)
		}
		if a.xcache == "hit" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cache did not resume after Redis came back: %v", cacheStats(t, one))
		}
		time.Sleep(100 * time.Millisecond)
	}
	expectCache(t, two.baseURL+"/v1/completions", storyRequest, "hit")
	if s := cacheStats(t, one); s["breaker"] != "closed" {
		t.Fatalf("breaker %v after recovery", s["breaker"])
	}
	one.stop(t)
	two.stop(t)
}
