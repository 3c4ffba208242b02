package telemetry

import (
	"context"
	"sync"
	"time"
)

// Request accumulates what the layers learn about one HTTP request as it
// goes through them: the server notes its route and cache outcome, the
// serving layer its model and token counts, the schedulers when its work
// left the queue and when its tokens came out. The server reads a Snapshot
// when the response starts (timing headers) and when it ends (metrics and
// the access log).
//
// A Request travels in the context (WithRequest, RequestFrom). Every
// method is safe for concurrent use and does nothing on a nil *Request, so
// code below the server records unconditionally: a context without a
// Request (tests, the CLI) simply records nothing.
type Request struct {
	start       time.Time
	keepPrompts bool

	mu                     sync.Mutex
	endpoint, model, cache string
	keyID, auth            string
	prompt                 string
	promptTokens           int
	generatedTokens        int
	sequences              int
	queue                  time.Duration
	ran                    bool
	active                 int // model calls begun and not ended
	workStart, workEnd     time.Time
	scheduled              time.Time
	firstToken, lastToken  time.Time
}

// NewRequest starts the record of a request that arrived at start. With
// keepPrompts, SetPrompt keeps the prompt text (the log_prompts option);
// otherwise prompts are never held.
func NewRequest(start time.Time, keepPrompts bool) *Request {
	return &Request{start: start, keepPrompts: keepPrompts}
}

type requestKey struct{}

// WithRequest returns a copy of ctx that carries r.
func WithRequest(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestFrom returns the Request ctx carries, or nil.
func RequestFrom(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// SetEndpoint records the route that served the request: its ServeMux
// pattern ("POST /v1/chat/completions"), never the client's path, so that
// it can label metrics.
func (r *Request) SetEndpoint(pattern string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.endpoint = pattern
	r.mu.Unlock()
}

// SetModel records the model serving the request. Callers pass a catalog
// name only (never a client's unchecked model field), which keeps the
// metrics' model label bounded.
func (r *Request) SetModel(name string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.model = name
	r.mu.Unlock()
}

// SetCache records the response cache's part: "hit", "miss" or "bypass".
func (r *Request) SetCache(outcome string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.cache = outcome
	r.mu.Unlock()
}

// SetAuth records the request's authentication: the id of the API key it
// presented (never the secret; "" when none was accepted) and the
// decision ("ok", or why it was refused: "missing", "invalid",
// "forbidden", "locked_out", "rate_limited"...).
func (r *Request) SetAuth(keyID, decision string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.keyID, r.auth = keyID, decision
	r.mu.Unlock()
}

// SetPrompt keeps the request's prompt text when the Request was made to
// keep prompts; several prompts are joined by newlines.
func (r *Request) SetPrompt(text string) {
	if r == nil || !r.keepPrompts {
		return
	}
	r.mu.Lock()
	if r.prompt != "" {
		r.prompt += "\n"
	}
	r.prompt += text
	r.mu.Unlock()
}

// AddTokens adds a model call's token counts: prompt tokens read and
// tokens generated, over sequences generated sequences (0 for encoders).
func (r *Request) AddTokens(prompt, generated, sequences int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.promptTokens += prompt
	r.generatedTokens += generated
	r.sequences += sequences
	r.mu.Unlock()
}

// BeginWork records that a model call started at start: the serving
// layer's Generate, Embed, Classify or Rerank. EndWork must follow,
// whatever its outcome.
func (r *Request) BeginWork(start time.Time) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.ran = true
	if r.workStart.IsZero() || start.Before(r.workStart) {
		r.workStart = start
	}
	r.active++
	r.mu.Unlock()
}

// EndWork records that a model call BeginWork announced ended at end.
func (r *Request) EndWork(end time.Time) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.active--
	if end.After(r.workEnd) {
		r.workEnd = end
	}
	r.mu.Unlock()
}

// Scheduled records that part of the request's work left its model's
// queue at started after waiting waited. The queue time kept is the
// longest wait, the start the earliest.
func (r *Request) Scheduled(waited time.Duration, started time.Time) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.queue = max(r.queue, waited)
	if r.scheduled.IsZero() || started.Before(r.scheduled) {
		r.scheduled = started
	}
	r.mu.Unlock()
}

// Token records that a generated token came out at.
func (r *Request) Token(at time.Time) {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.firstToken.IsZero() || at.Before(r.firstToken) {
		r.firstToken = at
	}
	if at.After(r.lastToken) {
		r.lastToken = at
	}
	r.mu.Unlock()
}

// RequestSnapshot is what a Request knows at one moment.
type RequestSnapshot struct {
	// Start is when the request arrived.
	Start time.Time
	// Endpoint is the route pattern; "" before routing (or unrouted).
	Endpoint string
	// Model is the catalog name of the model; "" when none was resolved.
	Model string
	// Cache is "hit", "miss", "bypass" or "" (not cacheable, or no cache).
	Cache string
	// KeyID and Auth are what SetAuth recorded; "" without API keys.
	KeyID, Auth string
	// Prompt is the prompt text, only when prompts are kept.
	Prompt string
	// PromptTokens and GeneratedTokens sum the request's model calls (or,
	// for a cache hit, the cached answer's usage).
	PromptTokens, GeneratedTokens int
	// Sequences counts the sequences generated (choices × prompts).
	Sequences int
	// Ran is true once a model call started for the request; Working
	// while one is running.
	Ran, Working bool
	// Queue is the longest time its work waited in a model's queue.
	Queue time.Duration
	// WorkStart and WorkEnd bound its model calls; Scheduled is when its
	// work first left a queue; FirstToken and LastToken when its first
	// and last generated tokens came out. Zero when unknown.
	WorkStart, WorkEnd, Scheduled, FirstToken, LastToken time.Time
}

// Snapshot returns what r knows now; the zero snapshot for a nil r.
func (r *Request) Snapshot() RequestSnapshot {
	if r == nil {
		return RequestSnapshot{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return RequestSnapshot{
		Start: r.start, Endpoint: r.endpoint, Model: r.model, Cache: r.cache, KeyID: r.keyID, Auth: r.auth, Prompt: r.prompt,
		PromptTokens: r.promptTokens, GeneratedTokens: r.generatedTokens, Sequences: r.sequences,
		Ran: r.ran, Working: r.active > 0, Queue: r.queue, WorkStart: r.workStart, WorkEnd: r.workEnd, Scheduled: r.scheduled,
		FirstToken: r.firstToken, LastToken: r.lastToken,
	}
}

// InferenceTime is how long the request's model work ran: from when it
// first left a queue (or, unscheduled, from its first model call) to the
// end of its last model call, or to now while one is running. Zero when
// no model call ran.
func (s RequestSnapshot) InferenceTime(now time.Time) time.Duration {
	if !s.Ran {
		return 0
	}
	from := s.Scheduled
	if from.IsZero() {
		from = s.WorkStart
	}
	to := s.WorkEnd
	if s.Working || to.Before(from) {
		to = now
	}
	return max(to.Sub(from), 0)
}

// TimeToFirstToken is the time from the request's arrival to its first
// generated token; ok is false when no token was generated.
func (s RequestSnapshot) TimeToFirstToken() (time.Duration, bool) {
	if s.FirstToken.IsZero() {
		return 0, false
	}
	return max(s.FirstToken.Sub(s.Start), 0), true
}

// TimePerOutputToken is the mean time between a sequence's tokens after
// its first (vLLM's TPOT): the span from the first to the last token over
// the tokens each sequence produced after its first. ok is false with
// fewer than two tokens per sequence.
func (s RequestSnapshot) TimePerOutputToken() (time.Duration, bool) {
	seqs := max(s.Sequences, 1)
	after := s.GeneratedTokens - seqs
	if s.FirstToken.IsZero() || after <= 0 {
		return 0, false
	}
	span := s.LastToken.Sub(s.FirstToken)
	return span * time.Duration(seqs) / time.Duration(after), true
}
