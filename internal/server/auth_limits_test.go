package server

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hfserve/internal/auth"
)

// TestAuthRateLimitRPM checks requests per minute: the x-ratelimit headers
// count down, the request over the limit is 429 in OpenAI's shape with
// Retry-After, and the bucket refills.
func TestAuthRateLimitRPM(t *testing.T) {
	e := newAuthEnv(t, nil).withProbes()
	_, secret := e.create(auth.KeySpec{Limits: auth.Limits{RPM: 2}})
	for i, remaining := range []string{"1", "0"} {
		rec := e.do("GET", "/v1/models", "", secret, "")
		if rec.Code != 200 {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
		h := rec.Header()
		if h.Get("X-Ratelimit-Limit-Requests") != "2" || h.Get("X-Ratelimit-Remaining-Requests") != remaining || h.Get("X-Ratelimit-Reset-Requests") == "" {
			t.Errorf("request %d: headers %v, want limit 2 remaining %s", i, h, remaining)
		}
		if h.Get("X-Ratelimit-Limit-Tokens") != "" {
			t.Errorf("request %d: token headers without a token limit: %v", i, h)
		}
	}
	rec := e.do("GET", "/v1/models", "", secret, "")
	errBody := checkError(t, rec, 429, "requests", "rate_limit_exceeded", "")
	if !strings.Contains(errBody.Message, "RPM") {
		t.Errorf("message %q", errBody.Message)
	}
	// One request refills in 30 s at 2 per minute.
	if got := rec.Header().Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After = %q, want 30", got)
	}
	if got := rec.Header().Get("X-Ratelimit-Remaining-Requests"); got != "0" {
		t.Errorf("remaining on the 429 = %q, want 0", got)
	}
	// The bootstrap admin key is never limited.
	for range 3 {
		if rec := e.do("GET", "/v1/models", "", testAdminKey, ""); rec.Code != 200 || rec.Header().Get("X-Ratelimit-Limit-Requests") != "" {
			t.Fatalf("admin key: %d %v", rec.Code, rec.Header())
		}
	}
	e.clock.Advance(30 * time.Second)
	if rec := e.do("GET", "/v1/models", "", secret, ""); rec.Code != 200 {
		t.Errorf("after refilling: %d", rec.Code)
	}
}

// TestAuthTokenLimits checks tokens per minute and the daily quota, both
// charged with the tokens the request used (from its telemetry record).
func TestAuthTokenLimits(t *testing.T) {
	tests := []struct {
		name              string
		limits            auth.Limits
		errType, code     string
		retryAfterSeconds string
	}{
		// 7 tokens used from a bucket of 5: the bucket is 2 below empty,
		// so one token takes 3 tokens' refill at 5 per minute = 36 s.
		{"tpm", auth.Limits{TPM: 5}, "tokens", "rate_limit_exceeded", "36"},
		// The day ends 12 hours after the fake clock's noon.
		{"daily quota", auth.Limits{DailyTokens: 5}, "insufficient_quota", "insufficient_quota", "43200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newAuthEnv(t, nil).withProbes()
			_, secret := e.create(auth.KeySpec{Limits: tt.limits})
			req := func() *httptest.ResponseRecorder {
				r := httptest.NewRequest("POST", "/v1/completions", strings.NewReader("{}"))
				r.Header.Set("Authorization", "Bearer "+secret)
				r.Header.Set("X-Test-Tokens", "7")
				r.Header.Set("X-Test-Model", "stories260k")
				rec := httptest.NewRecorder()
				e.handler.ServeHTTP(rec, r)
				return rec
			}
			if rec := req(); rec.Code != 200 {
				t.Fatalf("first request: %d %s", rec.Code, rec.Body)
			}
			rec := req()
			checkError(t, rec, 429, tt.errType, tt.code, "")
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfterSeconds {
				t.Errorf("Retry-After = %q, want %s", got, tt.retryAfterSeconds)
			}
		})
	}
}

// TestAuthDailyQuotaSurvivesRestart checks that a new limiter (a restart)
// starts the day's counter from the recorded usage.
func TestAuthDailyQuotaSurvivesRestart(t *testing.T) {
	e := newAuthEnv(t, nil).withProbes()
	k, secret := e.create(auth.KeySpec{Limits: auth.Limits{DailyTokens: 5}})
	// What an earlier process recorded today.
	e.usage.Record(k.ID, "stories260k", 4, 3, false)
	rec := e.do("GET", "/v1/models", "", secret, "")
	checkError(t, rec, 429, "insufficient_quota", "insufficient_quota", "")
}

// TestAuthConcurrencyLimit checks max_concurrent: a request beyond it is
// refused while the first runs, and admitted once it has finished.
func TestAuthConcurrencyLimit(t *testing.T) {
	e := newAuthEnv(t, nil)
	entered, release := make(chan struct{}), make(chan struct{})
	e.srv.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	_, secret := e.create(auth.KeySpec{Limits: auth.Limits{MaxConcurrent: 1}})
	var wg sync.WaitGroup
	var first *httptest.ResponseRecorder
	wg.Go(func() { first = e.do("GET", "/slow", "", secret, "") })
	<-entered
	rec := e.do("GET", "/v1/models", "", secret, "")
	body := checkError(t, rec, 429, "requests", "rate_limit_exceeded", "")
	if !strings.Contains(body.Message, "concurrent") {
		t.Errorf("message %q", body.Message)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	close(release)
	wg.Wait()
	if first.Code != http.StatusNoContent {
		t.Fatalf("first request: %d", first.Code)
	}
	if rec := e.do("GET", "/v1/models", "", secret, ""); rec.Code != 200 {
		t.Errorf("after the first finished: %d", rec.Code)
	}
}

// TestAuthConcurrencySlotFreedOnPanic checks that a handler panic (a 500)
// still gives the slot back.
func TestAuthConcurrencySlotFreedOnPanic(t *testing.T) {
	e := newAuthEnv(t, nil)
	e.srv.Handle("GET /panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	_, secret := e.create(auth.KeySpec{Limits: auth.Limits{MaxConcurrent: 1}})
	if rec := e.do("GET", "/panic", "", secret, ""); rec.Code != 500 {
		t.Fatalf("panic: %d", rec.Code)
	}
	if rec := e.do("GET", "/v1/models", "", secret, ""); rec.Code != 200 {
		t.Errorf("after the panic: %d %s", rec.Code, rec.Body)
	}
}

// TestAuthUsageRecorded checks that inference requests count per key and
// model, failures as errors, and that other routes do not count.
func TestAuthUsageRecorded(t *testing.T) {
	e := newAuthEnv(t, nil).withProbes()
	k, secret := e.create(auth.KeySpec{})
	send := func(path string, fail bool) {
		r := httptest.NewRequest("POST", path, strings.NewReader("{}"))
		r.Header.Set("Authorization", "Bearer "+secret)
		r.Header.Set("X-Test-Tokens", "1")
		r.Header.Set("X-Test-Model", "stories260k")
		if fail {
			r.Header.Set("X-Test-Fail", "1")
		}
		e.handler.ServeHTTP(httptest.NewRecorder(), r)
	}
	send("/v1/completions", false)
	send("/generate", true)
	send("/embed", false)
	send("/tokenize", false) // not inference work
	e.do("GET", "/v1/models", "", secret, "")
	got, err := e.usage.Usage(t.Context(), auth.UsageFilter{KeyID: k.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := auth.UsageRecord{Day: "2026-03-14", KeyID: k.ID, Model: "stories260k", Requests: 3, PromptTokens: 12, GeneratedTokens: 9, Errors: 1}
	if len(got) != 1 || got[0] != want {
		t.Errorf("usage = %+v, want [%+v]", got, want)
	}
}

// TestAuthStreamCounted checks a real streamed generation through a key:
// the stream reaches the client whole, and its tokens are counted once it
// has ended.
func TestAuthStreamCounted(t *testing.T) {
	svc := newTestService(t, storiesEntry(t))
	e := newAuthEnv(t, func(o *Options) { o.Catalog = svc.Catalog() })
	e.srv.HandleInference(svc)
	k, secret := e.create(auth.KeySpec{Limits: auth.Limits{MaxConcurrent: 1}})
	rec := e.do("POST", "/v1/completions", `{"model":"stories260k","prompt":"Once","max_tokens":5,"stream":true,
		"stream_options":{"include_usage":true}}`, secret, "")
	if rec.Code != 200 || !strings.HasSuffix(strings.TrimSpace(rec.Body.String()), "data: [DONE]") {
		t.Fatalf("stream: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("X-Ratelimit-Limit-Requests") != "" {
		t.Errorf("rate limit headers without a per-minute limit: %v", rec.Header())
	}
	got, err := e.usage.Usage(t.Context(), auth.UsageFilter{KeyID: k.ID})
	if err != nil {
		t.Fatal(err)
	}
	// What the stream's own usage chunk reported (sampling may stop early).
	m := regexp.MustCompile(`"prompt_tokens":(\d+),"completion_tokens":(\d+)`).FindAllStringSubmatch(rec.Body.String(), -1)
	if len(m) == 0 {
		t.Fatalf("no usage chunk in the stream: %s", rec.Body)
	}
	want := auth.UsageRecord{Day: "2026-03-14", KeyID: k.ID, Model: "stories260k", Requests: 1}
	want.PromptTokens, _ = strconv.ParseInt(m[len(m)-1][1], 10, 64)
	want.GeneratedTokens, _ = strconv.ParseInt(m[len(m)-1][2], 10, 64)
	if len(got) != 1 || got[0] != want || want.GeneratedTokens == 0 {
		t.Errorf("usage of the stream: %+v, want [%+v]", got, want)
	}
	// The slot came back when the stream ended.
	if rec := e.do("GET", "/v1/models", "", secret, ""); rec.Code != 200 {
		t.Errorf("after the stream: %d", rec.Code)
	}
}
