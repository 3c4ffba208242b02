package auto

import (
	"context"
	"path/filepath"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
	"hfserve/internal/tensor"
)

// BenchmarkForward times one forward pass of every fixture through the
// pool: for decoders a 64-token prefill, a decode step of one sequence, and
// a decode step of 8 sequences as one ragged batch; for encoders a padded
// batch of 8 sequences of 32 tokens. The fixtures are tiny, so these measure
// the overheads of the path more than the kernels.
func BenchmarkForward(b *testing.B) {
	pool := tensor.NewPool(0)
	defer pool.Close()
	for _, f := range fixtures {
		m, err := Load(context.Background(), goldentest.ModelDir(b, f.dir), models.LoadOptions{Pool: pool})
		if err != nil {
			b.Fatal(err)
		}
		name := filepath.Base(f.dir)
		switch mm := m.(type) {
		case models.Decoder:
			benchDecoder(b, name, mm)
		case models.Encoder:
			benchEncoder(b, name, mm)
		}
		_ = m.Close()
	}
}

func benchDecoder(b *testing.B, name string, m models.Decoder) {
	vocab := m.Info().VocabSize
	prompt := seq(64, vocab)
	b.Run(name+"/prefill64", func(b *testing.B) {
		c, _ := m.NewCache(65)
		batch := &models.Batch{Seqs: []models.SeqStep{{Tokens: prompt, Cache: c}}}
		for b.Loop() {
			c.Reset()
			if _, err := m.Forward(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, n := range []int{1, 8} {
		b.Run(name+"/decode_batch"+itoa(n), func(b *testing.B) {
			batch := &models.Batch{}
			for range n {
				c, _ := m.NewCache(65)
				if _, err := m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: prompt, Cache: c}}}); err != nil {
					b.Fatal(err)
				}
				batch.Seqs = append(batch.Seqs, models.SeqStep{Tokens: prompt[:1], Cache: c})
			}
			for b.Loop() {
				if _, err := m.Forward(context.Background(), batch); err != nil {
					b.Fatal(err)
				}
				for _, s := range batch.Seqs {
					_ = s.Cache.Truncate(64)
				}
			}
		})
	}
}

func benchEncoder(b *testing.B, name string, m models.Encoder) {
	batch := &models.EncoderBatch{}
	for i := range 8 {
		ids := seq(32, m.Info().VocabSize)
		mask := make([]int32, 32)
		for j := range mask {
			if j < 32-2*i {
				mask[j] = 1
			}
		}
		batch.InputIDs = append(batch.InputIDs, ids)
		batch.AttentionMask = append(batch.AttentionMask, mask)
	}
	b.Run(name+"/encode8x32", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Encode(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
		}
	})
}
