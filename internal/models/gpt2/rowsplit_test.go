package gpt2

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
	"hfserve/internal/tensor"
)

// TestRowSplitPrefill prefills a prompt long enough that the layers' row-wise
// steps (LayerNorms, residual adds, the q|k|v split) are split over the pool's
// workers, and checks that every position's logits are bit for bit those of a
// one-worker pool, which runs each step whole.
func TestRowSplitPrefill(t *testing.T) {
	const n, positions = 600, 1024 // 600 rows × n_embd 64: above models.ForRows' serial bound
	r := rand.New(rand.NewPCG(8, 9))
	dir := goldentest.Rewrite(t, "../../../testdata/models/tiny/gpt2", func(c map[string]any) {
		c["n_positions"] = positions
	}, func(e map[string]*goldentest.Entry) {
		for name, en := range e {
			if name != "wpe.weight" && name != "transformer.wpe.weight" {
				continue
			}
			cols := int(en.Shape[1])
			data := make([]byte, 4*positions*cols)
			for i := range positions * cols {
				binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(float32(r.Float64()*0.04-0.02)))
			}
			e[name] = &goldentest.Entry{DType: "F32", Shape: []int64{positions, int64(cols)}, Data: data}
		}
	})
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
		logits[i] = out
	}
	if len(logits[0]) == 0 || len(logits[0]) != len(logits[1]) {
		t.Fatalf("logits: %d and %d", len(logits[0]), len(logits[1]))
	}
	for j := range logits[0] {
		a, b := logits[0][j], logits[1][j]
		if math.Float32bits(a) != math.Float32bits(b) || math.IsNaN(float64(a)) {
			t.Fatalf("logit %d: %v with one worker, %v with three", j, a, b)
		}
	}
}
