// Package goldentest reads the reference outputs of the model fixtures
// (testdata/models/*/golden.json, described in testdata/models/tiny/FIXTURES.md)
// and compares results with them. It is for tests only.
package goldentest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// Golden is one fixture's golden.json. Decoder and encoder fields are both
// here; those of the other kind stay nil.
type Golden struct {
	Fixture      string  `json:"fixture"`
	Kind         string  `json:"kind"`
	Architecture string  `json:"architecture"`
	WeightsDType string  `json:"weights_dtype"`
	Atol         float64 `json:"atol"`
	Rtol         float64 `json:"rtol"`

	InputIDs [][]int32 `json:"input_ids"`

	// Decoders.
	LogitsLast                  [][]float32 `json:"logits_last"`
	LogitsAllFirstPrompt        [][]float32 `json:"logits_all_first_prompt"`
	Greedy                      [][]int32   `json:"greedy"`
	GreedyStepLogitsFirstPrompt [][]float32 `json:"greedy_step_logits_first_prompt"`

	// Encoders.
	AttentionMask   [][]int32     `json:"attention_mask"`
	TokenTypeIDs    [][]int32     `json:"token_type_ids"`
	PositionIDs     [][]int32     `json:"position_ids"`
	LastHiddenState [][][]float32 `json:"last_hidden_state"`
	CLS             [][]float32   `json:"cls"`
	MeanPooled      [][]float32   `json:"mean_pooled"`
	PoolerOutput    [][]float32   `json:"pooler_output"`
	Logits          [][]float32   `json:"logits"`
}

// Read parses dir/golden.json, failing the test on any problem.
func Read(t testing.TB, dir string) *Golden {
	t.Helper()
	data, err := os.ReadFile(dir + "/golden.json")
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	var g Golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("golden: %s/golden.json: %v", dir, err)
	}
	if g.Atol <= 0 || g.Rtol <= 0 {
		t.Fatalf("golden: %s/golden.json: atol %v, rtol %v: want positive tolerances", dir, g.Atol, g.Rtol)
	}
	return &g
}

// Flat concatenates rows.
func Flat(rows [][]float32) []float32 {
	var out []float32
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// Mismatch describes how far got is from want: the worst element by
// |got-want| - (atol + rtol*|want|), and how many elements fail. It returns
// "" when got matches want within tolerance.
func Mismatch(got, want []float32, atol, rtol float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d values, want %d", len(got), len(want))
	}
	bad, worst, worstExcess := 0, -1, math.Inf(-1)
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		excess := math.Abs(g-w) - (atol + rtol*math.Abs(w))
		if math.IsNaN(g) || math.IsInf(g, 0) {
			excess = math.Inf(1)
		}
		if excess > 0 {
			bad++
		}
		if excess > worstExcess {
			worst, worstExcess = i, excess
		}
	}
	if bad == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d values out of tolerance; worst [%d]: got %v, want %v", bad, len(want), worst, got[worst], want[worst])
}

// Check fails the test when got does not match want within the golden's
// tolerance.
func (g *Golden) Check(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if msg := Mismatch(got, want, g.Atol, g.Rtol); msg != "" {
		t.Errorf("%s %s: %s", g.Fixture, what, msg)
	}
}

// Finite fails the test when x holds a NaN or an infinity.
func Finite(t testing.TB, what string, x []float32) {
	t.Helper()
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Errorf("%s: element %d is %v", what, i, v)
			return
		}
	}
}

// Argmax returns the index of the largest value (the first on ties).
func Argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
