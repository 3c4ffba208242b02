package server

import (
	"net/http"

	"hfserve/api"
	"hfserve/internal/serving"
)

// chatStream answers a chat completion as OpenAI streams it: per choice a
// first chunk with the role, chunks with pieces of content, a last chunk
// with the finish reason; then, with include_usage, a chunk with the usage
// and no choices; then [DONE]. An error before the first chunk is answered
// with its own status; after it, as an error event that ends the stream.
func (h *inference) chatStream(w http.ResponseWriter, r *http.Request, run *cacheRun, gr serving.GenerateRequest, out chatOutput) {
	cs := &chatStreamer{sse: newSSEWriter(w, "data: "), out: out, roleSent: map[int]bool{}}
	var pieces *pieceCache
	if out.logprobs {
		pieces = run.pieces(out.model)
	}
	ctx := r.Context()
	res, err := generateStreamed(ctx, run.generate(0), gr, func(ev serving.GenerateEvent) error {
		var lps *api.ChatLogprobs
		if pieces != nil {
			if err := pieces.load(ctx, appendTokenIDs(nil, ev.Token)); err != nil {
				return err
			}
			if !pieces.get(ev.Token.ID).Special {
				lps = &api.ChatLogprobs{Content: []api.TokenLogprob{chatTokenLogprob(ev.Token, pieces)}}
			}
		}
		if ev.Token.Text == "" && lps == nil {
			return nil
		}
		text := ev.Token.Text
		return cs.send(ev.Choice, api.ChatDelta{Content: &text}, lps, nil)
	})
	if err != nil {
		cs.fail(w, r, err)
		return
	}
	// Stored before the stream ends, so that a request sent once this
	// one is answered finds it.
	run.done(ctx)
	for i, c := range res.Choices {
		fr := finishReason(c.Finish)
		if err := cs.send(i, api.ChatDelta{}, nil, &fr); err != nil {
			return
		}
	}
	if out.includeUsage {
		u := usage(res)
		if err := cs.chunk(api.ChatCompletionChunk{Choices: []api.ChatChunkChoice{}, Usage: &u}); err != nil {
			return
		}
	}
	_ = cs.sse.raw([]byte("[DONE]"))
}

// chatStreamer writes one chat completion's chunks.
type chatStreamer struct {
	sse      *sseWriter
	out      chatOutput
	roleSent map[int]bool
}

// send writes one choice's chunk, preceded by the choice's role chunk if
// it has not been sent yet.
func (c *chatStreamer) send(choice int, delta api.ChatDelta, lps *api.ChatLogprobs, finish *string) error {
	if !c.roleSent[choice] {
		c.roleSent[choice] = true
		empty := ""
		if err := c.chunk(api.ChatCompletionChunk{Choices: []api.ChatChunkChoice{{
			Index: choice, Delta: api.ChatDelta{Role: api.RoleAssistant, Content: &empty}}}}); err != nil {
			return err
		}
	}
	return c.chunk(api.ChatCompletionChunk{Choices: []api.ChatChunkChoice{{
		Index: choice, Delta: delta, Logprobs: lps, FinishReason: finish}}})
}

// chunk fills in the fields every chunk shares and writes it.
func (c *chatStreamer) chunk(ch api.ChatCompletionChunk) error {
	ch.ID, ch.Object, ch.Created, ch.Model = c.out.id, api.ObjectChatCompletionChunk, c.out.created, c.out.model
	return c.sse.event(ch)
}

// fail ends the stream with err.
func (c *chatStreamer) fail(w http.ResponseWriter, r *http.Request, err error) {
	failOpenAIStream(w, r, c.sse, err, chatPrompt)
}

// failOpenAIStream answers an error of a streamed OpenAI request: with its
// status when nothing was sent yet, else as an error event (which OpenAI
// SDKs raise) that ends the stream. A client that is gone gets nothing
// more.
func failOpenAIStream(w http.ResponseWriter, r *http.Request, sse *sseWriter, err error, pc promptContext) {
	rep := openAIReply(err, pc)
	if !sse.started {
		writeOpenAIReply(w, r, rep)
		return
	}
	if sse.err == nil {
		_ = sse.event(api.NewErrorResponse(rep.Type, rep.Code, rep.Param, rep.Message))
	}
}
