package auto

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
)

// countdown is a context that reports cancellation once Err has been
// asked n times, to stop a forward pass in the middle.
type countdown struct {
	context.Context
	n atomic.Int32
}

func (c *countdown) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func decoders(t *testing.T) map[string]models.Decoder {
	out := map[string]models.Decoder{}
	for _, f := range fixtures {
		if f.decoder {
			out[filepath.Base(f.dir)] = mustLoad(t, f.dir).(models.Decoder)
		}
	}
	return out
}

func encoders(t *testing.T) map[string]models.Encoder {
	out := map[string]models.Encoder{}
	for _, f := range fixtures {
		if !f.decoder {
			out[filepath.Base(f.dir)] = mustLoad(t, f.dir).(models.Encoder)
		}
	}
	return out
}

// seq returns n valid token ids.
func seq(n, vocab int) []int32 {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32((i*7919 + 3) % vocab)
	}
	return ids
}

func TestDecoderContextLength(t *testing.T) {
	for name, m := range decoders(t) {
		t.Run(name, func(t *testing.T) {
			max, vocab := m.Info().MaxPositions, m.Info().VocabSize
			if _, err := m.NewCache(max + 1); !errors.Is(err, models.ErrContextLength) {
				t.Errorf("NewCache(%d): %v, want ErrContextLength", max+1, err)
			}
			c, err := m.NewCache(max)
			if err != nil {
				t.Fatal(err)
			}
			// The longest sequence the model accepts runs without NaN or Inf.
			ids := seq(max, vocab)
			for lo := 0; lo < max; lo += 100 {
				hi := min(lo+100, max)
				out, err := m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: ids[lo:hi], Cache: c}}})
				if err != nil {
					t.Fatal(err)
				}
				goldentest.Finite(t, "logits at position "+itoa(hi-1), out)
			}
			_, err = m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: ids[:1], Cache: c}}})
			if !errors.Is(err, models.ErrContextLength) || !strings.Contains(err.Error(), "max_position_embeddings") {
				t.Errorf("token %d: %v, want ErrContextLength naming max_position_embeddings", max+1, err)
			}
			if c.Len() != max {
				t.Errorf("refused step changed the cache to %d tokens", c.Len())
			}
			small, _ := m.NewCache(4)
			_, err = m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: ids[:5], Cache: small}}})
			if !errors.Is(err, models.ErrContextLength) || !strings.Contains(err.Error(), "KV cache of 4") {
				t.Errorf("5 tokens into a cache of 4: %v, want ErrContextLength naming the cache", err)
			}
		})
	}
}

func TestEncoderContextLength(t *testing.T) {
	for name, m := range encoders(t) {
		t.Run(name, func(t *testing.T) {
			max, vocab := m.Info().MaxPositions, m.Info().VocabSize
			out, err := m.Encode(context.Background(), &models.EncoderBatch{InputIDs: [][]int32{seq(max, vocab)}})
			if err != nil {
				t.Fatalf("%d tokens: %v", max, err)
			}
			goldentest.Finite(t, "hidden", out.Hidden)
			_, err = m.Encode(context.Background(), &models.EncoderBatch{InputIDs: [][]int32{seq(max+1, vocab)}})
			if !errors.Is(err, models.ErrContextLength) || !strings.Contains(err.Error(), "max_position_embeddings") {
				t.Errorf("%d tokens: %v, want ErrContextLength naming max_position_embeddings", max+1, err)
			}
		})
	}
}

// TestDecoderCancel stops a forward pass after its first layer: the error is
// the context's, the cache keeps its length, and the next step computes
// what it would have computed without the interruption.
func TestDecoderCancel(t *testing.T) {
	for name, m := range decoders(t) {
		t.Run(name, func(t *testing.T) {
			ids := seq(6, m.Info().VocabSize)
			c, _ := m.NewCache(32)
			if _, err := m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: ids[:3], Cache: c}}}); err != nil {
				t.Fatal(err)
			}
			ctx := &countdown{Context: context.Background()}
			ctx.n.Store(1)
			_, err := m.Forward(ctx, &models.Batch{Seqs: []models.SeqStep{{Tokens: ids[3:], Cache: c}}})
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "before layer 1") {
				t.Fatalf("forward with a context cancelled after one layer: %v", err)
			}
			if c.Len() != 3 {
				t.Fatalf("cancelled step left the cache at %d tokens, want 3", c.Len())
			}
			got, err := m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: ids[3:], Cache: c}}})
			if err != nil {
				t.Fatal(err)
			}
			fresh, _ := m.NewCache(32)
			want, err := m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: ids, Cache: fresh}}})
			if err != nil {
				t.Fatal(err)
			}
			if msg := goldentest.Mismatch(got, want, 1e-4, 0); msg != "" {
				t.Errorf("after a cancelled step: %s", msg)
			}
		})
	}
}

func TestEncoderCancel(t *testing.T) {
	for name, m := range encoders(t) {
		t.Run(name, func(t *testing.T) {
			ctx := &countdown{Context: context.Background()}
			ctx.n.Store(1)
			_, err := m.Encode(ctx, &models.EncoderBatch{InputIDs: [][]int32{seq(5, m.Info().VocabSize)}})
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "before layer 1") {
				t.Fatalf("encode with a context cancelled after one layer: %v", err)
			}
		})
	}
}

func TestDecoderBadInput(t *testing.T) {
	ms := decoders(t)
	other := ms["llama-tied"]
	for name, m := range ms {
		t.Run(name, func(t *testing.T) {
			vocab := m.Info().VocabSize
			c, _ := m.NewCache(16)
			c2, _ := m.NewCache(16)
			foreign, _ := other.NewCache(16)
			if name == "llama-tied" {
				foreign, _ = ms["llama"].NewCache(16)
			}
			tests := []struct {
				name string
				b    *models.Batch
				want string
			}{
				{"nil batch", nil, "empty batch"},
				{"no sequences", &models.Batch{}, "empty batch"},
				{"token too large", &models.Batch{Seqs: []models.SeqStep{{Tokens: []int32{1, int32(vocab)}, Cache: c}}}, "outside the vocabulary"},
				{"negative token", &models.Batch{Seqs: []models.SeqStep{{Tokens: []int32{-1}, Cache: c}}}, "outside the vocabulary"},
				{"no cache", &models.Batch{Seqs: []models.SeqStep{{Tokens: []int32{1}}}}, "no KV cache"},
				{"shared cache", &models.Batch{Seqs: []models.SeqStep{{Tokens: []int32{1}, Cache: c}, {Tokens: []int32{1}, Cache: c}}}, "share one KV cache"},
				{"foreign cache", &models.Batch{Seqs: []models.SeqStep{{Tokens: []int32{1}, Cache: foreign}}}, "another model"},
				{"bad output", &models.Batch{Seqs: []models.SeqStep{{Tokens: []int32{1}, Cache: c, Output: 9}}}, "output mode"},
				{"bad sequence after good", &models.Batch{Seqs: []models.SeqStep{{Tokens: []int32{1}, Cache: c2}, {Tokens: []int32{int32(vocab) + 5}, Cache: c}}}, "sequence 1"},
			}
			for _, tt := range tests {
				_, err := m.Forward(context.Background(), tt.b)
				if !errors.Is(err, models.ErrBadInput) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: %v, want ErrBadInput mentioning %q", tt.name, err, tt.want)
				}
			}
			if c.Len() != 0 || c2.Len() != 0 {
				t.Errorf("refused batches changed caches: %d, %d tokens", c.Len(), c2.Len())
			}
		})
	}
}

func TestEncoderBadInput(t *testing.T) {
	m := encoders(t)["bert"]
	ok := []int32{2, 5, 3}
	tests := []struct {
		name string
		b    *models.EncoderBatch
		want string
	}{
		{"nil", nil, "empty batch"},
		{"empty row", &models.EncoderBatch{InputIDs: [][]int32{{}}}, "empty batch"},
		{"ragged rows", &models.EncoderBatch{InputIDs: [][]int32{ok, {2, 3}}}, "input_ids row 1"},
		{"token out of range", &models.EncoderBatch{InputIDs: [][]int32{{2, 400, 3}}}, "input_ids[0][1]"},
		{"mask rows", &models.EncoderBatch{InputIDs: [][]int32{ok}, AttentionMask: [][]int32{ok, ok}}, "attention_mask has 2 rows"},
		{"mask value", &models.EncoderBatch{InputIDs: [][]int32{ok}, AttentionMask: [][]int32{{1, 2, 1}}}, "attention_mask[0][1]"},
		{"token type", &models.EncoderBatch{InputIDs: [][]int32{ok}, TokenTypeIDs: [][]int32{{0, 0, 2}}}, "token_type_ids[0][2]"},
	}
	for _, tt := range tests {
		_, err := m.Encode(context.Background(), tt.b)
		if !errors.Is(err, models.ErrBadInput) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrBadInput mentioning %q", tt.name, err, tt.want)
		}
	}
}

// TestEncoderPadding runs batches with heavy padding on either side and a
// row with no real token at all: every output is finite, and the padded
// sequences' real rows match the same sequences unpadded.
func TestEncoderPadding(t *testing.T) {
	for name, m := range encoders(t) {
		t.Run(name, func(t *testing.T) {
			pad := int32(max(m.Info().PadTokenID, 0))
			real := seq(4, m.Info().VocabSize)
			for i, id := range real {
				if id == pad {
					real[i] = pad + 1
				}
			}
			right := append(append([]int32{}, real...), pad, pad, pad, pad)
			allPad := []int32{pad, pad, pad, pad, pad, pad, pad, pad}
			b := &models.EncoderBatch{
				InputIDs:      [][]int32{right, allPad},
				AttentionMask: [][]int32{{1, 1, 1, 1, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0}},
			}
			out, err := m.Encode(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			goldentest.Finite(t, "hidden", out.Hidden)
			goldentest.Finite(t, "pooler", out.Pooler)
			goldentest.Finite(t, "logits", out.Logits)
			alone, err := m.Encode(context.Background(), &models.EncoderBatch{InputIDs: [][]int32{real}})
			if err != nil {
				t.Fatal(err)
			}
			h := out.HiddenSize
			if msg := goldentest.Mismatch(out.Hidden[:4*h], alone.Hidden, 1e-4, 0); msg != "" {
				t.Errorf("right-padded rows differ from the sequence alone: %s", msg)
			}
		})
	}
}

func TestClosed(t *testing.T) {
	for _, f := range fixtures {
		m, err := Load(context.Background(), goldentest.ModelDir(t, f.dir), models.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("%s: second Close: %v", f.dir, err)
		}
		switch mm := m.(type) {
		case models.Decoder:
			c, _ := mm.NewCache(8)
			if _, err := mm.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: []int32{1}, Cache: c}}}); !errors.Is(err, models.ErrClosed) {
				t.Errorf("%s: forward after Close: %v", f.dir, err)
			}
		case models.Encoder:
			if _, err := mm.Encode(context.Background(), &models.EncoderBatch{InputIDs: [][]int32{{1}}}); !errors.Is(err, models.ErrClosed) {
				t.Errorf("%s: encode after Close: %v", f.dir, err)
			}
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// TestDecoderEmptySequences accepts sequences without new tokens: they
// contribute no rows, alone or beside others.
func TestDecoderEmptySequences(t *testing.T) {
	for name, m := range decoders(t) {
		c1, _ := m.NewCache(8)
		c2, _ := m.NewCache(8)
		out, err := m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Cache: c1}}})
		if err != nil || len(out) != 0 {
			t.Errorf("%s: empty sequence alone: %d values, %v", name, len(out), err)
		}
		out, err = m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Cache: c1}, {Tokens: []int32{1, 2}, Cache: c2}}})
		if err != nil || len(out) != m.Info().VocabSize {
			t.Errorf("%s: empty sequence beside another: %d values, %v", name, len(out), err)
		}
		if c1.Len() != 0 || c2.Len() != 2 {
			t.Errorf("%s: caches hold %d and %d tokens, want 0 and 2", name, c1.Len(), c2.Len())
		}
	}
}

// TestConcurrentForward runs greedy decoding of several sequences on one
// model from several goroutines at once (each with its own cache), closing
// the model while they run: every goroutine either finishes with the
// sequential result or stops with ErrClosed, and nothing races.
func TestConcurrentForward(t *testing.T) {
	m := mustLoad(t, tiny+"qwen2").(models.Decoder)
	decode := func(start int32) ([]int32, error) {
		c, _ := m.NewCache(40)
		ids := []int32{start, start + 1, start + 2}
		for len(ids) < 20 {
			out, err := m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: ids[c.Len():], Cache: c}}})
			if err != nil {
				return nil, err
			}
			ids = append(ids, int32(goldentest.Argmax(out)))
		}
		return ids, nil
	}
	want := map[int32][]int32{}
	for s := int32(10); s < 14; s++ {
		ids, err := decode(s)
		if err != nil {
			t.Fatal(err)
		}
		want[s] = ids
	}
	type result struct {
		start int32
		ids   []int32
		err   error
	}
	results := make(chan result)
	for s := int32(10); s < 14; s++ {
		go func() {
			ids, err := decode(s)
			results <- result{s, ids, err}
		}()
	}
	first := <-results
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range append([]result{first}, <-results, <-results, <-results) {
		switch {
		case errors.Is(r.err, models.ErrClosed):
		case r.err != nil:
			t.Errorf("sequence %d: %v", r.start, r.err)
		case !slices.Equal(r.ids, want[r.start]):
			t.Errorf("sequence %d: concurrent %v, sequential %v", r.start, r.ids, want[r.start])
		}
	}
}
