package generate

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"hfserve/internal/models"
)

func TestTokenLogprobs(t *testing.T) {
	row := []float32{1, 3, 2, float32(math.Inf(-1))}
	logZ := math.Log(math.E + math.Exp(3) + math.Exp(2))
	ch, err := TokenLogprobs(row, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []TokenLogprob{{1, float32(3 - logZ)}, {2, float32(2 - logZ)}}
	if ch.ID != 0 || !close32(ch.Logprob, float32(1-logZ)) || !logprobsClose(ch.TopLogprobs, want) {
		t.Errorf("got %+v, want logprob %v and %v", ch, 1-logZ, want)
	}
	// A masked token has probability 0: the lowest finite logprob stands
	// in, since JSON has no -Inf.
	if ch, err := TokenLogprobs(row, 3, 0); err != nil || ch.Logprob != -math.MaxFloat32 {
		t.Errorf("masked token: %+v, %v", ch, err)
	}
	for _, bad := range []struct {
		row  []float32
		id   int32
		topN int
		want error
	}{
		{row, 4, 0, ErrInvalidParams},
		{row, -1, 0, ErrInvalidParams},
		{row, 0, MaxTopLogprobs + 1, ErrInvalidParams},
		{[]float32{float32(math.NaN()), 0}, 0, 0, ErrBadLogits},
	} {
		if _, err := TokenLogprobs(bad.row, bad.id, bad.topN); !errors.Is(err, bad.want) {
			t.Errorf("TokenLogprobs(%v, %d, %d): %v, want %v", bad.row, bad.id, bad.topN, err, bad.want)
		}
	}
}

// TestTokenLogprobsGolden scores the prompt's last row of a real model:
// the first step's top 5 of golden_text.json.
func TestTokenLogprobsGolden(t *testing.T) {
	dir := filepath.Join(tinyDir, "mistral")
	var g textGolden
	readJSON(t, filepath.Join(dir, "golden_text.json"), &g)
	dec := loadDecoder(t, dir)
	cache, err := dec.NewCache(len(g.InputIDs[0]))
	if err != nil {
		t.Fatal(err)
	}
	row, err := dec.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: g.InputIDs[0], Cache: cache}}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := TokenLogprobs(row, int32(g.Top5[0][0][0]), 5)
	if err != nil {
		t.Fatal(err)
	}
	checkTop5(t, "prompt 0", Token{ID: ch.ID, Logprob: ch.Logprob, TopLogprobs: ch.TopLogprobs}, g.Top5[0], g.Atol, g.Rtol)
}
