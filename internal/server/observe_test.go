package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"hfserve/internal/builtin"
	"hfserve/internal/config"
)

// headerInt reads a timing header as a non-negative integer.
func headerInt(t *testing.T, h http.Header, name string) int {
	t.Helper()
	v := h.Get(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s = %q: want a non-negative integer", name, v)
	}
	return n
}

// TestTimingHeaders checks the TGI-style headers of plain responses: the
// token counts agree with the response's usage, the times are whole
// milliseconds with time per token no more than the inference time; an
// encoder request has no generated tokens; errors carry none.
func TestTimingHeaders(t *testing.T) {
	o := newObservedServer(t, Options{Version: "test"}, storiesEntry(t), tinyEntry(t, "embed", "bert", config.ModelSpec{}))

	rec := post(o.h, "/v1/completions", map[string]any{"model": builtin.Name, "prompt": "Once upon a time", "max_tokens": 5, "seed": 1})
	if rec.Code != http.StatusOK {
		t.Fatalf("completion: %d %s", rec.Code, rec.Body)
	}
	prompt, gen := usageOf(t, rec.Body.Bytes())
	h := rec.Header()
	if got := headerInt(t, h, headerPromptTokens); got != prompt {
		t.Errorf("%s = %d, usage says %d", headerPromptTokens, got, prompt)
	}
	if got := headerInt(t, h, headerGeneratedTokens); got != gen {
		t.Errorf("%s = %d, usage says %d", headerGeneratedTokens, got, gen)
	}
	inf := headerInt(t, h, headerInferenceTime)
	if tpt := headerInt(t, h, headerTimePerToken); tpt > inf {
		t.Errorf("time per token %d ms > inference time %d ms", tpt, inf)
	}
	headerInt(t, h, headerQueueTime)

	rec = post(o.h, "/v1/embeddings", map[string]any{"model": "embed", "input": "hello world"})
	embPrompt, _ := usageOf(t, rec.Body.Bytes())
	if got := headerInt(t, rec.Header(), headerPromptTokens); got != embPrompt {
		t.Errorf("embeddings %s = %d, usage says %d", headerPromptTokens, got, embPrompt)
	}
	headerInt(t, rec.Header(), headerInferenceTime)
	if v := rec.Header().Get(headerGeneratedTokens); v != "" {
		t.Errorf("embeddings carry %s: %q", headerGeneratedTokens, v)
	}

	rec = post(o.h, "/v1/completions", map[string]any{"model": builtin.Name, "prompt": "x", "max_tokens": -1})
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("bad request: %d", rec.Code)
	}
	for _, name := range []string{headerQueueTime, headerInferenceTime, headerTimePerToken, headerPromptTokens, headerGeneratedTokens} {
		if v := rec.Header().Get(name); v != "" {
			t.Errorf("error response carries %s: %q", name, v)
		}
	}
}

// TestStreamTimingTrailers checks a stream over a real connection: queue
// time and prompt tokens come with the first event's headers, the rest as
// declared trailers after the last event, agreeing with the stream's
// usage chunk.
func TestStreamTimingTrailers(t *testing.T) {
	o := newObservedServer(t, Options{Version: "test"}, storiesEntry(t))
	ts := httptest.NewServer(o.h)
	defer ts.Close()
	body := `{"model":"` + builtin.Name + `","prompt":"Once upon a time","max_tokens":4,"seed":3,"stream":true,"stream_options":{"include_usage":true}}`
	resp, err := http.Post(ts.URL+"/v1/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	headerInt(t, resp.Header, headerQueueTime)
	prompt := headerInt(t, resp.Header, headerPromptTokens)
	// net/http's client moves the declared names from the Trailer header
	// into resp.Trailer, with values once the body has been read.
	for _, name := range []string{headerInferenceTime, headerTimePerToken, headerGeneratedTokens} {
		if _, ok := resp.Trailer[name]; !ok {
			t.Errorf("trailer %s not declared (declared: %v)", name, resp.Trailer)
		}
	}
	var usagePrompt, usageGen int
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var chunk struct {
			Usage *struct {
				PromptTokens     int `json:"prompt_tokens"`
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			t.Fatalf("chunk %s: %v", data, err)
		}
		if chunk.Usage != nil {
			usagePrompt, usageGen = chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens
		}
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	if usageGen == 0 {
		t.Fatal("no usage chunk")
	}
	if prompt != usagePrompt {
		t.Errorf("%s header %d, usage %d", headerPromptTokens, prompt, usagePrompt)
	}
	if got := headerInt(t, resp.Trailer, headerGeneratedTokens); got != usageGen {
		t.Errorf("%s trailer %d, usage %d", headerGeneratedTokens, got, usageGen)
	}
	inf := headerInt(t, resp.Trailer, headerInferenceTime)
	if tpt := headerInt(t, resp.Trailer, headerTimePerToken); tpt > inf {
		t.Errorf("time per token %d > inference time %d", tpt, inf)
	}
}

// TestAccessLogLine checks the access log's fields for an inference
// request, and that the prompt appears only with LogPrompts.
func TestAccessLogLine(t *testing.T) {
	const prompt = "Once upon a secret time"
	for _, keep := range []bool{false, true} {
		o := newObservedServer(t, Options{Version: "test", LogPrompts: keep}, storiesEntry(t))
		rec := post(o.h, "/v1/completions", map[string]any{"model": builtin.Name, "prompt": prompt, "max_tokens": 3, "temperature": 0})
		if rec.Code != http.StatusOK {
			t.Fatalf("completion: %d %s", rec.Code, rec.Body)
		}
		promptTok, genTok := usageOf(t, rec.Body.Bytes())
		var line map[string]any
		for _, r := range o.logs.logRecords(t) {
			if r["msg"] == "request" && r["path"] == "/v1/completions" {
				line = r
			}
		}
		if line == nil {
			t.Fatalf("no access log line in %s", o.logs.String())
		}
		want := map[string]any{
			"model": builtin.Name, "endpoint": "POST /v1/completions", "status": float64(200), "cache": "miss",
			"prompt_tokens": float64(promptTok), "generated_tokens": float64(genTok),
		}
		for k, v := range want {
			if line[k] != v {
				t.Errorf("log_prompts=%v: %s = %v, want %v (line %v)", keep, k, line[k], v, line)
			}
		}
		for _, k := range []string{"request_id", "duration", "queue", "inference", "ttft"} {
			if _, ok := line[k]; !ok {
				t.Errorf("log_prompts=%v: no %s in %v", keep, k, line)
			}
		}
		logged := strings.Contains(o.logs.String(), "secret")
		if logged != keep {
			t.Errorf("log_prompts=%v: prompt text logged = %v", keep, logged)
		}
	}
}
