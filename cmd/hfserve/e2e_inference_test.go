package main

// End-to-end tests of the inference APIs (issue 5): the real binary on a
// loopback port, the official OpenAI Go SDK for the OpenAI routes and plain
// HTTP for TGI, TEI and the admin API.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// tinyDir is the absolute path of a tiny fixture model.
func tinyDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("../../testdata/models/tiny", name))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func newSDK(p *serverProcess) openai.Client {
	return openai.NewClient(option.WithBaseURL(p.baseURL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
}

// postJSON posts body and decodes the answer into into (when not nil),
// failing unless the status is wantStatus. It returns the raw body.
func postJSON(t *testing.T, url string, body any, wantStatus int, into any) []byte {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("POST %s %s: status %d, want %d; body %s", url, data, resp.StatusCode, wantStatus, raw)
	}
	if into != nil {
		if err := json.Unmarshal(raw, into); err != nil {
			t.Fatalf("POST %s: answer is not the expected JSON: %v: %s", url, err, raw)
		}
	}
	return raw
}

// sseData returns the data payloads of a text/event-stream answer.
func sseData(t *testing.T, url string, body any) []string {
	t.Helper()
	data, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: status %d, content type %q: %s", url, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
			out = append(out, strings.TrimSpace(d))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestE2EOpenAISDK(t *testing.T) {
	p := startServer(t, nil, "--model", "builtin", "--model", "chat="+tinyDir(t, "llama"), "--model", "embed="+tinyDir(t, "bert"))
	client := newSDK(p)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Completions on the built-in model: greedy, so the streamed text must
	// be the same story.
	comp, err := client.Completions.New(ctx, openai.CompletionNewParams{
		Model:       "stories260k",
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")},
		MaxTokens:   openai.Int(40),
		Temperature: openai.Float(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(comp.Choices) != 1 || len(strings.TrimSpace(comp.Choices[0].Text)) == 0 {
		t.Fatalf("completion = %+v", comp)
	}
	story := comp.Choices[0].Text
	if comp.Usage.PromptTokens < 4 || comp.Usage.CompletionTokens < 1 || comp.Usage.TotalTokens != comp.Usage.PromptTokens+comp.Usage.CompletionTokens {
		t.Fatalf("usage = %+v", comp.Usage)
	}
	if fr := comp.Choices[0].FinishReason; fr != "length" && fr != "stop" {
		t.Fatalf("finish_reason = %q", fr)
	}
	stream := client.Completions.NewStreaming(ctx, openai.CompletionNewParams{
		Model:       "stories260k",
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")},
		MaxTokens:   openai.Int(40),
		Temperature: openai.Float(0),
	})
	var streamed strings.Builder
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			streamed.WriteString(c.Text)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if streamed.String() != story {
		t.Fatalf("streamed completion %q differs from %q", streamed.String(), story)
	}

	// Chat through the tiny llama's chat template, streamed and not.
	chatParams := openai.ChatCompletionNewParams{
		Model:       "chat",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello there")},
		MaxTokens:   openai.Int(12),
		Temperature: openai.Float(0),
	}
	cc, err := client.Chat.Completions.New(ctx, chatParams)
	if err != nil {
		t.Fatal(err)
	}
	if len(cc.Choices) != 1 || cc.Choices[0].Message.Role != "assistant" || cc.Usage.PromptTokens == 0 {
		t.Fatalf("chat completion = %+v", cc)
	}
	answer := cc.Choices[0].Message.Content
	chatParams.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	cs := client.Chat.Completions.NewStreaming(ctx, chatParams)
	var acc openai.ChatCompletionAccumulator
	for cs.Next() {
		acc.AddChunk(cs.Current())
	}
	if err := cs.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != answer {
		t.Fatalf("streamed chat %+v differs from %q", acc.Choices, answer)
	}
	if acc.Usage.PromptTokens != cc.Usage.PromptTokens || acc.Usage.CompletionTokens != cc.Usage.CompletionTokens {
		t.Fatalf("streamed usage %+v, non-streamed %+v", acc.Usage, cc.Usage)
	}

	// Embeddings: one vector per input, of the model's hidden size.
	var cfg struct {
		HiddenSize int `json:"hidden_size"`
	}
	raw, _ := os.ReadFile(filepath.Join(tinyDir(t, "bert"), "config.json"))
	json.Unmarshal(raw, &cfg)
	emb, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: "embed",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"hello world", "a second input"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Data) != 2 || len(emb.Data[0].Embedding) != cfg.HiddenSize || emb.Data[1].Index != 1 || emb.Usage.PromptTokens == 0 {
		t.Fatalf("embeddings: %d vectors, first of %d (want %d), usage %+v", len(emb.Data), len(emb.Data[0].Embedding), cfg.HiddenSize, emb.Usage)
	}
	// base64 is the same vector as little-endian float32.
	var b64 struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}
	postJSON(t, p.baseURL+"/v1/embeddings", map[string]any{"model": "embed", "input": "hello world", "encoding_format": "base64"}, http.StatusOK, &b64)
	bin, err := base64.StdEncoding.DecodeString(b64.Data[0].Embedding)
	if err != nil || len(bin) != 4*cfg.HiddenSize {
		t.Fatalf("base64 embedding: %d bytes, %v", len(bin), err)
	}
	for i, want := range emb.Data[0].Embedding {
		got := math.Float32frombits(binary.LittleEndian.Uint32(bin[4*i:]))
		if math.Abs(float64(got)-want) > 1e-6 {
			t.Fatalf("base64 component %d = %g, float %g", i, got, want)
		}
	}

	// Errors reach the SDK as OpenAI errors with the right status.
	wantStatus := func(name string, err error, status int) {
		t.Helper()
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
			t.Fatalf("%s: error %v, want HTTP %d", name, err, status)
		}
	}
	_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "no-such-model", Messages: chatParams.Messages})
	wantStatus("unknown model", err, http.StatusNotFound)
	_, err = client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "stories260k", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
	wantStatus("embeddings from a model that has none", err, http.StatusBadRequest)
	_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "chat", Messages: chatParams.Messages, Temperature: openai.Float(7)})
	wantStatus("temperature out of range", err, http.StatusBadRequest)
	_, err = client.Completions.New(ctx, openai.CompletionNewParams{
		Model: "stories260k", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String(strings.Repeat("Once upon a time ", 400))},
	})
	wantStatus("prompt over the context length", err, http.StatusUnprocessableEntity)
	p.stop(t)
}

func TestE2ETGIAndTEI(t *testing.T) {
	p := startServer(t, nil, "--model", "builtin", "--model", "embed="+tinyDir(t, "bert"), "--model", "cls="+tinyDir(t, "bert-cls"))

	// TGI /generate with details, then the same generation streamed.
	var gen struct {
		GeneratedText string `json:"generated_text"`
		Details       struct {
			FinishReason    string `json:"finish_reason"`
			GeneratedTokens int    `json:"generated_tokens"`
			Tokens          []struct {
				ID      int     `json:"id"`
				Text    string  `json:"text"`
				Logprob float64 `json:"logprob"`
				Special bool    `json:"special"`
			} `json:"tokens"`
			Prefill []struct {
				ID   int    `json:"id"`
				Text string `json:"text"`
			} `json:"prefill"`
		} `json:"details"`
	}
	params := map[string]any{"max_new_tokens": 20, "details": true, "decoder_input_details": true}
	postJSON(t, p.baseURL+"/generate", map[string]any{"model": "stories260k", "inputs": "Once upon a time", "parameters": params}, http.StatusOK, &gen)
	if gen.GeneratedText == "" || gen.Details.GeneratedTokens != len(gen.Details.Tokens) || len(gen.Details.Prefill) < 4 {
		t.Fatalf("/generate = %+v", gen)
	}
	var joined strings.Builder
	for _, tok := range gen.Details.Tokens {
		if tok.Logprob > 0 || math.IsNaN(tok.Logprob) {
			t.Fatalf("token %+v has a positive or NaN logprob", tok)
		}
		if !tok.Special {
			joined.WriteString(tok.Text)
		}
	}
	events := sseData(t, p.baseURL+"/generate_stream", map[string]any{"model": "stories260k", "inputs": "Once upon a time", "parameters": params})
	var streamed strings.Builder
	var last struct {
		GeneratedText *string `json:"generated_text"`
		Details       *struct {
			FinishReason string `json:"finish_reason"`
		} `json:"details"`
		Token struct {
			Text    string `json:"text"`
			Special bool   `json:"special"`
		} `json:"token"`
	}
	for _, ev := range events {
		last.GeneratedText, last.Details = nil, nil
		if err := json.Unmarshal([]byte(ev), &last); err != nil {
			t.Fatalf("stream event %q: %v", ev, err)
		}
		if !last.Token.Special {
			streamed.WriteString(last.Token.Text)
		}
	}
	if last.GeneratedText == nil || *last.GeneratedText != gen.GeneratedText || last.Details == nil || last.Details.FinishReason != gen.Details.FinishReason {
		t.Fatalf("last stream event %+v does not end the generation %q", last, gen.GeneratedText)
	}
	if streamed.String() != gen.GeneratedText {
		t.Fatalf("streamed tokens %q, generated_text %q", streamed.String(), gen.GeneratedText)
	}
	var info map[string]any
	getJSON(t, p.baseURL+"/info", http.StatusOK, &info)
	if info["model_id"] != "stories260k" || info["max_total_tokens"] == nil {
		t.Fatalf("/info = %v", info)
	}

	// TEI.
	var vecs [][]float64
	postJSON(t, p.baseURL+"/embed", map[string]any{"model": "embed", "inputs": []string{"hello", "world wide"}}, http.StatusOK, &vecs)
	if len(vecs) != 2 {
		t.Fatalf("/embed gave %d vectors", len(vecs))
	}
	for i, v := range vecs {
		var norm float64
		for _, x := range v {
			norm += x * x
		}
		if math.Abs(math.Sqrt(norm)-1) > 1e-4 {
			t.Fatalf("/embed vector %d has norm %g, want 1 (normalize defaults to true)", i, math.Sqrt(norm))
		}
	}
	var preds []struct {
		Label string  `json:"label"`
		Score float64 `json:"score"`
	}
	postJSON(t, p.baseURL+"/predict", map[string]any{"model": "cls", "inputs": "I like this"}, http.StatusOK, &preds)
	var sum float64
	for i, pr := range preds {
		sum += pr.Score
		if i > 0 && pr.Score > preds[i-1].Score {
			t.Fatalf("/predict not sorted: %+v", preds)
		}
	}
	if len(preds) != 3 || math.Abs(sum-1) > 1e-4 {
		t.Fatalf("/predict = %+v, want 3 labels summing to 1", preds)
	}
	var toks [][]struct {
		ID      int    `json:"id"`
		Text    string `json:"text"`
		Special bool   `json:"special"`
		Start   *int   `json:"start"`
		Stop    *int   `json:"stop"`
	}
	postJSON(t, p.baseURL+"/tokenize", map[string]any{"model": "embed", "inputs": "hello world"}, http.StatusOK, &toks)
	if len(toks) != 1 || len(toks[0]) < 3 || !toks[0][0].Special || toks[0][1].Start == nil {
		t.Fatalf("/tokenize = %+v", toks)
	}
	ids := make([]int, len(toks[0]))
	for i, tk := range toks[0] {
		ids[i] = tk.ID
	}
	var texts []string
	postJSON(t, p.baseURL+"/decode", map[string]any{"model": "embed", "ids": ids}, http.StatusOK, &texts)
	if len(texts) != 1 || texts[0] != "hello world" {
		t.Fatalf("/decode = %q, want [\"hello world\"]", texts)
	}

	// TGI and TEI errors come in their own shapes.
	var tgiErr struct {
		Error     string `json:"error"`
		ErrorType string `json:"error_type"`
	}
	postJSON(t, p.baseURL+"/generate", map[string]any{"model": "stories260k", "inputs": "x", "parameters": map[string]any{"max_new_tokens": -1}}, http.StatusUnprocessableEntity, &tgiErr)
	if tgiErr.Error == "" || tgiErr.ErrorType == "" {
		t.Fatalf("TGI error shape: %+v", tgiErr)
	}
	tgiErr.Error = ""
	// TEI answers an empty batch with 400 and error_type "Empty".
	postJSON(t, p.baseURL+"/embed", map[string]any{"model": "embed", "inputs": []string{}}, http.StatusBadRequest, &tgiErr)
	if tgiErr.Error == "" {
		t.Fatalf("TEI error shape: %+v", tgiErr)
	}
	p.stop(t)
}

// adminModelList reads GET /admin/models.
type adminModelList struct {
	Data []struct {
		ID            string            `json:"id"`
		State         string            `json:"state"`
		ResidentBytes int64             `json:"resident_bytes"`
		Evictions     map[string]uint64 `json:"evictions"`
		Loads         int               `json:"loads"`
	} `json:"data"`
}

func (l adminModelList) loaded() []string {
	var out []string
	for _, m := range l.Data {
		if m.State == "loaded" {
			out = append(out, m.ID)
		}
	}
	return out
}

func (l adminModelList) evictions(reason string) uint64 {
	var n uint64
	for _, m := range l.Data {
		n += m.Evictions[reason]
	}
	return n
}

func TestE2EEvictionsUnderLimits(t *testing.T) {
	embed := func(t *testing.T, p *serverProcess, model string) {
		postJSON(t, p.baseURL+"/v1/embeddings", map[string]any{"model": model, "input": "hello"}, http.StatusOK, nil)
	}
	models := []string{"bert", "roberta", "distilbert"}
	// Every request must reach its model: the response cache would answer
	// the repeated ones without loading anything.
	args := []string{"--enable-caching=false"}
	for _, m := range models {
		args = append(args, "--model", m+"="+tinyDir(t, m))
	}

	t.Run("max_loaded_models", func(t *testing.T) {
		p := startServer(t, nil, append(args, "--max-loaded-models", "2", "--keep-alive", "-1")...)
		for round := 0; round < 2; round++ {
			for _, m := range models {
				embed(t, p, m)
				var list adminModelList
				getJSON(t, p.baseURL+"/admin/models", http.StatusOK, &list)
				if n := len(list.loaded()); n > 2 {
					t.Fatalf("after %s: %d models loaded (%v), limit 2", m, n, list.loaded())
				}
			}
		}
		var list adminModelList
		getJSON(t, p.baseURL+"/admin/models", http.StatusOK, &list)
		// Round robin over 3 models with room for 2 evicts on every load
		// after the second: 4 of the 6 requests.
		if got := list.evictions("lru"); got != 4 {
			t.Fatalf("lru evictions = %d, want 4; %+v", got, list.Data)
		}
		p.stop(t)
	})

	t.Run("memory budget", func(t *testing.T) {
		// A budget that holds the largest model and not any two of them.
		var sizes []int64
		for _, m := range models {
			fi, err := os.Stat(filepath.Join(tinyDir(t, m), "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, fi.Size())
		}
		largest, smallestPair := int64(0), int64(math.MaxInt64)
		for i, a := range sizes {
			largest = max(largest, a)
			for _, b := range sizes[i+1:] {
				smallestPair = min(smallestPair, a+b)
			}
		}
		if largest >= smallestPair {
			t.Skipf("fixture sizes %v leave no budget between one model and two", sizes)
		}
		budget := (largest + smallestPair) / 2
		p := startServer(t, nil, append(args, "--max-memory", fmt.Sprint(budget), "--keep-alive", "-1")...)
		for _, m := range models {
			embed(t, p, m)
			var list adminModelList
			getJSON(t, p.baseURL+"/admin/models", http.StatusOK, &list)
			if n := len(list.loaded()); n != 1 {
				t.Fatalf("after %s: loaded %v, want only it under a budget of %d bytes", m, list.loaded(), budget)
			}
		}
		var list adminModelList
		getJSON(t, p.baseURL+"/admin/models", http.StatusOK, &list)
		if got := list.evictions("memory"); got != 2 {
			t.Fatalf("memory evictions = %d, want 2; %+v", got, list.Data)
		}
		p.stop(t)
	})
}

func TestE2EConcurrentMixedRequests(t *testing.T) {
	p := startServer(t, nil, "--model", "builtin", "--model", "chat="+tinyDir(t, "qwen2"), "--model", "embed="+tinyDir(t, "bert"))
	client := newSDK(p)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch i % 3 {
			case 0:
				_, err = client.Completions.New(ctx, openai.CompletionNewParams{
					Model: "stories260k", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Lily and Tom")},
					MaxTokens: openai.Int(8), Seed: openai.Int(int64(i)),
				})
			case 1:
				_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
					Model: "chat", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(fmt.Sprintf("question %d", i))},
					MaxTokens: openai.Int(6),
				})
			case 2:
				_, err = client.Embeddings.New(ctx, openai.EmbeddingNewParams{
					Model: "embed", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(fmt.Sprintf("sentence number %d", i))},
				})
			}
			if err != nil {
				errs <- fmt.Errorf("request %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	p.stop(t)
}

func TestE2ECorruptModelStaysContained(t *testing.T) {
	// A copy of the tiny llama whose weights file is cut short: its header
	// promises more bytes than the file has.
	broken := filepath.Join(t.TempDir(), "broken")
	if err := os.CopyFS(broken, os.DirFS(tinyDir(t, "llama"))); err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(broken, "model.safetensors")
	fi, err := os.Stat(weights)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(weights, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	// A load backoff of 10-20 s (20 s less up to half for jitter), not
	// the default 0.5-1 s: the second request must arrive inside it, and a
	// stall of a loaded machine between two requests can outlast a second.
	p := startServer(t, nil, "--model", "builtin", "--model", "broken="+broken,
		"--circuit-failure-threshold", "2", "--circuit-timeout-seconds", "30", "--model-load-backoff", "20s")
	body := map[string]any{"model": "broken", "prompt": "hi", "max_tokens": 3}
	// The load fails (500); the next request, inside the load backoff, is
	// told so at once (503); those two failures open the breaker, which
	// then answers for the model (503) until an admin resets it. None of it
	// hangs or crashes, and every answer names the model.
	expectError(t, p.baseURL+"/v1/completions", body, http.StatusInternalServerError, "model_load_failed", "broken", "")
	expectError(t, p.baseURL+"/v1/completions", body, http.StatusServiceUnavailable, "model_load_backoff", "broken", "20")
	expectError(t, p.baseURL+"/v1/completions", body, http.StatusServiceUnavailable, "circuit_open", "broken", "30")
	breakers := adminBreakers(t, p.baseURL)
	if b := breakers["broken"]; b.State != "open" || b.Failures != 2 || b.NextProbe == nil || !strings.Contains(b.LastError, "broken") {
		t.Fatalf("broken's breaker: %+v", b)
	}
	if b := breakers["stories260k"]; b.State != "closed" {
		t.Fatalf("stories260k's breaker: %+v", b)
	}
	if got := postStatus(t, p.baseURL+"/admin/breakers/broken/reset"); got != http.StatusOK {
		t.Fatalf("reset: %d", got)
	}
	if b := adminBreakers(t, p.baseURL)["broken"]; b.State != "closed" {
		t.Fatalf("after reset: %+v", b)
	}
	// After the reset the load is tried again at once.
	expectError(t, p.baseURL+"/v1/completions", body, http.StatusInternalServerError, "model_load_failed", "broken", "")
	postJSON(t, p.baseURL+"/v1/completions", map[string]any{"model": "stories260k", "prompt": "hi", "max_tokens": 3}, http.StatusOK, nil)
	var states map[string]string = adminModels(t, p.baseURL)
	if states["broken"] != "failed" || states["stories260k"] != "loaded" {
		t.Fatalf("admin states = %v", states)
	}
	var health map[string]any
	getJSON(t, p.baseURL+"/health", http.StatusOK, &health)
	p.stop(t)
}

// expectError posts body and checks an OpenAI-shaped error: status, code,
// a message naming name, and Retry-After (at most retryAfter seconds, at
// least one, when retryAfter is set; absent otherwise).
func expectError(t *testing.T, url string, body any, status int, code, name, retryAfter string) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct {
			Message string `json:"message"`
			Code    string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &e); err != nil || resp.StatusCode != status || e.Error.Code != code || !strings.Contains(e.Error.Message, name) {
		t.Fatalf("POST %s: %d %s; want %d with code %s naming %q", url, resp.StatusCode, raw, status, code, name)
	}
	got := resp.Header.Get("Retry-After")
	if retryAfter == "" {
		if got != "" {
			t.Fatalf("POST %s: Retry-After %q on a %d", url, got, status)
		}
		return
	}
	secs, err1 := strconv.Atoi(got)
	limit, _ := strconv.Atoi(retryAfter)
	if err1 != nil || secs < 1 || secs > limit {
		t.Fatalf("POST %s: Retry-After %q, want 1 to %s seconds", url, got, retryAfter)
	}
}

// adminBreaker is the part of GET /admin/breakers' entries the tests read.
type adminBreaker struct {
	State     string  `json:"state"`
	Failures  int     `json:"failures"`
	NextProbe *string `json:"next_probe"`
	LastError string  `json:"last_error"`
}

// adminBreakers reads GET /admin/breakers into model → breaker.
func adminBreakers(t *testing.T, base string) map[string]adminBreaker {
	t.Helper()
	var list struct {
		Data []struct {
			Model string `json:"model"`
			adminBreaker
		} `json:"data"`
	}
	getJSON(t, base+"/admin/breakers", http.StatusOK, &list)
	out := map[string]adminBreaker{}
	for _, b := range list.Data {
		out[b.Model] = b.adminBreaker
	}
	return out
}

func TestE2EPsAndBench(t *testing.T) {
	p := startServer(t, nil, "--model", "builtin", "--model", "embed="+tinyDir(t, "bert"))
	code, out, stderr := runCLI(t, nil, "ps", "--server", p.baseURL)
	if code != 0 || !strings.Contains(out, "no model loaded") {
		t.Fatalf("ps before any request: exit %d, %q %q", code, out, stderr)
	}

	code, out, stderr = runCLI(t, nil, "bench", "--server", p.baseURL, "--model", "stories260k", "--requests", "6",
		"--concurrency", "3", "--max-tokens", "8", "--prompt-words", "5", "--json")
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, stderr)
	}
	var rep struct {
		Requests          int                    `json:"requests"`
		Errors            int                    `json:"errors"`
		OutputTokens      int                    `json:"output_tokens"`
		TTFT              *struct{ P50 float64 } `json:"time_to_first_token_seconds"`
		RequestsPerSecond float64                `json:"requests_per_second"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bench --json: %v: %s", err, out)
	}
	// ignore_eos makes every generation exactly 8 tokens long.
	if rep.Requests != 6 || rep.Errors != 0 || rep.OutputTokens != 48 || rep.TTFT == nil || rep.TTFT.P50 <= 0 || rep.RequestsPerSecond <= 0 {
		t.Fatalf("bench report: %+v\n%s", rep, out)
	}
	code, out, stderr = runCLI(t, nil, "bench", "--server", p.baseURL, "--model", "embed", "--endpoint", "embeddings", "--requests", "4", "--batch", "3")
	if code != 0 || !strings.Contains(out, "requests        4") {
		t.Fatalf("bench embeddings: exit %d: %q %q", code, out, stderr)
	}

	code, out, stderr = runCLI(t, nil, "ps", "--server", p.baseURL)
	if code != 0 || !strings.Contains(out, "stories260k") || !strings.Contains(out, "embed") || !strings.Contains(out, "loaded") {
		t.Fatalf("ps after requests: exit %d, %q %q", code, out, stderr)
	}
	code, _, stderr = runCLI(t, nil, "ps", "--server", "http://127.0.0.1:1")
	if code != 1 || !strings.Contains(stderr, "is hfserve running") {
		t.Fatalf("ps without a server: exit %d, %q", code, stderr)
	}
	p.stop(t)
}
