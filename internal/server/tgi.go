package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"hfserve/api"
	"hfserve/internal/generate"
	"hfserve/internal/respcache"
	"hfserve/internal/serving"
	"hfserve/internal/skills"
)

// TGI's limits and defaults, as its router ships them.
const (
	tgiDefaultMaxNewTokens = 100
	tgiMaxStopSequences    = 4
	tgiMaxTopNTokens       = 5
)

// tgiPlan is a validated TGI generation.
type tgiPlan struct {
	gr                  serving.GenerateRequest
	inputs              string
	details             bool
	decoderInputDetails bool
	returnFullText      bool
	// sampling is false for greedy decoding, whose seed TGI reports as
	// null.
	sampling bool
	topN     int
	// truncate, when > 0, keeps the inputs' last truncate tokens; applied
	// by tgiPrepare, only when the answer is not cached.
	truncate int
}

// tgiGenerate serves TGI's POST /generate.
func (h *inference) tgiGenerate(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { writeHFReply(w, r, tgiReply(err)) }
	plan, req, err := h.tgiDecode(r, false)
	if err != nil {
		fail(err)
		return
	}
	ctx := r.Context()
	run := h.tgiCacheBegin(w, r, plan, req, false)
	defer run.close()
	if err := h.tgiPrepare(ctx, run, plan); err != nil {
		fail(err)
		return
	}
	res, err := run.generate(0)(ctx, plan.gr, nil)
	if err != nil {
		fail(err)
		return
	}
	if len(res.Choices) != 1 {
		fail(fmt.Errorf("server: the generation returned %d choices, want 1", len(res.Choices)))
		return
	}
	choice := res.Choices[0]
	resp := api.GenerateResponse{GeneratedText: choice.Text}
	if plan.returnFullText {
		resp.GeneratedText = plan.inputs + choice.Text
	}
	if plan.details || run.recording() {
		// A cached answer keeps the pieces either way, so that the
		// streamed form of the request can be served from it.
		pieces := run.pieces(plan.gr.Model)
		if err := pieces.load(ctx, resultTokenIDs(res.Choices)); err != nil {
			fail(err)
			return
		}
		if plan.details {
			resp.Details = tgiDetails(plan, res, choice, pieces)
		}
	}
	run.done(ctx)
	h.srv.writeJSON(w, r, http.StatusOK, resp)
}

// tgiDetails builds the details of a /generate answer.
func tgiDetails(plan *tgiPlan, res *serving.GenerateResult, choice generate.Result, pieces *pieceCache) *api.GenerateDetails {
	d := &api.GenerateDetails{
		FinishReason:    choice.Finish.TGI(),
		GeneratedTokens: len(choice.Tokens),
		Seed:            plan.seed(choice),
		Prefill:         []api.PrefillToken{},
		Tokens:          make([]api.GeneratedToken, len(choice.Tokens)),
	}
	if plan.decoderInputDetails {
		for _, pt := range res.Prompt {
			var lp *float32
			if pt.Logprob != nil {
				v := finiteLogprob(*pt.Logprob)
				lp = &v
			}
			d.Prefill = append(d.Prefill, api.PrefillToken{ID: pt.ID, Text: pt.Text, Logprob: lp})
		}
	}
	for i, t := range choice.Tokens {
		d.Tokens[i] = tgiToken(t, pieces)
		if plan.topN > 0 {
			d.TopTokens = append(d.TopTokens, tgiTopTokens(t, pieces))
		}
	}
	return d
}

// tgiCacheBegin looks a TGI generation up. /generate and /generate_stream
// share entries; the key holds every field but model (keyed apart), and a
// stream's decoder_input_details is cleared (streams ignore it), so a
// stream finds the answer of the same request sent to /generate without
// it.
func (h *inference) tgiCacheBegin(w http.ResponseWriter, r *http.Request, plan *tgiPlan, req api.GenerateRequest, stream bool) *cacheRun {
	return h.cacheBegin(w, r, cacheKey{endpoint: "tgi/generate", model: plan.gr.Model, request: tgiCacheRequest(req, stream),
		deterministic: respcache.Deterministic(plan.gr.Params.Sampling)})
}

// tgiCacheRequest is a TGI generation's part of its cache key.
func tgiCacheRequest(req api.GenerateRequest, stream bool) api.GenerateRequest {
	req.Model = ""
	if stream && req.Parameters != nil {
		p := *req.Parameters
		p.DecoderInputDetails = false
		req.Parameters = &p
	}
	return req
}

// tgiPrepare truncates the prompt for a generation that runs (a cached
// answer needs no prompt).
func (h *inference) tgiPrepare(ctx context.Context, run *cacheRun, plan *tgiPlan) error {
	if plan.truncate <= 0 || run.hit != nil {
		return nil
	}
	return h.truncatePrompt(ctx, plan, plan.truncate)
}

// seed is the seed TGI reports: the sampler's, or null for greedy
// decoding.
func (p *tgiPlan) seed(c generate.Result) *uint64 {
	if !p.sampling {
		return nil
	}
	s := c.Seed
	return &s
}

// tgiToken reports a generated token as TGI does. Its text is what it
// added to the generated text; a special token (which adds nothing) reads
// as itself, as TGI's detokenizer, which keeps special tokens, shows it.
func tgiToken(t generate.Token, pieces *pieceCache) api.GeneratedToken {
	p := pieces.get(t.ID)
	text := t.Text
	if text == "" && p.Special {
		text = p.Text
	}
	return api.GeneratedToken{ID: t.ID, Text: text, Logprob: finiteLogprob(t.Logprob), Special: p.Special}
}

// tgiTopTokens reports a token's alternatives, each read alone.
func tgiTopTokens(t generate.Token, pieces *pieceCache) []api.GeneratedToken {
	out := make([]api.GeneratedToken, len(t.TopLogprobs))
	for i, alt := range t.TopLogprobs {
		p := pieces.get(alt.ID)
		out[i] = api.GeneratedToken{ID: alt.ID, Text: p.Text, Logprob: finiteLogprob(alt.Logprob), Special: p.Special}
	}
	return out
}

// tgiDecode reads and validates a TGI generation request; the caller
// applies truncation with tgiPrepare.
func (h *inference) tgiDecode(r *http.Request, stream bool) (*tgiPlan, api.GenerateRequest, error) {
	var req api.GenerateRequest
	if re := decodeRequest(r, &req); re != nil {
		return nil, req, re
	}
	model, err := h.resolveModel(r.Context(), req.Model, skills.TaskTextGeneration)
	if err != nil {
		return nil, req, err
	}
	plan, err := newTGIPlan(&req, model, stream)
	if err != nil {
		return nil, req, err
	}
	var asked *int // omitted or null: TGI's default, or as many as fit
	if p := req.Parameters; p != nil && p.MaxNewTokens.Present {
		asked = p.MaxNewTokens.Value
	}
	if err := h.limitMaxTokens(&plan.gr.Params, asked, "max_new_tokens"); err != nil {
		return nil, req, err
	}
	return plan, req, nil
}

// tgiInvalid is a TGI validation error, worded as TGI words them.
func tgiInvalid(format string, args ...any) error {
	return &serving.InputError{Msg: fmt.Sprintf(format, args...)}
}

// newTGIPlan validates TGI's parameters as TGI's router does and maps them
// onto the service's request. The model's generation_config.json sampling
// defaults are not applied: TGI's own defaults (greedy unless do_sample or
// a sampling parameter is set) are explicit, and greedy decoding must stay
// greedy.
func newTGIPlan(req *api.GenerateRequest, model string, stream bool) (*tgiPlan, error) {
	if req.Inputs == "" {
		return nil, &emptyInputError{param: "inputs", msg: "`inputs` cannot be empty"}
	}
	p := req.Parameters
	if p == nil {
		p = &api.GenerateParameters{}
	}
	plan := &tgiPlan{inputs: req.Inputs, details: p.Details, decoderInputDetails: p.Details && p.DecoderInputDetails,
		returnFullText: p.ReturnFullText != nil && *p.ReturnFullText}
	switch {
	case p.BestOf != nil && *p.BestOf != 1:
		return nil, tgiInvalid("`best_of` != 1 is not supported by this server")
	case p.TypicalP != nil:
		return nil, tgiInvalid("`typical_p` is not supported by this server")
	case p.Watermark:
		return nil, tgiInvalid("`watermark` is not supported by this server")
	case len(p.Grammar) > 0 && !isJSONNull(p.Grammar):
		return nil, tgiInvalid("`grammar` is not supported by this server")
	case p.AdapterID != nil:
		return nil, tgiInvalid("`adapter_id` is not supported by this server: it serves no LoRA adapters")
	}
	if stream {
		// TGI refuses decoder_input_details when streaming; its events
		// have no place for the prompt's tokens, so hfserve just leaves
		// them out, and clients that send one parameter set to both routes
		// work.
		plan.decoderInputDetails = false
	}
	params := generate.Params{MaxTokens: tgiDefaultMaxNewTokens, StopStrings: p.Stop,
		Logprobs: generate.LogprobRequest{Enabled: true}}
	if p.MaxNewTokens.Present {
		params.MaxTokens = 0 // null: as many as the context has room for
		if v := p.MaxNewTokens.Value; v != nil {
			if *v <= 0 {
				return nil, tgiInvalid("`max_new_tokens` must be strictly positive")
			}
			params.MaxTokens = *v
		}
	}
	if len(p.Stop) > tgiMaxStopSequences {
		return nil, tgiInvalid("`stop` supports up to %d stop sequences. Given: %d", tgiMaxStopSequences, len(p.Stop))
	}
	for _, s := range p.Stop {
		if s == "" {
			return nil, tgiInvalid("`stop` sequences cannot be empty")
		}
	}
	if p.TopNTokens != nil {
		if n := *p.TopNTokens; n < 0 || n > tgiMaxTopNTokens {
			return nil, tgiInvalid("`top_n_tokens` must be >= 0 and <= %d. Given: %d", tgiMaxTopNTokens, n)
		}
		plan.topN = *p.TopNTokens
		params.Logprobs.TopN = plan.topN
	}
	if err := tgiSampling(p, &params.Sampling); err != nil {
		return nil, err
	}
	if p.Truncate != nil {
		if *p.Truncate <= 0 {
			return nil, tgiInvalid("`truncate` must be strictly positive")
		}
		plan.truncate = *p.Truncate
	}
	// TGI samples when asked to, or when any sampling parameter is set.
	plan.sampling = p.DoSample || p.Temperature != nil && *p.Temperature != 1 || p.TopK != nil || p.TopP != nil
	if !plan.sampling {
		params.Sampling.Temperature = 0
	}
	plan.gr = serving.GenerateRequest{Model: model, Task: skills.TaskTextGeneration, Prompt: serving.Prompt{Text: req.Inputs},
		Params: params, PromptLogprobs: -1}
	if plan.decoderInputDetails {
		plan.gr.PromptLogprobs = 0
	}
	return plan, nil
}

// tgiSampling checks and copies the sampling parameters.
func tgiSampling(p *api.GenerateParameters, s *generate.SamplingParams) error {
	s.Temperature = 1
	if p.Temperature != nil {
		if !(*p.Temperature > 0) {
			return tgiInvalid("`temperature` must be strictly positive")
		}
		s.Temperature = *p.Temperature
	}
	if p.RepetitionPenalty != nil {
		if !(*p.RepetitionPenalty > 0) {
			return tgiInvalid("`repetition_penalty` must be strictly positive")
		}
		s.RepetitionPenalty = *p.RepetitionPenalty
	}
	if p.FrequencyPenalty != nil {
		if !(*p.FrequencyPenalty >= -2 && *p.FrequencyPenalty <= 2) {
			return tgiInvalid("`frequency_penalty` must be >= -2.0 and <= 2.0")
		}
		s.FrequencyPenalty = *p.FrequencyPenalty
	}
	if p.TopK != nil {
		if *p.TopK <= 0 {
			return tgiInvalid("`top_k` must be strictly positive")
		}
		s.TopK = *p.TopK
	}
	if p.TopP != nil {
		if !(*p.TopP > 0 && *p.TopP < 1) {
			return tgiInvalid("`top_p` must be > 0.0 and < 1.0")
		}
		s.TopP = *p.TopP
	}
	if p.Seed != nil {
		seed := *p.Seed
		s.Seed = &seed
	}
	return nil
}

// truncatePrompt keeps the last n tokens of the inputs, as TGI's truncate
// does (the tokenizer truncating from the left).
func (h *inference) truncatePrompt(ctx context.Context, plan *tgiPlan, n int) error {
	_, toks, err := h.svc.Tokenize(ctx, serving.TokenizeRequest{Model: plan.gr.Model, Texts: []string{plan.inputs}, AddSpecialTokens: true})
	if err != nil {
		return err
	}
	if len(toks) != 1 || len(toks[0]) <= n {
		return nil
	}
	kept := toks[0][len(toks[0])-n:]
	ids := make([]int32, len(kept))
	for i, t := range kept {
		ids[i] = t.ID
	}
	plan.gr.Prompt = serving.Prompt{IDs: ids}
	return nil
}

// tgiInfo serves TGI's GET /info for the default model (or ?model=).
func (h *inference) tgiInfo(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { writeHFReply(w, r, tgiReply(err)) }
	model, err := h.resolveModel(r.Context(), r.URL.Query().Get("model"), "")
	if err != nil {
		fail(err)
		return
	}
	desc, err := h.svc.Describe(r.Context(), model)
	if err != nil {
		fail(err)
		return
	}
	version := h.version
	if version == "" {
		version = "dev"
	}
	maxInput := max(desc.MaxPositions-1, 0)
	if limit := h.svc.TokenLimits().MaxInput; limit > 0 {
		// max_input_tokens is what TGI's own flag of that name reports.
		maxInput = min(maxInput, limit)
	}
	info := api.Info{
		ModelID: desc.Entry.Name, ModelSHA: nonEmpty(desc.Entry.Commit),
		ModelDType: torchDType(desc.DType), ModelDeviceType: "cpu", ModelPipelineTag: pipelineTag(desc.Serves),
		MaxBestOf: 1, MaxStopSequences: tgiMaxStopSequences,
		MaxInputTokens: maxInput, MaxTotalTokens: desc.MaxPositions,
		MaxClientBatchSize: maxBatchInputs, Router: "hfserve", Version: version,
	}
	h.srv.writeJSON(w, r, http.StatusOK, info)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// torchDType spells a safetensors dtype as TGI reports dtypes.
func torchDType(dt string) string {
	switch strings.ToUpper(dt) {
	case "F32":
		return "torch.float32"
	case "F16":
		return "torch.float16"
	case "BF16":
		return "torch.bfloat16"
	}
	return dt
}

// pipelineTag is the Hugging Face pipeline tag of a model's first task.
func pipelineTag(d skills.Detection) *string {
	tags := map[skills.Task]string{
		skills.TaskTextGeneration: "text-generation", skills.TaskChat: "text-generation",
		skills.TaskEmbeddings: "feature-extraction", skills.TaskClassification: "text-classification",
		skills.TaskRerank: "text-classification", skills.TaskTokenClassification: "token-classification",
		skills.TaskFillMask: "fill-mask",
	}
	for _, t := range d.Tasks {
		if tag, ok := tags[t]; ok {
			return &tag
		}
	}
	return nil
}
