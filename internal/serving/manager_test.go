package serving

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewManagerRejectsBadOptions(t *testing.T) {
	cat := fixtureCatalog(t, "bert")
	tests := []struct {
		name string
		opts ManagerOptions
		want string
	}{
		{"no catalog", ManagerOptions{}, "no catalog"},
		{"negative max loaded", ManagerOptions{Catalog: cat, MaxLoadedModels: -1}, "negative limit"},
		{"negative budget", ManagerOptions{Catalog: cat, MemoryBudget: -1}, "negative limit"},
		{"negative timeout", ManagerOptions{Catalog: cat, LoadTimeout: -time.Second}, "negative limit"},
		{"policy for unknown model", ManagerOptions{Catalog: cat, PerModel: map[string]ModelPolicy{"nope": {}}}, `"nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewManager(tt.opts)
			if err == nil {
				_ = m.Close(context.Background())
				t.Fatal("NewManager succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestAcquireUnknownModel(t *testing.T) {
	m := newTestManager(t, newTestLoader(), ManagerOptions{KeepAlive: -1}, "bert")
	_, err := m.Acquire(context.Background(), "nope")
	if !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("err = %v, want ErrUnknownModel", err)
	}
	for _, op := range []func() error{
		func() error { return m.Load(context.Background(), "nope") },
		func() error { return m.Unload(context.Background(), "nope") },
		func() error { return m.Pin("nope", true) },
	} {
		if err := op(); !errors.Is(err, ErrUnknownModel) {
			t.Errorf("err = %v, want ErrUnknownModel", err)
		}
	}
}

func TestAcquireHitAndMiss(t *testing.T) {
	l := newTestLoader()
	m := newTestManager(t, l, ManagerOptions{KeepAlive: -1}, "bert", "gpt2")
	if got := statusOf(t, m, "bert").State; got != StateAvailable {
		t.Fatalf("state before use = %s", got)
	}
	lease, err := m.Acquire(context.Background(), "bert")
	if err != nil {
		t.Fatal(err)
	}
	if info := lease.Model().Info(); info.Architecture != "BertModel" || lease.Name() != "bert" {
		t.Fatalf("leased %s %+v", lease.Name(), info)
	}
	st := statusOf(t, m, "bert")
	want := fixtureEstimate(t, "bert")
	if st.State != StateLoaded || st.InFlight != 1 || st.Misses != 1 || st.Hits != 0 || st.Loads != 1 ||
		st.EstimatedBytes != want || st.ResidentBytes != lease.Model().Info().WeightBytes || st.LastUsed.IsZero() {
		t.Fatalf("status after first Acquire = %+v (estimate %d)", st, want)
	}
	lease.Release()
	lease.Release() // a second Release must not drop another lease
	acquireRelease(t, m, "bert")
	st = statusOf(t, m, "bert")
	if st.InFlight != 0 || st.Hits != 1 || st.Misses != 1 || st.Loads != 1 || l.count("bert") != 1 {
		t.Fatalf("status after a hit = %+v, loads %d", st, l.count("bert"))
	}
	if st := statusOf(t, m, "gpt2"); st.State != StateAvailable || st.Loads != 0 {
		t.Fatalf("untouched model = %+v", st)
	}
}

func TestConcurrentAcquireLoadsOnce(t *testing.T) {
	l := newTestLoader()
	l.closeGate()
	m := newTestManager(t, l, ManagerOptions{KeepAlive: -1}, "qwen3")
	const callers = 50
	var wg sync.WaitGroup
	leases := make([]*Lease, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			leases[i], errs[i] = m.Acquire(context.Background(), "qwen3")
		}()
	}
	// Hold the load until every caller waits on it.
	eventually(t, "every caller waiting", func() bool { return waiters(m, "qwen3") == callers })
	if got := statusOf(t, m, "qwen3").State; got != StateLoading {
		t.Fatalf("state while loading = %s", got)
	}
	l.openGate()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		if leases[i].Model() != leases[0].Model() {
			t.Fatalf("caller %d got a different model instance", i)
		}
	}
	if n := l.count("qwen3"); n != 1 {
		t.Fatalf("%d loads, want 1", n)
	}
	st := statusOf(t, m, "qwen3")
	if st.InFlight != callers || st.Misses != callers || st.Hits != 0 || st.Loads != 1 {
		t.Fatalf("status = %+v", st)
	}
	for _, lease := range leases {
		lease.Release()
	}
	if st := statusOf(t, m, "qwen3"); st.InFlight != 0 {
		t.Fatalf("in flight after releases = %d", st.InFlight)
	}
}

func TestWaiterCancellation(t *testing.T) {
	l := newTestLoader()
	l.closeGate()
	l.honourCtx = true
	m := newTestManager(t, l, ManagerOptions{KeepAlive: -1}, "llama")

	// One of two waiters gives up: the load goes on for the other.
	ctxA, cancelA := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() {
		_, err := m.Acquire(ctxA, "llama")
		errA <- err
	}()
	type result struct {
		lease *Lease
		err   error
	}
	resB := make(chan result, 1)
	go func() {
		lease, err := m.Acquire(context.Background(), "llama")
		resB <- result{lease, err}
	}()
	eventually(t, "two waiters", func() bool { return waiters(m, "llama") == 2 })
	cancelA()
	if err := <-errA; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter got %v, want context.Canceled", err)
	}
	if got := statusOf(t, m, "llama").State; got != StateLoading {
		t.Fatalf("state after one waiter left = %s, want loading", got)
	}
	l.openGate()
	b := <-resB
	if b.err != nil {
		t.Fatalf("remaining waiter: %v", b.err)
	}
	b.lease.Release()
	if n := l.count("llama"); n != 1 {
		t.Fatalf("%d loads, want 1", n)
	}
	if err := m.Unload(context.Background(), "llama"); err != nil {
		t.Fatal(err)
	}

	// The only waiter gives up: the load is cancelled and the model is
	// available again, not failed.
	l.closeGate()
	ctxC, cancelC := context.WithCancel(context.Background())
	errC := make(chan error, 1)
	go func() {
		_, err := m.Acquire(ctxC, "llama")
		errC <- err
	}()
	eventually(t, "one waiter", func() bool { return waiters(m, "llama") == 1 })
	cancelC()
	if err := <-errC; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter got %v", err)
	}
	if err := <-l.ctxErrs; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned load saw ctx error %v, want context.Canceled", err)
	}
	eventually(t, "the abandoned loader to return", func() bool {
		st := statusOf(t, m, "llama")
		return st.State == StateAvailable && st.ReservedBytes == 0
	})
	if st := statusOf(t, m, "llama"); st.Error != "" || st.LoadFailures != 0 {
		t.Fatalf("an abandoned load counts as a failure: %+v", st)
	}
	l.openGate()
	acquireRelease(t, m, "llama")
	if n := l.count("llama"); n != 3 {
		t.Fatalf("%d loads, want 3", n)
	}
}

func TestAcquireWithDoneContextDoesNotLoad(t *testing.T) {
	l := newTestLoader()
	m := newTestManager(t, l, ManagerOptions{KeepAlive: -1}, "bert")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Acquire(ctx, "bert"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n := l.count("bert"); n != 0 {
		t.Fatalf("%d loads for a dead context", n)
	}
}
