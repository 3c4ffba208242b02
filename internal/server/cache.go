package server

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/trace"

	"hfserve/internal/respcache"
	"hfserve/internal/serving"
	"hfserve/internal/telemetry"
)

// cacheRecordVersion versions cacheRecord and the code that fills it; it
// is part of every key, so a change here never reads old entries.
const cacheRecordVersion = "server-record-1"

// The X-Cache response header and its values. Every response of a
// cacheable route says how the cache took part: hit (answered from the
// cache), miss (computed; stored unless the request said no-store) or
// bypass (not cacheable: a request that samples without a seed, or one
// that sent both no-cache and no-store). Requests rejected before that
// decision (bad input, unknown model) carry none; neither does any
// response when caching is off.
const (
	headerXCache = "X-Cache"
	xCacheHit    = "hit"
	xCacheMiss   = "miss"
	xCacheBypass = "bypass"
)

// InferenceOption configures HandleInference.
type InferenceOption func(*inference)

// WithResponseCache answers deterministic inference requests from c and
// stores the answers of the others (see respcache): OpenAI chat,
// completions and embeddings, TGI generate and generate_stream, TEI embed,
// rerank and predict. A request's Cache-Control header may say no-cache
// (compute afresh; the answer replaces the cached one) and no-store (do
// not store the answer). A streamed request is served from a cached
// answer as a stream of the cached tokens, and a streamed answer is stored
// once complete, so the streamed and plain forms of one request share an
// entry.
func WithResponseCache(c *respcache.Cache) InferenceOption {
	return func(h *inference) {
		if c != nil {
			h.cache = &responseCache{c: c, svc: h.svc, version: h.version, log: h.srv.log, ids: map[string]*modelIdentity{}}
		}
	}
}

// responseCache is the inference handlers' view of the cache: keys built
// from a model's content identity, computed once per model.
type responseCache struct {
	c       *respcache.Cache
	svc     *serving.Service
	version string
	log     *slog.Logger

	mu  sync.Mutex
	ids map[string]*modelIdentity
}

type modelIdentity struct {
	once sync.Once
	id   string
	err  error
}

// identity is the model's content identity (respcache.ModelIdentity),
// with the configuration's answer-changing overrides folded in.
func (rc *responseCache) identity(model string) (string, error) {
	rc.mu.Lock()
	mi := rc.ids[model]
	if mi == nil {
		mi = &modelIdentity{}
		rc.ids[model] = mi
	}
	rc.mu.Unlock()
	mi.once.Do(func() {
		e, ok := rc.svc.Catalog().Lookup(model)
		if !ok {
			mi.err = fmt.Errorf("server: cache: unknown model %q", model)
			return
		}
		overrides, err := json.Marshal(struct {
			Task, Pooling, ChatTemplate string
			MaxContext                  int
		}{e.Spec.Task, e.Spec.Pooling, e.Spec.ChatTemplate, e.Spec.MaxContext})
		if err != nil {
			mi.err = err
			return
		}
		mi.id, mi.err = respcache.ModelIdentity(e.Dir, e.Commit, overrides)
	})
	return mi.id, mi.err
}

// cacheMode reads the request's Cache-Control: no-cache skips the lookup,
// no-store the store.
func cacheMode(h http.Header) respcache.Mode {
	var m respcache.Mode
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(d)) {
			case "no-cache":
				m.NoLookup = true
			case "no-store":
				m.NoStore = true
			}
		}
	}
	return m
}

// cacheRecord is what the cache keeps of an answer: the service's results
// and what the handler decoded besides (token pieces, echoed prompts), so
// that both the plain and the streamed answer can be rebuilt without the
// model.
type cacheRecord struct {
	// Gens holds one generation per prompt.
	Gens []serving.GenerateResult
	// Echo holds the echoed text per prompt (completions with echo).
	Echo []string
	// Pieces are the tokens decoded alone, for logprobs and TGI details.
	Pieces   map[int32]tokenPiece
	Embed    *serving.EmbedResult
	Rerank   *serving.RerankResult
	Classify map[int]*serving.ClassifyResult
}

func encodeRecord(rec *cacheRecord) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(rec); err != nil {
		return nil, fmt.Errorf("server: cache: encode record: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeRecord(data []byte) (*cacheRecord, error) {
	var rec cacheRecord
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&rec); err != nil {
		return nil, fmt.Errorf("server: cache: decode record: %w", err)
	}
	return &rec, nil
}

// cacheRun is one request's use of the cache: its service calls go
// through it, answered from hit when the cache had the answer and recorded
// into rec when the answer will be stored. With caching off (or the
// request not cacheable) it simply calls the service. Its methods are
// called from one goroutine at a time.
type cacheRun struct {
	svc  *serving.Service
	log  *slog.Logger
	call *respcache.Call
	hit  *cacheRecord
	rec  *cacheRecord
}

// cacheKey is what a request's key is derived from.
type cacheKey struct {
	endpoint string
	model    string
	// request is the decoded request with the fields that cannot change
	// the answer cleared.
	request any
	// deterministic is false for a request that samples without a seed.
	deterministic bool
}

// cacheBegin looks the request up and sets X-Cache. The caller must defer
// run.close().
func (h *inference) cacheBegin(w http.ResponseWriter, r *http.Request, k cacheKey) *cacheRun {
	run := &cacheRun{svc: h.svc, log: h.srv.log}
	rc := h.cache
	if rc == nil {
		return run
	}
	rec := telemetry.RequestFrom(r.Context())
	mode := cacheMode(r.Header)
	if !k.deterministic || (mode.NoLookup && mode.NoStore) {
		w.Header().Set(headerXCache, xCacheBypass)
		rec.SetCache(xCacheBypass)
		return run
	}
	ctx := r.Context()
	id, err := rc.identity(k.model)
	if err == nil {
		var key respcache.Key
		key, err = respcache.NewKey(respcache.KeyParts{Endpoint: k.endpoint, Model: k.model, Identity: id,
			Version: cacheRecordVersion + "/" + rc.version, Request: k.request})
		if err == nil {
			lctx, span := h.srv.tracer.Start(ctx, "hfserve.cache.lookup", trace.WithAttributes(
				telemetry.AttrModel.String(k.model), telemetry.AttrRequestID.String(telemetry.RequestID(ctx))))
			run.begin(lctx, rc, k.model, key, mode)
			result := xCacheMiss
			if run.hit != nil {
				result = xCacheHit
			}
			span.SetAttributes(telemetry.AttrCache.String(result))
			span.End()
			if run.hit != nil {
				w.Header().Set(headerXCache, xCacheHit)
				rec.SetCache(xCacheHit)
			} else {
				w.Header().Set(headerXCache, xCacheMiss)
				rec.SetCache(xCacheMiss)
			}
			return run
		}
	}
	h.srv.log.WarnContext(ctx, "response cache: request not cacheable", "model", k.model, "err", err)
	w.Header().Set(headerXCache, xCacheBypass)
	rec.SetCache(xCacheBypass)
	return run
}

// begin looks key up; a cached value that does not decode is a miss (and
// is replaced by the fresh answer).
func (run *cacheRun) begin(ctx context.Context, rc *responseCache, model string, key respcache.Key, mode respcache.Mode) {
	call := rc.c.Begin(ctx, model, key, mode)
	if call.Hit() {
		rec, err := decodeRecord(call.Value)
		if err == nil {
			run.call, run.hit = call, rec
			return
		}
		rc.log.WarnContext(ctx, "response cache: unreadable entry; computing afresh", "model", model, "err", err)
		call = rc.c.Begin(ctx, model, key, respcache.Mode{NoLookup: true, NoStore: mode.NoStore})
	}
	run.call = call
	if !mode.NoStore {
		run.rec = &cacheRecord{}
	}
}

// done stores the recorded answer: the request succeeded.
func (run *cacheRun) done(ctx context.Context) {
	if run.call == nil || run.hit != nil {
		return
	}
	if run.rec == nil {
		run.call.Abandon()
		return
	}
	data, err := encodeRecord(run.rec)
	if err != nil {
		run.log.WarnContext(ctx, "response cache: answer not stored", "err", err)
		run.call.Abandon()
		return
	}
	run.call.Store(ctx, data)
}

// close ends the call when done did not: requests waiting for this answer
// compute their own.
func (run *cacheRun) close() {
	if run.call != nil {
		run.call.Abandon()
	}
}

// generate returns the service's Generate for the request's i-th prompt,
// answered from the cache on a hit (the cached tokens emitted as the
// generation would have) and recorded on a miss.
func (run *cacheRun) generate(i int) generateFunc {
	return func(ctx context.Context, req serving.GenerateRequest, emit func(serving.GenerateEvent) error) (*serving.GenerateResult, error) {
		if run.hit != nil && i < len(run.hit.Gens) {
			res := run.hit.Gens[i]
			// The cached usage, for the token headers and the access log;
			// metrics count only tokens a model ran.
			telemetry.RequestFrom(ctx).AddTokens(res.PromptTokens, res.CompletionTokens, len(res.Choices))
			return replayGeneration(ctx, &res, emit)
		}
		res, err := run.svc.Generate(ctx, req, emit)
		if err == nil && run.rec != nil {
			for len(run.rec.Gens) <= i {
				run.rec.Gens = append(run.rec.Gens, serving.GenerateResult{})
			}
			run.rec.Gens[i] = *res
		}
		return res, err
	}
}

// replayGeneration emits a finished generation's tokens as the service
// does: choices advancing together, one token each per step.
func replayGeneration(ctx context.Context, res *serving.GenerateResult, emit func(serving.GenerateEvent) error) (*serving.GenerateResult, error) {
	if emit == nil {
		return res, nil
	}
	longest := 0
	for _, c := range res.Choices {
		longest = max(longest, len(c.Tokens))
	}
	for k := range longest {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for ci, c := range res.Choices {
			if k < len(c.Tokens) {
				if err := emit(serving.GenerateEvent{Choice: ci, Token: c.Tokens[k], Index: k}); err != nil {
					return nil, err
				}
			}
		}
	}
	return res, nil
}

// pieces returns a pieceCache for model that starts with the cached
// pieces on a hit and records what it decodes on a miss.
func (run *cacheRun) pieces(model string) *pieceCache {
	pc := newPieceCache(run.svc, model)
	if run.hit != nil {
		for id, p := range run.hit.Pieces {
			pc.pieces[id] = p
		}
	}
	if run.rec != nil {
		if run.rec.Pieces == nil {
			run.rec.Pieces = map[int32]tokenPiece{}
		}
		pc.record = run.rec.Pieces
	}
	return pc
}

// echo returns prompt i's echoed text: cached, or computed and recorded.
func (run *cacheRun) echo(i int, compute func() (string, error)) (string, error) {
	if run.hit != nil && i < len(run.hit.Echo) {
		return run.hit.Echo[i], nil
	}
	text, err := compute()
	if err == nil && run.rec != nil {
		for len(run.rec.Echo) <= i {
			run.rec.Echo = append(run.rec.Echo, "")
		}
		run.rec.Echo[i] = text
	}
	return text, err
}

// embed is the service's Embed through the cache.
func (run *cacheRun) embed(ctx context.Context, req serving.EmbedRequest) (*serving.EmbedResult, error) {
	if run.hit != nil && run.hit.Embed != nil {
		telemetry.RequestFrom(ctx).AddTokens(run.hit.Embed.PromptTokens, 0, 0)
		return run.hit.Embed, nil
	}
	res, err := run.svc.Embed(ctx, req)
	if err == nil && run.rec != nil {
		run.rec.Embed = res
	}
	return res, err
}

// rerank is the service's Rerank through the cache.
func (run *cacheRun) rerank(ctx context.Context, req serving.RerankRequest) (*serving.RerankResult, error) {
	if run.hit != nil && run.hit.Rerank != nil {
		telemetry.RequestFrom(ctx).AddTokens(run.hit.Rerank.PromptTokens, 0, 0)
		return run.hit.Rerank, nil
	}
	res, err := run.svc.Rerank(ctx, req)
	if err == nil && run.rec != nil {
		run.rec.Rerank = res
	}
	return res, err
}

// classify is the service's Classify for part i of the request through the
// cache.
func (run *cacheRun) classify(ctx context.Context, i int, req serving.ClassifyRequest) (*serving.ClassifyResult, error) {
	if run.hit != nil {
		if res := run.hit.Classify[i]; res != nil {
			telemetry.RequestFrom(ctx).AddTokens(res.PromptTokens, 0, 0)
			return res, nil
		}
	}
	res, err := run.svc.Classify(ctx, req)
	if err == nil && run.rec != nil {
		if run.rec.Classify == nil {
			run.rec.Classify = map[int]*serving.ClassifyResult{}
		}
		run.rec.Classify[i] = res
	}
	return res, err
}

// recording reports whether the answer is being recorded for the cache.
func (run *cacheRun) recording() bool { return run.rec != nil }
