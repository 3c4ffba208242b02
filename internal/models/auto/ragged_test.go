package auto

import (
	"context"

	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
)

// TestRaggedBatchMatchesAlone is the continuous batcher's premise: three
// sequences of different lengths run together — one prefilling in chunks
// while the others decode, joining and leaving between steps — get the
// same logits (within 1e-4) as each sequence run alone.
func TestRaggedBatchMatchesAlone(t *testing.T) {
	ctx := context.Background()
	for name, dec := range decoders(t) {
		t.Run(name, func(t *testing.T) {
			info := dec.Info()
			vocab := info.VocabSize
			prompts := [][]int32{seq(9, vocab), seq(3, vocab)[1:], seq(17, vocab)}
			decode := [][]int32{seq(4, vocab), seq(6, vocab), seq(2, vocab)}
			// Alone: prefill in one pass, then one token per step; every
			// row of logits kept.
			alone := make([][]float32, len(prompts))
			for i := range prompts {
				c, err := dec.NewCache(64)
				if err != nil {
					t.Fatal(err)
				}
				out, err := dec.Forward(ctx, &models.Batch{Seqs: []models.SeqStep{{Tokens: prompts[i], Cache: c, Output: models.OutputLast}}})
				if err != nil {
					t.Fatal(err)
				}
				alone[i] = append(alone[i], out...)
				for _, tok := range decode[i] {
					out, err := dec.Forward(ctx, &models.Batch{Seqs: []models.SeqStep{{Tokens: []int32{tok}, Cache: c}}})
					if err != nil {
						t.Fatal(err)
					}
					alone[i] = append(alone[i], out...)
				}
			}
			// Together: sequence 2 prefills in chunks of 5 (OutputNone
			// until its last chunk) while 0 and 1 decode; sequence 1 joins
			// one step late; each leaves when its tokens run out.
			type state struct {
				cache  *models.KVCache
				fed    int // prompt tokens fed
				next   int // decode tokens fed
				joined bool
			}
			st := make([]*state, len(prompts))
			for i := range st {
				c, err := dec.NewCache(64)
				if err != nil {
					t.Fatal(err)
				}
				st[i] = &state{cache: c}
			}
			together := make([][]float32, len(prompts))
			for step := 0; step < 40; step++ {
				var b models.Batch
				var who []int
				for i, s := range st {
					if i == 1 && step == 0 {
						continue // joins late
					}
					switch {
					case s.fed < len(prompts[i]):
						n := len(prompts[i]) - s.fed
						if i == 2 {
							n = min(n, 5)
						}
						out := models.OutputNone
						if s.fed+n == len(prompts[i]) {
							out = models.OutputLast
						}
						b.Seqs = append(b.Seqs, models.SeqStep{Tokens: prompts[i][s.fed : s.fed+n], Cache: s.cache, Output: out})
						s.fed += n
					case s.next < len(decode[i]):
						b.Seqs = append(b.Seqs, models.SeqStep{Tokens: decode[i][s.next : s.next+1], Cache: s.cache})
						s.next++
					default:
						continue
					}
					who = append(who, i)
				}
				if len(b.Seqs) == 0 {
					break
				}
				out, err := dec.Forward(ctx, &b)
				if err != nil {
					t.Fatal(err)
				}
				off := b.RowOffsets()
				for k, i := range who {
					together[i] = append(together[i], out[off[k]*vocab:off[k+1]*vocab]...)
				}
			}
			for i := range prompts {
				if msg := goldentest.Mismatch(together[i], alone[i], 1e-4, 0); msg != "" {
					t.Errorf("sequence %d: batched logits differ from alone: %s", i, msg)
				}
				if want := (len(decode[i]) + 1) * vocab; len(together[i]) != want {
					t.Errorf("sequence %d: %d logits, want %d", i, len(together[i]), want)
				}
			}
		})
	}
}
