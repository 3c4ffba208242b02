package serving

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/trace"

	"hfserve/internal/config"
	"hfserve/internal/generate"
	"hfserve/internal/models"
	"hfserve/internal/schedule"
	"hfserve/internal/skills"
	"hfserve/internal/telemetry"
)

// Errors of the per-model schedulers, re-exported so that the HTTP layer
// can map them without knowing the schedule package: both mean "overloaded,
// retry later" (503 with Retry-After).
var (
	// ErrQueueFull: the model's queue is at max_queue_size.
	ErrQueueFull = schedule.ErrQueueFull
	// ErrKVCacheTooSmall: the sequence could never fit kv_cache_memory.
	ErrKVCacheTooSmall = schedule.ErrTooLarge
)

// Batching configures how a Runtime runs concurrent requests.
type Batching struct {
	// Enabled batches requests of one model together: a continuous
	// batcher for decoders, a dynamic batcher for encoders. Disabled,
	// requests of one model run one at a time, each alone: the baseline
	// the seed compares batching against.
	Enabled bool
	// Decoder and Encoder bound the schedulers; a model's configured
	// max_batch_size and max_batch_tokens override theirs.
	Decoder schedule.DecoderOptions
	Encoder schedule.EncoderOptions
	// OnBatch, when not nil, is told of every batched forward pass of
	// every model: its name, "decoder" or "encoder", and the pass (for
	// the batch metrics). It runs on the scheduler's goroutine.
	OnBatch func(model, kind string, step schedule.StepInfo)
	// Tracer, when not nil, traces the schedulers' queue waits and
	// batches.
	Tracer trace.TracerProvider
}

// BatchingFromConfig maps the configuration's batching knobs.
func BatchingFromConfig(cfg *config.Config) Batching {
	return Batching{
		Enabled: cfg.EnableBatching,
		Decoder: schedule.DecoderOptions{
			MaxSeqs:       cfg.MaxNumSeqs,
			MaxStepTokens: cfg.MaxBatchTokens,
			MaxQueue:      cfg.MaxQueueSize,
			MaxKVBytes:    int64(cfg.KVCacheMemory),
		},
		Encoder: schedule.EncoderOptions{
			MaxBatchSize:   cfg.MaxBatchSize,
			MaxBatchTokens: cfg.MaxBatchTokens,
			MaxWait:        cfg.MaxBatchWait(),
			MaxQueue:       cfg.MaxQueueSize,
		},
	}
}

// forEntry applies a model's own batch limits.
func (b Batching) forEntry(e Entry) Batching {
	if n := e.Spec.MaxBatchSize; n > 0 {
		b.Decoder.MaxSeqs, b.Encoder.MaxBatchSize = n, n
	}
	if n := e.Spec.MaxBatchTokens; n > 0 {
		b.Decoder.MaxStepTokens, b.Encoder.MaxBatchTokens = n, n
	}
	return b
}

// startScheduling gives a loaded runtime its scheduler (or, with batching
// off, its one-at-a-time gate).
func (rt *Runtime) startScheduling(b Batching) {
	b = b.forEntry(rt.Entry)
	if !b.Enabled {
		rt.solo = make(chan struct{}, 1)
		return
	}
	if b.Tracer != nil {
		tr := b.Tracer.Tracer(telemetry.TracerName)
		b.Decoder.Tracer, b.Decoder.Model = tr, rt.Entry.Name
		b.Encoder.Tracer, b.Encoder.Model = tr, rt.Entry.Name
	}
	if on := b.OnBatch; on != nil {
		name := rt.Entry.Name
		b.Decoder.OnStep = func(s schedule.StepInfo) { on(name, telemetry.KindDecoder, s) }
		b.Encoder.OnBatch = func(s schedule.StepInfo) { on(name, telemetry.KindEncoder, s) }
	}
	if dec := rt.Decoder(); dec != nil && (rt.Serves.HasTask(skills.TaskTextGeneration) || rt.Serves.HasTask(skills.TaskChat)) {
		rt.decoderSched = schedule.NewDecoder(dec, b.Decoder)
	}
	if enc := rt.Encoder(); enc != nil {
		rt.encoderSched = schedule.NewEncoder(enc, b.Encoder)
	}
}

// Close stops the schedulers (letting running work finish for a few
// seconds, then cancelling it) and closes the model. The Manager calls it
// only once no lease is held, so normally nothing is running.
func (rt *Runtime) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	if rt.decoderSched != nil {
		errs = append(errs, rt.decoderSched.Close(ctx))
	}
	if rt.encoderSched != nil {
		errs = append(errs, rt.encoderSched.Close(ctx))
	}
	if rt.Model != nil {
		errs = append(errs, rt.Model.Close())
	}
	return errors.Join(errs...)
}

// SchedulerStats reports the model's scheduler state; ok is false when the
// model runs without one (batching off).
func (rt *Runtime) SchedulerStats() (dec *schedule.DecoderStats, enc *schedule.EncoderStats) {
	if rt.decoderSched != nil {
		s := rt.decoderSched.Stats()
		dec = &s
	}
	if rt.encoderSched != nil {
		s := rt.encoderSched.Stats()
		enc = &s
	}
	return dec, enc
}

// alone takes the model's one-at-a-time gate when batching is off; the
// returned function gives it back.
// The wait for the gate is the request's queue time.
func (rt *Runtime) alone(ctx context.Context) (func(), error) {
	if rt.solo == nil {
		return func() {}, nil
	}
	start := time.Now()
	select {
	case rt.solo <- struct{}{}:
		now := time.Now()
		telemetry.RequestFrom(ctx).Scheduled(now.Sub(start), now)
		return func() { <-rt.solo }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("serving: waiting for the model: %w", ctx.Err())
	}
}

// schedErr turns a scheduler shutdown into the serving layer's ErrClosed.
func schedErr(err error) error {
	if errors.Is(err, schedule.ErrClosed) && !errors.Is(err, ErrClosed) {
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}

// runSequences runs a request's sequences to their ends: through the
// model's continuous batcher, sharing steps with other requests, or alone
// (batching off). emit, when not nil, is called on this goroutine only.
func (rt *Runtime) runSequences(ctx context.Context, seqs []*generate.Sequence, emit func(seq int, tok generate.Token) error) ([][]generate.Token, error) {
	if rt.decoderSched == nil {
		release, err := rt.alone(ctx)
		if err != nil {
			return make([][]generate.Token, len(seqs)), err
		}
		defer release()
		return runSequences(ctx, rt.Decoder(), seqs, emit)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type event struct {
		seq int
		tok generate.Token
	}
	type outcome struct {
		seq    int
		tokens []generate.Token
		err    error
	}
	events := make(chan event)
	outcomes := make(chan outcome, len(seqs))
	for i, seq := range seqs {
		go func() {
			var forward func(generate.Token) error
			if emit != nil {
				forward = func(tok generate.Token) error {
					select {
					case events <- event{i, tok}:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				}
			}
			res, _, err := rt.decoderSched.Run(ctx, seq, forward)
			outcomes <- outcome{i, res.Tokens, err}
		}()
	}
	tokens := make([][]generate.Token, len(seqs))
	var firstErr error
	for pending := len(seqs); pending > 0; {
		select {
		case ev := <-events:
			if firstErr != nil {
				continue
			}
			// A sequence's goroutine may hand over a token after the
			// caller's context ended (its select saw both ready): the
			// caller asked for nothing more, so it is not emitted.
			if err := ctx.Err(); err != nil {
				firstErr = err
				cancel()
				continue
			}
			if err := emit(ev.seq, ev.tok); err != nil {
				firstErr = err
				cancel()
			}
		case o := <-outcomes:
			pending--
			tokens[o.seq] = o.tokens
			if o.err != nil && firstErr == nil {
				firstErr = schedErr(o.err)
				cancel()
			}
		}
	}
	return tokens, firstErr
}

// runEncoder runs items through the model's dynamic batcher, or alone
// with batching off, handing each item its own output (one row).
func (rt *Runtime) runEncoder(ctx context.Context, items []tokens, use func(item int, out *models.EncoderOutput, row int) error) error {
	if rt.encoderSched == nil {
		release, err := rt.alone(ctx)
		if err != nil {
			return err
		}
		defer release()
		return runEncoder(ctx, rt.Encoder(), items, use)
	}
	inputs := make([]schedule.EncoderInput, len(items))
	for i, it := range items {
		inputs[i] = schedule.EncoderInput{IDs: it.ids, TypeIDs: it.types}
	}
	results, _, err := rt.encoderSched.Run(ctx, inputs)
	if err != nil {
		return fmt.Errorf("serving: encode: %w", schedErr(err))
	}
	for i, r := range results {
		out := &models.EncoderOutput{Batch: 1, SeqLen: len(items[i].ids), HiddenSize: r.HiddenSize,
			Hidden: r.Hidden, Pooler: r.Pooler, Logits: r.Logits, LogitsDim: r.LogitsDim}
		if err := use(i, out, 0); err != nil {
			return err
		}
	}
	return nil
}
