package serving

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hfserve/internal/builtin"
	"hfserve/internal/config"
)

// served is one model of a test service: a name, its folder and the
// configuration it is listed with.
type served struct {
	name string
	dir  string
	spec config.ModelSpec
}

// tinyModel serves testdata/models/tiny/<name> under its folder's name.
func tinyModel(t *testing.T, name string) served {
	t.Helper()
	return served{name: name, dir: abs(t, filepath.Join(tiny, name))}
}

// storiesModel serves the real stories260K model, unpacked from the
// binary's built-in copy, as "stories".
func storiesModel(t testing.TB) served {
	t.Helper()
	dir, err := builtin.Materialize(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return served{name: "stories", dir: dir}
}

// newTestService runs a Service over a real Manager that loads runtimes,
// the first model being the default, and closes it when the test ends.
func newTestService(t testing.TB, models ...served) *Service {
	t.Helper()
	return newBatchingService(t, Batching{Enabled: true}, models...)
}

// newBatchingService is newTestService with explicit batching settings.
func newBatchingService(t testing.TB, b Batching, models ...served) *Service {
	t.Helper()
	var entries []Entry
	for _, m := range models {
		e, err := newEntry(m.name, m.dir, m.dir, "")
		if err != nil {
			t.Fatal(err)
		}
		e.Spec = m.spec
		entries = append(entries, e)
	}
	cat, err := NewCatalog(entries)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(ManagerOptions{Catalog: cat, Load: BatchingLoader(nil, b), KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return NewService(m)
}

// readJSON decodes a fixture's JSON file into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// editJSON rewrites a JSON object file in place with edit.
func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	var obj map[string]any
	readJSON(t, path, &obj)
	edit(obj)
	data, err := json.MarshalIndent(obj, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// tolerance is a golden file's float comparison: |got-want| <= atol +
// rtol*|want|.
type tolerance struct {
	ATol float64 `json:"atol"`
	RTol float64 `json:"rtol"`
}

// checkClose fails the test where got and want differ beyond tol.
func (tol tolerance) checkClose(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol.ATol+tol.RTol*math.Abs(want[i]) || math.IsNaN(d) {
			t.Fatalf("%s[%d] = %g, want %g (|diff| %g)", what, i, got[i], want[i], d)
		}
	}
}

// logSoftmax is log_softmax of a row in float64: the reference for
// logprobs computed from a golden's logits.
func logSoftmax(row []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, v)
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(v - m)
	}
	out := make([]float64, len(row))
	for i, v := range row {
		out[i] = v - m - math.Log(sum)
	}
	return out
}

// decoderTextGolden is the part of a decoder's golden_text.json the tests
// use (see testdata/models/tiny/FIXTURES.md).
type decoderTextGolden struct {
	tolerance
	Prompts   []string      `json:"prompts"`
	InputIDs  [][]int32     `json:"input_ids"`
	Greedy    [][]int32     `json:"greedy"`
	GreedyTxt []string      `json:"greedy_text"`
	FullText  []string      `json:"full_text"`
	Top5      [][][]float64 `json:"top5_first_step"`
	Chat      struct {
		Messages   []map[string]string `json:"messages"`
		PromptText string              `json:"prompt_text"`
		InputIDs   []int32             `json:"input_ids"`
		Greedy     []int32             `json:"greedy"`
		GreedyText string              `json:"greedy_text"`
		Top5       [][]float64         `json:"top5_first_step"`
	} `json:"chat"`
}

// encoderTextGolden is the part of an encoder's golden_text.json the
// tests use.
type encoderTextGolden struct {
	tolerance
	Texts      []string    `json:"texts"`
	InputIDs   [][]int32   `json:"input_ids"`
	CLS        [][]float64 `json:"cls"`
	MeanPooled [][]float64 `json:"mean_pooled"`
	Labels     []string    `json:"labels"`
	Logits     [][]float64 `json:"logits"`
	Probs      [][]float64 `json:"probs"`
	Pair       struct {
		Text     string    `json:"text"`
		TextPair string    `json:"text_pair"`
		InputIDs []int32   `json:"input_ids"`
		Logits   []float64 `json:"logits"`
		Probs    []float64 `json:"probs"`
	} `json:"pair"`
}

// decoderGolden is the part of a decoder's golden.json the tests use.
type decoderGolden struct {
	tolerance
	InputIDs  [][]int32   `json:"input_ids"`
	Greedy    [][]int32   `json:"greedy"`
	LogitsAll [][]float64 `json:"logits_all_first_prompt"`
}

// ids returns a generation's token ids.
func choiceIDs(res *GenerateResult, choice int) []int32 {
	var out []int32
	for _, tok := range res.Choices[choice].Tokens {
		out = append(out, tok.ID)
	}
	return out
}

// greedy is greedy decoding of at most n tokens, with no prompt logprobs.
func greedyRequest(model string, n int) GenerateRequest {
	req := GenerateRequest{Model: model, PromptLogprobs: -1}
	req.Params.MaxTokens = n
	return req
}
