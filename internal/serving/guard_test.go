package serving

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hfserve/internal/breaker"
	"hfserve/internal/config"
	"hfserve/internal/generate"
	"hfserve/internal/retry"
)

// oneStep asks the model for one token: exactly one forward pass, so the
// n-th request is the fault's n-th pass.
func oneStep(model string) GenerateRequest {
	req := greedyRequest(model, 1)
	req.Prompt.Text = "Once upon a time"
	return req
}

// TestEveryNthFault runs real models that fail or panic on every n-th
// forward pass, batched (the pass runs on the scheduler goroutine) and
// not, and checks each request's fate: the faulty ones fail with the
// engine's error or a *PanicError, the others succeed, the process lives,
// and the breaker opens exactly when its rule says.
func TestEveryNthFault(t *testing.T) {
	embedReq := func(svc *Service) error {
		_, err := svc.Embed(context.Background(), EmbedRequest{Model: "bert", Inputs: []Input{{Text: "hello world"}}})
		return err
	}
	genReq := func(svc *Service) error {
		_, err := svc.Generate(context.Background(), oneStep("stories"), nil)
		return err
	}
	consecutive2 := &breaker.Settings{FailureThreshold: 2, OpenTimeout: time.Hour}
	tests := []struct {
		name     string
		model    func(t *testing.T) served
		request  func(*Service) error
		batching bool
		every    int
		panics   bool
		breaker  *breaker.Settings
		requests int
		// openAfter is the request after which the breaker is open (0:
		// never), worked out from the breaker's rule by hand.
		openAfter int
	}{
		// Every third fails: never two failures in a row.
		{"decoder errors, batched", storiesModel0, genReq, true, 3, false, consecutive2, 9, 0},
		{"decoder panics on the scheduler goroutine", storiesModel0, genReq, true, 3, true, consecutive2, 9, 0},
		{"decoder panics unbatched", storiesModel0, genReq, false, 3, true, consecutive2, 9, 0},
		{"encoder panics on the scheduler goroutine", bertModel, embedReq, true, 3, true, consecutive2, 9, 0},
		{"encoder errors unbatched", bertModel, embedReq, false, 3, false, consecutive2, 9, 0},
		// Every second fails: failures 1, 2, 3 come with requests 2, 4, 6,
		// when they are 1/2, 2/4 and 3/6 of the window: the third reaches
		// the threshold at 50%.
		{"ratio mode opens at the threshold", storiesModel0, genReq, true, 2, true,
			&breaker.Settings{Mode: breaker.ModeRatio, FailureThreshold: 3, FailureRatio: 0.5, Window: time.Hour, OpenTimeout: time.Hour}, 9, 6},
		// Every request fails: the second failure in a row opens it.
		{"consecutive failures open", storiesModel0, genReq, true, 1, false, consecutive2, 4, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.model(t)
			f := &fault{}
			f.setEvery(tt.every)
			f.panics.Store(tt.panics)
			svc := newGuardedService(t, guardedSetup{
				batching: Batching{Enabled: tt.batching},
				opts:     ServiceOptions{Breaker: tt.breaker},
				faults:   map[string]*fault{m.name: f},
			}, m)
			for i := 1; i <= tt.requests; i++ {
				err := tt.request(svc)
				open := tt.openAfter > 0 && i > tt.openAfter
				switch {
				case open:
					var be *BreakerOpenError
					if !errors.As(err, &be) || be.Model != m.name || be.RetryAfter <= 0 {
						t.Fatalf("request %d: %v, want a BreakerOpenError", i, err)
					}
				case i%tt.every == 0 && tt.panics:
					var pe *PanicError
					if !errors.As(err, &pe) || !errors.Is(err, ErrPanic) || !strings.Contains(fmt.Sprint(pe.Value), "injected panic") {
						t.Fatalf("request %d: %v, want the injected panic", i, err)
					}
					if strings.Contains(err.Error(), "injected") {
						t.Errorf("request %d: the panic value leaked into the message %q", i, err)
					}
				case i%tt.every == 0:
					if !errors.Is(err, errInjected) {
						t.Fatalf("request %d: %v, want the injected fault", i, err)
					}
				case err != nil:
					t.Fatalf("request %d: %v", i, err)
				}
			}
			st := breakerOf(t, svc, m.name)
			if want := map[bool]string{true: "open", false: "closed"}[tt.openAfter > 0]; st.State != want {
				t.Fatalf("breaker %s, want %s (%+v)", st.State, want, st)
			}
			wantLast := "injected"
			if tt.panics {
				wantLast = "internal error in the model"
			}
			if tt.openAfter > 0 && !strings.Contains(st.LastError, wantLast) {
				t.Errorf("last error %q is not the fault's", st.LastError)
			}
		})
	}
}

func storiesModel0(t *testing.T) served { return storiesModel(t) }
func bertModel(t *testing.T) served     { return tinyModel(t, "bert") }

// TestBreakerStepByStep drives one model's breaker through every state
// with an injected clock, breaking and mending the model in between.
func TestBreakerStepByStep(t *testing.T) {
	clock := newTestClock()
	f := &fault{}
	var mu sync.Mutex
	var transitions []string
	svc := newGuardedService(t, guardedSetup{
		batching: Batching{Enabled: true},
		opts: ServiceOptions{Breaker: &breaker.Settings{FailureThreshold: 2, OpenTimeout: 30 * time.Second, HalfOpenProbes: 2,
			Now: clock.Now, OnStateChange: func(tr breaker.Transition) {
				mu.Lock()
				transitions = append(transitions, tr.From.String()+">"+tr.To.String())
				mu.Unlock()
			}}},
		faults: map[string]*fault{"stories": f},
	}, storiesModel(t))
	ctx := context.Background()
	gen := func() error {
		_, err := svc.Generate(ctx, oneStep("stories"), nil)
		return err
	}
	expectState := func(step, want string) BreakerStatus {
		t.Helper()
		st := breakerOf(t, svc, "stories")
		if st.State != want {
			t.Fatalf("%s: state %s, want %s (%+v)", step, st.State, want, st)
		}
		return st
	}

	if err := gen(); err != nil {
		t.Fatal(err)
	}
	f.setEvery(1) // broken
	for i := range 2 {
		if err := gen(); !errors.Is(err, errInjected) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	opened := clock.Now()
	st := expectState("two failures", "open")
	if st.Failures != 2 || !st.NextProbe.Equal(opened.Add(30*time.Second)) || st.Opens != 1 {
		t.Fatalf("open status %+v", st)
	}
	clock.Advance(10 * time.Second)
	var be *BreakerOpenError
	if err := gen(); !errors.As(err, &be) || be.RetryAfter != 20*time.Second || !strings.Contains(be.LastError, "injected") {
		t.Fatalf("while open: %v, want a BreakerOpenError with 20s to go naming the last error", err)
	}
	// A refusal is not a failure of the model: the last error stays the
	// engine's.
	if st := expectState("refused", "open"); st.Failures != 2 || !strings.Contains(st.LastError, "injected") || strings.Contains(st.LastError, "circuit") {
		t.Fatalf("after a refusal: %+v", st)
	}
	calls := f.calls.Load()

	clock.Advance(20 * time.Second)
	f.setEvery(0) // mended
	if err := gen(); err != nil {
		t.Fatalf("first probe: %v", err)
	}
	expectState("one probe of two", "half_open")
	if err := gen(); err != nil {
		t.Fatalf("second probe: %v", err)
	}
	expectState("two probes", "closed")
	if got := f.calls.Load(); got != calls+2 {
		t.Fatalf("%d forward passes for two probes; the open breaker let %d through", got-calls, got-calls-2)
	}

	f.setEvery(1)
	for range 2 {
		_ = gen()
	}
	expectState("broken again", "open")
	clock.Advance(30 * time.Second)
	if err := gen(); !errors.Is(err, errInjected) {
		t.Fatalf("failing probe: %v", err)
	}
	st = expectState("failed probe", "open")
	if st.Opens != 3 {
		t.Fatalf("opens %d, want 3", st.Opens)
	}

	if err := svc.ResetBreaker("stories"); err != nil {
		t.Fatal(err)
	}
	st = expectState("reset", "closed")
	if st.Failures != 0 || st.LastError != "" {
		t.Fatalf("reset left %+v", st)
	}
	if err := gen(); !errors.Is(err, errInjected) {
		t.Fatal(err)
	}
	expectState("one failure after reset", "closed")
	if err := svc.ResetBreaker("nope"); !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("reset of an unknown model: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	want := "closed>open open>half_open half_open>closed closed>open open>half_open half_open>open open>closed"
	if got := strings.Join(transitions, " "); got != want {
		t.Fatalf("transitions\n%s\nwant\n%s", got, want)
	}
}

// TestClientErrorsDoNotCount sends requests that fail through no fault of
// the model to a breaker that opens on one failure.
func TestClientErrorsDoNotCount(t *testing.T) {
	short := storiesModel(t)
	short.spec = config.ModelSpec{MaxContext: 8}
	f := &fault{}
	svc := newGuardedService(t, guardedSetup{
		batching: Batching{Enabled: true},
		opts:     ServiceOptions{Breaker: &breaker.Settings{FailureThreshold: 1, OpenTimeout: time.Hour}},
		faults:   map[string]*fault{"stories": f},
	}, short, tinyModel(t, "bert"))
	errGone := errors.New("client gone")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		call func() error
		want func(error) bool
	}{
		{"id outside the vocabulary", func() error {
			req := oneStep("stories")
			req.Prompt.IDs = []int32{1, 1 << 30}
			_, err := svc.Generate(context.Background(), req, nil)
			return err
		}, is(ErrInvalidInput)},
		{"prompt over the context", func() error {
			req := greedyRequest("stories", 4)
			req.Prompt.Text = "Once upon a time there was a little girl who lived in a house"
			_, err := svc.Generate(context.Background(), req, nil)
			return err
		}, func(err error) bool {
			var ce *generate.ContextLengthError
			return errors.As(err, &ce)
		}},
		{"cancelled by the client", func() error {
			_, err := svc.Generate(cancelled, oneStep("stories"), nil)
			return err
		}, is(context.Canceled)},
		{"stream closed by the client", func() error {
			req := greedyRequest("stories", 3)
			req.Prompt.Text = "Once"
			_, err := svc.Generate(context.Background(), req, func(GenerateEvent) error { return errGone })
			return err
		}, is(errGone)},
		{"task the model does not serve", func() error {
			_, err := svc.Generate(context.Background(), oneStep("bert"), nil)
			return err
		}, isTask("text-generation")},
	}
	for _, tt := range tests {
		if err := tt.call(); !tt.want(err) {
			t.Fatalf("%s: unexpected error %v", tt.name, err)
		}
		for _, m := range []string{"stories", "bert"} {
			if st := breakerOf(t, svc, m); st.State != "closed" || st.Failures != 0 {
				t.Fatalf("%s counted against %s: %+v", tt.name, m, st)
			}
		}
	}
	// The same breaker does open on the model's own failure.
	f.setEvery(1)
	_, _ = svc.Generate(context.Background(), oneStep("stories"), nil)
	if st := breakerOf(t, svc, "stories"); st.State != "open" {
		t.Fatalf("an engine failure left the breaker %s", st.State)
	}
}

// TestOverloadDoesNotCount: a model that cannot fit the memory budget is
// refused, but that is not the model failing.
func TestOverloadDoesNotCount(t *testing.T) {
	svc := newGuardedService(t, guardedSetup{
		batching: Batching{Enabled: true},
		opts:     ServiceOptions{Breaker: &breaker.Settings{FailureThreshold: 1}},
		manager:  func(o *ManagerOptions) { o.MemoryBudget = 1 },
	}, storiesModel(t))
	for range 3 {
		if _, err := svc.Generate(context.Background(), oneStep("stories"), nil); !errors.Is(err, ErrCannotFit) {
			t.Fatalf("over budget: %v", err)
		}
	}
	if st := breakerOf(t, svc, "stories"); st.State != "closed" {
		t.Fatalf("capacity refusals opened the breaker: %+v", st)
	}
}

// TestSlowModelTimesOut runs a model whose forward passes crawl under a
// request deadline: the request ends at its deadline with the context's
// error, the timeout counts as a failure, and the model serves the next
// request once it is fast again.
func TestSlowModelTimesOut(t *testing.T) {
	for _, batching := range []bool{true, false} {
		t.Run(fmt.Sprintf("batching=%v", batching), func(t *testing.T) {
			f := &fault{}
			svc := newGuardedService(t, guardedSetup{
				batching: Batching{Enabled: batching},
				opts:     ServiceOptions{Breaker: &breaker.Settings{FailureThreshold: 1, OpenTimeout: time.Hour}},
				faults:   map[string]*fault{"stories": f},
			}, storiesModel(t))
			if err := svc.m.Load(context.Background(), "stories"); err != nil {
				t.Fatal(err)
			}
			f.setDelay(40 * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			req := greedyRequest("stories", 100)
			req.Prompt.Text = "Once upon a time"
			req.Params.IgnoreEOS = true
			start := time.Now()
			_, err := svc.Generate(ctx, req, nil)
			took := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("slow generation: %v, want the deadline", err)
			}
			// 100 steps of 40 ms would be 4 s; the deadline cuts it within
			// a step or two.
			if took > 2*time.Second {
				t.Fatalf("the request ran %s past its 150ms deadline", took)
			}
			if st := breakerOf(t, svc, "stories"); st.State != "open" {
				t.Fatalf("a timeout did not count: %+v", st)
			}
			f.setDelay(0)
			if err := svc.ResetBreaker("stories"); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Generate(context.Background(), oneStep("stories"), nil); err != nil {
				t.Fatalf("after the slow request: %v", err)
			}
		})
	}
}

// TestConcurrencyBound checks max_concurrent_requests_per_model: with one
// place, a second request waits for the first to finish instead of
// failing, and one whose deadline passes while it waits fails with it
// without counting against the model.
func TestConcurrencyBound(t *testing.T) {
	f := &fault{}
	svc := newGuardedService(t, guardedSetup{
		batching: Batching{Enabled: true},
		opts:     ServiceOptions{Breaker: &breaker.Settings{FailureThreshold: 1}, MaxConcurrentPerModel: 1},
		faults:   map[string]*fault{"stories": f},
	}, storiesModel(t))
	if err := svc.m.Load(context.Background(), "stories"); err != nil {
		t.Fatal(err)
	}
	f.setDelay(30 * time.Millisecond)
	req := greedyRequest("stories", 4)
	req.Prompt.Text = "Once upon a time"
	req.Params.IgnoreEOS = true

	// The first request holds its place, blocked in its first emit, until
	// the waiting request has failed and the second has been sent: left to
	// run, its four 30 ms steps could end during a stall of the test's
	// goroutine, and the others would find the place free.
	firstStarted, firstHold := make(chan struct{}), make(chan struct{})
	releaseFirst := sync.OnceFunc(func() { close(firstHold) })
	defer releaseFirst() // also when the test fails before it lets go
	// Events are numbered in the order they happen (an atomic counter is
	// ordered with the goroutines it synchronises; clock readings taken
	// after the fact are not): the second request's first token must come
	// after the first request's last.
	var events, firstLast, secondFirst atomic.Int64
	var wg sync.WaitGroup
	var errs [2]error
	wg.Go(func() {
		var once sync.Once
		_, errs[0] = svc.Generate(context.Background(), req, func(GenerateEvent) error {
			firstLast.Store(events.Add(1))
			once.Do(func() {
				close(firstStarted)
				<-firstHold
			})
			return nil
		})
	})
	<-firstStarted
	if st := breakerOf(t, svc, "stories"); st.Running != 1 || st.MaxRunning != 1 {
		t.Fatalf("status while one request runs: %+v", st)
	}
	// A request whose deadline passes while it waits.
	short, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	_, err := svc.Generate(short, req, nil)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "request places") {
		t.Fatalf("waiting request past its deadline: %v", err)
	}
	wg.Go(func() {
		var once sync.Once
		_, errs[1] = svc.Generate(context.Background(), req, func(GenerateEvent) error {
			once.Do(func() { secondFirst.Store(events.Add(1)) })
			return nil
		})
	})
	releaseFirst()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if secondFirst.Load() == 0 || secondFirst.Load() < firstLast.Load() {
		t.Fatalf("the second request's first token was event %d, before the first request's last (%d)", secondFirst.Load(), firstLast.Load())
	}
	if st := breakerOf(t, svc, "stories"); st.State != "closed" || st.Running != 0 {
		t.Fatalf("after the requests: %+v", st)
	}
}

// TestEmitPanicIsTheCallers checks a panic in the caller's callback goes
// on up to the caller and is not held against the model.
func TestEmitPanicIsTheCallers(t *testing.T) {
	svc := newGuardedService(t, guardedSetup{
		batching: Batching{Enabled: true},
		opts:     ServiceOptions{Breaker: &breaker.Settings{FailureThreshold: 1}},
	}, storiesModel(t))
	func() {
		defer func() {
			if v := recover(); v != "caller bug" {
				t.Fatalf("recovered %v, want the caller's panic", v)
			}
		}()
		_, _ = svc.Generate(context.Background(), oneStep("stories"), func(GenerateEvent) error { panic("caller bug") })
	}()
	if st := breakerOf(t, svc, "stories"); st.State != "closed" || st.Failures != 0 {
		t.Fatalf("the caller's panic counted: %+v", st)
	}
}

// brokenCopy is a copy of a tiny model whose weights file is cut short.
func brokenCopy(t *testing.T, fixture string) served {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "broken")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(tiny, fixture))); err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(dir, "model.safetensors")
	fi, err := os.Stat(weights)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(weights, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	return served{name: "broken", dir: dir}
}

// TestBrokenModelBacksOffAndOpens: a model with corrupt weights fails to
// load; the next request inside the load backoff gets the backoff error at
// once; the two failures open the breaker; an admin reset lets the next
// request try the load again.
func TestBrokenModelBacksOffAndOpens(t *testing.T) {
	clock := newTestClock()
	svc := newGuardedService(t, guardedSetup{
		opts: ServiceOptions{Breaker: &breaker.Settings{FailureThreshold: 2, OpenTimeout: time.Minute, Now: clock.Now}},
		manager: func(o *ManagerOptions) {
			o.Clock = clock.Now
			o.LoadBackoff = retry.Backoff{Initial: 10 * time.Second, Max: time.Minute}
		},
	}, brokenCopy(t, "llama"), storiesModel(t))
	// Load attempts, failed: the corrupt file fails when its size is
	// estimated, before the loader runs.
	attempts := func() uint64 {
		for _, st := range svc.m.Status() {
			if st.Name == "broken" {
				return st.LoadFailures
			}
		}
		return 0
	}
	gen := func() error {
		_, err := svc.Generate(context.Background(), oneStep("broken"), nil)
		return err
	}
	var le *LoadError
	if err := gen(); !errors.As(err, &le) || errors.Is(err, ErrLoadBackoff) {
		t.Fatalf("first request: %v, want the load error", err)
	}
	var lb *LoadBackoffError
	if err := gen(); !errors.As(err, &lb) || lb.RetryAfter != 10*time.Second || lb.Failures != 1 || !errors.As(err, &le) {
		t.Fatalf("second request: %v, want a backoff of 10s wrapping the load error", err)
	}
	st := breakerOf(t, svc, "broken")
	if st.State != "open" || st.LoadFailures != 1 || !st.NextLoadAttempt.Equal(clock.Now().Add(10*time.Second)) {
		t.Fatalf("after two failures: %+v", st)
	}
	var be *BreakerOpenError
	if err := gen(); !errors.As(err, &be) || !strings.Contains(be.LastError, "broken") {
		t.Fatalf("third request: %v, want the open breaker naming the model's error", err)
	}
	// The other model is untouched.
	if _, err := svc.Generate(context.Background(), oneStep("stories"), nil); err != nil {
		t.Fatal(err)
	}
	if n := attempts(); n != 1 {
		t.Fatalf("%d load attempts, want 1: the backoff and the breaker must not load", n)
	}
	if err := svc.ResetBreaker("broken"); err != nil {
		t.Fatal(err)
	}
	if err := gen(); !errors.As(err, &le) || errors.Is(err, ErrLoadBackoff) {
		t.Fatalf("after reset: %v, want a fresh load attempt", err)
	}
	if n := attempts(); n != 2 {
		t.Fatalf("%d load attempts after the reset, want 2", n)
	}
}

// TestBreakersDisabled reports every model as disabled and refuses
// nothing.
func TestBreakersDisabled(t *testing.T) {
	f := &fault{}
	f.setEvery(1)
	svc := newGuardedService(t, guardedSetup{batching: Batching{Enabled: true}, faults: map[string]*fault{"stories": f}}, storiesModel(t))
	for range 5 {
		if _, err := svc.Generate(context.Background(), oneStep("stories"), nil); !errors.Is(err, errInjected) {
			t.Fatalf("without breakers: %v, want the engine error every time", err)
		}
	}
	if st := breakerOf(t, svc, "stories"); st.State != "disabled" || svc.BreakersEnabled() {
		t.Fatalf("status %+v", st)
	}
}

// TestServiceOptionsFromConfig maps the configuration's keys.
func TestServiceOptionsFromConfig(t *testing.T) {
	cfg := config.Default()
	cfg.CircuitFailureMode, cfg.CircuitFailurePercent, cfg.CircuitWindow = "ratio", 25, 2*time.Minute
	cfg.CircuitHalfOpenProbes, cfg.CircuitFailureThreshold, cfg.CircuitTimeoutSeconds = 3, 7, 9
	cfg.MaxConcurrentPerModel = 4
	opts := ServiceOptionsFromConfig(&cfg)
	want := breaker.Settings{Mode: breaker.ModeRatio, FailureThreshold: 7, FailureRatio: 0.25, Window: 2 * time.Minute,
		OpenTimeout: 9 * time.Second, HalfOpenProbes: 3}
	got := opts.Breaker
	if got == nil || got.Mode != want.Mode || got.FailureThreshold != want.FailureThreshold || got.FailureRatio != want.FailureRatio ||
		got.Window != want.Window || got.OpenTimeout != want.OpenTimeout || got.HalfOpenProbes != want.HalfOpenProbes || opts.MaxConcurrentPerModel != 4 {
		t.Fatalf("options %+v (breaker %+v)", opts, opts.Breaker)
	}
	cfg.EnableCircuitBreaker = false
	if opts := ServiceOptionsFromConfig(&cfg); opts.Breaker != nil {
		t.Fatal("breaker settings with enable_circuit_breaker false")
	}
	mopts := OptionsFromConfig(&cfg, nil, 0)
	if mopts.LoadBackoff.Initial != 0 {
		t.Fatalf("load backoff %+v with enable_circuit_breaker false", mopts.LoadBackoff)
	}
	cfg.EnableCircuitBreaker, cfg.ModelLoadBackoff = true, 2*time.Second
	mopts = OptionsFromConfig(&cfg, nil, 0)
	if b := mopts.LoadBackoff; b.Initial != 2*time.Second || b.Max != 9*time.Second || b.Jitter <= 0 {
		t.Fatalf("load backoff %+v", b)
	}
}
