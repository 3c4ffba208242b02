package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"hfserve/api"
	"hfserve/internal/serving"
)

// The token limits are tested through the HTTP handlers against a second
// service on the same models without limits: that one's counts (the
// X-Prompt-Tokens header, usage) are the reference the limited one's
// errors must quote, and its generations the reference for clamping.

// limitedHandler serves svc's models (its Manager) with limits.
func limitedHandler(t *testing.T, svc *serving.Service, lim serving.TokenLimits) http.Handler {
	t.Helper()
	limited, err := serving.NewServiceWith(svc.Manager(), serving.ServiceOptions{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	s.HandleInference(limited)
	return s.Handler()
}

// promptTokensOf posts body to the unlimited handler and returns the
// prompt tokens it reports.
func promptTokensOf(t *testing.T, h http.Handler, path string, body any) int {
	t.Helper()
	rec := post(h, path, body)
	if rec.Code != http.StatusOK {
		t.Fatalf("reference %s: status %d: %s", path, rec.Code, rec.Body)
	}
	n, err := strconv.Atoi(rec.Header().Get(headerPromptTokens))
	if err != nil || n < 2 {
		t.Fatalf("reference %s: X-Prompt-Tokens %q", path, rec.Header().Get(headerPromptTokens))
	}
	return n
}

// limitErrorCheck asserts one API's answer to an input over the limit.
type limitErrorCheck func(t *testing.T, rec *httptest.ResponseRecorder, limit, count int)

// openAIInputLimit wants OpenAI's 400 context_length_exceeded naming param.
func openAIInputLimit(param string) limitErrorCheck {
	return func(t *testing.T, rec *httptest.ResponseRecorder, limit, count int) {
		t.Helper()
		e := checkError(t, rec, http.StatusBadRequest, api.ErrTypeInvalidRequest, "context_length_exceeded", param)
		if !strings.Contains(e.Message, fmt.Sprintf("maximum input length is %d tokens", limit)) ||
			!strings.Contains(e.Message, fmt.Sprintf(" %d tokens.", count)) {
			t.Errorf("message %q does not say limit %d and count %d", e.Message, limit, count)
		}
	}
}

// hfInputLimit wants TGI's (422) or TEI's (413) validation error in their
// wording.
func hfInputLimit(status int, errType string) limitErrorCheck {
	return func(t *testing.T, rec *httptest.ResponseRecorder, limit, count int) {
		t.Helper()
		e := checkHFError(t, rec, status, errType)
		if want := fmt.Sprintf("Input validation error: `inputs` must have less than %d tokens. Given: %d", limit, count); e.Error != want {
			t.Errorf("message %q, want %q", e.Error, want)
		}
	}
}

// TestMaxInputTokens: a prompt (or any one input) one token over
// max_input_tokens is refused in each API's shape, quoting the limit and
// the count; at the limit it is served; TEI's truncate cuts to the limit.
func TestMaxInputTokens(t *testing.T) {
	ref, svc := newInferenceServer(t, inferenceModels(t)...)
	const long = "Once upon a time there was a little girl who lived in a village near the forest"
	tests := []struct {
		name, path string
		body       map[string]any
		// refBody measures the input at fault when body holds several.
		refBody map[string]any
		check   limitErrorCheck
		// truncate is the body with TEI's truncate, which must be served
		// cut to the limit; nil where the API has none.
		truncate map[string]any
	}{
		{name: "completions", path: "/v1/completions", body: map[string]any{"prompt": long, "max_tokens": 1, "temperature": 0},
			check: openAIInputLimit("prompt")},
		{name: "completions stream", path: "/v1/completions", body: map[string]any{"prompt": long, "max_tokens": 1, "stream": true},
			refBody: map[string]any{"prompt": long, "max_tokens": 1}, check: openAIInputLimit("prompt")},
		{name: "chat", path: "/v1/chat/completions",
			body:  map[string]any{"model": "chat", "messages": []map[string]string{{"role": "user", "content": long}}, "max_tokens": 1},
			check: openAIInputLimit("messages")},
		{name: "embeddings, second input", path: "/v1/embeddings", body: map[string]any{"model": "embed", "input": []string{"hi", long}},
			refBody: map[string]any{"model": "embed", "input": []string{long}}, check: openAIInputLimit("input[1]")},
		{name: "TGI generate", path: "/generate", body: map[string]any{"inputs": long, "parameters": map[string]any{"max_new_tokens": 1}},
			check: hfInputLimit(http.StatusUnprocessableEntity, api.TGIErrorValidation)},
		{name: "TGI generate_stream", path: "/generate_stream", body: map[string]any{"inputs": long, "parameters": map[string]any{"max_new_tokens": 1}},
			check: hfInputLimit(http.StatusUnprocessableEntity, api.TGIErrorValidation)},
		{name: "TEI embed", path: "/embed", body: map[string]any{"model": "embed", "inputs": long},
			check:    hfInputLimit(http.StatusRequestEntityTooLarge, api.TEIErrorValidation),
			truncate: map[string]any{"model": "embed", "inputs": long, "truncate": true}},
		{name: "TEI predict", path: "/predict", body: map[string]any{"model": "cls", "inputs": long},
			check:    hfInputLimit(http.StatusRequestEntityTooLarge, api.TEIErrorValidation),
			truncate: map[string]any{"model": "cls", "inputs": long, "truncate": true, "truncation_direction": "Left"}},
		{name: "TEI rerank", path: "/rerank", body: map[string]any{"model": "rerank", "query": "who lived there?", "texts": []string{long}},
			check:    hfInputLimit(http.StatusRequestEntityTooLarge, api.TEIErrorValidation),
			truncate: map[string]any{"model": "rerank", "query": "who lived there?", "texts": []string{long}, "truncate": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refBody := tt.body
			if tt.refBody != nil {
				refBody = tt.refBody
			}
			count := promptTokensOf(t, ref, tt.path, refBody)

			over := limitedHandler(t, svc, serving.TokenLimits{MaxInput: count - 1})
			tt.check(t, post(over, tt.path, tt.body), count-1, count)
			if tt.truncate != nil {
				rec := post(over, tt.path, tt.truncate)
				if rec.Code != http.StatusOK {
					t.Fatalf("truncated: status %d: %s", rec.Code, rec.Body)
				}
				if got := rec.Header().Get(headerPromptTokens); got != strconv.Itoa(count-1) {
					t.Errorf("truncated: X-Prompt-Tokens %s, want the limit %d", got, count-1)
				}
			}

			at := limitedHandler(t, svc, serving.TokenLimits{MaxInput: count})
			if rec := post(at, tt.path, tt.body); rec.Code != http.StatusOK {
				t.Fatalf("at the limit: status %d: %s", rec.Code, rec.Body)
			}
		})
	}
}

// completionTokens reads an OpenAI answer's usage.completion_tokens.
func completionTokens(t *testing.T, rec *httptest.ResponseRecorder) int {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var resp struct {
		Usage api.Usage `json:"usage"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	return resp.Usage.CompletionTokens
}

// generatedTokens reads a TGI answer's details.generated_tokens.
func generatedTokens(t *testing.T, rec *httptest.ResponseRecorder) int {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var resp api.GenerateResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.Details == nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	return resp.Details.GeneratedTokens
}

// TestMaxOutputTokens: asking for more than max_output_tokens is refused
// (OpenAI: 400 invalid_value naming the field; TGI: 422), asking for the
// limit is served, and a request that asks for nothing (the API's default,
// or "as many as fit") gets at most the limit.
func TestMaxOutputTokens(t *testing.T) {
	const limit = 5
	ref, svc := newInferenceServer(t, inferenceModels(t)...)
	h := limitedHandler(t, svc, serving.TokenLimits{MaxOutput: limit})
	const prompt = "Once upon a time"
	chat := func(extra map[string]any) map[string]any {
		body := map[string]any{"model": "chat", "messages": []map[string]string{{"role": "user", "content": "Tell me a story"}}, "temperature": 0}
		for k, v := range extra {
			body[k] = v
		}
		return body
	}

	refused := []struct {
		name, path, param string
		body              map[string]any
	}{
		{"completions", "/v1/completions", "max_tokens", map[string]any{"prompt": prompt, "max_tokens": limit + 1}},
		{"completions stream", "/v1/completions", "max_tokens", map[string]any{"prompt": prompt, "max_tokens": limit + 1, "stream": true}},
		{"chat max_tokens", "/v1/chat/completions", "max_tokens", chat(map[string]any{"max_tokens": limit + 1})},
		{"chat max_completion_tokens", "/v1/chat/completions", "max_completion_tokens", chat(map[string]any{"max_completion_tokens": limit + 1, "max_tokens": 1})},
		{"chat stream", "/v1/chat/completions", "max_tokens", chat(map[string]any{"max_tokens": limit + 1, "stream": true})},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			e := checkError(t, post(h, tt.path, tt.body), http.StatusBadRequest, api.ErrTypeInvalidRequest, "invalid_value", tt.param)
			if want := fmt.Sprintf("%s is too large: %d. This server supports at most %d completion tokens", tt.param, limit+1, limit); !strings.HasPrefix(e.Message, want) {
				t.Errorf("message %q, want it to start %q", e.Message, want)
			}
		})
	}
	for _, path := range []string{"/generate", "/generate_stream"} {
		t.Run("refused/TGI "+path, func(t *testing.T) {
			e := checkHFError(t, post(h, path, map[string]any{"inputs": prompt, "parameters": map[string]any{"max_new_tokens": limit + 1}}),
				http.StatusUnprocessableEntity, api.TGIErrorValidation)
			if want := fmt.Sprintf("Input validation error: `max_new_tokens` must be <= %d. Given: %d", limit, limit+1); e.Error != want {
				t.Errorf("message %q, want %q", e.Error, want)
			}
		})
	}

	// The unlimited server, asked for one token more than the limit, must
	// generate all of them: then a capped generation that stops at the
	// limit was cut by it, not by an end-of-sequence token.
	t.Run("capped/completions default", func(t *testing.T) {
		if n := completionTokens(t, post(ref, "/v1/completions", map[string]any{"prompt": prompt, "max_tokens": limit + 1, "temperature": 0})); n != limit+1 {
			t.Skipf("the reference stops after %d tokens: nothing to cap", n)
		}
		if n := completionTokens(t, post(h, "/v1/completions", map[string]any{"prompt": prompt, "temperature": 0})); n != limit {
			t.Errorf("completion tokens %d without max_tokens, want the limit %d", n, limit)
		}
		if n := completionTokens(t, post(h, "/v1/completions", map[string]any{"prompt": prompt, "max_tokens": limit, "temperature": 0})); n != limit {
			t.Errorf("completion tokens %d at the limit, want %d", n, limit)
		}
	})
	t.Run("capped/chat as many as fit", func(t *testing.T) {
		if n := completionTokens(t, post(ref, "/v1/chat/completions", chat(map[string]any{"max_tokens": limit + 1}))); n != limit+1 {
			t.Skipf("the reference stops after %d tokens: nothing to cap", n)
		}
		if n := completionTokens(t, post(h, "/v1/chat/completions", chat(nil))); n != limit {
			t.Errorf("completion tokens %d without max_tokens, want the limit %d", n, limit)
		}
	})
	t.Run("capped/TGI", func(t *testing.T) {
		details := map[string]any{"details": true}
		if n := generatedTokens(t, post(ref, "/generate", map[string]any{"inputs": prompt, "parameters": map[string]any{"details": true, "max_new_tokens": limit + 1}})); n != limit+1 {
			t.Skipf("the reference stops after %d tokens: nothing to cap", n)
		}
		for name, params := range map[string]map[string]any{
			"default":  details,
			"null":     {"details": true, "max_new_tokens": nil},
			"at limit": {"details": true, "max_new_tokens": limit},
		} {
			if n := generatedTokens(t, post(h, "/generate", map[string]any{"inputs": prompt, "parameters": params})); n != limit {
				t.Errorf("%s: generated %d tokens, want the limit %d", name, n, limit)
			}
		}
	})
}

// TestTGIInfoReportsInputLimit: /info's max_input_tokens is the smaller of
// the model's and the configured limit.
func TestTGIInfoReportsInputLimit(t *testing.T) {
	ref, svc := newInferenceServer(t, storiesEntry(t))
	var unlimited api.Info
	rec := serve(ref, http.MethodGet, "/info", nil, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &unlimited); err != nil || unlimited.MaxInputTokens < 8 {
		t.Fatalf("reference /info: %v: %s", err, rec.Body)
	}
	limit := unlimited.MaxInputTokens / 2
	var info api.Info
	rec = serve(limitedHandler(t, svc, serving.TokenLimits{MaxInput: limit}), http.MethodGet, "/info", nil, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	if info.MaxInputTokens != limit || info.MaxTotalTokens != unlimited.MaxTotalTokens {
		t.Errorf("max_input_tokens %d, max_total_tokens %d; want %d and %d", info.MaxInputTokens, info.MaxTotalTokens, limit, unlimited.MaxTotalTokens)
	}
}
