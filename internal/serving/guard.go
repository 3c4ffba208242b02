package serving

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"hfserve/internal/breaker"
	"hfserve/internal/config"
	"hfserve/internal/generate"
	"hfserve/internal/models"
	"hfserve/internal/telemetry"
)

// ServiceOptions add fault tolerance and token limits to a Service. The
// zero value adds none: no breakers, no per-model concurrency bound and no
// token limits below the models' contexts.
type ServiceOptions struct {
	// Breaker, when not nil, gives every model a circuit breaker with
	// these settings (Name and OnStateChange are set per model; a given
	// OnStateChange is still called after the Service logs the change).
	// It covers Generate, Embed, Classify and Rerank, the model's load
	// included; Tokenize and Decode, which never run the model, are not
	// refused by it and do not count.
	Breaker *breaker.Settings
	// MaxConcurrentPerModel bounds the guarded requests running on one
	// model at once (max_concurrent_requests_per_model); more wait for a
	// place until their context ends. 0 means no bound.
	MaxConcurrentPerModel int
	// Logger receives breaker state changes and recovered panics; nil
	// discards them.
	Logger *slog.Logger
	// Tracer, when not nil, traces Generate, Embed, Classify and Rerank
	// as children of the caller's span (see the schedulers for the queue
	// and batch spans below them).
	Tracer trace.TracerProvider
	// Limits are the per-request token limits (see TokenLimits); the zero
	// value sets none.
	Limits TokenLimits
}

// ServiceOptionsFromConfig maps the configuration's breaker, concurrency
// and token-limit knobs; Logger is left for the caller.
func ServiceOptionsFromConfig(cfg *config.Config) ServiceOptions {
	opts := ServiceOptions{MaxConcurrentPerModel: cfg.MaxConcurrentPerModel,
		Limits: TokenLimits{MaxInput: cfg.MaxInputTokens, MaxOutput: cfg.MaxOutputTokens}}
	if cfg.EnableCircuitBreaker {
		opts.Breaker = &breaker.Settings{
			Mode:             breaker.Mode(cfg.CircuitFailureMode),
			FailureThreshold: cfg.CircuitFailureThreshold,
			FailureRatio:     float64(cfg.CircuitFailurePercent) / 100,
			Window:           cfg.CircuitWindow,
			OpenTimeout:      cfg.CircuitTimeout(),
			HalfOpenProbes:   cfg.CircuitHalfOpenProbes,
		}
	}
	return opts
}

// ErrBreakerOpen is matched (errors.Is) by every *BreakerOpenError.
var ErrBreakerOpen = errors.New("serving: model circuit breaker open")

// BreakerOpenError is a request refused because its model's circuit
// breaker is open (or half open with its probes already running). The
// server answers 503 with Retry-After.
type BreakerOpenError struct {
	// Model is the model's name.
	Model string
	// State is "open" or "half_open".
	State string
	// RetryAfter is how long until a request may be let through.
	RetryAfter time.Duration
	// LastError is the failure that last counted against the model.
	LastError string
}

// Error implements error.
func (e *BreakerOpenError) Error() string {
	msg := fmt.Sprintf("serving: model %q is failing and its circuit breaker is %s; retry in %s",
		e.Model, e.State, e.RetryAfter.Round(time.Millisecond))
	if e.LastError != "" {
		msg += "; last error: " + e.LastError
	}
	return msg
}

// Is makes errors.Is(err, ErrBreakerOpen) true.
func (e *BreakerOpenError) Is(target error) bool { return target == ErrBreakerOpen }

// modelGuard is one model's breaker and concurrency places.
type modelGuard struct {
	br    *breaker.Breaker // nil without breakers
	slots chan struct{}    // nil without a concurrency bound
	// lastErr is the last failure counted (a string: the error itself may
	// hold a whole request's worth of references).
	lastErr atomic.Pointer[string]
	// toClosed, toOpen and toHalfOpen count the breaker's state changes
	// by the state changed to; rejected the requests it refused.
	toClosed, toOpen, toHalfOpen, rejected atomic.Uint64
}

// newGuards builds one guard per catalog model.
func newGuards(cat *Catalog, opts ServiceOptions, log *slog.Logger) (map[string]*modelGuard, error) {
	if opts.MaxConcurrentPerModel < 0 {
		return nil, fmt.Errorf("serving: negative MaxConcurrentPerModel %d", opts.MaxConcurrentPerModel)
	}
	guards := map[string]*modelGuard{}
	for _, e := range cat.Entries() {
		g, err := newGuard(e.Name, opts, log)
		if err != nil {
			return nil, err
		}
		guards[e.Name] = g
	}
	return guards, nil
}

// newGuard builds one model's guard.
func newGuard(name string, opts ServiceOptions, log *slog.Logger) (*modelGuard, error) {
	g := &modelGuard{}
	if n := opts.MaxConcurrentPerModel; n > 0 {
		g.slots = make(chan struct{}, n)
	}
	if opts.Breaker != nil {
		set := *opts.Breaker
		set.Name = name
		set.OnStateChange = logTransition(log, g, opts.Breaker.OnStateChange)
		br, err := breaker.New(set)
		if err != nil {
			return nil, fmt.Errorf("serving: model %q: %w", name, err)
		}
		g.br = br
	}
	return g, nil
}

// guard is the named model's guard; nil for a name the service has none
// for (not in the catalog).
func (s *Service) guard(name string) *modelGuard { return (*s.guards.Load())[name] }

// logTransition logs a breaker's state changes (opening as a warning: the
// model is now refused) and passes them on to next.
func logTransition(log *slog.Logger, g *modelGuard, next func(breaker.Transition)) func(breaker.Transition) {
	return func(tr breaker.Transition) {
		switch tr.To {
		case breaker.Closed:
			g.toClosed.Add(1)
		case breaker.Open:
			g.toOpen.Add(1)
		case breaker.HalfOpen:
			g.toHalfOpen.Add(1)
		}
		level := slog.LevelInfo
		attrs := []any{"model", tr.Name, "from", tr.From.String(), "to", tr.To.String(), "reason", tr.Reason, "failures", tr.Failures}
		if tr.To == breaker.Open {
			level = slog.LevelWarn
			if last := g.lastErr.Load(); last != nil {
				attrs = append(attrs, "last_error", *last)
			}
		}
		log.Log(context.Background(), level, "circuit breaker state change", attrs...)
		if next != nil {
			next(tr)
		}
	}
}

// call is one guarded request: what it holds on its model and what the
// breaker needs to judge its outcome.
type call struct {
	model   string
	g       *modelGuard
	ticket  *breaker.Ticket
	release func()
	// waited is set when the request gave up waiting for a concurrency
	// place: an overload, not the model's failure.
	waited bool
	// emitFailed and inEmit track the caller's emit callback: its error is
	// the client's (a closed connection), and a panic in it is the
	// caller's bug, not the model's.
	emitFailed, inEmit atomic.Bool
}

// guarded runs one request of the Service's guarded methods: fn acquires
// its model through s.acquire with c, which admits it past the model's
// breaker and concurrency bound. When fn ends, its outcome is reported to
// the breaker and the place is given back. A panic in fn (the model's or
// the service's) becomes a *PanicError; a panic in the caller's emit
// callback goes on up to the caller.
func (s *Service) guarded(ctx context.Context, fn func(c *call) error) (err error) {
	c := &call{}
	span := trace.SpanFromContext(ctx)
	rec := telemetry.RequestFrom(ctx)
	rec.BeginWork(time.Now())
	defer func() {
		rec.EndWork(time.Now())
		v := recover()
		if v != nil && c.inEmit.Load() {
			c.finish(ctx, nil, true, s.log)
			panic(v)
		}
		if v != nil {
			err = recovered(c.model, v)
		}
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		c.finish(ctx, err, false, s.log)
	}()
	return fn(c)
}

// wrapEmit tracks emit's errors and panics for the breaker's judgement.
func (c *call) wrapEmit(emit func(GenerateEvent) error) func(GenerateEvent) error {
	if emit == nil {
		return nil
	}
	return func(ev GenerateEvent) error {
		c.inEmit.Store(true)
		err := emit(ev) // a panic leaves inEmit set
		c.inEmit.Store(false)
		if err != nil {
			c.emitFailed.Store(true)
		}
		return err
	}
}

// enter admits the call on model name: past its breaker, then into a
// concurrency place (waiting for one until ctx ends). A call enters once;
// c may be nil for unguarded requests.
func (s *Service) enter(ctx context.Context, c *call, name string) error {
	if c == nil || c.g != nil {
		return nil
	}
	g := s.guard(name)
	if g == nil {
		return nil
	}
	c.model = name
	if g.br != nil {
		t, err := g.br.Allow()
		if err != nil {
			g.rejected.Add(1)
			// Not admitted: nothing to report when it ends.
			return breakerOpen(name, g, err)
		}
		c.ticket = t
	}
	c.g = g
	if g.slots != nil {
		select {
		case g.slots <- struct{}{}:
			c.release = func() { <-g.slots }
		case <-ctx.Done():
			c.waited = true
			return fmt.Errorf("serving: model %q: waiting for one of its %d request places: %w", name, cap(g.slots), ctx.Err())
		}
	}
	return nil
}

// breakerOpen turns the breaker's refusal into the serving layer's error.
func breakerOpen(name string, g *modelGuard, err error) error {
	var oe *breaker.OpenError
	if !errors.As(err, &oe) {
		return fmt.Errorf("serving: model %q: %w", name, err)
	}
	be := &BreakerOpenError{Model: name, State: oe.State.String(), RetryAfter: oe.RetryAfter}
	if last := g.lastErr.Load(); last != nil {
		be.LastError = *last
	}
	return be
}

// finish gives back the call's place and reports its outcome.
func (c *call) finish(ctx context.Context, err error, callerPanicked bool, log *slog.Logger) {
	if c.release != nil {
		c.release()
	}
	var pe *PanicError
	if errors.As(err, &pe) && pe.logged.CompareAndSwap(false, true) {
		log.Error("model panicked", "model", pe.Model, "panic", fmt.Sprint(pe.Value), "stack", string(pe.Stack))
	}
	if c.g == nil {
		return
	}
	outcome := breaker.Ignore
	if !callerPanicked {
		outcome = c.outcome(ctx, err)
	}
	if outcome == breaker.Failure {
		msg := err.Error()
		c.g.lastErr.Store(&msg)
	}
	c.ticket.Done(outcome)
}

// outcome judges whether err is the model's failure. Timeouts (the
// request's deadline: request_timeout, or a load's model_load_timeout),
// failed loads, panics and engine errors are. The client's own doing is
// not: a bad request, a cancelled request or a closed stream; nor is
// overload (no memory to load, a full queue, no concurrency place in
// time) or a shutdown, which say nothing of the model's health.
func (c *call) outcome(ctx context.Context, err error) breaker.Outcome {
	switch {
	case err == nil:
		return breaker.Success
	case c.waited, c.emitFailed.Load():
		return breaker.Ignore
	case ctx.Err() != nil:
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return breaker.Failure
		}
		return breaker.Ignore // the client went away, or the server cut it at shutdown
	case notTheModelsFault(err):
		return breaker.Ignore
	}
	return breaker.Failure
}

// notTheModelsFault lists the errors that say nothing of a model's health.
func notTheModelsFault(err error) bool {
	var (
		inErr   *InputError
		taskErr *TaskError
		pErr    *generate.ParamError
		ctxErr  *generate.ContextLengthError
		limErr  *TokenLimitError
	)
	switch {
	case errors.As(err, &inErr), errors.As(err, &taskErr), errors.As(err, &pErr), errors.As(err, &ctxErr), errors.As(err, &limErr),
		errors.Is(err, generate.ErrNoCandidates), errors.Is(err, models.ErrBadInput), errors.Is(err, ErrUnknownModel):
		return true // the request's fault
	case errors.Is(err, ErrCannotFit), errors.Is(err, ErrQueueFull), errors.Is(err, ErrKVCacheTooSmall), errors.Is(err, ErrClosed):
		return true // overload or shutdown
	}
	return false
}

// BreakerStatus is one model's fault-tolerance state, for GET
// /admin/breakers.
type BreakerStatus struct {
	// Model is the model's name.
	Model string
	// State is "closed", "open" or "half_open"; "disabled" without
	// breakers.
	State string
	// Failures and Successes are counted in the current state (the run of
	// failures or, in ratio mode, the window; for an open breaker the
	// failures that opened it).
	Failures, Successes int
	// Opens counts the times the breaker opened.
	Opens uint64
	// LastTransition is when the state last changed; zero if never.
	LastTransition time.Time
	// NextProbe is when an open breaker lets a probe through; zero
	// unless open.
	NextProbe time.Time
	// ProbesInFlight counts the half-open probes running.
	ProbesInFlight int
	// LastError is the last failure counted against the model.
	LastError string
	// LoadFailures counts the model's loads failed in a row and
	// NextLoadAttempt is when the next may run (zero when none is
	// held back).
	LoadFailures    int
	NextLoadAttempt time.Time
	// Running counts the requests holding a concurrency place; MaxRunning
	// is the bound (0: none).
	Running, MaxRunning int
	// Transitions counts the breaker's state changes by the state changed
	// to ("closed", "open", "half_open"); Rejected counts the requests it
	// refused.
	Transitions map[string]uint64
	Rejected    uint64
}

// BreakerStates lists the states a model's breaker reports, "disabled"
// (no breakers) included.
func BreakerStates() []string {
	return []string{breaker.Closed.String(), breaker.Open.String(), breaker.HalfOpen.String(), "disabled"}
}

// Breakers reports every model's breaker, in catalog order.
func (s *Service) Breakers() []BreakerStatus {
	var out []BreakerStatus
	for _, e := range s.cat.Entries() {
		g := s.guard(e.Name)
		if g == nil {
			// AddModel publishes the guard before the catalog entry, so
			// only a model added through another Service on the same
			// Manager has none here.
			continue
		}
		st := BreakerStatus{Model: e.Name, State: "disabled"}
		if g.br != nil {
			snap := g.br.Snapshot()
			st.State, st.Failures, st.Successes = snap.State.String(), snap.Counts.Failures, snap.Counts.Successes
			st.Opens, st.LastTransition, st.NextProbe, st.ProbesInFlight = snap.Opens, snap.LastTransition, snap.NextProbe, snap.ProbesInFlight
		}
		if last := g.lastErr.Load(); last != nil {
			st.LastError = *last
		}
		if g.slots != nil {
			st.Running, st.MaxRunning = len(g.slots), cap(g.slots)
		}
		st.LoadFailures, st.NextLoadAttempt, _ = s.m.LoadBackoff(e.Name)
		st.Transitions = map[string]uint64{
			breaker.Closed.String(): g.toClosed.Load(), breaker.Open.String(): g.toOpen.Load(), breaker.HalfOpen.String(): g.toHalfOpen.Load(),
		}
		st.Rejected = g.rejected.Load()
		out = append(out, st)
	}
	return out
}

// BreakersEnabled reports whether the models have circuit breakers.
func (s *Service) BreakersEnabled() bool { return s.opts.Breaker != nil }

// ResetBreaker closes a model's breaker, forgets its failures and its
// load backoff, so that the next request runs (and loads) it at once: an
// operator's "I fixed it, try now". ErrUnknownModel for a name not in the
// catalog.
func (s *Service) ResetBreaker(name string) error {
	g := s.guard(name)
	if g == nil {
		return fmt.Errorf("serving: model %q: %w", name, ErrUnknownModel)
	}
	if g.br != nil {
		g.br.Reset()
	}
	g.lastErr.Store(nil)
	if err := s.m.ResetLoadBackoff(name); err != nil {
		return err
	}
	s.log.Info("circuit breaker reset", "model", name)
	return nil
}
