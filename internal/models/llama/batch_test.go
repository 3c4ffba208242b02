package llama

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
	"hfserve/internal/tensor"
)

// randBF16 is a rows×cols BF16 tensor entry of values in [-scale, scale).
func randBF16(r *rand.Rand, rows, cols int, scale float64) *goldentest.Entry {
	data := make([]byte, 2*rows*cols)
	for i := range rows * cols {
		bits := math.Float32bits(float32((r.Float64()*2 - 1) * scale))
		binary.LittleEndian.PutUint16(data[2*i:], uint16(bits>>16))
	}
	return &goldentest.Entry{DType: "BF16", Shape: []int64{int64(rows), int64(cols)}, Data: data}
}

// TestBatchedDecodeWideMLP decodes one step of several sequences together
// and each alone on a BF16 model whose MLP is wider than one depth pass of
// the in-place batched kernels (tensor's gemmDotKC): the down projection
// then sums several passes, and for batch sizes that are not made of whole
// tiles (5, 7, 8, 13) an overlapping tile once added its shared rows twice.
// A sequence's logits must be the same batched or alone (issue 6: within
// 1e-4).
func TestBatchedDecodeWideMLP(t *testing.T) {
	const inter = 2100 // three depth passes of 1024, the last ragged
	r := rand.New(rand.NewPCG(6, 7))
	dir := goldentest.Rewrite(t, "../../../testdata/models/tiny/qwen2", func(c map[string]any) {
		c["intermediate_size"] = inter
	}, func(e map[string]*goldentest.Entry) {
		for name, en := range e {
			hidden := int(en.Shape[len(en.Shape)-1])
			switch {
			case strings.HasSuffix(name, "mlp.gate_proj.weight"), strings.HasSuffix(name, "mlp.up_proj.weight"):
				e[name] = randBF16(r, inter, hidden, 0.1)
			case strings.HasSuffix(name, "mlp.down_proj.weight"):
				e[name] = randBF16(r, int(en.Shape[0]), inter, 0.05)
			}
		}
	})
	pool := tensor.NewPool(2)
	t.Cleanup(pool.Close)
	m := load(t, dir, pool)
	vocab := m.Info().VocabSize
	ctx := context.Background()
	for _, n := range []int{5, 7, 8, 13} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			// Each sequence: its own prompt, prefilled alone into two
			// caches (one for the batched step, one for the lone one).
			batched := make([]models.SeqStep, n)
			alone := make([][]float32, n)
			for i := range n {
				prompt := make([]int32, 3+i%4)
				for j := range prompt {
					prompt[j] = int32((7*i + 13*j + 1) % vocab)
				}
				next := []int32{int32((31*i + 5) % vocab)}
				var caches [2]*models.KVCache
				for c := range caches {
					cache, err := m.NewCache(16)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := m.Forward(ctx, &models.Batch{Seqs: []models.SeqStep{{Tokens: prompt, Cache: cache}}}); err != nil {
						t.Fatal(err)
					}
					caches[c] = cache
				}
				batched[i] = models.SeqStep{Tokens: next, Cache: caches[0]}
				out, err := m.Forward(ctx, &models.Batch{Seqs: []models.SeqStep{{Tokens: next, Cache: caches[1]}}})
				if err != nil {
					t.Fatal(err)
				}
				alone[i] = out
			}
			out, err := m.Forward(ctx, &models.Batch{Seqs: batched})
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if msg := goldentest.Mismatch(out[i*vocab:(i+1)*vocab], alone[i], 1e-4, 0); msg != "" {
					t.Errorf("sequence %d of %d: batched logits differ from its lone step: %s", i, n, msg)
				}
			}
		})
	}
}
