package serving

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"hfserve/internal/generate"
	"hfserve/internal/skills"
	"hfserve/internal/telemetry"
)

// Service runs inference requests on the Manager's models: it picks the
// model, holds a lease on it for the request, turns the request's inputs into
// tokens, runs the engine and returns typed results. It knows nothing of
// HTTP or of any API's wire shapes; internal/server maps OpenAI, TGI and TEI
// requests onto it. It is safe for concurrent use.
//
// Errors callers map to statuses: ErrUnknownModel (404), a *TaskError (the
// model cannot do that: 400), an *InputError (a bad request field, naming
// it: 400), a *generate.ParamError (400), a *generate.ContextLengthError
// (prompt too long: 422 with the numbers), a *TokenLimitError (over the
// operator's max_input_tokens or max_output_tokens: 400 with the numbers),
// a *CapacityError (503 with Retry-After), ErrLoadTimeout (503), a
// *LoadError (500: the model is broken), a *LoadBackoffError (503 with
// Retry-After: the model failed to load and its next attempt is not due),
// a *BreakerOpenError (503 with Retry-After: the model keeps failing), a
// *PanicError (500: the model panicked; the process goes on), ErrClosed
// (503), and the request context's error (its deadline, or the client
// gone).
//
// Fault tolerance (ServiceOptions, see guard.go): with breakers, each
// model's Generate, Embed, Classify and Rerank requests pass its circuit
// breaker, which counts the model's failures (never the client's) and
// refuses requests while open; with a concurrency bound, at most that many
// run on one model at once and the rest wait within their deadline.
type Service struct {
	m            *Manager
	cat          *Catalog
	defaultModel string
	opts         ServiceOptions
	log          *slog.Logger
	// guards holds each catalog model's breaker and concurrency places,
	// copy-on-write as the catalog: built at start, replaced by a copy
	// with one more guard by AddModel (under addMu), never modified once
	// published.
	guards atomic.Pointer[map[string]*modelGuard]
	addMu  sync.Mutex // serialises AddModel
	// tracer makes the inference spans (a no-op tracer without
	// ServiceOptions.Tracer).
	tracer trace.Tracer
}

// NewService serves m's catalog without breakers or concurrency bounds.
// Requests that name no model go to the first model of the catalog (the
// built-in one when nothing is configured).
func NewService(m *Manager) *Service {
	s, err := NewServiceWith(m, ServiceOptions{})
	if err != nil {
		// The zero options cannot fail.
		panic(err)
	}
	return s
}

// NewServiceWith serves m's catalog with opts's fault tolerance. It fails
// on invalid breaker settings.
func NewServiceWith(m *Manager, opts ServiceOptions) (*Service, error) {
	s := &Service{m: m, cat: m.opts.Catalog, opts: opts, log: opts.Logger, tracer: noop.NewTracerProvider().Tracer("")}
	if opts.Tracer != nil {
		s.tracer = opts.Tracer.Tracer(telemetry.TracerName)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	guards, err := newGuards(s.cat, opts, s.log)
	if err != nil {
		return nil, err
	}
	s.guards.Store(&guards)
	if es := s.cat.Entries(); len(es) > 0 {
		s.defaultModel = es[0].Name
	}
	return s, nil
}

// Manager is the manager the service runs on.
func (s *Service) Manager() *Manager { return s.m }

// Catalog is the set of models the service offers; it grows with
// AddModel.
func (s *Service) Catalog() *Catalog { return s.cat }

// DefaultModel is the model used when a request names none ("" when the
// catalog was empty when the service was built: a model added later does
// not become the default).
func (s *Service) DefaultModel() string { return s.defaultModel }

// TaskError is a request for something its model does not serve.
type TaskError struct {
	Model string
	Task  skills.Task
	// Serves lists what the model does serve.
	Serves []skills.Task
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("model %q does not serve %s (it serves %v)", e.Model, e.Task, e.Serves)
}

// ErrInvalidInput is wrapped by every *InputError.
var ErrInvalidInput = errors.New("serving: invalid input")

// InputError is a request field the service cannot use. Param is the
// field's name as the API spells it ("input", "messages", "texts", ...),
// possibly with an index ("input[3]").
type InputError struct {
	Param string
	Msg   string
}

func (e *InputError) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return e.Param + ": " + e.Msg
}

// Unwrap makes every InputError match ErrInvalidInput.
func (e *InputError) Unwrap() error { return ErrInvalidInput }

// Input is one text input: Text, or token ids already encoded (IDs wins when
// set).
type Input struct {
	Text string
	IDs  []int32
}

// Prompt is what a generation starts from. Exactly one of Text, IDs and
// Messages is used, in that order of precedence: Messages when non-nil, else
// IDs when non-nil, else Text.
type Prompt struct {
	// Text is encoded with the tokenizer's own special tokens (BOS and the
	// like, add_special_tokens=True as transformers and TGI do). A text
	// (or id list) that encodes to nothing starts from the model's BOS
	// token; a model without one answers an *InputError ("prompt").
	Text string
	// IDs are used as they are (OpenAI's token-id prompts); an id outside
	// the model's vocabulary is an *InputError ("prompt").
	IDs []int32
	// Messages are rendered with the model's chat template with
	// add_generation_prompt, and the result encoded without adding special
	// tokens (the template writes them), as apply_chat_template does. Each
	// element is anything encoding/json marshals (a json.RawMessage keeps
	// the client's key order). A model without a chat template answers a
	// *TaskError for chat; an empty list, or a conversation the template
	// refuses to render (raise_exception, a type error, a render limit), is
	// an *InputError ("messages").
	Messages []any
	// Tools, Documents and ChatArgs (extra template variables, e.g.
	// enable_thinking) go to the template as apply_chat_template's
	// arguments.
	Tools, Documents []any
	ChatArgs         map[string]any
	// ContinueFinal renders without a generation prompt so the model
	// continues the last (assistant) message: as transformers'
	// continue_final_message, the rendered text is cut right after the
	// last message's text (its content, or the last text part of a
	// content list, stripped), dropping the end-of-turn markup after it.
	ContinueFinal bool
}

// GenerateRequest is one text generation.
type GenerateRequest struct {
	// Model names the model; "" is the default model.
	Model string
	// Task is what the request is for: skills.TaskChat (Prompt.Messages)
	// or skills.TaskTextGeneration; it decides which model capability is
	// checked (a *TaskError before the model is loaded). "" means chat when
	// Prompt.Messages is set and text generation otherwise.
	Task   skills.Task
	Prompt Prompt
	// Params are the generation parameters. Where a field is left at its
	// zero value and UseModelDefaults is set, generation_config.json's
	// value applies (temperature, top_p, top_k, min_p,
	// repetition_penalty, do_sample=false → greedy); its eos_token_id,
	// and the tokenizer's eos_token, are always added to
	// Params.EOSTokenIDs (the caller's slice is not modified). The
	// context limit is Runtime.MaxContext (max_context applied): a prompt
	// with MaxTokens that cannot fit is a *generate.ContextLengthError
	// whose MaxPositions is that limit.
	Params generate.Params
	// UseModelDefaults applies generation_config.json's sampling defaults
	// to the Params.Sampling fields left at zero:
	//   - Temperature 0 stays 0 (greedy) unless the file says
	//     do_sample: true; then it takes the file's temperature, or 1 when
	//     the file sets none. do_sample false or absent decodes greedily,
	//     as transformers does.
	//   - TopK, TopP, MinP and RepetitionPenalty at 0 take the file's value
	//     when it sets one (transformers' implicit top_k of 50 is not
	//     applied); the repetition penalty applies to greedy decoding too.
	// Zero counts as "not set": a request that asks for greedy decoding
	// explicitly from a model whose defaults sample should send TopK 1 (or
	// leave UseModelDefaults off). max_new_tokens and max_length are not
	// applied.
	UseModelDefaults bool
	// N is the number of completions to generate from the prompt (OpenAI's
	// n); 0 means 1, and outside [0, MaxChoices] it is an *InputError
	// ("n"). With a seed, choice i uses seed+i so that choices differ but
	// are reproducible.
	N int
	// PromptLogprobs, when >= 0, also scores every prompt token after the
	// first: its logprob and the PromptLogprobs most likely alternatives
	// (OpenAI's echo with logprobs, TGI's decoder_input_details). -1 (or
	// any negative value) skips the extra work; more than
	// generate.MaxTopLogprobs is a *generate.ParamError. The prompt is run
	// once more for it, alone, on a fresh cache.
	PromptLogprobs int
}

// GenerateEvent is one generated token, streamed as it is chosen.
type GenerateEvent struct {
	// Choice is the index of the completion it belongs to (0 unless N > 1).
	Choice int
	// Token is the token with the text that may be streamed now.
	Token generate.Token
	// Index is the token's position among its choice's generated tokens.
	Index int
}

// PromptToken is one token of the prompt, with its logprob when asked for
// (the first token has none: nothing predicts it).
type PromptToken struct {
	ID          int32
	Text        string
	Logprob     *float32
	TopLogprobs []generate.TokenLogprob
	// Special marks the tokenizer's special tokens.
	Special bool
}

// GenerateResult is a finished generation.
//
// PromptToken.Text is each prompt token decoded alone with special tokens
// kept, as TGI's prefill tokens report it.
type GenerateResult struct {
	// Model is the model that ran it.
	Model string
	// PromptText is the prompt as text (the rendered chat template, or the
	// decoded ids).
	PromptText string
	// Prompt is the encoded prompt; Logprob fields are set when
	// PromptLogprobs asked for them.
	Prompt []PromptToken
	// Choices are the N completions in order.
	Choices []generate.Result
	// PromptTokens and CompletionTokens count tokens for usage (completion
	// tokens summed over choices).
	PromptTokens, CompletionTokens int
}

// Generate runs a generation. emit, when not nil, receives every token as
// it is chosen, in order within each choice (choices advance together,
// one token each per step, so their events interleave); it is called from
// one goroutine at a time. An error from emit (a client gone) stops
// generation and is returned. Cancelling ctx stops it at the next step.
// Every choice's parameters and context length are checked before any
// forward pass runs. On error no result is returned.
func (s *Service) Generate(ctx context.Context, req GenerateRequest, emit func(GenerateEvent) error) (res *GenerateResult, err error) {
	ctx, span := s.startSpan(ctx, "hfserve.generate")
	defer span.End()
	err = s.guarded(ctx, func(c *call) (err error) {
		res, err = s.generate(ctx, c, req, c.wrapEmit(emit))
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// EmbedRequest asks for one embedding per input.
type EmbedRequest struct {
	Model  string
	Inputs []Input
	// Truncate cuts inputs longer than the model's context
	// (Runtime.MaxContext), or than TokenLimits.MaxInput when that is
	// smaller, to it, from the end or from the start when
	// TruncateLeft (special tokens are kept; token-id inputs are cut as
	// they are). Without it such an input is a *generate.ContextLengthError
	// with MaxPositions and PromptTokens (a *TokenLimitError when the
	// configured limit is the smaller), wrapped with the input's name
	// ("input[3]: ..."; errors.As finds it; the API answers 413 or 422 as
	// it documents). An input that encodes to no tokens, or with an id
	// outside the vocabulary, is an *InputError naming it.
	Truncate, TruncateLeft bool
	// Normalize overrides the model's normalisation (TEI's normalize);
	// nil keeps the model's (sentence-transformers' Normalize module, or
	// none).
	Normalize *bool
	// Dimensions, when > 0, keeps the first Dimensions components and
	// re-normalises when the embedding was normalised (OpenAI's
	// dimensions, Matryoshka models). More than the model has is an
	// *InputError.
	Dimensions int
	// Pooling overrides the model's pooling for this request ("" keeps it):
	// cls, mean, max or lasttoken; anything else is an *InputError
	// ("pooling"). Mean and max run over the input's tokens, special
	// tokens included, as sentence-transformers pools over the attention
	// mask.
	Pooling string
}

// EmbedResult holds one vector per input, in input order.
type EmbedResult struct {
	Model   string
	Vectors [][]float32
	// PromptTokens counts the tokens of every input (after truncation).
	PromptTokens int
}

// Embed computes embeddings: an encoder's last hidden state, or a
// decoder's final hidden state (after its last norm), pooled per input.
// Inputs run in length-sorted batches of bounded size. An empty Inputs is
// an *InputError ("input"); a model that does not serve embeddings a
// *TaskError.
func (s *Service) Embed(ctx context.Context, req EmbedRequest) (*EmbedResult, error) {
	return guardedEncoderCall(ctx, s, "hfserve.embed", func(ctx context.Context, c *call) (*EmbedResult, int, error) {
		res, err := s.embed(ctx, c, req)
		if err != nil {
			return nil, 0, err
		}
		return res, res.PromptTokens, nil
	})
}

// ClassifyRequest classifies each input (TEI's /predict): single texts, or
// text pairs for a cross-encoder when Pairs is set.
type ClassifyRequest struct {
	Model  string
	Inputs []Input
	// Pairs, when non-nil, replaces Inputs: each is (text, text_pair).
	Pairs                  [][2]string
	Truncate, TruncateLeft bool
	// RawScores returns the logits instead of probabilities (softmax, or
	// sigmoid for multi_label_classification and one-label models).
	RawScores bool
}

// LabelScore is one label's score.
type LabelScore struct {
	Label string
	Score float32
}

// ClassifyResult holds, per input, every label's score sorted best first.
type ClassifyResult struct {
	Model        string
	Scores       [][]LabelScore
	PromptTokens int
}

// Classify runs a sequence classification model. Inputs and Pairs are
// checked and truncated as EmbedRequest's inputs; an empty list is an
// *InputError ("inputs"). Equal scores keep the labels' id order.
func (s *Service) Classify(ctx context.Context, req ClassifyRequest) (*ClassifyResult, error) {
	return guardedEncoderCall(ctx, s, "hfserve.classify", func(ctx context.Context, c *call) (*ClassifyResult, int, error) {
		res, err := s.classify(ctx, c, req)
		if err != nil {
			return nil, 0, err
		}
		return res, res.PromptTokens, nil
	})
}

// RerankRequest scores texts against a query with a cross-encoder.
type RerankRequest struct {
	Model                  string
	Query                  string
	Texts                  []string
	Truncate, TruncateLeft bool
	// RawScores returns the logit instead of its sigmoid.
	RawScores bool
}

// Rank is one text's score; Index points into RerankRequest.Texts.
type Rank struct {
	Index int
	Score float32
}

// RerankResult holds the ranks sorted by score, best first.
type RerankResult struct {
	Model        string
	Ranks        []Rank
	PromptTokens int
}

// Rerank runs a reranker (a one-label sequence classification model) over
// (Query, text) pairs encoded with the tokenizer's pair template. Texts
// are checked and truncated as EmbedRequest's inputs; an empty Texts is an
// *InputError ("texts"). Equal scores keep the texts' order.
func (s *Service) Rerank(ctx context.Context, req RerankRequest) (*RerankResult, error) {
	return guardedEncoderCall(ctx, s, "hfserve.rerank", func(ctx context.Context, c *call) (*RerankResult, int, error) {
		res, err := s.rerank(ctx, c, req)
		if err != nil {
			return nil, 0, err
		}
		return res, res.PromptTokens, nil
	})
}

// TokenizeRequest encodes texts with a model's tokenizer.
type TokenizeRequest struct {
	Model            string
	Texts            []string
	AddSpecialTokens bool
}

// TokenInfo is one token of an encoding as TEI's /tokenize reports it.
// Special marks the tokens the post-processor added (TEI's choice: a
// special token written in the input text itself is an ordinary token with
// its offsets); their Text is the token string, the others' the input's
// bytes between Start and Stop.
type TokenInfo struct {
	ID      int32
	Text    string
	Special bool
	// Start and Stop are byte offsets into the input; nil for special
	// tokens the post-processor added.
	Start, Stop *int
}

// Tokenize encodes each text. It needs only the tokenizer, but loads the
// model like any request so that the tokenizer in use is the served one.
// The tokenizer.json's own truncation and padding are not applied. An
// empty Texts, or a text that is not valid UTF-8, is an *InputError
// ("inputs").
func (s *Service) Tokenize(ctx context.Context, req TokenizeRequest) (model string, tokens [][]TokenInfo, err error) {
	return s.tokenize(ctx, req)
}

// DecodeRequest turns token ids back into text.
type DecodeRequest struct {
	Model             string
	IDs               [][]int32
	SkipSpecialTokens bool
}

// Decode decodes each id list. An empty IDs, or an id outside the
// vocabulary, is an *InputError ("ids").
func (s *Service) Decode(ctx context.Context, req DecodeRequest) (model string, texts []string, err error) {
	return s.decode(ctx, req)
}

// ModelDescription is what TGI's /info and the admin API report about a
// model without running it.
type ModelDescription struct {
	Entry Entry
	// Serves is the detection with overrides applied.
	Serves skills.Detection
	// DType is the weights' dtype ("F32", "BF16", ...).
	DType string
	// MaxPositions is the context length (max_context applied).
	MaxPositions int
	// Params counts the model's parameters.
	Params int64
}

// Describe reports a model's description from its folder (skills.Inspect:
// config.json and the safetensors headers), without loading it. name "" is
// the default model.
func (s *Service) Describe(ctx context.Context, name string) (*ModelDescription, error) {
	return s.describe(ctx, name)
}

// startSpan starts an inference span carrying the request id; the model
// and token counts are added as they become known (acquire, and the
// inference functions).
func (s *Service) startSpan(ctx context.Context, name string) (context.Context, trace.Span) {
	if id := telemetry.RequestID(ctx); id != "" {
		return s.tracer.Start(ctx, name, trace.WithAttributes(telemetry.AttrRequestID.String(id)))
	}
	return s.tracer.Start(ctx, name)
}

// guardedEncoderCall runs one encoder request (embed, classify, rerank) in its own
// span and under the model's guard, and counts the prompt tokens run
// reports on the request's telemetry record and the span.
func guardedEncoderCall[R any](ctx context.Context, s *Service, spanName string, run func(context.Context, *call) (R, int, error)) (R, error) {
	ctx, span := s.startSpan(ctx, spanName)
	defer span.End()
	var (
		res    R
		tokens int
	)
	err := s.guarded(ctx, func(c *call) (err error) {
		res, tokens, err = run(ctx, c)
		return err
	})
	if err != nil {
		var zero R
		return zero, err
	}
	telemetry.RequestFrom(ctx).AddTokens(tokens, 0, 0)
	span.SetAttributes(telemetry.AttrPromptTokens.Int(tokens))
	return res, nil
}
