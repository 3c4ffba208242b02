package serving

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"hfserve/internal/generate"
	"hfserve/internal/skills"
	"hfserve/internal/telemetry"
)

// generateTask is the capability a generation needs: the request's Task,
// or, when it names none, chat for messages and text generation otherwise.
func generateTask(req GenerateRequest) (skills.Task, error) {
	switch req.Task {
	case skills.TaskChat, skills.TaskTextGeneration:
		return req.Task, nil
	case "":
		if req.Prompt.Messages != nil {
			return skills.TaskChat, nil
		}
		return skills.TaskTextGeneration, nil
	}
	return "", fmt.Errorf("serving: generate: task %q is not a generation task", req.Task)
}

// generate is Generate's work; see its documentation.
func (s *Service) generate(ctx context.Context, c *call, req GenerateRequest, emit func(GenerateEvent) error) (*GenerateResult, error) {
	task, err := generateTask(req)
	if err != nil {
		return nil, err
	}
	n := req.N
	if n == 0 {
		n = 1
	}
	if n < 0 || n > MaxChoices {
		return nil, inputErr("n", "%d must be in [1, %d]", req.N, MaxChoices)
	}
	if req.PromptLogprobs > generate.MaxTopLogprobs {
		return nil, &generate.ParamError{Param: "top_logprobs", Msg: fmt.Sprintf("%d prompt alternatives asked, at most %d", req.PromptLogprobs, generate.MaxTopLogprobs)}
	}
	lease, rt, err := s.acquire(ctx, c, req.Model, task)
	if err != nil {
		return nil, err
	}
	defer lease.Release()
	dec := rt.Decoder()
	if dec == nil {
		return nil, taskError(rt, task)
	}
	prompt, text, err := encodePrompt(ctx, rt, req.Prompt)
	if err != nil {
		return nil, err
	}
	rec := telemetry.RequestFrom(ctx)
	rec.SetPrompt(text)
	// Known before the first token, so a stream's headers can say it.
	rec.AddTokens(len(prompt), 0, 0)
	if err := s.opts.Limits.checkPrompt(len(prompt)); err != nil {
		return nil, err
	}
	// Every choice is validated before any forward pass, so a bad
	// parameter or a prompt over the context costs no compute.
	spec := generate.SpecOf(rt.Info())
	if rt.MaxContext > 0 {
		spec.MaxPositions = rt.MaxContext
	}
	params := generationParams(rt, req)
	if err := s.opts.Limits.capOutput(&params, len(prompt), spec.MaxPositions); err != nil {
		return nil, err
	}
	seqs := make([]*generate.Sequence, n)
	for i := range seqs {
		if seqs[i], err = generate.NewSequence(spec, prompt, choiceParams(params, i), rt.Tokenizer); err != nil {
			return nil, err
		}
	}
	res := &GenerateResult{Model: rt.Entry.Name, PromptText: text, Prompt: promptTokens(rt, prompt), PromptTokens: len(prompt)}
	if req.PromptLogprobs >= 0 {
		if err := scorePrompt(ctx, dec, prompt, req.PromptLogprobs, res.Prompt); err != nil {
			return nil, err
		}
	}
	var send func(int, generate.Token) error
	if emit != nil {
		// Counted here rather than read from the sequence, which the
		// scheduler goroutine owns while it runs.
		emitted := make([]int, len(seqs))
		send = func(choice int, tok generate.Token) error {
			emitted[choice]++
			return emit(GenerateEvent{Choice: choice, Token: tok, Index: emitted[choice] - 1})
		}
	}
	tokens, err := rt.runSequences(ctx, seqs, send)
	generated := 0
	for _, t := range tokens {
		generated += len(t)
	}
	// Counted whatever the outcome: a generation cut short still ran.
	rec.AddTokens(0, generated, n)
	trace.SpanFromContext(ctx).SetAttributes(telemetry.AttrPromptTokens.Int(len(prompt)),
		telemetry.AttrGeneratedTokens.Int(generated), telemetry.AttrChoices.Int(n))
	if errors.Is(err, generate.ErrNoCandidates) {
		// Only a logit bias banning every token leaves nothing to sample:
		// the request's fault, however late it shows.
		return nil, &generate.ParamError{Param: "logit_bias", Msg: "leaves no token that can be sampled"}
	}
	if err != nil {
		return nil, err
	}
	for i, seq := range seqs {
		r := seq.Result(tokens[i])
		res.Choices = append(res.Choices, r)
		res.CompletionTokens += len(r.Tokens)
	}
	return res, nil
}

// promptTokens describes each prompt token: its id, its text decoded alone
// (special tokens kept), and whether it is a special token.
func promptTokens(rt *Runtime, prompt []int32) []PromptToken {
	out := make([]PromptToken, len(prompt))
	for i, id := range prompt {
		text, _ := rt.Tokenizer.Decode([]int32{id}, false)
		out[i] = PromptToken{ID: id, Text: text, Special: rt.Tokenizer.IsSpecial(id)}
	}
	return out
}
