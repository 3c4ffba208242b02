package goldentest

import (
	"context"
	"strconv"
	"testing"

	"hfserve/internal/models"
)

// Encoder checks a loaded encoder against its golden.json: the padded
// batch's last_hidden_state (padded rows included), cls, mean_pooled,
// pooler_output and logits; then each sequence alone, unpadded, must give
// its rows of the batch (within 1e-4); then the batch with SkipPadding must
// give the padded pass's real rows (within 1e-5) and zero padded rows.
func Encoder(t *testing.T, m models.Encoder, g *Golden) {
	if got := m.Info().Architecture; got != g.Architecture {
		t.Errorf("architecture %q, want %q", got, g.Architecture)
	}
	if got := m.Info().WeightsDType; got != g.WeightsDType {
		t.Errorf("weights dtype %q, want %q", got, g.WeightsDType)
	}
	batch := &models.EncoderBatch{InputIDs: g.InputIDs, AttentionMask: g.AttentionMask, TokenTypeIDs: g.TokenTypeIDs}
	out, err := m.Encode(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	Finite(t, "hidden", out.Hidden)
	var want []float32
	for _, seq := range g.LastHiddenState {
		want = append(want, Flat(seq)...)
	}
	g.Check(t, "last_hidden_state", out.Hidden, want)
	h, T := out.HiddenSize, out.SeqLen
	for i := range g.InputIDs {
		seq := out.Hidden[i*T*h : (i+1)*T*h]
		g.Check(t, "cls["+strconv.Itoa(i)+"]", seq[:h], g.CLS[i])
		g.Check(t, "mean_pooled["+strconv.Itoa(i)+"]", meanPool(seq, g.AttentionMask[i], h), g.MeanPooled[i])
	}
	switch {
	case g.PoolerOutput != nil:
		g.Check(t, "pooler_output", out.Pooler, Flat(g.PoolerOutput))
	case out.Pooler != nil:
		t.Errorf("pooler output where the golden has none")
	}
	switch {
	case g.Logits != nil:
		g.Check(t, "logits", out.Logits, Flat(g.Logits))
		if out.LogitsDim != len(g.Logits[0]) {
			t.Errorf("LogitsDim %d, want %d", out.LogitsDim, len(g.Logits[0]))
		}
	case out.Logits != nil:
		t.Errorf("logits where the golden has none")
	}
	for i := range g.InputIDs {
		n := 0
		for _, v := range g.AttentionMask[i] {
			n += int(v)
		}
		alone := &models.EncoderBatch{InputIDs: [][]int32{g.InputIDs[i][:n]}}
		if g.TokenTypeIDs != nil {
			alone.TokenTypeIDs = [][]int32{g.TokenTypeIDs[i][:n]}
		}
		got, err := m.Encode(context.Background(), alone)
		if err != nil {
			t.Fatal(err)
		}
		if msg := Mismatch(got.Hidden, out.Hidden[i*T*h:(i*T+n)*h], 1e-4, 0); msg != "" {
			t.Errorf("sequence %d alone differs from its rows in the padded batch: %s", i, msg)
		}
	}
	SkipPadding(t, m, batch, out)
}

// SkipPadding encodes batch again with SkipPadding and compares it with the
// padded pass's output: real rows (and per-token logits) alike, padded rows
// zero, the pooler and sequence-level logits alike when every sequence's
// first position is real.
func SkipPadding(t *testing.T, m models.Encoder, batch *models.EncoderBatch, padded *models.EncoderOutput) {
	t.Helper()
	skip := *batch
	skip.SkipPadding = true
	out, err := m.Encode(context.Background(), &skip)
	if err != nil {
		t.Fatal(err)
	}
	if out.Batch != padded.Batch || out.SeqLen != padded.SeqLen || out.HiddenSize != padded.HiddenSize || out.LogitsDim != padded.LogitsDim {
		t.Fatalf("SkipPadding: dimensions %d×%d×%d (logits %d), want %d×%d×%d (logits %d)", out.Batch, out.SeqLen,
			out.HiddenSize, out.LogitsDim, padded.Batch, padded.SeqLen, padded.HiddenSize, padded.LogitsDim)
	}
	perToken := padded.Logits != nil && len(padded.Logits) == padded.Batch*padded.SeqLen*padded.LogitsDim
	firstReal := true
	for i, mask := range batch.AttentionMask {
		firstReal = firstReal && mask[0] != 0
		for j, v := range mask {
			pos := i*padded.SeqLen + j
			rows := [][2][]float32{{out.Hidden[pos*out.HiddenSize:][:out.HiddenSize], padded.Hidden[pos*padded.HiddenSize:][:padded.HiddenSize]}}
			if perToken {
				rows = append(rows, [2][]float32{out.Logits[pos*out.LogitsDim:][:out.LogitsDim], padded.Logits[pos*padded.LogitsDim:][:padded.LogitsDim]})
			}
			for k, r := range rows {
				what := [...]string{"hidden", "logits"}[k]
				if v == 0 {
					for _, x := range r[0] {
						if x != 0 {
							t.Errorf("SkipPadding: padded position %d of sequence %d has a non-zero %s row", j, i, what)
							break
						}
					}
				} else if msg := Mismatch(r[0], r[1], 1e-5, 0); msg != "" {
					t.Errorf("SkipPadding: position %d of sequence %d: %s %s", j, i, what, msg)
				}
			}
		}
	}
	if !firstReal {
		return
	}
	if msg := Mismatch(out.Pooler, padded.Pooler, 1e-5, 0); msg != "" {
		t.Errorf("SkipPadding: pooler %s", msg)
	}
	if !perToken {
		if msg := Mismatch(out.Logits, padded.Logits, 1e-5, 0); msg != "" {
			t.Errorf("SkipPadding: logits %s", msg)
		}
	}
}

// meanPool is the mask-aware mean of a sequence's hidden states.
func meanPool(seq []float32, mask []int32, h int) []float32 {
	out := make([]float32, h)
	n := float32(0)
	for j, m := range mask {
		if m == 0 {
			continue
		}
		n++
		for k := 0; k < h; k++ {
			out[k] += seq[j*h+k]
		}
	}
	for k := range out {
		out[k] /= n
	}
	return out
}
