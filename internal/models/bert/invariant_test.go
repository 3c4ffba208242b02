package bert

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/tensor"
)

// TestBatchInvariant checks the promise the server's embeddings rest on: with
// SkipPadding, a sequence's hidden states, pooler output and logits are bit for
// bit the same encoded alone or batched with others, whatever their number
// (the batches below put 2 to over 300 rows through every product). The
// golden tests allow rounding; this one allows none.
func TestBatchInvariant(t *testing.T) {
	pool := tensor.NewPool(2)
	t.Cleanup(pool.Close)
	ctx := context.Background()
	for _, dir := range fixtures {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m := load(t, dir, pool)
			// Token ids well inside every fixture's vocabulary, first and last
			// positions as a tokenizer would place special tokens.
			seqs := [][]int32{{2, 3}, {2, 17, 45, 3}, {2, 9, 8, 7, 6, 5, 4, 33, 3}, {2, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 3}}
			alone := make([]*models.EncoderOutput, len(seqs))
			for i, s := range seqs {
				out, err := m.Encode(ctx, &models.EncoderBatch{InputIDs: [][]int32{s}, SkipPadding: true})
				if err != nil {
					t.Fatal(err)
				}
				alone[i] = out
			}
			for _, copies := range []int{1, 3, 24} {
				var batch models.EncoderBatch
				batch.SkipPadding = true
				for range copies {
					for _, s := range seqs {
						ids, mask := make([]int32, 15), make([]int32, 15)
						copy(ids, s)
						for j := range s {
							mask[j] = 1
						}
						batch.InputIDs = append(batch.InputIDs, ids)
						batch.AttentionMask = append(batch.AttentionMask, mask)
					}
				}
				out, err := m.Encode(ctx, &batch)
				if err != nil {
					t.Fatal(err)
				}
				for c := range copies {
					for i, s := range seqs {
						b := c*len(seqs) + i
						what := fmt.Sprintf("sequence %d (%d tokens) in a batch of %d", i, len(s), len(batch.InputIDs))
						h := out.HiddenSize
						for j := range s {
							got := out.Hidden[(b*out.SeqLen+j)*h : (b*out.SeqLen+j+1)*h]
							want := alone[i].Hidden[j*h : (j+1)*h]
							if !slices.Equal(got, want) {
								t.Fatalf("%s: hidden state of position %d differs from the sequence alone", what, j)
							}
						}
						if a := alone[i].Pooler; a != nil && !slices.Equal(out.Pooler[b*h:(b+1)*h], a) {
							t.Fatalf("%s: pooler output differs from the sequence alone", what)
						}
						if a := alone[i].Logits; a != nil {
							d := out.LogitsDim
							per := len(a) / alone[i].Batch // one row, or one per position
							if per > d {
								per = len(s) * d // positions past the sequence are padding
							}
							first := b * (len(out.Logits) / out.Batch)
							if !slices.Equal(out.Logits[first:first+per], a[:per]) {
								t.Fatalf("%s: logits differ from the sequence alone", what)
							}
						}
					}
				}
			}
		})
	}
}
