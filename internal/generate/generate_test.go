package generate

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"hfserve/internal/models"
)

// ids returns the ids of tokens.
func ids(tokens []Token) []int32 {
	out := make([]int32, len(tokens))
	for i, tok := range tokens {
		out[i] = tok.ID
	}
	return out
}

// greedy decodes n tokens greedily, ignoring EOS as golden.json does.
func greedy(t *testing.T, dec models.Decoder, prompt []int32, n int) Result {
	t.Helper()
	res, err := Generate(context.Background(), dec, prompt, Params{MaxTokens: n, IgnoreEOS: true}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestGenerateGreedyGolden(t *testing.T) {
	for _, name := range decoderFixtures {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(tinyDir, name)
			var g idGolden
			readJSON(t, filepath.Join(dir, "golden.json"), &g)
			dec := loadDecoder(t, dir)
			for i, prompt := range g.InputIDs {
				res := greedy(t, dec, prompt, len(g.Greedy[i]))
				if got := ids(res.Tokens); !slices.Equal(got, g.Greedy[i]) {
					t.Errorf("prompt %d: greedy %v, want %v", i, got, g.Greedy[i])
				}
				if res.Finish != FinishLength || res.PromptTokens != len(prompt) {
					t.Errorf("prompt %d: finish %v, prompt tokens %d; want length, %d", i, res.Finish, res.PromptTokens, len(prompt))
				}
			}
		})
	}
}

func TestGenerateStories260K(t *testing.T) {
	var g idGolden
	readJSON(t, filepath.Join(storiesDir, "golden.json"), &g)
	dec := loadDecoder(t, storiesDir)
	for i, prompt := range g.InputIDs {
		res := greedy(t, dec, prompt, len(g.Greedy[i]))
		if got := ids(res.Tokens); !slices.Equal(got, g.Greedy[i]) {
			t.Errorf("prompt %d: greedy %v, want %v", i, got, g.Greedy[i])
		}
	}
}

// closeTo compares as golden_text.json says: |got-want| <= atol + rtol*|want|.
func closeTo(got float32, want, atol, rtol float64) bool {
	return math.Abs(float64(got)-want) <= atol+rtol*math.Abs(want)
}

// checkTop5 compares the first step's logprobs with a golden top 5.
func checkTop5(t *testing.T, what string, tok Token, want [][2]float64, atol, rtol float64) {
	t.Helper()
	if len(tok.TopLogprobs) != len(want) {
		t.Fatalf("%s: %d top logprobs, want %d", what, len(tok.TopLogprobs), len(want))
	}
	for j, w := range want {
		got := tok.TopLogprobs[j]
		if got.ID != int32(w[0]) || !closeTo(got.Logprob, w[1], atol, rtol) {
			t.Errorf("%s: top %d is (%d, %v), want (%v, %v)", what, j, got.ID, got.Logprob, w[0], w[1])
		}
	}
	if tok.ID != int32(want[0][0]) || !closeTo(tok.Logprob, want[0][1], atol, rtol) {
		t.Errorf("%s: chosen (%d, %v), want (%v, %v)", what, tok.ID, tok.Logprob, want[0][0], want[0][1])
	}
}

// TestGenerateTextGolden runs golden_text.json's prompts as a server
// would: EOS on (the goldens never reach it), logprobs asked for.
func TestGenerateTextGolden(t *testing.T) {
	for _, name := range decoderFixtures {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(tinyDir, name)
			var g textGolden
			readJSON(t, filepath.Join(dir, "golden_text.json"), &g)
			gc, err := LoadGenerationConfig(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gc.EOSTokenIDs, []int32{g.EOSTokenID}) {
				t.Errorf("generation_config eos %v, want [%d]", gc.EOSTokenIDs, g.EOSTokenID)
			}
			dec := loadDecoder(t, dir)
			type run struct {
				what   string
				prompt []int32
				greedy []int32
				top5   [][2]float64
			}
			runs := []run{{"chat", g.Chat.InputIDs, g.Chat.Greedy, g.Chat.Top5}}
			for i := range g.InputIDs {
				runs = append(runs, run{"prompt " + string(rune('0'+i)), g.InputIDs[i], g.Greedy[i], g.Top5[i]})
			}
			for _, r := range runs {
				p := Params{MaxTokens: len(r.greedy), EOSTokenIDs: gc.EOSTokenIDs, Logprobs: LogprobRequest{TopN: 5}}
				res, err := Generate(context.Background(), dec, r.prompt, p, nil, nil)
				if err != nil {
					t.Fatalf("%s: %v", r.what, err)
				}
				if got := ids(res.Tokens); !slices.Equal(got, r.greedy) {
					t.Errorf("%s: greedy %v, want %v", r.what, got, r.greedy)
					continue
				}
				checkTop5(t, r.what, res.Tokens[0], r.top5, g.Atol, g.Rtol)
				// Raw logprobs are the same numbers when nothing is processed.
				p.Logprobs.Raw = true
				raw, err := Generate(context.Background(), dec, r.prompt, p, nil, nil)
				if err != nil {
					t.Fatalf("%s: %v", r.what, err)
				}
				checkTop5(t, r.what+" (raw)", raw.Tokens[0], r.top5, g.Atol, g.Rtol)
			}
		})
	}
}

// TestGenerateStopsAtEOS forces EOS with a logit bias: the model's own EOS
// (config.json) ends generation with finish reason stop, unless ignored.
func TestGenerateStopsAtEOS(t *testing.T) {
	dir := filepath.Join(tinyDir, "llama")
	dec := loadDecoder(t, dir)
	eos := int32(dec.Info().EOSTokenIDs[0])
	var g idGolden
	readJSON(t, filepath.Join(dir, "golden.json"), &g)
	force := SamplingParams{LogitBias: map[int32]float64{eos: 1000}}

	res, err := Generate(context.Background(), dec, g.InputIDs[0], Params{MaxTokens: 5, Sampling: force}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res.Tokens); !slices.Equal(got, []int32{eos}) || res.Finish != FinishStopToken {
		t.Errorf("got %v, finish %v; want [%d], stop", got, res.Finish, eos)
	}
	res, err = Generate(context.Background(), dec, g.InputIDs[0], Params{MaxTokens: 5, Sampling: force, IgnoreEOS: true}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tokens) != 5 || res.Finish != FinishLength {
		t.Errorf("ignore_eos: %d tokens, finish %v; want 5, length", len(res.Tokens), res.Finish)
	}
	// A request's stop token id stops even with ignore_eos.
	res, err = Generate(context.Background(), dec, g.InputIDs[0], Params{MaxTokens: 5, Sampling: force, IgnoreEOS: true, StopTokenIDs: []int32{eos}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tokens) != 1 || res.Finish != FinishStopToken {
		t.Errorf("stop_token_ids: %d tokens, finish %v; want 1, stop", len(res.Tokens), res.Finish)
	}
}

func TestGenerateContextLength(t *testing.T) {
	dec := loadDecoder(t, filepath.Join(tinyDir, "gpt2"))
	maxPos := dec.Info().MaxPositions
	prompt := make([]int32, maxPos-3)
	tests := []struct {
		maxTokens int
		wantLen   int // tokens generated, or -1 for an error
	}{
		{3, 3},
		{4, -1},
		{0, 3}, // as many as fit
	}
	for _, tc := range tests {
		res, err := Generate(context.Background(), dec, prompt, Params{MaxTokens: tc.maxTokens, IgnoreEOS: true}, nil, nil)
		if tc.wantLen < 0 {
			var ce *ContextLengthError
			if !errors.As(err, &ce) || !errors.Is(err, models.ErrContextLength) {
				t.Fatalf("max_tokens %d: error %v, want a context length error", tc.maxTokens, err)
			}
			if ce.MaxPositions != maxPos || ce.PromptTokens != len(prompt) || ce.MaxTokens != tc.maxTokens {
				t.Errorf("max_tokens %d: error numbers %+v", tc.maxTokens, *ce)
			}
			continue
		}
		if err != nil {
			t.Fatalf("max_tokens %d: %v", tc.maxTokens, err)
		}
		if len(res.Tokens) != tc.wantLen || res.Finish != FinishLength {
			t.Errorf("max_tokens %d: %d tokens, finish %v; want %d, length", tc.maxTokens, len(res.Tokens), res.Finish, tc.wantLen)
		}
	}
	if _, err := Generate(context.Background(), dec, make([]int32, maxPos), Params{}, nil, nil); !errors.Is(err, models.ErrContextLength) {
		t.Errorf("prompt filling the context: error %v, want a context length error", err)
	}
}

// TestGenerateCancel cancels between steps: generation stops at once with
// the context's error and the tokens made so far.
func TestGenerateCancel(t *testing.T) {
	dec := loadDecoder(t, filepath.Join(tinyDir, "qwen3"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emitted := 0
	res, err := Generate(ctx, dec, []int32{1, 2, 3}, Params{MaxTokens: 50, IgnoreEOS: true}, nil, func(Token) error {
		if emitted++; emitted == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if len(res.Tokens) != 3 || emitted != 3 {
		t.Errorf("%d tokens, %d emitted after cancelling at the third; want 3", len(res.Tokens), emitted)
	}

	stop := errors.New("client gone")
	res, err = Generate(context.Background(), dec, []int32{1, 2, 3}, Params{MaxTokens: 50, IgnoreEOS: true}, nil, func(Token) error { return stop })
	if !errors.Is(err, stop) || len(res.Tokens) != 1 {
		t.Errorf("emit error: %v with %d tokens; want the emit error after 1", err, len(res.Tokens))
	}
}

// TestGenerateSeeded samples from a real model: the same seed gives the
// same tokens, another seed other tokens.
func TestGenerateSeeded(t *testing.T) {
	dec := loadDecoder(t, storiesDir)
	run := func(seed uint64) []int32 {
		p := Params{MaxTokens: 40, IgnoreEOS: true, Sampling: SamplingParams{Temperature: 1.5, TopP: 0.95, Seed: &seed}}
		res, err := Generate(context.Background(), dec, []int32{1}, p, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Seed != seed {
			t.Errorf("result seed %d, want %d", res.Seed, seed)
		}
		return ids(res.Tokens)
	}
	a, b, c := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Errorf("seed 7 twice: %v and %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Errorf("seeds 7 and 8 both gave %v", a)
	}
}
