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
// its rows of the batch (within 1e-4).
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
