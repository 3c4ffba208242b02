package server

import (
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strings"
	"testing"

	"hfserve/api"
)

// TestTGIGenerateMatchesTransformers checks /generate's text, token ids,
// prefill and details against transformers' greedy generation.
func TestTGIGenerateMatchesTransformers(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	g := readGolden[decoderGolden](t, "llama")
	steps := len(g.Greedy[0])
	params := map[string]any{"max_new_tokens": steps, "details": true, "decoder_input_details": true, "top_n_tokens": 3}
	var resp api.GenerateResponse
	raw := postOK(t, h, "/generate", map[string]any{"model": "chat", "inputs": g.Prompts[0], "parameters": params}, &resp)
	m := requireKeys(t, "generate", raw, "generated_text", "details")
	requireKeys(t, "details", m["details"], "finish_reason", "generated_tokens", "seed", "prefill", "tokens", "top_tokens")
	if resp.GeneratedText != g.GreedyText[0] {
		t.Fatalf("generated_text %q, transformers %q", resp.GeneratedText, g.GreedyText[0])
	}
	d := resp.Details
	if d.FinishReason != "length" || d.GeneratedTokens != steps || d.Seed != nil || len(d.Tokens) != steps || len(d.TopTokens) != steps {
		t.Fatalf("details %+v", d)
	}
	for i, tok := range d.Tokens {
		if tok.ID != g.Greedy[0][i] || tok.Logprob > 0 || tok.Special {
			t.Errorf("token %d = %+v, want id %d", i, tok, g.Greedy[0][i])
		}
		if len(d.TopTokens[i]) != 3 || d.TopTokens[i][0].ID != tok.ID {
			t.Errorf("top_tokens[%d] = %+v: want 3, led by the greedy token", i, d.TopTokens[i])
		}
	}
	if !near(float64(d.TopTokens[0][1].Logprob), g.Top5[0][1][1]) || d.TopTokens[0][1].ID != int32(g.Top5[0][1][0]) {
		t.Errorf("first step's second choice %+v, transformers %v", d.TopTokens[0][1], g.Top5[0][1])
	}
	if len(d.Prefill) != len(g.InputIDs[0]) || d.Prefill[0].Logprob != nil {
		t.Fatalf("prefill %+v: want %d tokens, the first without logprob", d.Prefill, len(g.InputIDs[0]))
	}
	for i, p := range d.Prefill {
		if p.ID != g.InputIDs[0][i] || i > 0 && (p.Logprob == nil || *p.Logprob > 0) {
			t.Errorf("prefill %d = %+v, want id %d", i, p, g.InputIDs[0][i])
		}
	}

	// return_full_text, no details, the default model, sampling with a
	// seed (reported, and reproducible).
	resp = api.GenerateResponse{}
	postOK(t, h, "/generate", map[string]any{"model": "chat", "inputs": g.Prompts[1], "parameters": map[string]any{"max_new_tokens": steps, "return_full_text": true}}, &resp)
	if resp.GeneratedText != g.FullText[1] || resp.Details != nil {
		t.Errorf("return_full_text: %+v, want %q without details", resp, g.FullText[1])
	}
	sampled := map[string]any{"inputs": "Once upon a time", "parameters": map[string]any{"max_new_tokens": 10, "do_sample": true, "seed": 7, "details": true}}
	var a, b api.GenerateResponse
	postOK(t, h, "/generate", sampled, &a)
	postOK(t, h, "/generate", sampled, &b)
	if a.GeneratedText != b.GeneratedText || a.Details.Seed == nil || *a.Details.Seed != 7 {
		t.Errorf("seeded sampling: %q / %q, seed %v", a.GeneratedText, b.GeneratedText, a.Details.Seed)
	}

	// truncate keeps the last tokens: the prompt ends the same way.
	postOK(t, h, "/generate", map[string]any{"model": "chat", "inputs": g.Prompts[0], "parameters": map[string]any{"max_new_tokens": 1, "truncate": 4, "details": true, "decoder_input_details": true}}, &resp)
	if n := len(resp.Details.Prefill); n != 4 || resp.Details.Prefill[3].ID != g.InputIDs[0][len(g.InputIDs[0])-1] {
		t.Errorf("truncate 4: prefill %+v", resp.Details.Prefill)
	}
}

func TestTGIInfo(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	rec := serve(h, http.MethodGet, "/info", nil, nil)
	skipUnimplemented(t, rec)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	requireKeys(t, "info", rec.Body.Bytes(), "model_id", "model_sha", "model_dtype", "model_device_type", "model_pipeline_tag",
		"max_concurrent_requests", "max_best_of", "max_stop_sequences", "max_input_tokens", "max_total_tokens",
		"validation_workers", "max_client_batch_size", "router", "version", "sha", "docker_label")
	var info api.Info
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	// stories260K's config.json: max_position_embeddings 512, float32.
	if info.ModelID != "stories260k" || info.MaxTotalTokens != 512 || info.MaxInputTokens != 511 || info.ModelDType != "torch.float32" ||
		info.ModelPipelineTag == nil || *info.ModelPipelineTag != "text-generation" || info.Version != "test" {
		t.Errorf("info %+v", info)
	}
	rec = serve(h, http.MethodGet, "/info?model=embed", nil, nil)
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil || info.ModelID != "embed" || *info.ModelPipelineTag != "feature-extraction" {
		t.Errorf("info of embed: %s", rec.Body)
	}
}

// TestTEIEmbedMatchesTransformers: normalised by default, the model's own
// vector with normalize false.
func TestTEIEmbedMatchesTransformers(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	g := readGolden[encoderGolden](t, "bert")
	var vecs [][]float64
	postOK(t, h, "/embed", map[string]any{"model": "embed", "inputs": g.Texts}, &vecs)
	if len(vecs) != len(g.Texts) {
		t.Fatalf("%d vectors for %d inputs", len(vecs), len(g.Texts))
	}
	for i, v := range vecs {
		norm := 0.0
		for _, x := range g.MeanPooled[i] {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for j, x := range v {
			if !near(x, g.MeanPooled[i][j]/norm) {
				t.Fatalf("vector %d[%d] = %g, transformers normalised %g", i, j, x, g.MeanPooled[i][j]/norm)
			}
		}
	}
	postOK(t, h, "/embed", map[string]any{"model": "embed", "inputs": g.Texts[0], "normalize": false}, &vecs)
	if len(vecs) != 1 || !near(vecs[0][0], g.MeanPooled[0][0]) {
		t.Errorf("normalize false, single string: %d vectors, first component %g, want %g", len(vecs), vecs[0][0], g.MeanPooled[0][0])
	}
	postOK(t, h, "/embed", map[string]any{"model": "embed", "inputs": g.InputIDs[1], "normalize": false, "dimensions": 4}, &vecs)
	if len(vecs) != 1 || len(vecs[0]) != 4 || !near(vecs[0][3], g.MeanPooled[1][3]) {
		t.Errorf("token ids, dimensions 4: %v", vecs)
	}
}

// TestTEIPredictMatchesTransformers checks probabilities, raw scores,
// pairs and the single / batch answer shapes.
func TestTEIPredictMatchesTransformers(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	g := readGolden[encoderGolden](t, "bert-cls")
	want := func(scores []float64) []api.Prediction {
		out := make([]api.Prediction, len(scores))
		for i, s := range scores {
			out[i] = api.Prediction{Score: float32(s), Label: g.Labels[i]}
		}
		sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
		return out
	}
	check := func(what string, got, want []api.Prediction) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %+v, want %+v", what, got, want)
		}
		for i := range got {
			if got[i].Label != want[i].Label || !near(float64(got[i].Score), float64(want[i].Score)) {
				t.Fatalf("%s: %+v, want %+v", what, got, want)
			}
		}
	}
	var single []api.Prediction
	postOK(t, h, "/predict", map[string]any{"model": "cls", "inputs": g.Texts[0]}, &single)
	check("single", single, want(g.Probs[0]))
	postOK(t, h, "/predict", map[string]any{"model": "cls", "inputs": g.Texts[1], "raw_scores": true}, &single)
	check("raw scores", single, want(g.Logits[1]))
	postOK(t, h, "/predict", map[string]any{"model": "cls", "inputs": []string{g.Pair.Text, g.Pair.TextPair}}, &single)
	check("pair", single, want(g.Pair.Probs))
	var batch [][]api.Prediction
	postOK(t, h, "/predict", map[string]any{"model": "cls", "inputs": [][]string{{g.Texts[2]}, {g.Pair.Text, g.Pair.TextPair}, {g.Texts[0]}}}, &batch)
	if len(batch) != 3 {
		t.Fatalf("batch of 3: %d answers", len(batch))
	}
	check("batch 0", batch[0], want(g.Probs[2]))
	check("batch 1", batch[1], want(g.Pair.Probs))
	check("batch 2", batch[2], want(g.Probs[0]))
}

func TestTEIRerank(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	texts := []string{"Someone is making music.", "The cat sleeps.", "A guitar is played."}
	var ranks []struct {
		Index int      `json:"index"`
		Score float64  `json:"score"`
		Text  *string  `json:"text"`
		Extra struct{} `json:"-"`
	}
	raw := postOK(t, h, "/rerank", map[string]any{"model": "rerank", "query": "A man is playing a guitar.", "texts": texts, "return_text": true}, &ranks)
	if len(ranks) != len(texts) {
		t.Fatalf("%d ranks: %s", len(ranks), raw)
	}
	seen := map[int]bool{}
	for i, r := range ranks {
		if seen[r.Index] || r.Index < 0 || r.Index >= len(texts) || r.Text == nil || *r.Text != texts[r.Index] {
			t.Fatalf("rank %d = %+v: indexes must be a permutation, texts echoed", i, r)
		}
		seen[r.Index] = true
		if i > 0 && r.Score > ranks[i-1].Score {
			t.Fatalf("ranks not sorted best first: %s", raw)
		}
	}
	// The golden pair scores sigmoid(bert-cls's logit for the kept label).
	g := readGolden[encoderGolden](t, "bert-cls")
	ranks = nil
	postOK(t, h, "/rerank", map[string]any{"model": "rerank", "query": g.Pair.Text, "texts": []string{g.Pair.TextPair}}, &ranks)
	if want := 1 / (1 + math.Exp(-g.Pair.Logits[rerankerLabel])); len(ranks) != 1 || !near(ranks[0].Score, want) || ranks[0].Text != nil {
		t.Errorf("golden pair: %+v, want score %g and no text", ranks, want)
	}
	postOK(t, h, "/rerank", map[string]any{"model": "rerank", "query": g.Pair.Text, "texts": []string{g.Pair.TextPair}, "raw_scores": true}, &ranks)
	if want := g.Pair.Logits[rerankerLabel]; !near(ranks[0].Score, want) {
		t.Errorf("raw score %g, want %g", ranks[0].Score, want)
	}
}

// TestTEITokenizeDecode checks ids against Hugging Face tokenizers' and
// the round trip through /decode.
func TestTEITokenizeDecode(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	g := readGolden[encoderGolden](t, "bert")
	var toks [][]api.SimpleToken
	postOK(t, h, "/tokenize", map[string]any{"model": "embed", "inputs": g.Texts[1]}, &toks)
	if len(toks) != 1 || len(toks[0]) != len(g.InputIDs[1]) {
		t.Fatalf("tokenize: %+v, want %d tokens", toks, len(g.InputIDs[1]))
	}
	for i, tok := range toks[0] {
		if tok.ID != g.InputIDs[1][i] {
			t.Fatalf("token %d = %+v, want id %d", i, tok, g.InputIDs[1][i])
		}
	}
	first, second := toks[0][0], toks[0][1]
	if !first.Special || first.Start != nil || second.Special || second.Start == nil || second.Stop == nil {
		t.Errorf("special [CLS] %+v, then %+v", first, second)
	}
	postOK(t, h, "/tokenize", map[string]any{"model": "embed", "inputs": []string{"a", "b c"}, "add_special_tokens": false}, &toks)
	if len(toks) != 2 || len(toks[0]) != 1 || toks[0][0].Special {
		t.Errorf("without special tokens: %+v", toks)
	}
	var texts []string
	postOK(t, h, "/decode", map[string]any{"model": "embed", "ids": g.InputIDs[1]}, &texts)
	if len(texts) != 1 || texts[0] != "hello world! how are you today?" {
		t.Errorf("decode: %q", texts)
	}
	postOK(t, h, "/decode", map[string]any{"model": "embed", "ids": [][]int32{g.InputIDs[1], {}}, "skip_special_tokens": false}, &texts)
	if len(texts) != 2 || !strings.HasPrefix(texts[0], "[CLS] hello") || !strings.HasSuffix(texts[0], "[SEP]") || texts[1] != "" {
		t.Errorf("decode keeping special tokens: %q", texts)
	}
}

// TestHFServiceErrors checks errors only the backend finds, in TGI's and
// TEI's shapes.
func TestHFServiceErrors(t *testing.T) {
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	rec := post(h, "/generate", `{"inputs":"`+longText(3000)+`"}`)
	skipUnimplemented(t, rec)
	e := checkHFError(t, rec, http.StatusUnprocessableEntity, api.TGIErrorValidation)
	if want := "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 512."; len(e.Error) < len(want) || e.Error[:len(want)] != want {
		t.Errorf("context message %q", e.Error)
	}
	checkHFError(t, post(h, "/embed", `{"model":"embed","inputs":"`+longText(2000)+`"}`), http.StatusRequestEntityTooLarge, api.TEIErrorValidation)
	checkHFError(t, post(h, "/embed", `{"model":"embed","inputs":"a","dimensions":100000}`), http.StatusRequestEntityTooLarge, api.TEIErrorValidation)
	checkHFError(t, post(h, "/decode", `{"model":"embed","ids":[100000]}`), http.StatusRequestEntityTooLarge, api.TEIErrorValidation)
	// Truncation makes the long input fit.
	var vecs [][]float64
	postOK(t, h, "/embed", `{"model":"embed","inputs":"`+longText(2000)+`","truncate":true,"truncation_direction":"Left"}`, &vecs)
	if len(vecs) != 1 {
		t.Errorf("truncated: %d vectors", len(vecs))
	}
}

func longText(words int) string {
	b := make([]byte, 0, 5*words)
	for i := 0; i < words; i++ {
		b = append(b, "word "...)
	}
	return string(b)
}
