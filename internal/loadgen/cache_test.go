package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestCacheControlAndXCache: the configured Cache-Control reaches the
// server, and the report counts answers by their X-Cache.
func TestCacheControlAndXCache(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if got := r.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("Cache-Control %q, want no-cache", got)
		}
		if n%3 == 0 {
			w.Header().Set("X-Cache", "hit")
		} else {
			w.Header().Set("X-Cache", "miss")
		}
		fmt.Fprint(w, `{"usage":{"prompt_tokens":2,"completion_tokens":3}}`)
	}))
	defer srv.Close()
	rep, err := Run(context.Background(), Config{BaseURL: srv.URL, Endpoint: EndpointCompletions, Model: "m",
		Concurrency: 1, Requests: 6, PromptWords: 2, MaxTokens: 3, SamePrompt: true, CacheControl: "no-cache"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cache["hit"] != 2 || rep.Cache["miss"] != 4 || rep.Errors != 0 {
		t.Fatalf("report cache %v, errors %d; want 2 hits and 4 misses", rep.Cache, rep.Errors)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil || !strings.Contains(b.String(), "cache           hit=2 miss=4") {
		t.Fatalf("text report %q, %v", b.String(), err)
	}
}
