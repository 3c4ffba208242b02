package serving

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hfserve/internal/config"
	"hfserve/internal/generate"
	"hfserve/internal/skills"
)

// Every documented error comes back with its type and, for input errors,
// the field it names; a request for a task the model does not serve never
// loads it.
func TestServiceErrors(t *testing.T) {
	short := storiesModel(t)
	short.name, short.spec = "short", config.ModelSpec{MaxContext: 32}
	svc := newTestService(t, storiesModel(t), short, tinyModel(t, "qwen2"), tinyModel(t, "bert"), tinyModel(t, "bert-cls"))
	ctx := context.Background()
	gen := func(mut func(*GenerateRequest)) func() error {
		return func() error {
			req := greedyRequest("stories", 4)
			req.Prompt.Text = "Once upon a time"
			mut(&req)
			_, err := svc.Generate(ctx, req, nil)
			return err
		}
	}
	embed := func(req EmbedRequest) func() error {
		return func() error {
			if req.Model == "" {
				req.Model = "bert"
			}
			_, err := svc.Embed(ctx, req)
			return err
		}
	}
	long := strings.Repeat("and then the cat sat on the mat ", 40)
	for _, tc := range []struct {
		name  string
		call  func() error
		check func(error) bool
	}{
		{"unknown model", gen(func(r *GenerateRequest) { r.Model = "nope" }), is(ErrUnknownModel)},
		{"chat without template", gen(func(r *GenerateRequest) {
			r.Prompt.Messages = []any{map[string]string{"role": "user", "content": "hi"}}
		}), isTask(skills.TaskChat)},
		{"generate on an encoder", gen(func(r *GenerateRequest) { r.Model = "bert" }), isTask(skills.TaskTextGeneration)},
		{"embed on a decoder", embed(EmbedRequest{Model: "stories", Inputs: []Input{{Text: "x"}}}), isTask(skills.TaskEmbeddings)},
		{"classify a base model", func() error {
			_, err := svc.Classify(ctx, ClassifyRequest{Model: "bert", Inputs: []Input{{Text: "x"}}})
			return err
		}, isTask(skills.TaskClassification)},
		{"rerank with three labels", func() error {
			_, err := svc.Rerank(ctx, RerankRequest{Model: "bert-cls", Query: "q", Texts: []string{"x"}})
			return err
		}, isTask(skills.TaskRerank)},
		{"prompt id outside vocab", gen(func(r *GenerateRequest) { r.Prompt.IDs = []int32{1, 512} }), isInput("prompt")},
		{"negative prompt id", gen(func(r *GenerateRequest) { r.Prompt.IDs = []int32{-1} }), isInput("prompt")},
		{"n too large", gen(func(r *GenerateRequest) { r.N = MaxChoices + 1 }), isInput("n")},
		{"n negative", gen(func(r *GenerateRequest) { r.N = -1 }), isInput("n")},
		{"no messages", gen(func(r *GenerateRequest) { r.Model, r.Prompt.Messages = "qwen2", []any{} }), isInput("messages")},
		{"template cannot render", gen(func(r *GenerateRequest) {
			r.Model, r.Prompt.Messages = "qwen2", []any{map[string]any{"role": "user", "content": 3}}
		}), isInput("messages")},
		{"invalid UTF-8", gen(func(r *GenerateRequest) { r.Prompt.Text = "\xff" }), isInput("prompt")},
		{"completion over the context", gen(func(r *GenerateRequest) { r.Params.MaxTokens = 600 }), isContext(512, 5)},
		{"prompt over max_context", gen(func(r *GenerateRequest) { r.Model, r.Prompt.IDs = "short", make([]int32, 40) }), isContext(32, 40)},
		{"bad top_p", gen(func(r *GenerateRequest) { r.Params.Sampling.TopP = 2 }), isParam("top_p")},
		{"logit bias bans every token", gen(func(r *GenerateRequest) {
			r.Params.Sampling.LogitBias = map[int32]float64{}
			for id := range int32(512) {
				r.Params.Sampling.LogitBias[id] = math.Inf(-1)
			}
		}), isParam("logit_bias")},
		{"too many prompt alternatives", gen(func(r *GenerateRequest) { r.PromptLogprobs = generate.MaxTopLogprobs + 1 }), isParam("top_logprobs")},
		{"no embedding input", embed(EmbedRequest{}), isInput("input")},
		{"embedding too long", embed(EmbedRequest{Inputs: []Input{{Text: "a"}, {Text: long}}}), isContext(128, -1)},
		{"dimensions over hidden size", embed(EmbedRequest{Inputs: []Input{{Text: "a"}}, Dimensions: 65}), isInput("dimensions")},
		{"negative dimensions", embed(EmbedRequest{Inputs: []Input{{Text: "a"}}, Dimensions: -1}), isInput("dimensions")},
		{"unknown pooling", embed(EmbedRequest{Inputs: []Input{{Text: "a"}}, Pooling: "splade"}), isInput("pooling")},
		{"empty id input", embed(EmbedRequest{Inputs: []Input{{Text: "a"}, {IDs: []int32{}}}}), isInput("input[1]")},
		{"embedding id outside vocab", embed(EmbedRequest{Inputs: []Input{{IDs: []int32{2, 400}}}}), isInput("input[0]")},
		{"no classification input", func() error {
			_, err := svc.Classify(ctx, ClassifyRequest{Model: "bert-cls", Pairs: [][2]string{}})
			return err
		}, isInput("inputs")},
		{"classification input too long", func() error {
			_, err := svc.Classify(ctx, ClassifyRequest{Model: "bert-cls", Pairs: [][2]string{{long, "b"}}})
			return err
		}, isContext(128, -1)},
		{"no tokenize text", func() error {
			_, _, err := svc.Tokenize(ctx, TokenizeRequest{Model: "bert"})
			return err
		}, isInput("inputs")},
		{"tokenize invalid UTF-8", func() error {
			_, _, err := svc.Tokenize(ctx, TokenizeRequest{Model: "bert", Texts: []string{"\xc3"}})
			return err
		}, isInput("inputs[0]")},
		{"no ids to decode", func() error {
			_, _, err := svc.Decode(ctx, DecodeRequest{Model: "bert"})
			return err
		}, isInput("ids")},
		{"decode id outside vocab", func() error {
			_, _, err := svc.Decode(ctx, DecodeRequest{Model: "bert", IDs: [][]int32{{2}, {3, 1 << 20}}})
			return err
		}, isInput("ids[1]")},
		{"describe unknown model", func() error {
			_, err := svc.Describe(ctx, "nope")
			return err
		}, is(ErrUnknownModel)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !tc.check(err) {
				t.Fatalf("err = %v (%T)", err, err)
			}
		})
	}
	// On a fresh service, a request for a task the model does not serve
	// fails without loading it.
	svc2 := newTestService(t, storiesModel(t))
	if _, err := svc2.Embed(ctx, EmbedRequest{Inputs: []Input{{Text: "x"}}}); !isTask(skills.TaskEmbeddings)(err) {
		t.Fatalf("err = %v", err)
	}
	if st := statusOf(t, svc2.Manager(), "stories"); st.State != StateAvailable || st.Loads != 0 {
		t.Fatalf("a wrong-task request loaded the model: %+v", st)
	}
}

// Manager errors reach the caller: a corrupt model's *LoadError, a
// *CapacityError, ErrClosed and the context's own error.
func TestServiceManagerErrors(t *testing.T) {
	corrupt := copyFixture(t, "bert")
	weights := filepath.Join(corrupt, "model.safetensors")
	data, err := os.ReadFile(weights)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(weights, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	svc := newTestService(t, served{name: "corrupt", dir: corrupt}, tinyModel(t, "bert"))
	ctx := context.Background()
	embed := func(s *Service, ctx context.Context, model string) error {
		_, err := s.Embed(ctx, EmbedRequest{Model: model, Inputs: []Input{{Text: "hello"}}})
		return err
	}
	var le *LoadError
	if err := embed(svc, ctx, "corrupt"); !errors.As(err, &le) {
		t.Fatalf("corrupt model: err = %v", err)
	}
	if err := embed(svc, ctx, "bert"); err != nil {
		t.Fatalf("a healthy model after a corrupt one: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := embed(svc, cancelled, "bert"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: err = %v", err)
	}

	cat := fixtureCatalog(t, "bert")
	m, err := NewManager(ManagerOptions{Catalog: cat, Load: RuntimeLoader(nil), MemoryBudget: 1000})
	if err != nil {
		t.Fatal(err)
	}
	small := NewService(m)
	var ce *CapacityError
	if err := embed(small, ctx, ""); !errors.As(err, &ce) {
		t.Fatalf("over the budget: err = %v", err)
	}
	closeCtx, cancelClose := context.WithTimeout(ctx, 10*time.Second)
	defer cancelClose()
	if err := m.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
	if err := embed(small, ctx, ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: err = %v", err)
	}
}

func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func isTask(task skills.Task) func(error) bool {
	return func(err error) bool {
		var te *TaskError
		return errors.As(err, &te) && te.Task == task
	}
}

func isInput(param string) func(error) bool {
	return func(err error) bool {
		var ie *InputError
		return errors.As(err, &ie) && ie.Param == param && errors.Is(err, ErrInvalidInput)
	}
}

func isParam(param string) func(error) bool {
	return func(err error) bool {
		var pe *generate.ParamError
		return errors.As(err, &pe) && pe.Param == param
	}
}

// isContext matches a *generate.ContextLengthError with these numbers
// (prompt < 0: any prompt length over the limit).
func isContext(maxPositions, prompt int) func(error) bool {
	return func(err error) bool {
		var ce *generate.ContextLengthError
		if !errors.As(err, &ce) || ce.MaxPositions != maxPositions {
			return false
		}
		if prompt < 0 {
			return ce.PromptTokens > maxPositions
		}
		return ce.PromptTokens == prompt
	}
}
