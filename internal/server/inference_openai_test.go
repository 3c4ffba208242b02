package server

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"

	"hfserve/api"
)

// TestCompletionsMatchTransformers checks greedy completions of the tiny
// llama against transformers' greedy continuations, for text and
// token-id prompts, several prompts and n, and echo.
func TestCompletionsMatchTransformers(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	g := readGolden[decoderGolden](t, "llama")
	steps := len(g.Greedy[0])
	var resp api.Completion
	raw := postOK(t, h, "/v1/completions", map[string]any{"model": "chat", "prompt": g.Prompts[0], "max_tokens": steps, "temperature": 0}, &resp)
	m := requireKeys(t, "completion", raw, "id", "object", "created", "model", "choices", "usage")
	requireKeys(t, "choice", json.RawMessage(mustIndex(t, m["choices"], 0)), "text", "index", "logprobs", "finish_reason")
	if !strings.HasPrefix(resp.ID, "cmpl-") || resp.Object != "text_completion" || resp.Model != "chat" || resp.Created == 0 {
		t.Errorf("envelope %+v", resp)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Text != g.GreedyText[0] || *resp.Choices[0].FinishReason != "length" {
		t.Fatalf("choices %+v, want text %q finishing by length", resp.Choices, g.GreedyText[0])
	}
	if u := resp.Usage; u.PromptTokens != len(g.InputIDs[0]) || u.CompletionTokens != steps || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage %+v, want %d prompt and %d completion tokens", u, len(g.InputIDs[0]), steps)
	}

	// Token ids (the tokenizer's encoding, BOS included) give the same text.
	postOK(t, h, "/v1/completions", map[string]any{"model": "chat", "prompt": g.InputIDs[0], "max_tokens": steps, "temperature": 0}, &resp)
	if resp.Choices[0].Text != g.GreedyText[0] {
		t.Errorf("token-id prompt: %q, want %q", resp.Choices[0].Text, g.GreedyText[0])
	}

	// Two prompts, two choices each: index = prompt*n + choice.
	postOK(t, h, "/v1/completions", map[string]any{"model": "chat", "prompt": g.Prompts, "n": 2, "max_tokens": steps, "temperature": 0}, &resp)
	if len(resp.Choices) != 4 {
		t.Fatalf("%d choices, want 4", len(resp.Choices))
	}
	for i, c := range resp.Choices {
		if c.Index != i || c.Text != g.GreedyText[i/2] {
			t.Errorf("choice %d: index %d text %q, want %q", i, c.Index, c.Text, g.GreedyText[i/2])
		}
	}
	if u := resp.Usage; u.PromptTokens != len(g.InputIDs[0])+len(g.InputIDs[1]) || u.CompletionTokens != 4*steps {
		t.Errorf("usage %+v", u)
	}

	// Echo puts the prompt first: transformers' full text.
	postOK(t, h, "/v1/completions", map[string]any{"model": "chat", "prompt": g.Prompts[1], "echo": true, "max_tokens": steps, "temperature": 0}, &resp)
	if resp.Choices[0].Text != g.FullText[1] {
		t.Errorf("echo: %q, want %q", resp.Choices[0].Text, g.FullText[1])
	}
}

func mustIndex(t *testing.T, arr json.RawMessage, i int) json.RawMessage {
	t.Helper()
	var elems []json.RawMessage
	if err := json.Unmarshal(arr, &elems); err != nil || len(elems) <= i {
		t.Fatalf("%s has no element %d", arr, i)
	}
	return elems[i]
}

// TestCompletionLogprobs checks the legacy logprobs against transformers'
// first-step top 5 (the raw distribution) and their internal consistency.
func TestCompletionLogprobs(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	g := readGolden[decoderGolden](t, "llama")
	var resp api.Completion
	postOK(t, h, "/v1/completions", map[string]any{"model": "chat", "prompt": g.Prompts[0], "max_tokens": 4, "temperature": 0, "logprobs": 3}, &resp)
	lp := resp.Choices[0].Logprobs
	if lp == nil || len(lp.Tokens) != 4 || len(lp.TokenLogprobs) != 4 || len(lp.TopLogprobs) != 4 || len(lp.TextOffset) != 4 {
		t.Fatalf("logprobs %+v, want 4 entries in each list", lp)
	}
	if got := strings.Join(lp.Tokens, ""); got != resp.Choices[0].Text {
		t.Errorf("tokens %q add up to %q, text %q", lp.Tokens, got, resp.Choices[0].Text)
	}
	if first := g.Top5[0][0]; !near(float64(*lp.TokenLogprobs[0]), first[1]) {
		t.Errorf("first token logprob %g, transformers %g", *lp.TokenLogprobs[0], first[1])
	}
	for i, top := range lp.TopLogprobs {
		if len(top) < 1 || len(top) > 4 {
			t.Errorf("top_logprobs[%d] has %d entries, want 1 to 4", i, len(top))
		}
	}
	// The first step's alternatives are transformers' top 3.
	var firstTop []float64
	for _, v := range lp.TopLogprobs[0] {
		firstTop = append(firstTop, float64(v))
	}
	for _, want := range g.Top5[0][:3] {
		found := false
		for _, v := range firstTop {
			found = found || near(v, want[1])
		}
		if !found {
			t.Errorf("first step alternatives %v lack transformers' %v", lp.TopLogprobs[0], want)
		}
	}
	for i := 1; i < len(lp.TextOffset); i++ {
		if lp.TextOffset[i] != lp.TextOffset[i-1]+len([]rune(lp.Tokens[i-1])) {
			t.Errorf("text_offset %v does not follow tokens %q", lp.TextOffset, lp.Tokens)
		}
	}

	// Echo with logprobs scores the prompt too; its first token has none.
	postOK(t, h, "/v1/completions", map[string]any{"model": "chat", "prompt": g.Prompts[0], "max_tokens": 2, "temperature": 0, "logprobs": 0, "echo": true}, &resp)
	lp = resp.Choices[0].Logprobs
	if lp == nil || len(lp.Tokens) < 3 {
		t.Fatalf("echo logprobs %+v", lp)
	}
	for i, v := range lp.TokenLogprobs {
		if v != nil && *v > 0 {
			t.Errorf("token_logprobs[%d] = %g > 0", i, *v)
		}
	}
}

// TestChatMatchesTransformers checks a greedy chat reply against
// transformers' generation from the rendered template, and its logprobs
// against transformers' first-step top 5.
func TestChatMatchesTransformers(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	g := readGolden[decoderGolden](t, "llama")
	steps := len(g.Chat.Greedy)
	body := map[string]any{"model": "chat", "messages": g.Chat.Messages, "max_tokens": steps, "temperature": 0, "logprobs": true, "top_logprobs": 5}
	var resp api.ChatCompletion
	raw := postOK(t, h, "/v1/chat/completions", body, &resp)
	m := requireKeys(t, "chat completion", raw, "id", "object", "created", "model", "choices", "usage")
	choice := requireKeys(t, "choice", mustIndex(t, m["choices"], 0), "index", "message", "logprobs", "finish_reason")
	requireKeys(t, "message", choice["message"], "role", "content", "refusal")
	if !strings.HasPrefix(resp.ID, "chatcmpl-") || resp.Object != "chat.completion" || resp.Model != "chat" {
		t.Errorf("envelope %+v", resp)
	}
	c := resp.Choices[0]
	if c.Message.Role != "assistant" || c.Message.Content != g.Chat.GreedyText || c.FinishReason != "length" {
		t.Fatalf("choice %+v, want %q finishing by length", c, g.Chat.GreedyText)
	}
	if u := resp.Usage; u.PromptTokens != len(g.Chat.InputIDs) || u.CompletionTokens != steps || u.TotalTokens != u.PromptTokens+steps {
		t.Errorf("usage %+v, want %d prompt tokens", u, len(g.Chat.InputIDs))
	}
	if c.Logprobs == nil || len(c.Logprobs.Content) != steps {
		t.Fatalf("logprobs %+v, want %d tokens", c.Logprobs, steps)
	}
	var joined strings.Builder
	for _, lp := range c.Logprobs.Content {
		joined.WriteString(lp.Token)
		if string(bytesOf(lp.Bytes)) != lp.Token || len(lp.TopLogprobs) != 5 {
			t.Errorf("token %+v: bytes disagree or not 5 alternatives", lp)
		}
	}
	if joined.String() != c.Message.Content {
		t.Errorf("logprob tokens add up to %q, content %q", joined.String(), c.Message.Content)
	}
	first := c.Logprobs.Content[0]
	if !near(float64(first.Logprob), g.Chat.Top5[0][1]) {
		t.Errorf("first logprob %g, transformers %g", first.Logprob, g.Chat.Top5[0][1])
	}
	for i, alt := range first.TopLogprobs {
		if !near(float64(alt.Logprob), g.Chat.Top5[i][1]) {
			t.Errorf("first step alternative %d: %g, transformers %g", i, alt.Logprob, g.Chat.Top5[i][1])
		}
	}

	// Content as text parts reads as the same message; developer is system.
	parts := map[string]any{"model": "chat", "max_tokens": steps, "temperature": 0, "messages": []map[string]any{
		{"role": "user", "content": []map[string]string{{"type": "text", "text": "Hi there"}}}}}
	postOK(t, h, "/v1/chat/completions", parts, &resp)
	if resp.Choices[0].Message.Content != g.Chat.GreedyText {
		t.Errorf("text parts: %q, want %q", resp.Choices[0].Message.Content, g.Chat.GreedyText)
	}
}

func bytesOf(b []int) []byte {
	out := make([]byte, len(b))
	for i, x := range b {
		out[i] = byte(x)
	}
	return out
}

// TestEmbeddingsMatchTransformers checks vectors against transformers'
// mean-pooled hidden states, in both encodings, and dimensions.
func TestEmbeddingsMatchTransformers(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	g := readGolden[encoderGolden](t, "bert")
	var resp api.EmbeddingList
	raw := postOK(t, h, "/v1/embeddings", map[string]any{"model": "embed", "input": g.Texts}, &resp)
	m := requireKeys(t, "embeddings", raw, "object", "data", "model", "usage")
	requireKeys(t, "embedding", mustIndex(t, m["data"], 0), "object", "index", "embedding")
	if resp.Object != "list" || resp.Model != "embed" || len(resp.Data) != len(g.Texts) {
		t.Fatalf("envelope %+v", resp)
	}
	tokens := 0
	for i, ids := range g.InputIDs {
		tokens += len(ids)
		d := resp.Data[i]
		if d.Index != i || d.Object != "embedding" || len(d.Embedding.Float) != len(g.MeanPooled[i]) {
			t.Fatalf("data[%d] = index %d, %d components; want %d", i, d.Index, len(d.Embedding.Float), len(g.MeanPooled[i]))
		}
		for j, x := range d.Embedding.Float {
			if !near(float64(x), g.MeanPooled[i][j]) {
				t.Fatalf("data[%d][%d] = %g, transformers %g", i, j, x, g.MeanPooled[i][j])
			}
		}
	}
	if resp.Usage.PromptTokens != tokens || resp.Usage.TotalTokens != tokens {
		t.Errorf("usage %+v, want %d tokens", resp.Usage, tokens)
	}

	// base64: the same float32s, little-endian.
	var b64 struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}
	postOK(t, h, "/v1/embeddings", map[string]any{"model": "embed", "input": g.Texts[0], "encoding_format": "base64"}, &b64)
	bin, err := base64.StdEncoding.DecodeString(b64.Data[0].Embedding)
	if err != nil || len(bin) != 4*len(g.MeanPooled[0]) {
		t.Fatalf("base64: %d bytes, %v", len(bin), err)
	}
	for j := range g.MeanPooled[0] {
		if x := math.Float32frombits(binary.LittleEndian.Uint32(bin[4*j:])); x != resp.Data[0].Embedding.Float[j] {
			t.Fatalf("base64 component %d = %g, float answer %g", j, x, resp.Data[0].Embedding.Float[j])
		}
	}

	// Token ids give the same vector; dimensions keeps a prefix.
	postOK(t, h, "/v1/embeddings", map[string]any{"model": "embed", "input": [][]int32{g.InputIDs[1]}, "dimensions": 8}, &resp)
	if len(resp.Data) != 1 || len(resp.Data[0].Embedding.Float) != 8 {
		t.Fatalf("dimensions 8: %+v", resp.Data)
	}
	for j, x := range resp.Data[0].Embedding.Float {
		if !near(float64(x), g.MeanPooled[1][j]) {
			t.Fatalf("ids, dimensions 8: component %d = %g, transformers %g", j, x, g.MeanPooled[1][j])
		}
	}
}

// TestOpenAIServiceErrors checks errors only the backend finds.
func TestOpenAIServiceErrors(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	long := strings.Repeat("Once upon a time ", 400)
	rec := post(h, "/v1/completions", map[string]any{"model": "stories260k", "prompt": long})
	skipUnimplemented(t, rec)
	e := checkError(t, rec, http.StatusUnprocessableEntity, api.ErrTypeInvalidRequest, "context_length_exceeded", "prompt")
	if !strings.Contains(e.Message, "maximum context length is 512 tokens") {
		t.Errorf("message %q lacks the context length", e.Message)
	}
	rec = post(h, "/v1/chat/completions", chatBody(`"logit_bias":{"100000":5}`))
	checkError(t, rec, http.StatusBadRequest, api.ErrTypeInvalidRequest, "", "logit_bias")
	rec = post(h, "/v1/completions", map[string]any{"model": "stories260k", "prompt": []int{1, 100000}})
	checkError(t, rec, http.StatusBadRequest, api.ErrTypeInvalidRequest, "", "prompt")
	rec = post(h, "/v1/embeddings", map[string]any{"model": "embed", "input": "a", "dimensions": 100000})
	checkError(t, rec, http.StatusBadRequest, api.ErrTypeInvalidRequest, "", "dimensions")
	rec = post(h, "/v1/embeddings", map[string]any{"model": "embed", "input": strings.Repeat("word ", 2000)})
	checkError(t, rec, http.StatusUnprocessableEntity, api.ErrTypeInvalidRequest, "context_length_exceeded", "input[0]")
}
