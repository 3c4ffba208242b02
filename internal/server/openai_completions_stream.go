package server

import (
	"net/http"
	"unicode/utf8"

	"hfserve/api"
	"hfserve/internal/serving"
)

// completionStream answers a completions request as OpenAI streams it:
// "text_completion" chunks with pieces of each choice's text (the echoed
// prompt first), a chunk per choice with its finish reason, with
// include_usage a last chunk with the usage and no choices, then [DONE].
// Prompts run one after the other. Echoed prompts carry no logprobs in a
// stream.
func (h *inference) completionStream(w http.ResponseWriter, r *http.Request, run *cacheRun, plan *completionPlan) {
	sse := newSSEWriter(w, "data: ")
	ctx := r.Context()
	send := func(c api.CompletionChoice) error {
		return sse.event(api.Completion{ID: plan.id, Object: api.ObjectTextCompletion, Created: plan.created, Model: plan.model,
			Choices: []api.CompletionChoice{c}})
	}
	var pieces *pieceCache
	if plan.logprobs >= 0 {
		pieces = run.pieces(plan.model)
	}
	total := api.Usage{}
	for i, gr := range plan.reqs {
		echo, err := run.echo(i, func() (string, error) { return h.echoText(ctx, plan, gr) })
		if err != nil {
			failOpenAIStream(w, r, sse, err, completionPrompt)
			return
		}
		echoed := map[int]bool{}
		offsets := map[int]int{} // characters sent per choice
		sendEcho := func(choice int) error {
			if !plan.echo || echoed[choice] {
				return nil
			}
			echoed[choice] = true
			offsets[choice] = utf8.RuneCountInString(echo)
			return send(api.CompletionChoice{Index: i*plan.n + choice, Text: echo})
		}
		res, err := generateStreamed(ctx, run.generate(i), gr, func(ev serving.GenerateEvent) error {
			if err := sendEcho(ev.Choice); err != nil {
				return err
			}
			c := api.CompletionChoice{Index: i*plan.n + ev.Choice, Text: ev.Token.Text}
			if pieces != nil {
				if err := pieces.load(ctx, appendTokenIDs(nil, ev.Token)); err != nil {
					return err
				}
				if !pieces.get(ev.Token.ID).Special {
					c.Logprobs = &api.CompletionLogprobs{}
					appendCompletionToken(c.Logprobs, ev.Token, offsets[ev.Choice], pieces)
				}
			}
			offsets[ev.Choice] += utf8.RuneCountInString(ev.Token.Text)
			if c.Text == "" && c.Logprobs == nil {
				return nil
			}
			return send(c)
		})
		if err != nil {
			failOpenAIStream(w, r, sse, err, completionPrompt)
			return
		}
		for c, choice := range res.Choices {
			if err := sendEcho(c); err != nil {
				return
			}
			fr := finishReason(choice.Finish)
			if err := send(api.CompletionChoice{Index: i*plan.n + c, FinishReason: &fr}); err != nil {
				return
			}
		}
		u := usage(res)
		total.PromptTokens += u.PromptTokens
		total.CompletionTokens += u.CompletionTokens
		total.TotalTokens += u.TotalTokens
	}
	// Stored before the stream ends, so that a request sent once this
	// one is answered finds it.
	run.done(ctx)
	if plan.includeUsage {
		if err := sse.event(api.Completion{ID: plan.id, Object: api.ObjectTextCompletion, Created: plan.created, Model: plan.model,
			Choices: []api.CompletionChoice{}, Usage: &total}); err != nil {
			return
		}
	}
	_ = sse.raw([]byte("[DONE]"))
}
