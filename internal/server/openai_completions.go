package server

import (
	"context"
	"fmt"
	"net/http"
	"unicode/utf8"

	"hfserve/api"
	"hfserve/internal/generate"
	"hfserve/internal/respcache"
	"hfserve/internal/serving"
	"hfserve/internal/skills"
)

// openAIDefaultMaxTokens is the legacy completions' max_tokens default.
const openAIDefaultMaxTokens = 16

// completionPlan is a validated completions request: one generation per
// prompt, each with N choices.
type completionPlan struct {
	id      string
	created int64
	model   string
	reqs    []serving.GenerateRequest
	n       int
	// logprobs is the number of alternatives per token, or -1 for no
	// logprobs at all.
	logprobs     int
	echo         bool
	includeUsage bool
}

// completions serves POST /v1/completions.
func (h *inference) completions(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { writeOpenAIReply(w, r, openAIReply(err, completionPrompt)) }
	var req api.CompletionRequest
	if re := decodeRequest(r, &req); re != nil {
		fail(re)
		return
	}
	model, err := h.resolveModel(r.Context(), req.Model, skills.TaskTextGeneration)
	if err != nil {
		fail(err)
		return
	}
	plan, err := newCompletionPlan(&req, model)
	if err != nil {
		fail(err)
		return
	}
	for i := range plan.reqs {
		if err := h.limitMaxTokens(&plan.reqs[i].Params, req.MaxTokens, "max_tokens"); err != nil {
			fail(err)
			return
		}
	}
	run := h.cacheBegin(w, r, cacheKey{endpoint: "/v1/completions", model: model,
		request: completionCacheRequest(req), deterministic: respcache.Deterministic(plan.reqs[0].Params.Sampling)})
	defer run.close()
	if req.Stream {
		h.completionStream(w, r, run, plan)
		return
	}
	ctx := r.Context()
	resp := &api.Completion{ID: plan.id, Object: api.ObjectTextCompletion, Created: plan.created, Model: model,
		Choices: make([]api.CompletionChoice, 0, len(plan.reqs)*plan.n), Usage: &api.Usage{}}
	for i, gr := range plan.reqs {
		res, err := run.generate(i)(ctx, gr, nil)
		if err != nil {
			fail(err)
			return
		}
		echo, err := run.echo(i, func() (string, error) { return h.echoText(ctx, plan, gr) })
		if err != nil {
			fail(err)
			return
		}
		var pieces *pieceCache
		if plan.logprobs >= 0 {
			pieces = run.pieces(model)
			ids := resultTokenIDs(res.Choices)
			for _, pt := range res.Prompt {
				ids = append(ids, pt.ID)
				for _, alt := range pt.TopLogprobs {
					ids = append(ids, alt.ID)
				}
			}
			if err := pieces.load(ctx, ids); err != nil {
				fail(err)
				return
			}
		}
		for c, choice := range res.Choices {
			fr := finishReason(choice.Finish)
			cc := api.CompletionChoice{Index: i*plan.n + c, Text: echo + choice.Text, FinishReason: &fr}
			if pieces != nil {
				cc.Logprobs = completionLogprobs(res, choice, plan.echo, echo, pieces)
			}
			resp.Choices = append(resp.Choices, cc)
		}
		u := usage(res)
		resp.Usage.PromptTokens += u.PromptTokens
		resp.Usage.CompletionTokens += u.CompletionTokens
		resp.Usage.TotalTokens += u.TotalTokens
	}
	run.done(ctx)
	h.srv.writeJSON(w, r, http.StatusOK, resp)
}

// completionCacheRequest is a completions request's part of its cache key:
// every field but model (keyed apart), stream and stream_options (the
// cached answer serves both forms) and user.
func completionCacheRequest(req api.CompletionRequest) api.CompletionRequest {
	req.Model, req.Stream, req.StreamOptions, req.User = "", false, nil, ""
	return req
}

// newCompletionPlan validates a completions request.
func newCompletionPlan(req *api.CompletionRequest, model string) (*completionPlan, error) {
	plan := &completionPlan{id: newID("cmpl-"), created: unixNow(), model: model, logprobs: -1, echo: req.Echo}
	p := req.Prompt
	switch {
	case p.Texts == nil && p.Tokens == nil:
		return nil, inputError("prompt", "is required")
	case p.Len() == 0:
		return nil, &emptyInputError{param: "prompt", msg: "prompt: must contain at least one prompt"}
	case p.Len() > maxBatchInputs:
		return nil, inputError("prompt", "at most %d prompts are allowed, got %d", maxBatchInputs, p.Len())
	}
	if req.Suffix != nil && *req.Suffix != "" {
		return nil, inputError("suffix", "is not supported: this server does not insert text")
	}
	if req.StreamOptions != nil && !req.Stream {
		return nil, inputError("stream_options", "is only allowed when stream is true")
	}
	if req.Logprobs != nil {
		if n := *req.Logprobs; n < 0 || n > openAIMaxCompletionLPs {
			return nil, inputError("logprobs", "must be between 0 and %d, got %d", openAIMaxCompletionLPs, n)
		}
		plan.logprobs = *req.Logprobs
	}
	params, n, err := openAISampling{
		maxTokens: req.MaxTokens, maxTokensParam: "max_tokens", defaultMaxTokens: openAIDefaultMaxTokens,
		temperature: req.Temperature, topP: req.TopP, n: req.N, stop: req.Stop, seed: req.Seed,
		presencePenalty: req.PresencePenalty, frequencyPenalty: req.FrequencyPenalty, logitBias: req.LogitBias,
		ignoreEOS: req.IgnoreEOS,
	}.params()
	if err != nil {
		return nil, err
	}
	if b := req.BestOf; b != nil && *b != 1 && *b != n {
		return nil, inputError("best_of", "only best_of equal to n (or 1) is supported, got best_of %d with n %d", *b, n)
	}
	plan.n = n
	if plan.logprobs >= 0 {
		params.Logprobs = generate.LogprobRequest{Enabled: true, TopN: plan.logprobs, Raw: true}
	}
	promptLogprobs := -1
	if req.Echo && plan.logprobs >= 0 {
		promptLogprobs = plan.logprobs
	}
	plan.includeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	for i := 0; i < p.Len(); i++ {
		gr := serving.GenerateRequest{Model: model, Task: skills.TaskTextGeneration, Params: params, N: n, PromptLogprobs: promptLogprobs}
		if p.Tokens != nil {
			if len(p.Tokens[i]) == 0 {
				return nil, &emptyInputError{param: fmt.Sprintf("prompt[%d]", i), msg: fmt.Sprintf("prompt[%d]: must contain at least one token", i)}
			}
			gr.Prompt.IDs = p.Tokens[i]
		} else {
			gr.Prompt.Text = p.Texts[i]
		}
		plan.reqs = append(plan.reqs, gr)
	}
	return plan, nil
}

// echoText is the text echo puts before a completion: the prompt as sent,
// or token-id prompts decoded.
func (h *inference) echoText(ctx context.Context, plan *completionPlan, gr serving.GenerateRequest) (string, error) {
	if !plan.echo {
		return "", nil
	}
	if gr.Prompt.IDs == nil {
		return gr.Prompt.Text, nil
	}
	_, texts, err := h.svc.Decode(ctx, serving.DecodeRequest{Model: gr.Model, IDs: [][]int32{gr.Prompt.IDs}, SkipSpecialTokens: true})
	if err != nil || len(texts) != 1 {
		return "", fmt.Errorf("server: decode the prompt to echo it: %w", err)
	}
	return texts[0], nil
}

// completionLogprobs builds the legacy logprobs of one choice: the echoed
// prompt's tokens (when echoed), then the completion's. Special tokens are
// left out; offsets count characters from the start of the choice's text.
func completionLogprobs(res *serving.GenerateResult, choice generate.Result, echo bool, echoText string, pieces *pieceCache) *api.CompletionLogprobs {
	lp := &api.CompletionLogprobs{Tokens: []string{}, TokenLogprobs: []*float32{}, TopLogprobs: []map[string]float32{}, TextOffset: []int{}}
	offset := 0
	if echo {
		for _, pt := range res.Prompt {
			if pt.Special {
				continue
			}
			lp.Tokens = append(lp.Tokens, pt.Text)
			lp.TextOffset = append(lp.TextOffset, min(offset, utf8.RuneCountInString(echoText)))
			offset += utf8.RuneCountInString(pt.Text)
			if pt.Logprob == nil {
				lp.TokenLogprobs = append(lp.TokenLogprobs, nil)
				lp.TopLogprobs = append(lp.TopLogprobs, nil)
				continue
			}
			v := finiteLogprob(*pt.Logprob)
			lp.TokenLogprobs = append(lp.TokenLogprobs, &v)
			lp.TopLogprobs = append(lp.TopLogprobs, topLogprobMap(pt.ID, pt.Text, v, pt.TopLogprobs, pieces))
		}
		offset = utf8.RuneCountInString(echoText)
	}
	for _, t := range choice.Tokens {
		if pieces.get(t.ID).Special {
			continue
		}
		appendCompletionToken(lp, t, offset, pieces)
		offset += utf8.RuneCountInString(t.Text)
	}
	return lp
}

// appendCompletionToken adds one generated token to legacy logprobs.
func appendCompletionToken(lp *api.CompletionLogprobs, t generate.Token, offset int, pieces *pieceCache) {
	v := finiteLogprob(t.Logprob)
	lp.Tokens = append(lp.Tokens, t.Text)
	lp.TokenLogprobs = append(lp.TokenLogprobs, &v)
	lp.TopLogprobs = append(lp.TopLogprobs, topLogprobMap(t.ID, t.Text, v, t.TopLogprobs, pieces))
	lp.TextOffset = append(lp.TextOffset, offset)
}

// topLogprobMap is the legacy top_logprobs entry: the alternatives and the
// chosen token (OpenAI always includes it), by text.
func topLogprobMap(id int32, text string, logprob float32, alts []generate.TokenLogprob, pieces *pieceCache) map[string]float32 {
	m := make(map[string]float32, len(alts)+1)
	for _, alt := range alts {
		if alt.ID == id {
			continue
		}
		m[pieces.get(alt.ID).Text] = finiteLogprob(alt.Logprob)
	}
	m[text] = logprob
	return m
}
