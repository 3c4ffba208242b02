package llama

import (
	"context"
	"math"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
	"hfserve/internal/tensor"
)

// TestRowSplitPrefill prefills a prompt long enough that the layers' row-wise
// steps (norms, Qwen3's per-head norms, residual adds, RoPE, SwiGLU) are split
// over the pool's workers, and checks that every position's logits are bit for
// bit those of a one-worker pool, which runs each step whole.
func TestRowSplitPrefill(t *testing.T) {
	const n = 600 // 600 rows × hidden 64: above models.ForRows' serial bound
	dir := goldentest.Rewrite(t, "../../../testdata/models/tiny/qwen3", func(c map[string]any) {
		c["max_position_embeddings"] = 1024
	}, nil)
	var logits [2][]float32
	for i, workers := range []int{1, 3} {
		pool := tensor.NewPool(workers)
		t.Cleanup(pool.Close)
		m := load(t, dir, pool)
		prompt := make([]int32, n)
		for j := range prompt {
			prompt[j] = int32((13*j + 5) % m.Info().VocabSize)
		}
		cache, err := m.NewCache(n)
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: prompt, Cache: cache, Output: models.OutputAll}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != n*m.Info().VocabSize {
			t.Fatalf("%d workers: %d logits, want %d", workers, len(out), n*m.Info().VocabSize)
		}
		logits[i] = out
	}
	for j := range logits[0] {
		a, b := logits[0][j], logits[1][j]
		if math.Float32bits(a) != math.Float32bits(b) || math.IsNaN(float64(a)) {
			t.Fatalf("logit %d (position %d): %v with one worker, %v with three", j, j/(len(logits[0])/n), a, b)
		}
	}
}
