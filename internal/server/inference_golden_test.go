package server

import (
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// decoderGolden is the part of a tiny decoder's golden_text.json the tests
// use: reference outputs of Hugging Face transformers and tokenizers.
type decoderGolden struct {
	Prompts    []string       `json:"prompts"`
	InputIDs   [][]int32      `json:"input_ids"`
	Greedy     [][]int32      `json:"greedy"`
	GreedyText []string       `json:"greedy_text"`
	FullText   []string       `json:"full_text"`
	Top5       [][][2]float64 `json:"top5_first_step"`
	Chat       struct {
		Messages   []map[string]string `json:"messages"`
		PromptText string              `json:"prompt_text"`
		InputIDs   []int32             `json:"input_ids"`
		Greedy     []int32             `json:"greedy"`
		GreedyText string              `json:"greedy_text"`
		Top5       [][2]float64        `json:"top5_first_step"`
	} `json:"chat"`
}

// encoderGolden is the part of a tiny encoder's golden_text.json the tests
// use.
type encoderGolden struct {
	Texts      []string    `json:"texts"`
	InputIDs   [][]int32   `json:"input_ids"`
	MeanPooled [][]float64 `json:"mean_pooled"`
	Labels     []string    `json:"labels"`
	Logits     [][]float64 `json:"logits"`
	Probs      [][]float64 `json:"probs"`
	Pair       struct {
		Text     string    `json:"text"`
		TextPair string    `json:"text_pair"`
		Logits   []float64 `json:"logits"`
		Probs    []float64 `json:"probs"`
	} `json:"pair"`
}

func readGolden[T any](t *testing.T, fixture string) T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../testdata/models/tiny", fixture, "golden_text.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g T
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// postOK posts body, skips while the backend is unimplemented, fails
// unless the answer is 200, and decodes it into out (when not nil).
func postOK(t *testing.T, h http.Handler, path string, body any, out any) []byte {
	t.Helper()
	rec := post(h, path, body)
	skipUnimplemented(t, rec)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST %s: status %d: %s", path, rec.Code, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("POST %s: %v: %s", path, err, rec.Body)
		}
	}
	return rec.Body.Bytes()
}

// near reports whether a and b agree within the goldens' tolerance.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-4+1e-4*math.Abs(b) }

// requireKeys fails unless the JSON object raw has every key.
func requireKeys(t *testing.T, what string, raw json.RawMessage, keys ...string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %s is not an object: %v", what, raw, err)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Fatalf("%s: %s lacks %q", what, raw, k)
		}
	}
	return m
}
