package schedule

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"hfserve/internal/generate"
	"hfserve/internal/models"
	"hfserve/internal/telemetry"
)

// Errors callers may test for with errors.Is.
var (
	// ErrQueueFull is returned when a model's queue is at its bound; the
	// request was not queued and may be retried.
	ErrQueueFull = errors.New("schedule: queue full")
	// ErrClosed is returned for work submitted to, or cut short by, a
	// closed scheduler.
	ErrClosed = errors.New("schedule: scheduler closed")
	// ErrTooLarge is returned for a sequence whose KV cache could never fit
	// the model's KV budget, even alone.
	ErrTooLarge = errors.New("schedule: sequence too large for the KV cache budget")
	// ErrPanic wraps a panic caught on the scheduler goroutine; it fails
	// only the sequence (or batch) it happened in.
	ErrPanic = errors.New("schedule: panic")
)

// DecoderOptions bound a decoder scheduler. Zero fields take the defaults
// noted.
type DecoderOptions struct {
	// MaxSeqs is the most sequences in one step (max_num_seqs); default 32.
	MaxSeqs int
	// MaxStepTokens is the most new tokens in one step: one per decoding
	// sequence plus prefill chunks (max_batch_tokens); default 512, and
	// never below MaxSeqs.
	MaxStepTokens int
	// MaxQueue is the most sequences waiting to start (max_queue_size);
	// default 1024.
	MaxQueue int
	// MaxKVBytes bounds the KV cache memory of the model's active
	// sequences; 0 means no bound. Each sequence reserves its worst case
	// (prompt plus max tokens) when it starts, so the bound can never be
	// overrun mid-generation; a sequence that does not fit waits for others
	// to finish.
	MaxKVBytes int64
	// OnStep, when not nil, is told of every forward pass: the sequences
	// and new tokens it ran and how long it took, sampling included. It
	// runs on the scheduler goroutine, so it must be quick.
	OnStep func(StepInfo)
	// Tracer, when not nil, traces queue waits and steps (see tracing);
	// Model names the model in their attributes.
	Tracer trace.Tracer
	Model  string
}

// StepInfo describes one batched forward pass: a decoder step or an
// encoder batch.
type StepInfo struct {
	// Seqs counts the sequences (decoder) or inputs (encoder) it ran.
	Seqs int
	// Tokens counts its new tokens (decoder) or padded tokens (encoder).
	Tokens int
	// Duration is how long it took.
	Duration time.Duration
}

func (o DecoderOptions) withDefaults() DecoderOptions {
	if o.MaxSeqs <= 0 {
		o.MaxSeqs = 32
	}
	if o.MaxStepTokens <= 0 {
		o.MaxStepTokens = 512
	}
	o.MaxStepTokens = max(o.MaxStepTokens, o.MaxSeqs)
	if o.MaxQueue <= 0 {
		o.MaxQueue = 1024
	}
	return o
}

// DecoderStats is a snapshot of a decoder scheduler's state and counters.
type DecoderStats struct {
	// Queued and Active count waiting and running sequences.
	Queued, Active int
	// KVBytesReserved is the KV cache reserved by active sequences;
	// KVBytesLimit the bound (0: none).
	KVBytesReserved, KVBytesLimit int64
	// Steps counts forward passes; StepTokens the new tokens they ran and
	// StepSeqs the sequences (so StepSeqs/Steps is the mean batch size).
	Steps, StepTokens, StepSeqs uint64
	// SharedPromptTokens counts prompt tokens not computed because a
	// sequence took them from another with the same prompt.
	SharedPromptTokens uint64
}

// Decoder is a continuous-batching scheduler for one decoder model. Build it
// with NewDecoder; it is safe for concurrent use. Close stops it.
type Decoder struct {
	dec        models.Decoder
	opts       DecoderOptions
	tr         tracing
	kvPerToken int64
	vocab      int

	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc
	wake   chan struct{}
	done   chan struct{}

	mu      sync.Mutex
	queue   []*seqJob
	kvUsed  int64
	closed  bool
	active  []*seqJob // owned by the loop goroutine; len mirrored in nActive
	nActive int
	// logits is the last step's result, owned by the loop goroutine: every
	// step consumes its logits before the next, so the next forward pass
	// writes into the same memory (models.Batch.Out).
	logits []float32

	steps, stepTokens, stepSeqs, sharedPromptTokens atomic.Uint64
}

// seqJob is one sequence from Run to its end.
type seqJob struct {
	ctx      context.Context
	seq      *generate.Sequence
	prompt   []int32
	kv       int64
	enqueued time.Time
	// endQueue ends the queue span (a no-op when not traced).
	endQueue func()

	// Owned by the loop goroutine.
	cache *models.KVCache
	fed   int   // prompt tokens in the cache
	next  int32 // the token to feed in the next decode step
	// A sequence admitted while another with the same prompt is still
	// prefilling waits for it (leader) instead of computing the prompt
	// again: when the leader's last prompt chunk is done, its cache is
	// copied to each of its followers and each samples its first token
	// from the same logits (n choices of one request, or identical
	// prompts from several). One admitted after the other is past its
	// prompt copies it at once (see sharePrompt).
	leader    *seqJob
	followers []*seqJob
	retired   bool

	abandoned atomic.Bool
	notify    chan struct{} // capacity 1: "something changed"

	mu       sync.Mutex
	tokens   []generate.Token
	finished bool
	err      error
	started  time.Time // when it left the queue
}

// NewDecoder starts a scheduler for dec.
func NewDecoder(dec models.Decoder, opts DecoderOptions) *Decoder {
	info := dec.Info()
	ctx, cancel := context.WithCancel(context.Background())
	d := &Decoder{
		dec:        dec,
		opts:       opts.withDefaults(),
		tr:         newTracing(opts.Tracer, opts.Model, telemetry.KindDecoder),
		kvPerToken: info.KVBytesPerToken,
		vocab:      info.OutputDim(false),
		ctx:        ctx,
		cancel:     cancel,
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	go d.loop()
	return d
}

// RunStats describes one sequence's time in the scheduler.
type RunStats struct {
	// QueueTime is how long it waited before its first step.
	QueueTime time.Duration
}

// Run generates seq to its end, batched with whatever else runs on the
// model, calling emit (when not nil) with each token in order on the
// caller's goroutine. It returns when the sequence ends, when ctx ends
// (the sequence leaves the batch at the next step) or when emit fails (the
// same). The Result holds the tokens delivered so far in every case.
//
// seq must be fresh (no Next called) and used by nobody else until Run
// returns.
func (d *Decoder) Run(ctx context.Context, seq *generate.Sequence, emit func(generate.Token) error) (generate.Result, RunStats, error) {
	prompt := seq.Prompt()
	partial := func(tokens []generate.Token) generate.Result {
		return generate.Result{Tokens: tokens, PromptTokens: len(prompt), Seed: seq.Seed()}
	}
	if len(prompt) == 0 {
		return partial(nil), RunStats{}, fmt.Errorf("schedule: empty prompt: %w", models.ErrBadInput)
	}
	j := &seqJob{ctx: ctx, seq: seq, prompt: prompt, kv: int64(seq.MaxLen()) * d.kvPerToken, enqueued: time.Now(), notify: make(chan struct{}, 1), endQueue: func() {}}
	if lim := d.opts.MaxKVBytes; lim > 0 && j.kv > lim {
		return partial(nil), RunStats{}, fmt.Errorf("%w: %d tokens need %d bytes of KV cache, the model's budget is %d bytes",
			ErrTooLarge, seq.MaxLen(), j.kv, lim)
	}
	d.mu.Lock()
	// Sequences of callers already gone do not hold places in the queue.
	kept := d.queue[:0]
	for _, q := range d.queue {
		if q.abandoned.Load() || q.ctx.Err() != nil {
			q.finish(nil, context.Cause(q.ctx))
			continue
		}
		kept = append(kept, q)
	}
	clear(d.queue[len(kept):])
	d.queue = kept
	switch {
	case d.closed:
		d.mu.Unlock()
		return partial(nil), RunStats{}, ErrClosed
	case len(d.queue) >= d.opts.MaxQueue:
		d.mu.Unlock()
		return partial(nil), RunStats{}, fmt.Errorf("%w: %d sequences waiting", ErrQueueFull, d.opts.MaxQueue)
	}
	j.endQueue = d.tr.queueSpan(ctx)
	d.queue = append(d.queue, j)
	d.mu.Unlock()
	d.kick()

	var delivered []generate.Token
	stats := func() RunStats {
		j.mu.Lock()
		defer j.mu.Unlock()
		if j.started.IsZero() {
			return RunStats{QueueTime: time.Since(j.enqueued)}
		}
		return RunStats{QueueTime: j.started.Sub(j.enqueued)}
	}
	abandon := func(err error) (generate.Result, RunStats, error) {
		j.abandoned.Store(true)
		d.kick()
		return partial(delivered), stats(), err
	}
	for {
		select {
		case <-ctx.Done():
			return abandon(ctx.Err())
		case <-j.notify:
		}
		j.mu.Lock()
		fresh := j.tokens[len(delivered):]
		finished, err := j.finished, j.err
		j.mu.Unlock()
		for _, tok := range fresh {
			delivered = append(delivered, tok)
			if emit != nil {
				if err := emit(tok); err != nil {
					return abandon(err)
				}
			}
		}
		if finished {
			if err != nil {
				return partial(delivered), stats(), err
			}
			// The loop no longer touches seq once it finished it.
			return seq.Result(delivered), stats(), nil
		}
	}
}

// Stats returns the scheduler's current state and counters.
func (d *Decoder) Stats() DecoderStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return DecoderStats{
		Queued: len(d.queue), Active: d.nActive,
		KVBytesReserved: d.kvUsed, KVBytesLimit: d.opts.MaxKVBytes,
		Steps: d.steps.Load(), StepTokens: d.stepTokens.Load(), StepSeqs: d.stepSeqs.Load(),
		SharedPromptTokens: d.sharedPromptTokens.Load(),
	}
}

// Close stops taking work, fails what is queued with ErrClosed and lets the
// running sequences finish until ctx ends; then it cancels them (they fail
// with ErrClosed) and waits for the scheduler goroutine to exit.
func (d *Decoder) Close(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.kick()
	select {
	case <-d.done:
		return nil
	case <-ctx.Done():
		d.cancel()
		<-d.done
		return fmt.Errorf("schedule: closing with sequences running: %w", ctx.Err())
	}
}

func (d *Decoder) kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// loop is the scheduler goroutine.
func (d *Decoder) loop() {
	defer close(d.done)
	defer d.cancel()
	for {
		if !d.admit() {
			return
		}
		d.dropAbandoned()
		if len(d.active) == 0 {
			<-d.wake
			continue
		}
		d.step()
	}
}

// admit moves queued sequences into the batch while there is room, in
// arrival order (a sequence that does not fit the KV budget waits, and
// those behind it with it, so a large request is not starved). It fails the
// queue when closed and reports false once closed and idle.
func (d *Decoder) admit() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		for _, j := range d.queue {
			j.finish(nil, ErrClosed)
		}
		d.queue = nil
		return len(d.active) > 0
	}
	for len(d.queue) > 0 && len(d.active) < d.opts.MaxSeqs {
		j := d.queue[0]
		if j.abandoned.Load() || j.ctx.Err() != nil {
			d.queue = d.queue[1:]
			j.finish(nil, context.Cause(j.ctx))
			continue
		}
		if lim := d.opts.MaxKVBytes; lim > 0 && d.kvUsed+j.kv > lim {
			break
		}
		d.queue = d.queue[1:]
		cache, err := d.dec.NewCache(j.seq.MaxLen())
		if err != nil {
			j.finish(nil, fmt.Errorf("schedule: %w", err))
			continue
		}
		j.cache = cache
		d.kvUsed += j.kv
		now := time.Now()
		j.mu.Lock()
		j.started = now
		j.mu.Unlock()
		telemetry.RequestFrom(j.ctx).Scheduled(now.Sub(j.enqueued), now)
		j.endQueue()
		d.sharePrompt(j)
		d.active = append(d.active, j)
	}
	d.nActive = len(d.active)
	return true
}

// sharePrompt lets j, just admitted, take its prompt from an active
// sequence with the same prompt instead of computing it: from one still
// prefilling, j waits to be handed the whole prompt and its logits (see
// fork); from one past its prompt, j copies all but the prompt's last token
// at once and computes only that one, for its first logits.
func (d *Decoder) sharePrompt(j *seqJob) {
	for _, a := range d.active {
		if a.leader != nil || a.retired || !slices.Equal(a.prompt, j.prompt) {
			continue
		}
		if a.fed < len(a.prompt) {
			j.leader = a
			a.followers = append(a.followers, j)
			return
		}
		n := len(j.prompt) - 1
		if n > 0 && j.cache.CopyPrefix(a.cache, n) == nil {
			j.fed = n
			d.sharedPromptTokens.Add(uint64(n))
		}
		return
	}
}

// dropAbandoned removes sequences whose caller is gone.
func (d *Decoder) dropAbandoned() {
	kept := d.active[:0]
	for _, j := range d.active {
		if j.abandoned.Load() || j.ctx.Err() != nil {
			d.retire(j, nil, context.Cause(j.ctx))
			continue
		}
		kept = append(kept, j)
	}
	clear(d.active[len(kept):])
	d.active = kept
	d.setActive()
}

// retire ends an active sequence and returns its KV reservation. The
// caller removes it from d.active.
func (d *Decoder) retire(j *seqJob, tok *generate.Token, err error) {
	j.retired = true
	if len(j.followers) > 0 {
		// The prompt was not done: the first follower still waiting
		// computes it for the others.
		var next *seqJob
		for _, f := range j.followers {
			if f.retired || f.leader != j {
				continue
			}
			if next == nil {
				next, f.leader = f, nil
				continue
			}
			f.leader = next
			next.followers = append(next.followers, f)
		}
		j.followers = nil
	}
	j.cache = nil
	d.mu.Lock()
	d.kvUsed -= j.kv
	d.nActive-- // before the caller can see it finished; setActive re-syncs after removal
	d.mu.Unlock()
	j.finish(tok, err)
}

func (d *Decoder) setActive() {
	d.mu.Lock()
	d.nActive = len(d.active)
	d.mu.Unlock()
}

// step runs one forward pass over the active sequences: a decode token for
// each sequence past its prompt first (so running streams keep their pace),
// then prompt chunks within what is left of the token budget.
func (d *Decoder) step() {
	budget := d.opts.MaxStepTokens
	batch := &models.Batch{Seqs: make([]models.SeqStep, 0, len(d.active)), Out: d.logits}
	jobs := make([]*seqJob, 0, len(d.active))
	chunks := make([]int, 0, len(d.active))
	for _, j := range d.active {
		if j.fed == len(j.prompt) {
			batch.Seqs = append(batch.Seqs, models.SeqStep{Tokens: []int32{j.next}, Cache: j.cache, Output: models.OutputLast})
			jobs, chunks = append(jobs, j), append(chunks, 0)
			budget--
		}
	}
	for _, j := range d.active {
		if j.fed == len(j.prompt) || budget <= 0 || j.leader != nil {
			continue
		}
		n := min(len(j.prompt)-j.fed, budget)
		out := models.OutputNone
		if j.fed+n == len(j.prompt) {
			out = models.OutputLast
		}
		batch.Seqs = append(batch.Seqs, models.SeqStep{Tokens: j.prompt[j.fed : j.fed+n], Cache: j.cache, Output: out})
		jobs, chunks = append(jobs, j), append(chunks, n)
		budget -= n
	}
	var traced []context.Context
	if d.tr.tracer != nil {
		traced = make([]context.Context, len(jobs))
		for i, j := range jobs {
			traced[i] = j.ctx
		}
	}
	sctx, span, ok := d.tr.batchSpan("hfserve.batch_step", traced, len(jobs), d.opts.MaxStepTokens-budget)
	if ok {
		defer span.End()
	}
	began := time.Now()
	endForward := d.tr.child(sctx, "hfserve.forward")
	logits, err := d.forward(batch)
	endForward()
	d.steps.Add(1)
	d.stepTokens.Add(uint64(d.opts.MaxStepTokens - budget))
	d.stepSeqs.Add(uint64(len(jobs)))
	if d.opts.OnStep != nil {
		defer func() {
			d.opts.OnStep(StepInfo{Seqs: len(jobs), Tokens: d.opts.MaxStepTokens - budget, Duration: time.Since(began)})
		}()
	}
	if err != nil {
		if d.ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", ErrClosed, err)
		}
		if ok {
			span.SetStatus(codes.Error, err.Error())
		}
		for _, j := range jobs {
			d.retire(j, nil, fmt.Errorf("schedule: forward pass: %w", err))
		}
		d.removeFinished(jobs)
		return
	}
	d.logits = logits
	off := batch.RowOffsets()
	endSample := d.tr.child(sctx, "hfserve.sample")
	defer endSample()
	var ended []*seqJob
	for i, j := range jobs {
		if chunks[i] > 0 {
			j.fed += chunks[i]
		}
		if off[i+1] == off[i] {
			continue // a prompt chunk that is not the last
		}
		row := logits[off[i]*d.vocab : off[i+1]*d.vocab]
		if len(j.followers) > 0 && j.fed == len(j.prompt) {
			ended = d.fork(j, row, ended)
		}
		ended = d.sample(j, row, ended)
	}
	d.removeFinished(ended)
}

// sample chooses j's next token from its logits row and delivers it, or
// retires j (appending it to ended) when it is done or failed.
func (d *Decoder) sample(j *seqJob, row []float32, ended []*seqJob) []*seqJob {
	tok, done, err := nextToken(j.seq, row)
	if err == nil {
		telemetry.RequestFrom(j.ctx).Token(time.Now())
	}
	switch {
	case err != nil:
		d.retire(j, nil, fmt.Errorf("schedule: %w", err))
		return append(ended, j)
	case done:
		d.retire(j, &tok, nil)
		return append(ended, j)
	}
	j.next = tok.ID
	j.deliver(tok)
	return ended
}

// fork hands leader l's just-computed prompt to its followers: each gets a
// copy of l's cache and samples its first token from its own copy of l's
// logits row (sampling may change the row in place).
func (d *Decoder) fork(l *seqJob, row []float32, ended []*seqJob) []*seqJob {
	for _, f := range l.followers {
		if f.retired || f.leader != l {
			continue
		}
		f.leader = nil
		if err := f.cache.CopyPrefix(l.cache, len(l.prompt)); err != nil {
			d.retire(f, nil, fmt.Errorf("schedule: share a prompt: %w", err))
			ended = append(ended, f)
			continue
		}
		f.fed = len(f.prompt)
		d.sharedPromptTokens.Add(uint64(len(f.prompt)))
		ended = d.sample(f, slices.Clone(row), ended)
	}
	l.followers = nil
	return ended
}

// removeFinished drops retired sequences from the active list.
func (d *Decoder) removeFinished(ended []*seqJob) {
	if len(ended) == 0 {
		return
	}
	gone := make(map[*seqJob]bool, len(ended))
	for _, j := range ended {
		gone[j] = true
	}
	kept := d.active[:0]
	for _, j := range d.active {
		if !gone[j] {
			kept = append(kept, j)
		}
	}
	clear(d.active[len(kept):])
	d.active = kept
	d.setActive()
}

// deliver hands a token to the caller.
func (j *seqJob) deliver(tok generate.Token) {
	j.mu.Lock()
	j.tokens = append(j.tokens, tok)
	j.mu.Unlock()
	j.signal()
}

// finish ends the job, with a last token when it has one.
func (j *seqJob) finish(tok *generate.Token, err error) {
	j.endQueue() // a job failed while queued ends its wait here
	j.mu.Lock()
	if !j.finished {
		if tok != nil {
			j.tokens = append(j.tokens, *tok)
		}
		j.finished, j.err = true, err
	}
	j.mu.Unlock()
	j.signal()
}

func (j *seqJob) signal() {
	select {
	case j.notify <- struct{}{}:
	default:
	}
}

// nextToken is seq.Next with a panic turned into an error: choosing one
// sequence's token (sampling, stop strings, detokenizing) must not take
// down the scheduler goroutine and every other sequence with it.
func nextToken(seq *generate.Sequence, row []float32) (tok generate.Token, done bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: choosing the next token: %v", ErrPanic, r)
		}
	}()
	return seq.Next(row)
}

// forward runs the model with a panic turned into an error that fails the
// step's sequences.
func (d *Decoder) forward(batch *models.Batch) (logits []float32, err error) {
	defer func() {
		if r := recover(); r != nil {
			logits, err = nil, fmt.Errorf("%w: forward pass: %v", ErrPanic, r)
		}
	}()
	return d.dec.Forward(d.ctx, batch)
}
