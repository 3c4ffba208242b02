package serving

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hfserve/internal/models"
)

func TestKeepAlive(t *testing.T) {
	never, zero, short := time.Duration(-1), time.Duration(0), 10*time.Second
	clock := newFakeClock()
	l := newTestLoader()
	m := newTestManager(t, l, ManagerOptions{
		KeepAlive: time.Minute,
		Clock:     clock.Now,
		PerModel: map[string]ModelPolicy{
			"gpt2":       {KeepAlive: &never},
			"bert-cls":   {KeepAlive: &zero},
			"llama-tied": {KeepAlive: &short},
		},
	}, "bert", "gpt2", "bert-cls", "llama-tied")
	for _, name := range []string{"bert", "gpt2", "bert-cls", "llama-tied"} {
		acquireRelease(t, m, name)
	}
	steps := []struct {
		advance time.Duration
		want    map[string]State
	}{
		{0, map[string]State{"bert": StateLoaded, "gpt2": StateLoaded, "bert-cls": StateAvailable, "llama-tied": StateLoaded}},
		{short, map[string]State{"bert": StateLoaded, "gpt2": StateLoaded, "bert-cls": StateAvailable, "llama-tied": StateAvailable}},
		{time.Minute - short - time.Second, map[string]State{"bert": StateLoaded, "gpt2": StateLoaded}},
		{time.Second, map[string]State{"bert": StateAvailable, "gpt2": StateLoaded}},
		{24 * time.Hour, map[string]State{"gpt2": StateLoaded}},
	}
	for i, step := range steps {
		clock.Advance(step.advance)
		sweepNow(t, m)
		got := states(m)
		for name, want := range step.want {
			if got[name] != want {
				t.Fatalf("step %d: %s is %s, want %s", i, name, got[name], want)
			}
		}
	}
	for name, want := range map[string]uint64{"bert": 1, "gpt2": 0, "bert-cls": 1, "llama-tied": 1} {
		if st := statusOf(t, m, name); st.Evictions.KeepAlive != want || st.Evictions.Total() != want {
			t.Errorf("%s evictions = %+v, want %d for keep_alive", name, st.Evictions, want)
		}
	}
}

func TestKeepAliveHeldLeaseAndRefresh(t *testing.T) {
	clock := newFakeClock()
	m := newTestManager(t, newTestLoader(), ManagerOptions{KeepAlive: time.Minute, Clock: clock.Now}, "bert")
	lease, err := m.Acquire(context.Background(), "bert")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	sweepNow(t, m)
	if got := statusOf(t, m, "bert").State; got != StateLoaded {
		t.Fatalf("a leased model was unloaded by keep-alive: %s", got)
	}
	lease.Release() // the idle time starts now
	clock.Advance(time.Minute - time.Second)
	sweepNow(t, m)
	if got := statusOf(t, m, "bert").State; got != StateLoaded {
		t.Fatalf("unloaded %s before its keep-alive", got)
	}
	clock.Advance(time.Second)
	sweepNow(t, m)
	if got := statusOf(t, m, "bert").State; got != StateAvailable {
		t.Fatalf("state after keep-alive = %s", got)
	}
}

// The janitor goroutine, with the real clock, unloads a model with a zero
// keep-alive as soon as its last lease is released.
func TestJanitorUnloadsWhenIdle(t *testing.T) {
	l := newTestLoader()
	m := newTestManager(t, l, ManagerOptions{KeepAlive: 20 * time.Millisecond}, "bert", "gpt2")
	lease, err := m.Acquire(context.Background(), "bert")
	if err != nil {
		t.Fatal(err)
	}
	acquireRelease(t, m, "gpt2")
	eventually(t, "gpt2 to unload", func() bool { return statusOf(t, m, "gpt2").State == StateAvailable })
	if got := statusOf(t, m, "bert").State; got != StateLoaded {
		t.Fatalf("leased bert = %s", got)
	}
	lease.Release()
	eventually(t, "bert to unload", func() bool { return statusOf(t, m, "bert").State == StateAvailable })
	if l.closes.Load() != 2 {
		t.Fatalf("%d models closed, want 2", l.closes.Load())
	}
}

func TestZeroKeepAliveSparesExplicitLoad(t *testing.T) {
	m := newTestManager(t, newTestLoader(), ManagerOptions{KeepAlive: 0}, "bert")
	if err := m.Load(context.Background(), "bert"); err != nil {
		t.Fatal(err)
	}
	sweepNow(t, m)
	st := statusOf(t, m, "bert")
	if st.State != StateLoaded || st.Hits != 0 || st.Misses != 0 {
		t.Fatalf("after Load: %+v (a preload must outlive a zero keep-alive, and is no request)", st)
	}
	acquireRelease(t, m, "bert")
	sweepNow(t, m)
	if st := statusOf(t, m, "bert"); st.State != StateAvailable || st.Hits != 1 {
		t.Fatalf("after a request: %+v", st)
	}
}

func TestLoadTimeout(t *testing.T) {
	for _, honour := range []bool{false, true} {
		name := map[bool]string{false: "loader ignores its context", true: "loader honours its context"}[honour]
		t.Run(name, func(t *testing.T) {
			l := newTestLoader()
			l.closeGate()
			l.honourCtx = honour
			m := newTestManager(t, l, ManagerOptions{LoadTimeout: 30 * time.Millisecond, KeepAlive: -1}, "bert", "gpt2")
			start := time.Now()
			_, err := m.Acquire(context.Background(), "bert")
			if !errors.Is(err, ErrLoadTimeout) {
				t.Fatalf("err = %v, want ErrLoadTimeout", err)
			}
			var le *LoadError
			if !errors.As(err, &le) || le.Model != "bert" {
				t.Fatalf("err = %v, want a *LoadError for bert", err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Fatalf("a 30ms timeout took %s", took)
			}
			st := statusOf(t, m, "bert")
			if st.State != StateFailed || !strings.Contains(st.Error, "model_load_timeout") || st.LoadFailures != 1 {
				t.Fatalf("status = %+v", st)
			}
			if !honour {
				// The stalled loader still holds its memory: a retry waits
				// for it rather than start a second copy.
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				_, err := m.Acquire(ctx, "bert")
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) || l.count("bert") != 1 {
					t.Fatalf("retry during a stalled load: %v after %d loads", err, l.count("bert"))
				}
				if st := statusOf(t, m, "bert"); st.ReservedBytes != fixtureEstimate(t, "bert") {
					t.Fatalf("reserved %d while the stalled loader runs", st.ReservedBytes)
				}
			}
			// The next Acquire retries (after the stalled loader returns).
			l.openGate()
			acquireRelease(t, m, "bert")
			if n := l.count("bert"); n != 2 {
				t.Fatalf("%d loads, want 2", n)
			}
			if st := statusOf(t, m, "bert"); st.State != StateLoaded || st.Error != "" || st.Loads != 1 {
				t.Fatalf("after retry = %+v", st)
			}
			if got := l.loaded.Load() - l.closes.Load(); got != 1 {
				t.Fatalf("%d models open, want 1 (a late result must be closed)", got)
			}
		})
	}
}

func TestCorruptWeights(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, weights string)
	}{
		{"truncated", func(t *testing.T, weights string) {
			fi, err := os.Stat(weights)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(weights, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage header", func(t *testing.T, weights string) {
			if err := os.WriteFile(weights, []byte("\xff\xff\xff\xff\xff\xff\xff\x7fnot safetensors"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"missing", func(t *testing.T, weights string) {
			if err := os.Remove(weights); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFixture(t, "gpt2")
			tt.corrupt(t, filepath.Join(dir, "model.safetensors"))
			broken, err := newEntry("broken", dir, dir, "")
			if err != nil {
				t.Fatal(err)
			}
			good := abs(t, filepath.Join(tiny, "bert"))
			goodEntry, err := newEntry("bert", good, good, "")
			if err != nil {
				t.Fatal(err)
			}
			cat, err := NewCatalog([]Entry{broken, goodEntry})
			if err != nil {
				t.Fatal(err)
			}
			// The production loader, not the test one.
			m := newTestManager(t, nil, ManagerOptions{Catalog: cat, Load: AutoLoader(nil), KeepAlive: -1})
			for attempt := 1; attempt <= 2; attempt++ {
				_, err := m.Acquire(context.Background(), "broken")
				var le *LoadError
				if !errors.As(err, &le) || le.Model != "broken" || !strings.Contains(err.Error(), "model.safetensors") {
					t.Fatalf("attempt %d: err = %v, want a *LoadError naming the file", attempt, err)
				}
				st := statusOf(t, m, "broken")
				if st.State != StateFailed || st.Error != err.Error() || st.LoadFailures != uint64(attempt) {
					t.Fatalf("attempt %d: status = %+v", attempt, st)
				}
			}
			acquireRelease(t, m, "bert")
			if st := statusOf(t, m, "bert"); st.State != StateLoaded || st.Error != "" {
				t.Fatalf("the good model = %+v", st)
			}
			if err := m.Unload(context.Background(), "broken"); err != nil {
				t.Fatal(err)
			}
			if st := statusOf(t, m, "broken"); st.State != StateAvailable || st.Error != "" {
				t.Fatalf("after unloading a failed model: %+v", st)
			}
		})
	}
}

func TestLoaderFailures(t *testing.T) {
	tests := []struct {
		name string
		load LoadFunc
		want string
	}{
		{"panic", func(context.Context, Entry) (models.Model, error) { panic("boom") }, "panicked: boom"},
		{"nil model", func(context.Context, Entry) (models.Model, error) { return nil, nil }, "no model"},
		{"error", func(context.Context, Entry) (models.Model, error) { return nil, errors.New("disk on fire") }, "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestManager(t, nil, ManagerOptions{Load: tt.load, KeepAlive: -1}, "bert")
			_, err := m.Acquire(context.Background(), "bert")
			var le *LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a *LoadError mentioning %q", err, tt.want)
			}
			if st := statusOf(t, m, "bert"); st.State != StateFailed {
				t.Fatalf("state = %s", st.State)
			}
		})
	}
}

func TestUnloadDrains(t *testing.T) {
	l := newTestLoader()
	m := newTestManager(t, l, ManagerOptions{KeepAlive: -1}, "bert")
	lease, err := m.Acquire(context.Background(), "bert")
	if err != nil {
		t.Fatal(err)
	}
	// While a lease is held, Unload waits; a short context ends the wait
	// but not the drain.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := m.Unload(ctx, "bert"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Unload with a lease held = %v, want DeadlineExceeded", err)
	}
	if st := statusOf(t, m, "bert"); st.State != StateUnloading || st.InFlight != 1 {
		t.Fatalf("draining model = %+v", st)
	}
	// A new request waits for the drain, then loads the model afresh.
	got := make(chan error, 1)
	go func() {
		l, err := m.Acquire(context.Background(), "bert")
		if err == nil {
			l.Release()
		}
		got <- err
	}()
	unloaded := make(chan error, 1)
	go func() { unloaded <- m.Unload(context.Background(), "bert") }()
	select {
	case err := <-got:
		t.Fatalf("Acquire on a draining model returned early: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	lease.Release()
	if err := <-unloaded; err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	st := statusOf(t, m, "bert")
	if st.Evictions.Admin != 1 || l.count("bert") != 2 {
		t.Fatalf("status = %+v, loads %d; want one admin eviction and a reload", st, l.count("bert"))
	}
}

func TestUnloadPinnedAndIdle(t *testing.T) {
	m := newTestManager(t, newTestLoader(), ManagerOptions{KeepAlive: -1,
		PerModel: map[string]ModelPolicy{"bert": {Pinned: true}}}, "bert")
	if err := m.Unload(context.Background(), "bert"); err != nil {
		t.Fatalf("unloading a model that is not loaded: %v", err)
	}
	if err := m.Load(context.Background(), "bert"); err != nil {
		t.Fatal(err)
	}
	if err := m.Unload(context.Background(), "bert"); err != nil {
		t.Fatal(err)
	}
	st := statusOf(t, m, "bert")
	if st.State != StateAvailable || !st.Pinned || st.Evictions.Admin != 1 {
		t.Fatalf("status = %+v, want unloaded and still pinned", st)
	}
}

func TestPreload(t *testing.T) {
	tests := []struct {
		name string
		all  bool
		want map[string]State
	}{
		{"per model", false, map[string]State{"bert": StateLoaded, "gpt2": StateAvailable, "llama": StateLoaded}},
		{"all", true, map[string]State{"bert": StateLoaded, "gpt2": StateLoaded, "llama": StateLoaded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestManager(t, newTestLoader(), ManagerOptions{KeepAlive: 0, Preload: tt.all,
				PerModel: map[string]ModelPolicy{"bert": {Preload: true}, "llama": {Preload: true}}}, "bert", "gpt2", "llama")
			if err := m.Preload(context.Background()); err != nil {
				t.Fatal(err)
			}
			sweepNow(t, m)
			got := states(m)
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("%s = %s, want %s", name, got[name], want)
				}
			}
		})
	}
}

func TestPreloadReportsFailuresAndGoesOn(t *testing.T) {
	fail := func(ctx context.Context, e Entry) (models.Model, error) {
		if e.Name == "bert" {
			return nil, errors.New("bad bert")
		}
		return AutoLoader(nil)(ctx, e)
	}
	m := newTestManager(t, nil, ManagerOptions{Load: fail, KeepAlive: -1, Preload: true}, "bert", "gpt2")
	err := m.Preload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "bad bert") {
		t.Fatalf("err = %v", err)
	}
	if got := states(m); got["bert"] != StateFailed || got["gpt2"] != StateLoaded {
		t.Fatalf("states = %v", got)
	}
}

func TestPolicyFromCatalogSpec(t *testing.T) {
	ka := 3 * time.Second
	cat := fixtureCatalog(t, "bert", "gpt2")
	entries := cat.Entries()
	entries[0].Spec.Pinned = true
	entries[0].Spec.KeepAlive = &ka
	cat, err := NewCatalog(entries)
	if err != nil {
		t.Fatal(err)
	}
	m := newTestManager(t, nil, ManagerOptions{Catalog: cat, KeepAlive: time.Minute,
		PerModel: map[string]ModelPolicy{"gpt2": {Pinned: true}}})
	if st := statusOf(t, m, "bert"); !st.Pinned || st.KeepAlive != ka {
		t.Fatalf("bert from its spec = %+v", st)
	}
	if st := statusOf(t, m, "gpt2"); !st.Pinned || st.KeepAlive != time.Minute {
		t.Fatalf("gpt2 from PerModel = %+v", st)
	}
}
