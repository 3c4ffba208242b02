package server

import (
	"errors"
	"net/http"

	"hfserve/api"
	"hfserve/internal/serving"
)

// errNoTokens is a generation that ended without a token, which TGI's
// stream cannot express.
var errNoTokens = errors.New("server: the generation ended without generating a token")

// tgiGenerateStream serves TGI's POST /generate_stream: one event per
// token, the last one carrying the generated text (and the details when
// asked). Since the last token is known only when the generation ends,
// each token is sent when the next one arrives. Errors before the first
// event get their own status (TGI sends them as events of a 200 stream);
// later ones end the stream with an error event.
func (h *inference) tgiGenerateStream(w http.ResponseWriter, r *http.Request) {
	plan, req, err := h.tgiDecode(r, true)
	if err != nil {
		writeHFReply(w, r, tgiReply(err))
		return
	}
	ctx := r.Context()
	run := h.tgiCacheBegin(w, r, plan, req, true)
	defer run.close()
	if err := h.tgiPrepare(ctx, run, plan); err != nil {
		writeHFReply(w, r, tgiReply(err))
		return
	}
	sse := newSSEWriter(w, "data:")
	pieces := run.pieces(plan.gr.Model)
	var held *serving.GenerateEvent
	index := 0
	send := func(ev serving.GenerateEvent, last *api.GenerateStreamEvent) error {
		index++
		out := api.GenerateStreamEvent{Index: index, Token: tgiToken(ev.Token, pieces)}
		if plan.topN > 0 {
			out.TopTokens = tgiTopTokens(ev.Token, pieces)
		}
		if last != nil {
			out.GeneratedText, out.Details = last.GeneratedText, last.Details
		}
		return sse.event(out)
	}
	res, err := generateStreamed(ctx, run.generate(0), plan.gr, func(ev serving.GenerateEvent) error {
		if err := pieces.load(ctx, appendTokenIDs(nil, ev.Token)); err != nil {
			return err
		}
		if held != nil {
			if err := send(*held, nil); err != nil {
				return err
			}
		}
		held = &ev
		return nil
	})
	if err == nil && (held == nil || len(res.Choices) != 1) {
		err = errNoTokens
	}
	if err != nil {
		if !sse.started {
			writeHFReply(w, r, tgiReply(err))
		} else if sse.err == nil {
			rep := tgiReply(err)
			_ = sse.event(api.TGIError{Error: rep.Message, ErrorType: rep.Type})
		}
		return
	}
	// Stored before the last event, so that a request sent once this one
	// is answered finds it.
	run.done(ctx)
	choice := res.Choices[0]
	text := choice.Text
	if plan.returnFullText {
		text = plan.inputs + text
	}
	last := &api.GenerateStreamEvent{GeneratedText: &text}
	if plan.details {
		last.Details = &api.StreamDetails{FinishReason: choice.Finish.TGI(), GeneratedTokens: len(choice.Tokens),
			Seed: plan.seed(choice), InputLength: res.PromptTokens}
	}
	_ = send(*held, last)
}
