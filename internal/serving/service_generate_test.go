package serving

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"hfserve/internal/generate"
	"hfserve/internal/models"
	"hfserve/internal/models/auto"
	"hfserve/internal/tokenizer"
)

// The real stories260K model continues its golden prompt with the golden's
// greedy tokens (the reference forward pass, independent of this engine).
func TestGenerateStoriesGolden(t *testing.T) {
	st := storiesModel(t)
	svc := newTestService(t, st)
	var g decoderGolden
	readJSON(t, "../../testdata/models/stories260K/golden.json", &g)
	req := greedyRequest("", len(g.Greedy[0]))
	req.Prompt.IDs = g.InputIDs[0]
	res, err := svc.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := choiceIDs(res, 0); !slices.Equal(got, g.Greedy[0]) {
		t.Fatalf("greedy ids = %v\nwant %v", got, g.Greedy[0])
	}
	if res.Model != "stories" || res.PromptTokens != len(g.InputIDs[0]) || res.CompletionTokens != len(g.Greedy[0]) {
		t.Fatalf("model %q, usage %d+%d", res.Model, res.PromptTokens, res.CompletionTokens)
	}
	if want := ", there was a little girl named Lily."; !strings.HasPrefix(res.Choices[0].Text, want) {
		t.Fatalf("text = %q, want it to start with %q", res.Choices[0].Text, want)
	}
}

// A text prompt through the service gives exactly what generate.Generate
// gives on the same model, prompt and parameters.
func TestGenerateMatchesGenerateDirect(t *testing.T) {
	st := storiesModel(t)
	svc := newTestService(t, st)
	ctx := context.Background()
	m, err := auto.Load(ctx, st.dir, models.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := tokenizer.LoadDir(st.dir)
	if err != nil {
		t.Fatal(err)
	}
	const text = "Once upon a time"
	enc, err := tok.Encode(text, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []generate.Params{
		{MaxTokens: 60},
		{MaxTokens: 30, Sampling: generate.SamplingParams{Temperature: 0.8, TopP: 0.9, Seed: ptr(uint64(7))}},
		{MaxTokens: 30, StopStrings: []string{"Lily"}},
	} {
		want, err := generate.Generate(ctx, m.(models.Decoder), enc.IDs, p, tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		req := GenerateRequest{Prompt: Prompt{Text: text}, Params: p, PromptLogprobs: -1}
		res, err := svc.Generate(ctx, req, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := res.Choices[0]
		if !slices.Equal(choiceIDs(res, 0), idsOf(want.Tokens)) || got.Text != want.Text || got.Finish != want.Finish {
			t.Fatalf("params %+v: service gave %v %q (%v), Generate gave %v %q (%v)",
				p, choiceIDs(res, 0), got.Text, got.Finish, idsOf(want.Tokens), want.Text, want.Finish)
		}
		if !slices.Equal(idsOfPrompt(res.Prompt), enc.IDs) || res.PromptText != text {
			t.Fatalf("prompt = %v %q, want %v %q", idsOfPrompt(res.Prompt), res.PromptText, enc.IDs, text)
		}
	}
}

// Text prompts and chat messages on every tiny decoder give the golden
// ids, text and first-step logprobs of golden_text.json.
func TestGenerateTextAndChatGoldens(t *testing.T) {
	for _, name := range []string{"llama", "llama-tied", "mistral", "qwen2", "qwen3", "gpt2"} {
		t.Run(name, func(t *testing.T) {
			var g decoderTextGolden
			readJSON(t, filepath.Join(tiny, name, "golden_text.json"), &g)
			svc := newTestService(t, tinyModel(t, name))
			ctx := context.Background()
			for i, prompt := range g.Prompts {
				req := greedyRequest(name, len(g.Greedy[i]))
				req.Prompt.Text = prompt
				req.Params.Logprobs = generate.LogprobRequest{TopN: 5}
				res, err := svc.Generate(ctx, req, nil)
				if err != nil {
					t.Fatal(err)
				}
				if got := idsOfPrompt(res.Prompt); !slices.Equal(got, g.InputIDs[i]) {
					t.Fatalf("prompt %d ids = %v, want %v", i, got, g.InputIDs[i])
				}
				if got := choiceIDs(res, 0); !slices.Equal(got, g.Greedy[i]) {
					t.Fatalf("prompt %d greedy = %v, want %v", i, got, g.Greedy[i])
				}
				// The streamed text continues the prompt: the golden full
				// text minus the prompt's text.
				if !strings.HasSuffix(g.FullText[i], res.Choices[0].Text) {
					t.Fatalf("prompt %d text = %q, want the end of %q", i, res.Choices[0].Text, g.FullText[i])
				}
				if strings.TrimSpace(res.Choices[0].Text) != strings.TrimSpace(g.GreedyTxt[i]) {
					t.Fatalf("prompt %d text = %q, golden greedy_text %q", i, res.Choices[0].Text, g.GreedyTxt[i])
				}
				checkTop5(t, g.tolerance, res.Choices[0].Tokens[0], g.Top5[i])
			}

			req := greedyRequest(name, len(g.Chat.Greedy))
			for _, m := range g.Chat.Messages {
				req.Prompt.Messages = append(req.Prompt.Messages, m)
			}
			req.Params.Logprobs = generate.LogprobRequest{TopN: 5}
			res, err := svc.Generate(ctx, req, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.PromptText != g.Chat.PromptText || !slices.Equal(idsOfPrompt(res.Prompt), g.Chat.InputIDs) {
				t.Fatalf("chat prompt = %q %v\nwant %q %v", res.PromptText, idsOfPrompt(res.Prompt), g.Chat.PromptText, g.Chat.InputIDs)
			}
			// greedy_text decodes the reply alone, so the SentencePiece
			// decoders strip its leading space; in context it stays.
			text := res.Choices[0].Text
			if name == "llama" || name == "mistral" {
				text = strings.TrimPrefix(text, " ")
			}
			if got := choiceIDs(res, 0); !slices.Equal(got, g.Chat.Greedy) || text != g.Chat.GreedyText {
				t.Fatalf("chat = %v %q, want %v %q", got, res.Choices[0].Text, g.Chat.Greedy, g.Chat.GreedyText)
			}
			checkTop5(t, g.tolerance, res.Choices[0].Tokens[0], g.Chat.Top5)
		})
	}
}

// checkTop5 compares a token's top logprobs with a golden's [id, logprob]
// pairs.
func checkTop5(t *testing.T, tol tolerance, tok generate.Token, want [][]float64) {
	t.Helper()
	if len(tok.TopLogprobs) != len(want) {
		t.Fatalf("top logprobs = %v, want %v", tok.TopLogprobs, want)
	}
	for k, w := range want {
		got := tok.TopLogprobs[k]
		if got.ID != int32(w[0]) {
			t.Fatalf("top logprob %d is id %d, want %v", k, got.ID, w[0])
		}
		tol.checkClose(t, "top logprob", []float32{got.Logprob}, []float64{w[1]})
	}
}

// Prompt logprobs are log_softmax of the golden's logits at every position,
// each row scoring the next prompt token.
func TestGeneratePromptLogprobs(t *testing.T) {
	for _, name := range []string{"llama", "gpt2", "qwen2"} {
		t.Run(name, func(t *testing.T) {
			var g decoderGolden
			readJSON(t, filepath.Join(tiny, name, "golden.json"), &g)
			svc := newTestService(t, tinyModel(t, name))
			req := greedyRequest(name, 1)
			req.Prompt.IDs = g.InputIDs[0]
			req.PromptLogprobs = 3
			res, err := svc.Generate(context.Background(), req, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Prompt) != len(g.InputIDs[0]) || res.Prompt[0].Logprob != nil {
				t.Fatalf("prompt tokens = %+v", res.Prompt)
			}
			for i, pt := range res.Prompt[1:] {
				want := logSoftmax(g.LogitsAll[i])
				if pt.Logprob == nil || len(pt.TopLogprobs) != 3 {
					t.Fatalf("token %d: %+v", i+1, pt)
				}
				g.checkClose(t, "prompt logprob", []float32{*pt.Logprob}, []float64{want[pt.ID]})
				best := slices.Max(want)
				g.checkClose(t, "best alternative", []float32{pt.TopLogprobs[0].Logprob}, []float64{best})
			}
		})
	}
}

// Streamed events carry every token in order, and their texts add up to
// the final text, with stop strings and several choices.
func TestGenerateStreaming(t *testing.T) {
	svc := newTestService(t, storiesModel(t))
	req := GenerateRequest{Prompt: Prompt{Text: "Once upon a time"}, N: 3, PromptLogprobs: -1}
	req.Params = generate.Params{MaxTokens: 40, StopStrings: []string{"park"}, Sampling: generate.SamplingParams{Temperature: 1, Seed: ptr(uint64(3))}}
	var texts [3]strings.Builder
	var counts [3]int
	res, err := svc.Generate(context.Background(), req, func(ev GenerateEvent) error {
		if ev.Index != counts[ev.Choice] {
			t.Errorf("choice %d: event index %d, want %d", ev.Choice, ev.Index, counts[ev.Choice])
		}
		counts[ev.Choice]++
		texts[ev.Choice].WriteString(ev.Token.Text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Choices) != 3 {
		t.Fatalf("%d choices", len(res.Choices))
	}
	total := 0
	for i, c := range res.Choices {
		if texts[i].String() != c.Text || counts[i] != len(c.Tokens) {
			t.Fatalf("choice %d: streamed %q in %d events, result %q in %d tokens", i, texts[i].String(), counts[i], c.Text, len(c.Tokens))
		}
		if strings.Contains(c.Text, "park") {
			t.Fatalf("choice %d text %q contains its stop string", i, c.Text)
		}
		total += len(c.Tokens)
	}
	if res.CompletionTokens != total {
		t.Fatalf("completion tokens = %d, want %d", res.CompletionTokens, total)
	}
}

// With a seed, N choices replay exactly, and choice i is what a single
// choice with seed+i gives — with batching on and off (both compute the
// shared prompt once and copy it to the other choices).
func TestGenerateSeededChoices(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("batching=%v", on), func(t *testing.T) {
			svc := newBatchingService(t, Batching{Enabled: on}, storiesModel(t))
			ctx := context.Background()
			run := func(seed uint64, n int) *GenerateResult {
				t.Helper()
				req := GenerateRequest{Prompt: Prompt{Text: "Once upon a time"}, N: n, PromptLogprobs: -1}
				req.Params = generate.Params{MaxTokens: 25, Sampling: generate.SamplingParams{Temperature: 1.5, Seed: &seed}}
				res, err := svc.Generate(ctx, req, nil)
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			a, b := run(42, 3), run(42, 3)
			for i := range 3 {
				if !slices.Equal(choiceIDs(a, i), choiceIDs(b, i)) || a.Choices[i].Seed != 42+uint64(i) {
					t.Fatalf("choice %d: %v (seed %d) then %v", i, choiceIDs(a, i), a.Choices[i].Seed, choiceIDs(b, i))
				}
			}
			if slices.Equal(choiceIDs(a, 0), choiceIDs(a, 1)) {
				t.Fatalf("both choices sampled %v", choiceIDs(a, 0))
			}
			for i := 1; i < 3; i++ {
				if alone := run(42+uint64(i), 1); !slices.Equal(choiceIDs(alone, 0), choiceIDs(a, i)) {
					t.Fatalf("choice %d with seed 42 = %v, one choice with seed %d = %v", i, choiceIDs(a, i), 42+i, choiceIDs(alone, 0))
				}
			}
		})
	}
}

// Cancelling the context, or an emit error, stops generation at once and
// is returned; the lease is released either way.
func TestGenerateStops(t *testing.T) {
	svc := newTestService(t, storiesModel(t))
	req := greedyRequest("", 200)
	req.Params.IgnoreEOS = true
	req.Prompt.Text = "Once upon a time"

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := 0
	_, err := svc.Generate(ctx, req, func(GenerateEvent) error {
		events++
		if events == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || events != 3 {
		t.Fatalf("after cancel: err %v, %d events", err, events)
	}

	gone := errors.New("client gone")
	events = 0
	_, err = svc.Generate(context.Background(), req, func(GenerateEvent) error {
		events++
		return gone
	})
	if !errors.Is(err, gone) || events != 1 {
		t.Fatalf("after emit error: err %v, %d events", err, events)
	}
	if st := statusOf(t, svc.Manager(), "stories"); st.InFlight != 0 {
		t.Fatalf("%d requests still in flight", st.InFlight)
	}
}

// An empty prompt starts from the model's BOS token; a model without one
// rejects it.
func TestGenerateEmptyPrompt(t *testing.T) {
	noBOS := copyFixture(t, "qwen2")
	editJSON(t, filepath.Join(noBOS, "config.json"), func(c map[string]any) { delete(c, "bos_token_id") })
	editJSON(t, filepath.Join(noBOS, "generation_config.json"), func(c map[string]any) { delete(c, "bos_token_id") })
	svc := newTestService(t, tinyModel(t, "gpt2"), served{name: "nobos", dir: noBOS})
	req := greedyRequest("gpt2", 2)
	res, err := svc.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	// gpt2's bos_token_id is <|endoftext|>, 499 (FIXTURES.md).
	if got := idsOfPrompt(res.Prompt); !slices.Equal(got, []int32{499}) {
		t.Fatalf("prompt = %v, want [499]", got)
	}
	req.Model = "nobos"
	_, err = svc.Generate(context.Background(), req, nil)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Param != "prompt" {
		t.Fatalf("err = %v, want an InputError for prompt", err)
	}
}

// ContinueFinal ends the prompt with the final message's text, without
// the template's end of turn, as continue_final_message does.
func TestGenerateContinueFinal(t *testing.T) {
	svc := newTestService(t, tinyModel(t, "qwen2"))
	req := greedyRequest("", 1)
	req.Prompt.ContinueFinal = true
	req.Prompt.Messages = []any{
		json.RawMessage(`{"role":"user","content":"Hi there"}`),
		map[string]any{"role": "assistant", "content": " Well, "},
	}
	res, err := svc.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n Well,"; res.PromptText != want {
		t.Fatalf("prompt = %q, want %q", res.PromptText, want)
	}
}

func TestCutAfterFinalMessage(t *testing.T) {
	for _, tc := range []struct {
		rendered string
		final    any
		want     string
		err      bool
	}{
		{"<a>x</a><a>hello</a>\n", map[string]any{"content": " hello "}, "<a>x</a><a>hello", false},
		{"<a>hi</a><a>hi</a>", map[string]any{"content": "hi"}, "<a>hi</a><a>hi", false},
		{"[ab]", map[string]any{"content": []any{map[string]any{"text": "a"}, map[string]any{"type": "image"}, map[string]any{"text": "ab"}}}, "[ab", false},
		{"[ab]", map[string]any{"content": []any{map[string]any{"type": "image"}}}, "", true},
		{"[ab]", map[string]any{"content": "zz"}, "", true},
		{"[ab]", "not an object", "", true},
		{"[ab]", map[string]any{"content": nil}, "", true},
	} {
		got, err := cutAfterFinalMessage(tc.rendered, tc.final)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("cut(%q, %v) = %q, %v; want %q, error %v", tc.rendered, tc.final, got, err, tc.want, tc.err)
		}
	}
}

func TestApplyModelDefaults(t *testing.T) {
	yes, no := true, false
	cfg := func(doSample *bool) *generate.GenerationConfig {
		return &generate.GenerationConfig{DoSample: doSample, Temperature: ptr(0.6), TopP: ptr(0.9), TopK: ptr(20), MinP: ptr(0.05), RepetitionPenalty: ptr(1.1)}
	}
	for _, tc := range []struct {
		name string
		req  generate.SamplingParams
		cfg  *generate.GenerationConfig
		want generate.SamplingParams
	}{
		{"sampling model, empty request", generate.SamplingParams{}, cfg(&yes),
			generate.SamplingParams{Temperature: 0.6, TopP: 0.9, TopK: 20, MinP: 0.05, RepetitionPenalty: 1.1}},
		{"request values win", generate.SamplingParams{Temperature: 1.2, TopP: 0.5, TopK: 3, MinP: 0.1, RepetitionPenalty: 1.3}, cfg(&yes),
			generate.SamplingParams{Temperature: 1.2, TopP: 0.5, TopK: 3, MinP: 0.1, RepetitionPenalty: 1.3}},
		{"do_sample false stays greedy", generate.SamplingParams{}, cfg(&no),
			generate.SamplingParams{TopP: 0.9, TopK: 20, MinP: 0.05, RepetitionPenalty: 1.1}},
		{"do_sample absent stays greedy", generate.SamplingParams{}, cfg(nil),
			generate.SamplingParams{TopP: 0.9, TopK: 20, MinP: 0.05, RepetitionPenalty: 1.1}},
		{"do_sample without temperature", generate.SamplingParams{}, &generate.GenerationConfig{DoSample: &yes},
			generate.SamplingParams{Temperature: 1}},
		{"empty file", generate.SamplingParams{TopK: 1}, &generate.GenerationConfig{}, generate.SamplingParams{TopK: 1}},
	} {
		got := tc.req
		applyModelDefaults(&got, tc.cfg)
		if got.Temperature != tc.want.Temperature || got.TopP != tc.want.TopP || got.TopK != tc.want.TopK || got.MinP != tc.want.MinP || got.RepetitionPenalty != tc.want.RepetitionPenalty {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func idsOf(toks []generate.Token) []int32 {
	var out []int32
	for _, tok := range toks {
		out = append(out, tok.ID)
	}
	return out
}

func idsOfPrompt(toks []PromptToken) []int32 {
	var out []int32
	for _, tok := range toks {
		out = append(out, tok.ID)
	}
	return out
}

// Requests of every kind run concurrently on shared models and each gets
// the result it gets alone.
func TestServiceConcurrent(t *testing.T) {
	svc := newTestService(t, storiesModel(t), tinyModel(t, "bert"))
	ctx := context.Background()
	gen := greedyRequest("stories", 20)
	gen.Prompt.Text = "Once upon a time"
	want, err := svc.Generate(ctx, gen, nil)
	if err != nil {
		t.Fatal(err)
	}
	emb := EmbedRequest{Model: "bert", Inputs: []Input{{Text: "hello world"}}}
	wantVec, err := svc.Embed(ctx, emb)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			if i%2 == 0 {
				res, err := svc.Generate(ctx, gen, func(GenerateEvent) error { return nil })
				if err == nil && res.Choices[0].Text != want.Choices[0].Text {
					err = errors.New("concurrent generation differs: " + res.Choices[0].Text)
				}
				errs <- err
				return
			}
			res, err := svc.Embed(ctx, emb)
			if err == nil && !slices.Equal(res.Vectors[0], wantVec.Vectors[0]) {
				err = errors.New("concurrent embedding differs")
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range svc.Manager().Status() {
		if st.InFlight != 0 {
			t.Fatalf("%s: %d requests still in flight", st.Name, st.InFlight)
		}
	}
}

// A chat template from the configuration makes a model without one serve
// chat, rendered with that template.
func TestGenerateConfiguredChatTemplate(t *testing.T) {
	st := storiesModel(t)
	// The ChatML template of testdata/models/tiny/FIXTURES.md.
	st.spec.ChatTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
	svc := newTestService(t, st)
	req := greedyRequest("", 3)
	req.Prompt.Messages = []any{map[string]string{"role": "user", "content": "Hi there"}}
	res, err := svc.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n"; res.PromptText != want || len(res.Choices[0].Tokens) == 0 {
		t.Fatalf("prompt %q, %d tokens; want %q", res.PromptText, len(res.Choices[0].Tokens), want)
	}
}
