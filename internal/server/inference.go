package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"hfserve/internal/respcache"
	"hfserve/internal/serving"
	"hfserve/internal/skills"
	"hfserve/internal/telemetry"
)

// maxBatchInputs bounds the inputs of one request (prompts, embedding
// inputs, texts to rerank...): OpenAI's documented limit for embeddings.
const maxBatchInputs = 2048

// HandleInference registers the inference endpoints on svc:
//
//	POST /v1/chat/completions   OpenAI chat completions (SSE with "stream")
//	POST /v1/completions        OpenAI legacy completions (SSE with "stream")
//	POST /v1/embeddings         OpenAI embeddings
//	POST /generate              TGI generation
//	POST /generate_stream       TGI generation, streamed (SSE)
//	GET  /info                  TGI model info (the default model, or ?model=)
//	POST /embed                 TEI embeddings
//	POST /rerank                TEI reranking
//	POST /predict               TEI sequence classification
//	POST /tokenize              TEI tokenization
//	POST /decode                TEI detokenization
//
// The OpenAI routes answer errors in the OpenAI shape, the TGI and TEI
// routes in theirs ({"error","error_type"}); see openAIReply, tgiReply and
// teiReply. Every route takes the model from the body's "model" field,
// falling back to the service's default model. A client that disconnects
// cancels its generation; a slow one delays only its own stream. Options
// add a response cache (WithResponseCache).
func (s *Server) HandleInference(svc *serving.Service, opts ...InferenceOption) {
	h := &inference{svc: svc, version: s.opts.Version, srv: s}
	for _, o := range opts {
		o(h)
	}
	s.Handle("POST /v1/chat/completions", http.HandlerFunc(h.chatCompletions))
	s.Handle("POST /v1/completions", http.HandlerFunc(h.completions))
	s.Handle("POST /v1/embeddings", http.HandlerFunc(h.embeddings))
	s.Handle("POST /generate", http.HandlerFunc(h.tgiGenerate))
	s.Handle("POST /generate_stream", http.HandlerFunc(h.tgiGenerateStream))
	s.Handle("GET /info", http.HandlerFunc(h.tgiInfo))
	s.Handle("POST /embed", http.HandlerFunc(h.teiEmbed))
	s.Handle("POST /rerank", http.HandlerFunc(h.teiRerank))
	s.Handle("POST /predict", http.HandlerFunc(h.teiPredict))
	s.Handle("POST /tokenize", http.HandlerFunc(h.teiTokenize))
	s.Handle("POST /decode", http.HandlerFunc(h.teiDecode))
	if s.opts.Metrics != nil {
		var cache *respcache.Cache
		if h.cache != nil {
			cache = h.cache.c
		}
		if err := s.opts.Metrics.Register(stateCollector(svc, cache)); err != nil {
			// Only a second HandleInference on one Metrics gets here.
			s.log.Warn("metrics: serving state not exported", "err", err)
		}
	}
}

// inference holds the inference handlers' dependencies.
type inference struct {
	svc     *serving.Service
	version string
	srv     *Server        // for writeJSON's logging
	cache   *responseCache // nil: no response cache
}

// resolveModel turns a request's model field into a catalog name ("" is
// the default model) and checks that the model serves task (no check when
// task is ""). It answers before any model is loaded, so a typo costs
// nothing.
func (h *inference) resolveModel(ctx context.Context, name string, task skills.Task) (string, error) {
	if name == "" {
		name = h.svc.DefaultModel()
		if name == "" {
			return "", &unknownModelError{}
		}
	}
	e, ok := h.svc.Catalog().Lookup(name)
	if !ok {
		return "", &unknownModelError{name: name}
	}
	// Known to the catalog, so it may label metrics.
	telemetry.RequestFrom(ctx).SetModel(e.Name)
	// The one place every route learns its model: the key's model
	// restriction is checked here, before anything is loaded.
	if p := principalFrom(ctx); p != nil && !p.AllowsModel(e.Name) {
		return "", &modelForbiddenError{name: e.Name}
	}
	if task == "" {
		return name, nil
	}
	if d := e.Serves(); !d.HasTask(task) {
		return "", &serving.TaskError{Model: name, Task: task, Serves: d.Tasks}
	}
	return name, nil
}

// newID returns an id such as "chatcmpl-1f0c...": prefix and 24 random hex
// digits, as OpenAI's ids look.
func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b[:])
}

// unixNow is the "created" time of a response.
func unixNow() int64 { return time.Now().Unix() }

// tokenPiece is how one token reads on its own.
type tokenPiece struct {
	// Text is the token decoded alone, special tokens included.
	Text string
	// Special marks a token that decoding with special tokens skipped
	// drops (end of sequence, chat markers).
	Special bool
}

// pieceCache decodes tokens one by one for logprobs and TGI's token lists,
// remembering them for the rest of the request.
type pieceCache struct {
	svc    *serving.Service
	model  string
	pieces map[int32]tokenPiece
	// record, when not nil, receives every piece decoded (for the
	// response cache).
	record map[int32]tokenPiece
}

func newPieceCache(svc *serving.Service, model string) *pieceCache {
	return &pieceCache{svc: svc, model: model, pieces: map[int32]tokenPiece{}}
}

// load decodes the ids not decoded yet: twice, with and without special
// tokens, which tells the special ones apart.
func (c *pieceCache) load(ctx context.Context, ids []int32) error {
	var lists [][]int32
	seen := map[int32]bool{}
	for _, id := range ids {
		if _, ok := c.pieces[id]; ok || seen[id] {
			continue
		}
		seen[id] = true
		lists = append(lists, []int32{id})
	}
	if len(lists) == 0 {
		return nil
	}
	_, with, err := c.svc.Decode(ctx, serving.DecodeRequest{Model: c.model, IDs: lists})
	if err != nil {
		return err
	}
	_, without, err := c.svc.Decode(ctx, serving.DecodeRequest{Model: c.model, IDs: lists, SkipSpecialTokens: true})
	if err != nil {
		return err
	}
	for i, l := range lists {
		var p tokenPiece
		if i < len(with) {
			p.Text = with[i]
		}
		if i < len(without) {
			p.Special = p.Text != "" && without[i] == ""
		}
		c.pieces[l[0]] = p
		if c.record != nil {
			c.record[l[0]] = p
		}
	}
	return nil
}

// get returns a loaded token's piece.
func (c *pieceCache) get(id int32) tokenPiece { return c.pieces[id] }

// rawJSON is a JSON value kept as sent.
type rawJSON = json.RawMessage

// isJSONNull reports whether raw is the JSON literal null.
func isJSONNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }
