package schedule

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"hfserve/internal/models"
	"hfserve/internal/telemetry"
)

// EncoderOptions bound an encoder batcher. Zero fields take the defaults
// noted.
type EncoderOptions struct {
	// MaxBatchSize is the most inputs (rows) in one forward pass
	// (max_batch_size); default 32.
	MaxBatchSize int
	// MaxBatchTokens bounds rows × padded length of one pass
	// (max_batch_tokens); 0 means no bound. An input longer than the bound
	// runs alone.
	MaxBatchTokens int
	// MaxWait is how long a batch that formed behind a busy model may wait
	// for more inputs before it is cut (max_batch_wait_ms). A request that
	// finds the model idle never waits.
	MaxWait time.Duration
	// MaxQueue is the most inputs waiting (max_queue_size); default 4096.
	MaxQueue int
	// OnBatch, when not nil, is told of every forward pass (StepInfo's
	// Seqs are its inputs, Tokens its padded tokens). It runs on the
	// batcher goroutine, so it must be quick.
	OnBatch func(StepInfo)
	// Tracer, when not nil, traces queue waits and batches (see tracing);
	// Model names the model in their attributes.
	Tracer trace.Tracer
	Model  string
}

func (o EncoderOptions) withDefaults() EncoderOptions {
	if o.MaxBatchSize <= 0 {
		o.MaxBatchSize = 32
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = 4096
	}
	return o
}

// EncoderInput is one tokenized input.
type EncoderInput struct {
	IDs []int32
	// TypeIDs are segment ids (nil: all zeros).
	TypeIDs []int32
}

// EncoderResult is one input's share of a forward pass, sized to the input
// (no padding).
type EncoderResult struct {
	// Hidden is the last hidden state, [len(IDs), Hidden].
	Hidden []float32
	// Pooler is the pooler output [Hidden], nil when the model has none.
	Pooler []float32
	// Logits is the head's output: [LogitsDim] for sequence
	// classification, [len(IDs), LogitsDim] for token-level heads; nil
	// for a base model.
	Logits []float32
	// HiddenSize and LogitsDim are the widths of Hidden's and Logits'
	// rows.
	HiddenSize, LogitsDim int
}

// EncoderStats is a snapshot of an encoder batcher.
type EncoderStats struct {
	// Queued counts inputs waiting; Running the batches running.
	Queued  int
	Running int
	// Batches, Rows and PaddedTokens count forward passes, the inputs they
	// ran and their padded size (rows × longest).
	Batches, Rows, PaddedTokens, RealTokens uint64
}

// Encoder is a dynamic batcher for one encoder model. Build it with
// NewEncoder; it is safe for concurrent use. Close stops it.
type Encoder struct {
	enc   models.Encoder
	opts  EncoderOptions
	tr    tracing
	vocab int
	pad   int32 // the id padded positions carry (masked anyway)

	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	done   chan struct{}

	mu      sync.Mutex
	queue   []*encItem
	running int // batches running now
	closed  bool

	batches, rows, padded, real atomic.Uint64
}

// encRequest is one Run call; encItem one of its inputs.
type encRequest struct {
	ctx      context.Context
	results  []EncoderResult
	pending  int
	err      error
	done     chan struct{}
	mu       sync.Mutex
	enqueued time.Time
	started  time.Time
	// endQueue ends the queue span (a no-op when not traced).
	endQueue func()
}

type encItem struct {
	req      *encRequest
	index    int
	in       EncoderInput
	enqueued time.Time
}

// NewEncoder starts a batcher for enc.
func NewEncoder(enc models.Encoder, opts EncoderOptions) *Encoder {
	ctx, cancel := context.WithCancel(context.Background())
	e := &Encoder{
		enc: enc, opts: opts.withDefaults(), tr: newTracing(opts.Tracer, opts.Model, telemetry.KindEncoder),
		vocab: enc.Info().VocabSize, pad: int32(max(enc.Info().PadTokenID, 0)),
		ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	go e.loop()
	return e
}

// Run encodes inputs, batched with other callers' inputs, and returns one
// result per input in order. Inputs are checked first (empty, or token ids
// outside the vocabulary: an error for this caller only). Cancelling ctx
// abandons inputs that have not started; a batch already running finishes.
func (e *Encoder) Run(ctx context.Context, inputs []EncoderInput) ([]EncoderResult, RunStats, error) {
	if len(inputs) == 0 {
		return nil, RunStats{}, fmt.Errorf("schedule: no inputs: %w", models.ErrBadInput)
	}
	for i, in := range inputs {
		if len(in.IDs) == 0 {
			return nil, RunStats{}, fmt.Errorf("schedule: input %d is empty: %w", i, models.ErrBadInput)
		}
		if in.TypeIDs != nil && len(in.TypeIDs) != len(in.IDs) {
			return nil, RunStats{}, fmt.Errorf("schedule: input %d: %d type ids for %d tokens: %w", i, len(in.TypeIDs), len(in.IDs), models.ErrBadInput)
		}
		for _, id := range in.IDs {
			if id < 0 || int(id) >= e.vocab {
				return nil, RunStats{}, fmt.Errorf("schedule: input %d: token id %d outside the vocabulary of %d: %w", i, id, e.vocab, models.ErrBadInput)
			}
		}
	}
	now := time.Now()
	req := &encRequest{ctx: ctx, results: make([]EncoderResult, len(inputs)), pending: len(inputs), done: make(chan struct{}), enqueued: now, endQueue: func() {}}
	e.mu.Lock()
	// Inputs of callers already gone do not hold places in the queue.
	e.dropCancelledLocked()
	switch {
	case e.closed:
		e.mu.Unlock()
		return nil, RunStats{}, ErrClosed
	case len(e.queue)+len(inputs) > e.opts.MaxQueue && len(e.queue) > 0:
		// An oversized request alone in an empty queue is still accepted,
		// so a big batch is slow rather than impossible.
		e.mu.Unlock()
		return nil, RunStats{}, fmt.Errorf("%w: %d inputs waiting, bound %d", ErrQueueFull, len(e.queue), e.opts.MaxQueue)
	}
	req.endQueue = e.tr.queueSpan(ctx)
	for i, in := range inputs {
		e.queue = append(e.queue, &encItem{req: req, index: i, in: in, enqueued: now})
	}
	e.mu.Unlock()
	e.kick()

	select {
	case <-req.done:
	case <-ctx.Done():
		// Our queued inputs leave now, so that the room they held in the
		// queue is free when we return.
		e.mu.Lock()
		kept := e.queue[:0]
		for _, it := range e.queue {
			if it.req != req {
				kept = append(kept, it)
			}
		}
		clear(e.queue[len(kept):])
		e.queue = kept
		e.mu.Unlock()
		req.fail(ctx.Err())
		e.kick()
		return nil, req.stats(), ctx.Err()
	}
	req.mu.Lock()
	defer req.mu.Unlock()
	if req.err != nil {
		return nil, req.statsLocked(), req.err
	}
	return req.results, req.statsLocked(), nil
}

func (r *encRequest) stats() RunStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.statsLocked()
}

func (r *encRequest) statsLocked() RunStats {
	if r.started.IsZero() {
		return RunStats{QueueTime: time.Since(r.enqueued)}
	}
	return RunStats{QueueTime: r.started.Sub(r.enqueued)}
}

// fail ends the request with err unless it already ended.
func (r *encRequest) fail(err error) {
	r.endQueue()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending > 0 {
		r.pending, r.err = 0, err
		close(r.done)
	}
}

// deliver stores one input's result.
func (r *encRequest) deliver(i int, res EncoderResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == 0 {
		return // already failed
	}
	r.results[i] = res
	r.pending--
	if r.pending == 0 {
		close(r.done)
	}
}

// Stats returns the batcher's state and counters.
func (e *Encoder) Stats() EncoderStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return EncoderStats{Queued: len(e.queue), Running: e.running,
		Batches: e.batches.Load(), Rows: e.rows.Load(), PaddedTokens: e.padded.Load(), RealTokens: e.real.Load()}
}

// Close stops taking work, fails what is queued with ErrClosed, waits for a
// running batch until ctx ends (then cancels it) and for the batcher
// goroutine to exit.
func (e *Encoder) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.kick()
	select {
	case <-e.done:
		return nil
	case <-ctx.Done():
		e.cancel()
		<-e.done
		return fmt.Errorf("schedule: closing with a batch running: %w", ctx.Err())
	}
}

func (e *Encoder) kick() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Encoder) loop() {
	defer close(e.done)
	defer e.cancel()
	var runs sync.WaitGroup
	defer runs.Wait() // before done closes: Close waits for running batches
	for {
		batch, ok := e.next()
		if !ok {
			return
		}
		runs.Add(1)
		go func() {
			defer runs.Done()
			e.run(batch)
		}()
	}
}

// maxInFlight is the most batches of one model running at once: one
// normally; a second starts only for a batch that is full or has waited
// MaxWait behind a busy model, so a long batch cannot hold others back
// without bound. (The two then share the cores.)
const maxInFlight = 2

// next waits for a batch and cuts it; false once closed.
func (e *Encoder) next() ([]*encItem, bool) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		e.mu.Lock()
		if e.closed {
			for _, it := range e.queue {
				it.req.fail(ErrClosed)
			}
			e.queue = nil
			e.mu.Unlock()
			return nil, false
		}
		e.dropCancelledLocked()
		if len(e.queue) > 0 && e.running < maxInFlight {
			// An idle model takes a batch at once: batching never makes a
			// request wait for company. Behind a busy model a batch forms
			// until it is full or its first input has waited MaxWait.
			wait := e.opts.MaxWait - time.Since(e.queue[0].enqueued)
			if e.running == 0 || wait <= 0 || e.fullLocked() {
				batch := e.cutLocked()
				e.running++
				e.mu.Unlock()
				return batch, true
			}
			e.mu.Unlock()
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-e.wake:
			case <-timer.C:
			}
			continue
		}
		e.mu.Unlock()
		<-e.wake
	}
}

// dropCancelledLocked removes inputs whose caller is gone.
func (e *Encoder) dropCancelledLocked() {
	kept := e.queue[:0]
	for _, it := range e.queue {
		if err := it.req.ctx.Err(); err != nil {
			it.req.fail(err)
			continue
		}
		kept = append(kept, it)
	}
	clear(e.queue[len(kept):])
	e.queue = kept
}

// fullLocked reports whether the queue already fills a batch.
func (e *Encoder) fullLocked() bool {
	if len(e.queue) >= e.opts.MaxBatchSize {
		return true
	}
	if e.opts.MaxBatchTokens > 0 {
		longest := 0
		for i, it := range e.queue {
			longest = max(longest, len(it.in.IDs))
			if (i+1)*longest >= e.opts.MaxBatchTokens {
				return true
			}
		}
	}
	return false
}

// cutLocked takes a batch off the queue, first come first served within
// the size and token bounds.
func (e *Encoder) cutLocked() []*encItem {
	n, longest := 0, 0
	for n < len(e.queue) && n < e.opts.MaxBatchSize {
		l := max(longest, len(e.queue[n].in.IDs))
		if e.opts.MaxBatchTokens > 0 && n > 0 && (n+1)*l > e.opts.MaxBatchTokens {
			break
		}
		longest = l
		n++
	}
	batch := slices.Clone(e.queue[:n])
	clear(e.queue[:n])
	e.queue = e.queue[n:]
	return batch
}

// run executes one batch and hands each input its rows.
func (e *Encoder) run(batch []*encItem) {
	// The model is free again as soon as the pass returns, before the
	// results go out: a caller that answers at once with a new request
	// must find it idle.
	free := sync.OnceFunc(func() {
		e.mu.Lock()
		e.running--
		e.mu.Unlock()
		e.kick()
	})
	defer free()
	now := time.Now()
	for _, it := range batch {
		it.req.mu.Lock()
		first := it.req.started.IsZero()
		if first {
			it.req.started = now
		}
		it.req.mu.Unlock()
		if first {
			telemetry.RequestFrom(it.req.ctx).Scheduled(now.Sub(it.req.enqueued), now)
			it.req.endQueue()
		}
	}
	// Sorted by length, so that when the pass is split by the token bound
	// (or by a future bucketing), neighbours pad little.
	slices.SortStableFunc(batch, func(a, b *encItem) int { return len(a.in.IDs) - len(b.in.IDs) })
	seqLen := len(batch[len(batch)-1].in.IDs)
	// Only the real rows of the output are handed back, so the padded
	// positions need not be computed at all.
	eb := &models.EncoderBatch{
		InputIDs:      make([][]int32, len(batch)),
		AttentionMask: make([][]int32, len(batch)),
		TokenTypeIDs:  make([][]int32, len(batch)),
		SkipPadding:   true,
	}
	var real int
	for i, it := range batch {
		n := len(it.in.IDs)
		real += n
		ids, mask, types := make([]int32, seqLen), make([]int32, seqLen), make([]int32, seqLen)
		copy(ids, it.in.IDs)
		copy(types, it.in.TypeIDs)
		for k := range seqLen {
			if k < n {
				mask[k] = 1
			} else {
				ids[k] = e.pad
			}
		}
		eb.InputIDs[i], eb.AttentionMask[i], eb.TokenTypeIDs[i] = ids, mask, types
	}
	var traced []context.Context
	if e.tr.tracer != nil {
		for _, it := range batch {
			traced = append(traced, it.req.ctx)
		}
	}
	bctx, span, ok := e.tr.batchSpan("hfserve.batch", traced, len(batch), len(batch)*seqLen)
	endSpan := func() {
		if ok {
			span.End()
		}
	}
	e.batches.Add(1)
	e.rows.Add(uint64(len(batch)))
	e.padded.Add(uint64(len(batch) * seqLen))
	e.real.Add(uint64(real))
	endForward := e.tr.child(bctx, "hfserve.forward")
	out, err := e.encode(eb)
	endForward()
	endSpan() // before the results go out: a caller may be waiting to see it
	free()
	if e.opts.OnBatch != nil {
		e.opts.OnBatch(StepInfo{Seqs: len(batch), Tokens: len(batch) * seqLen, Duration: time.Since(now)})
	}
	if err != nil {
		if e.ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", ErrClosed, err)
		}
		for _, it := range batch {
			it.req.fail(fmt.Errorf("schedule: encoder forward pass: %w", err))
		}
		return
	}
	h := out.HiddenSize
	tokenLogits := out.Logits != nil && len(out.Logits) == out.Batch*out.SeqLen*out.LogitsDim && out.SeqLen > 1
	for i, it := range batch {
		n := len(it.in.IDs)
		res := EncoderResult{HiddenSize: h, LogitsDim: out.LogitsDim}
		base := i * out.SeqLen * h
		res.Hidden = slices.Clone(out.Hidden[base : base+n*h])
		if out.Pooler != nil {
			res.Pooler = slices.Clone(out.Pooler[i*h : (i+1)*h])
		}
		switch {
		case out.Logits == nil:
		case tokenLogits:
			lb := i * out.SeqLen * out.LogitsDim
			res.Logits = slices.Clone(out.Logits[lb : lb+n*out.LogitsDim])
		default:
			res.Logits = slices.Clone(out.Logits[i*out.LogitsDim : (i+1)*out.LogitsDim])
		}
		it.req.deliver(it.index, res)
	}
}

// encode runs the model with a panic turned into an error that fails the
// batch's requests rather than the process.
func (e *Encoder) encode(eb *models.EncoderBatch) (out *models.EncoderOutput, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: encoder forward pass: %v", ErrPanic, r)
		}
	}()
	return e.enc.Encode(e.ctx, eb)
}
