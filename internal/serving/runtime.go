package serving

import (
	"context"
	"errors"
	"fmt"

	"hfserve/internal/generate"
	"hfserve/internal/models"
	"hfserve/internal/models/auto"
	"hfserve/internal/schedule"
	"hfserve/internal/skills"
	"hfserve/internal/tensor"
	"hfserve/internal/tokenizer"
	"hfserve/internal/tokenizer/chat"
)

// Runtime is a loaded model with everything a request needs to use it: the
// engine's model, the folder's tokenizer, its chat template and generation
// defaults, and what it serves once the configuration's overrides are
// applied. It is what the Manager keeps loaded (it satisfies models.Model,
// so the Manager's bookkeeping reads its Info and closes it). A Runtime is
// immutable after loading and safe for concurrent use.
type Runtime struct {
	models.Model
	// Entry is the catalog entry it was loaded from.
	Entry Entry
	// Tokenizer is the folder's tokenizer with its configuration.
	Tokenizer *tokenizer.Pretrained
	// Generation is generation_config.json (empty when absent).
	Generation *generate.GenerationConfig
	// Chat is the compiled chat template (the configuration's override or
	// the folder's default); nil when the model has none.
	Chat *chat.Template
	// ChatTokens are the special tokens the template sees.
	ChatTokens chat.SpecialTokens
	// Serves is the entry's detection with the configured overrides
	// (task, pooling) applied.
	Serves skills.Detection
	// MaxContext is the longest sequence a request may use, in tokens: the
	// model's context length, lowered by the configuration's max_context.
	MaxContext int

	// decoderSched and encoderSched batch concurrent requests; solo, with
	// batching off, lets one request at a time use the model.
	decoderSched *schedule.Decoder
	encoderSched *schedule.Encoder
	solo         chan struct{}
	// ProblemType is config.json's problem_type ("" when absent): a
	// classification head trained for "multi_label_classification" scores
	// each label with a sigmoid rather than a softmax over all of them.
	ProblemType string
}

// ErrNoRuntime is returned by Lease.Runtime for a model loaded by a loader
// that does not build Runtimes (tests that exercise only the Manager).
var ErrNoRuntime = errors.New("serving: model was loaded without its runtime")

// Runtime is the leased model's runtime; valid until Release.
func (l *Lease) Runtime() (*Runtime, error) {
	rt, ok := l.model.(*Runtime)
	if !ok {
		return nil, fmt.Errorf("model %q: %w", l.Name(), ErrNoRuntime)
	}
	return rt, nil
}

// RuntimeLoader is the production LoadFunc: it loads each entry's weights
// with the native engine (kernels on pool; nil runs them on the calling
// goroutine) together with its tokenizer, chat template and generation
// config.
//
// Requests are batched with the schedulers' default bounds; serve uses
// BatchingLoader with the configured ones.
func RuntimeLoader(pool *tensor.Pool) LoadFunc {
	return BatchingLoader(pool, Batching{Enabled: true})
}

// BatchingLoader is RuntimeLoader with explicit batching settings.
func BatchingLoader(pool *tensor.Pool, b Batching) LoadFunc {
	return func(ctx context.Context, e Entry) (models.Model, error) {
		return LoadRuntime(ctx, e, models.LoadOptions{Pool: pool}, b)
	}
}

// LoadRuntime loads one entry and starts its scheduler as b says. The
// tokenizer and templates are read before the weights, so a folder with a
// broken tokenizer fails fast and cheaply. The model is wrapped so that a
// panic in a forward pass becomes a *PanicError for the requests it ran.
func LoadRuntime(ctx context.Context, e Entry, opts models.LoadOptions, b Batching) (*Runtime, error) {
	return loadRuntime(ctx, e, opts, b, nil)
}

// loadRuntime is LoadRuntime; wrap, when not nil, decorates the engine's
// model before anything uses it (tests inject faults with it).
func loadRuntime(ctx context.Context, e Entry, opts models.LoadOptions, b Batching, wrap func(models.Model) models.Model) (*Runtime, error) {
	if !e.Detection.Supported {
		return nil, fmt.Errorf("serving: model %q: %w: %s", e.Name, models.ErrUnsupported, e.Detection.Reason)
	}
	tok, err := tokenizer.LoadDir(e.Dir)
	if err != nil {
		return nil, fmt.Errorf("serving: model %q: tokenizer: %w", e.Name, err)
	}
	gen, err := generate.LoadGenerationConfig(e.Dir)
	if err != nil {
		return nil, fmt.Errorf("serving: model %q: %w", e.Name, err)
	}
	cfg, err := models.ReadConfig(e.Dir)
	if err != nil {
		return nil, fmt.Errorf("serving: model %q: %w", e.Name, err)
	}
	rt := &Runtime{Entry: e, Tokenizer: tok, Generation: gen, Serves: e.Serves(), ProblemType: cfg.String("problem_type", "")}
	if err := rt.compileChat(); err != nil {
		return nil, err
	}
	m, err := auto.Load(ctx, e.Dir, opts)
	if err != nil {
		return nil, fmt.Errorf("serving: model %q: %w", e.Name, err)
	}
	if wrap != nil {
		m = wrap(m)
	}
	rt.Model = guardModel(e.Name, m)
	rt.MaxContext = m.Info().MaxPositions
	if mc := e.Spec.MaxContext; mc > 0 && (rt.MaxContext <= 0 || mc < rt.MaxContext) {
		rt.MaxContext = mc
	}
	rt.startScheduling(b)
	return rt, nil
}

// compileChat compiles the configured template, or the folder's default
// one when the configuration names none.
func (rt *Runtime) compileChat() error {
	if src := rt.Entry.Spec.ChatTemplate; src != "" {
		t, err := chat.Parse(src)
		if err != nil {
			return fmt.Errorf("serving: model %q: configured chat_template: %w", rt.Entry.Name, err)
		}
		rt.Chat, rt.ChatTokens = t, rt.Tokenizer.Config.SpecialTokens
		return nil
	}
	t, special, err := rt.Tokenizer.ChatTemplate("")
	switch {
	case errors.Is(err, chat.ErrNoChatTemplate):
		return nil
	case err != nil:
		return fmt.Errorf("serving: model %q: chat template: %w", rt.Entry.Name, err)
	}
	rt.Chat, rt.ChatTokens = t, special
	return nil
}

// Decoder is the model as a decoder, or nil for an encoder.
func (rt *Runtime) Decoder() models.Decoder {
	d, _ := rt.Model.(models.Decoder)
	return d
}

// Encoder is the model as an encoder, or nil for a decoder.
func (rt *Runtime) Encoder() models.Encoder {
	e, _ := rt.Model.(models.Encoder)
	return e
}
