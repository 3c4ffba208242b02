package goldentest

import (
	"context"
	"math"
	"slices"
	"strconv"
	"testing"

	"hfserve/internal/models"
)

// Decoder checks a loaded decoder against its golden.json: logits_last,
// logits_all_first_prompt, greedy decoding with a KV cache (ids and, for
// prompt 0, every step's logits), both prompts as one ragged batch, a decode
// step beside a prefill, and a prompt prefilled in two chunks.
func Decoder(t *testing.T, m models.Decoder, g *Golden) {
	if got := m.Info().Architecture; got != g.Architecture {
		t.Errorf("architecture %q, want %q", got, g.Architecture)
	}
	if got := m.Info().WeightsDType; got != g.WeightsDType {
		t.Errorf("weights dtype %q, want %q", got, g.WeightsDType)
	}
	d := &decoderCheck{m: m, g: g}
	t.Run("logits_last", d.logitsLast)
	t.Run("logits_all_first_prompt", d.logitsAll)
	t.Run("greedy", d.greedy)
	t.Run("ragged_batch", d.ragged)
	t.Run("chunked_prefill", d.chunked)
	t.Run("out_buffer", d.outBuffer)
}

// outBuffer checks Batch.Out: a result that fits is written into it (the
// same memory comes back) with the same values as without it, logits and
// hidden states alike; one that does not fit leaves Out alone.
func (d *decoderCheck) outBuffer(t *testing.T) {
	ids := d.g.InputIDs[0]
	for _, hidden := range []bool{false, true} {
		run := func(out []float32) []float32 {
			t.Helper()
			b := &models.Batch{Hidden: hidden, Out: out,
				Seqs: []models.SeqStep{{Tokens: ids, Cache: d.cache(t), Output: models.OutputAll}}}
			got, err := d.m.Forward(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		want := run(nil)
		dirty := func(n int) []float32 {
			b := make([]float32, n)
			for i := range b {
				b[i] = float32(math.NaN())
			}
			return b
		}
		big := dirty(len(want) + 7)
		got := run(big[:3])
		if &got[0] != &big[0] || len(got) != len(want) {
			t.Errorf("hidden=%v: a result that fits Out was not written into it", hidden)
		}
		if !slices.Equal(got, want) {
			t.Errorf("hidden=%v: written into Out, the result differs from a fresh one", hidden)
		}
		for i, v := range big[len(want):] {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("hidden=%v: Out written past the result, at %d", hidden, len(want)+i)
			}
		}
		small := dirty(len(want) - 1)
		got = run(small)
		if &got[0] == &small[0] || !slices.Equal(got, want) {
			t.Errorf("hidden=%v: a result that does not fit Out went into it, or differs", hidden)
		}
		for _, v := range small {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("hidden=%v: an Out too small for the result was written", hidden)
			}
		}
	}
}

type decoderCheck struct {
	m models.Decoder
	g *Golden
}

func (d *decoderCheck) forward(t *testing.T, seqs ...models.SeqStep) []float32 {
	t.Helper()
	out, err := d.m.Forward(context.Background(), &models.Batch{Seqs: seqs})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != (&models.Batch{Seqs: seqs}).OutputRows()*d.m.Info().VocabSize {
		t.Fatalf("forward returned %d values", len(out))
	}
	Finite(t, "logits", out)
	return out
}

func (d *decoderCheck) cache(t *testing.T) *models.KVCache {
	t.Helper()
	c, err := d.m.NewCache(d.m.Info().MaxPositions)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (d *decoderCheck) logitsLast(t *testing.T) {
	for i, ids := range d.g.InputIDs {
		got := d.forward(t, models.SeqStep{Tokens: ids, Cache: d.cache(t)})
		d.g.Check(t, "logits_last["+strconv.Itoa(i)+"]", got, d.g.LogitsLast[i])
	}
}

func (d *decoderCheck) logitsAll(t *testing.T) {
	got := d.forward(t, models.SeqStep{Tokens: d.g.InputIDs[0], Cache: d.cache(t), Output: models.OutputAll})
	d.g.Check(t, "logits_all_first_prompt", got, Flat(d.g.LogitsAllFirstPrompt))
}

// greedy decodes with a KV cache, prefill then one token per step.
func (d *decoderCheck) greedy(t *testing.T) {
	for i, ids := range d.g.InputIDs {
		cache := d.cache(t)
		logits := d.forward(t, models.SeqStep{Tokens: ids, Cache: cache})
		for step, want := range d.g.Greedy[i] {
			if i == 0 {
				d.g.Check(t, "greedy_step_logits_first_prompt["+strconv.Itoa(step)+"]", logits, d.g.GreedyStepLogitsFirstPrompt[step])
			}
			next := int32(Argmax(logits))
			if next != want {
				t.Fatalf("prompt %d step %d: greedy id %d, want %d (ids so far %v)", i, step, next, want, d.g.Greedy[i][:step])
			}
			logits = d.forward(t, models.SeqStep{Tokens: []int32{next}, Cache: cache})
		}
		if got, want := cache.Len(), len(ids)+len(d.g.Greedy[i]); got != want {
			t.Errorf("prompt %d: cache holds %d tokens, want %d", i, got, want)
		}
	}
}

// ragged runs both prompts as one batch, then a decode step of one beside
// the prefill of the other: each sequence must get what it gets alone
// (within 1e-4) and what the golden says.
func (d *decoderCheck) ragged(t *testing.T) {
	g, v := d.g, d.m.Info().VocabSize
	c0, c1 := d.cache(t), d.cache(t)
	got := d.forward(t,
		models.SeqStep{Tokens: g.InputIDs[0], Cache: c0, Output: models.OutputAll},
		models.SeqStep{Tokens: g.InputIDs[1], Cache: c1})
	n0 := len(g.InputIDs[0])
	g.Check(t, "batched logits_all_first_prompt", got[:n0*v], Flat(g.LogitsAllFirstPrompt))
	g.Check(t, "batched logits_last[1]", got[n0*v:], g.LogitsLast[1])
	for i, ids := range g.InputIDs {
		alone := d.forward(t, models.SeqStep{Tokens: ids, Cache: d.cache(t)})
		inBatch := got[(n0-1)*v : n0*v]
		if i == 1 {
			inBatch = got[n0*v:]
		}
		if msg := Mismatch(inBatch, alone, 1e-4, 0); msg != "" {
			t.Errorf("prompt %d: batched logits differ from alone: %s", i, msg)
		}
	}

	next := []int32{g.Greedy[0][0]}
	c := d.cache(t)
	d.forward(t, models.SeqStep{Tokens: g.InputIDs[0], Cache: c, Output: models.OutputNone})
	alone := d.forward(t, models.SeqStep{Tokens: next, Cache: c})
	both := d.forward(t,
		models.SeqStep{Tokens: next, Cache: c0},
		models.SeqStep{Tokens: g.InputIDs[0], Cache: d.cache(t)})
	if msg := Mismatch(both[:v], alone, 1e-4, 0); msg != "" {
		t.Errorf("decode step beside a prefill differs from alone: %s", msg)
	}
	g.Check(t, "decode step beside a prefill", both[:v], g.GreedyStepLogitsFirstPrompt[1])
	g.Check(t, "prefill beside a decode step", both[v:], g.LogitsLast[0])
}

// chunked prefills prompt 0 in two chunks.
func (d *decoderCheck) chunked(t *testing.T) {
	ids, v := d.g.InputIDs[0], d.m.Info().VocabSize
	c := d.cache(t)
	half := len(ids) / 2
	if out := d.forward(t, models.SeqStep{Tokens: ids[:half], Cache: c, Output: models.OutputNone}); len(out) != 0 {
		t.Fatalf("OutputNone returned %d values", len(out))
	}
	got := d.forward(t, models.SeqStep{Tokens: ids[half:], Cache: c, Output: models.OutputAll})
	d.g.Check(t, "chunked logits", got, Flat(d.g.LogitsAllFirstPrompt)[half*v:])
}
