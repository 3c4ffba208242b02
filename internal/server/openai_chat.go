package server

import (
	"bytes"
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

// chatCompletions serves POST /v1/chat/completions.
func (h *inference) chatCompletions(w http.ResponseWriter, r *http.Request) {
	fail := func(err error) { writeOpenAIReply(w, r, openAIReply(err, chatPrompt)) }
	var req api.ChatCompletionRequest
	if re := decodeRequest(r, &req); re != nil {
		fail(re)
		return
	}
	model, err := h.resolveModel(r.Context(), req.Model, skills.TaskChat)
	if err != nil {
		fail(err)
		return
	}
	gr, err := chatGenerateRequest(&req, model)
	if err != nil {
		fail(err)
		return
	}
	asked, param := req.MaxTokens, "max_tokens"
	if req.MaxCompletionTokens != nil {
		asked, param = req.MaxCompletionTokens, "max_completion_tokens"
	}
	if err := h.limitMaxTokens(&gr.Params, asked, param); err != nil {
		fail(err)
		return
	}
	out := chatOutput{id: newID("chatcmpl-"), created: unixNow(), model: model, logprobs: gr.Params.Logprobs.Enabled}
	run := h.cacheBegin(w, r, cacheKey{endpoint: "/v1/chat/completions", model: model,
		request: chatCacheRequest(req), deterministic: respcache.Deterministic(gr.Params.Sampling)})
	defer run.close()
	if req.Stream {
		out.includeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		h.chatStream(w, r, run, gr, out)
		return
	}
	res, err := run.generate(0)(r.Context(), gr, nil)
	if err != nil {
		fail(err)
		return
	}
	resp, err := h.chatResponse(r.Context(), run, res, out)
	if err != nil {
		fail(err)
		return
	}
	run.done(r.Context())
	h.srv.writeJSON(w, r, http.StatusOK, resp)
}

// chatCacheRequest is a chat request's part of its cache key: every field
// but model (keyed apart), stream and stream_options (the cached answer
// serves both forms), and user, safety_identifier, prompt_cache_key and
// parallel_tool_calls (accepted and ignored).
func chatCacheRequest(req api.ChatCompletionRequest) api.ChatCompletionRequest {
	req.Model, req.Stream, req.StreamOptions = "", false, nil
	req.User, req.SafetyIdentifier, req.PromptCacheKey, req.ParallelToolCalls = "", "", "", nil
	return req
}

// chatOutput is what a chat answer needs besides the generation.
type chatOutput struct {
	id           string
	created      int64
	model        string
	logprobs     bool
	includeUsage bool
}

// chatGenerateRequest validates a chat request and maps it onto the
// service's.
func chatGenerateRequest(req *api.ChatCompletionRequest, model string) (serving.GenerateRequest, error) {
	gr := serving.GenerateRequest{Model: model, Task: skills.TaskChat, PromptLogprobs: -1}
	msgs, err := chatMessages(req.Messages)
	if err != nil {
		return gr, err
	}
	gr.Prompt.Messages = msgs
	if gr.Prompt.Tools, err = chatTools(req.Tools, req.ToolChoice); err != nil {
		return gr, err
	}
	if rf := req.ResponseFormat; rf != nil && rf.Type != "text" {
		return gr, inputError("response_format", `only {"type": "text"} is supported, got type %q`, rf.Type)
	}
	if req.StreamOptions != nil && !req.Stream {
		return gr, inputError("stream_options", "is only allowed when stream is true")
	}
	samp := openAISampling{
		maxTokens: req.MaxTokens, maxTokensParam: "max_tokens",
		temperature: req.Temperature, topP: req.TopP, n: req.N, stop: req.Stop, seed: req.Seed,
		presencePenalty: req.PresencePenalty, frequencyPenalty: req.FrequencyPenalty, logitBias: req.LogitBias,
		ignoreEOS: req.IgnoreEOS,
	}
	if req.MaxCompletionTokens != nil {
		samp.maxTokens, samp.maxTokensParam = req.MaxCompletionTokens, "max_completion_tokens"
	}
	if gr.Params, gr.N, err = samp.params(); err != nil {
		return gr, err
	}
	logprobs := req.Logprobs != nil && *req.Logprobs
	if req.TopLogprobs != nil {
		if !logprobs {
			return gr, inputError("top_logprobs", "requires logprobs to be true")
		}
		if n := *req.TopLogprobs; n < 0 || n > generate.MaxTopLogprobs {
			return gr, inputError("top_logprobs", "must be between 0 and %d, got %d", generate.MaxTopLogprobs, n)
		}
		gr.Params.Logprobs.TopN = *req.TopLogprobs
	}
	// OpenAI's logprobs do not depend on the sampling settings: report
	// the model's own distribution.
	gr.Params.Logprobs.Enabled, gr.Params.Logprobs.Raw = logprobs, true
	return gr, nil
}

// chatMessages turns the request's messages into what the chat template
// renders: role (developer becomes system, which templates know), content
// as one string (text parts joined by newlines), and name, tool_calls and
// tool_call_id passed through.
func chatMessages(msgs []api.ChatMessage) ([]any, error) {
	if len(msgs) == 0 {
		return nil, inputError("messages", "must contain at least one message")
	}
	out := make([]any, len(msgs))
	for i, m := range msgs {
		param := fmt.Sprintf("messages[%d]", i)
		role := m.Role
		switch role {
		case api.RoleSystem, api.RoleUser, api.RoleAssistant, api.RoleTool:
		case api.RoleDeveloper:
			role = api.RoleSystem
		case "":
			return nil, inputError(param+".role", "is required")
		default:
			return nil, inputError(param+".role", "must be system, developer, user, assistant or tool, got %q", m.Role)
		}
		msg := map[string]any{"role": role}
		hasToolCalls := len(m.ToolCalls) > 0 && !isJSONNull(m.ToolCalls)
		if m.Content == nil {
			if m.Role != api.RoleAssistant || (!hasToolCalls && m.Refusal == nil) {
				return nil, inputError(param+".content", "is required")
			}
			msg["content"] = nil
		} else {
			text, err := contentText(*m.Content, param+".content", m.Role == api.RoleAssistant)
			if err != nil {
				return nil, err
			}
			msg["content"] = text
		}
		if m.Name != "" {
			msg["name"] = m.Name
		}
		if hasToolCalls {
			msg["tool_calls"] = m.ToolCalls
		}
		if m.ToolCallID != "" {
			msg["tool_call_id"] = m.ToolCallID
		}
		out[i] = msg
	}
	return out, nil
}

// contentText flattens a message's content to text. Only text parts (and
// an assistant's refusal parts, which add nothing to render) are served:
// hfserve's models read text.
func contentText(c api.ChatContent, param string, assistant bool) (string, error) {
	if c.Parts == nil {
		return c.Text, nil
	}
	var texts []string
	for j, part := range c.Parts {
		switch {
		case part.Type == api.PartText:
			texts = append(texts, part.Text)
		case part.Type == api.PartRefusal && assistant:
		case part.Type == "":
			return "", inputError(fmt.Sprintf("%s[%d].type", param, j), "is required")
		default:
			return "", inputError(fmt.Sprintf("%s[%d].type", param, j), "content parts of type %q are not supported: this server serves text models; use type \"text\"", part.Type)
		}
	}
	return strings.Join(texts, "\n"), nil
}

// chatTools checks tools and tool_choice. Tools reach the chat template
// (templates that know tools render them); tool_choice "none" leaves
// them out. The reply is never parsed into tool calls, so a choice that
// forces a call cannot be honoured.
func chatTools(tools []rawJSON, choice rawJSON) ([]any, error) {
	if len(choice) > 0 && !isJSONNull(choice) {
		switch strings.TrimSpace(string(choice)) {
		case `"auto"`:
		case `"none"`:
			return nil, nil
		default:
			return nil, inputError("tool_choice", `only "none" and "auto" are supported: this server does not force tool calls`)
		}
	}
	if len(tools) == 0 {
		return nil, nil
	}
	out := make([]any, len(tools))
	for i, t := range tools {
		if b := bytes.TrimSpace(t); len(b) == 0 || b[0] != '{' {
			return nil, inputError(fmt.Sprintf("tools[%d]", i), "must be an object")
		}
		out[i] = t
	}
	return out, nil
}

// finishReason is OpenAI's finish_reason for a finished choice.
func finishReason(f generate.FinishReason) string {
	if f == generate.FinishLength {
		return api.FinishLength
	}
	return api.FinishStop
}

// chatResponse builds the non-streamed answer.
func (h *inference) chatResponse(ctx context.Context, run *cacheRun, res *serving.GenerateResult, out chatOutput) (*api.ChatCompletion, error) {
	resp := &api.ChatCompletion{
		ID: out.id, Object: api.ObjectChatCompletion, Created: out.created, Model: out.model,
		Choices: make([]api.ChatChoice, len(res.Choices)),
		Usage:   usage(res),
	}
	var pieces *pieceCache
	if out.logprobs {
		pieces = run.pieces(out.model)
		if err := pieces.load(ctx, resultTokenIDs(res.Choices)); err != nil {
			return nil, err
		}
	}
	for i, c := range res.Choices {
		ch := api.ChatChoice{
			Index:        i,
			Message:      api.ChatResponseMessage{Role: api.RoleAssistant, Content: c.Text},
			FinishReason: finishReason(c.Finish),
		}
		if pieces != nil {
			ch.Logprobs = &api.ChatLogprobs{Content: chatTokenLogprobs(c.Tokens, pieces)}
		}
		resp.Choices[i] = ch
	}
	return resp, nil
}

// usage counts a generation's tokens.
func usage(res *serving.GenerateResult) api.Usage {
	return api.Usage{PromptTokens: res.PromptTokens, CompletionTokens: res.CompletionTokens,
		TotalTokens: res.PromptTokens + res.CompletionTokens}
}

// resultTokenIDs lists every token id in the choices and their
// alternatives.
func resultTokenIDs(choices []generate.Result) []int32 {
	var ids []int32
	for _, c := range choices {
		ids = appendTokenIDs(ids, c.Tokens...)
	}
	return ids
}

func appendTokenIDs(ids []int32, toks ...generate.Token) []int32 {
	for _, t := range toks {
		ids = append(ids, t.ID)
		for _, alt := range t.TopLogprobs {
			ids = append(ids, alt.ID)
		}
	}
	return ids
}

// chatTokenLogprobs reports tokens as OpenAI does. Special tokens (the end
// of sequence) are left out: they are not part of the content. A token's
// text is what it added to the content, so the tokens add up to it; the
// alternatives read as each decodes alone.
func chatTokenLogprobs(toks []generate.Token, pieces *pieceCache) []api.TokenLogprob {
	out := []api.TokenLogprob{}
	for _, t := range toks {
		if pieces.get(t.ID).Special {
			continue
		}
		out = append(out, chatTokenLogprob(t, pieces))
	}
	return out
}

func chatTokenLogprob(t generate.Token, pieces *pieceCache) api.TokenLogprob {
	lp := api.TokenLogprob{Token: t.Text, Logprob: finiteLogprob(t.Logprob), Bytes: utf8Bytes(t.Text), TopLogprobs: []api.TopLogprob{}}
	for _, alt := range t.TopLogprobs {
		text := pieces.get(alt.ID).Text
		if alt.ID == t.ID {
			text = t.Text
		}
		lp.TopLogprobs = append(lp.TopLogprobs, api.TopLogprob{Token: text, Logprob: finiteLogprob(alt.Logprob), Bytes: utf8Bytes(text)})
	}
	return lp
}
