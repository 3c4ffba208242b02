package serving

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"hfserve/internal/breaker"
	"hfserve/internal/config"
)

// newAddService runs a Service with opts and sopts over the named fixtures
// (real runtimes, loaded on demand), closing its Manager when the test ends.
func newAddService(t *testing.T, opts ManagerOptions, sopts ServiceOptions, names ...string) *Service {
	t.Helper()
	if opts.Load == nil {
		opts.Load = BatchingLoader(nil, Batching{})
	}
	m := newTestManager(t, nil, opts, names...)
	s, err := NewServiceWith(m, sopts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fixtureEntry is NewEntry for a tiny fixture, served as name.
func fixtureEntry(t *testing.T, name, fixture string) Entry {
	t.Helper()
	dir := abs(t, filepath.Join(tiny, fixture))
	e, err := NewEntry(name, dir, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func catalogNames(c *Catalog) []string {
	var out []string
	for _, e := range c.Entries() {
		out = append(out, e.Name)
	}
	return out
}

func statusNames(m *Manager) []string {
	var out []string
	for _, st := range m.Status() {
		out = append(out, st.Name)
	}
	return out
}

// A model added at run time is listed everywhere the configured ones are,
// after them, takes the global policies, loads on its first request and
// answers it as the same folder configured at start-up does.
func TestAddModelServesLikeAConfiguredModel(t *testing.T) {
	ctx := context.Background()
	svc := newAddService(t, ManagerOptions{KeepAlive: time.Hour}, ServiceOptions{
		Breaker: &breaker.Settings{FailureThreshold: 3, OpenTimeout: time.Minute}, MaxConcurrentPerModel: 2,
	}, "llama")
	added := fixtureEntry(t, "org/tiny-gpt2", "gpt2")
	if err := svc.AddModel(ctx, added); err != nil {
		t.Fatal(err)
	}

	want := []string{"llama", "org/tiny-gpt2"}
	if got := catalogNames(svc.Catalog()); !slices.Equal(got, want) {
		t.Errorf("catalog order %v, want %v", got, want)
	}
	if got := statusNames(svc.Manager()); !slices.Equal(got, want) {
		t.Errorf("status order %v, want %v", got, want)
	}
	var listed []string
	for _, m := range svc.Catalog().Models(ctx) {
		listed = append(listed, m.ID)
	}
	if !slices.Contains(listed, "org/tiny-gpt2") {
		t.Errorf("Models() = %v, lacks the added model", listed)
	}
	var breakers []string
	for _, b := range svc.Breakers() {
		breakers = append(breakers, b.Model)
		if b.Model == "org/tiny-gpt2" && (b.State != "closed" || b.MaxRunning != 2) {
			t.Errorf("added model's guard: %+v, want a closed breaker and 2 places", b)
		}
	}
	if !slices.Equal(breakers, want) {
		t.Errorf("breakers %v, want %v", breakers, want)
	}
	st := statusOf(t, svc.Manager(), "org/tiny-gpt2")
	if st.State != StateAvailable || st.KeepAlive != time.Hour || st.Pinned {
		t.Errorf("added model before use: %+v, want available with the global keep-alive", st)
	}

	res, err := svc.Generate(ctx, greedyRequest("org/tiny-gpt2", 4), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, svc.Manager(), "org/tiny-gpt2"); st.State != StateLoaded || st.Loads != 1 || st.Misses != 1 {
		t.Errorf("after the first request: %+v, want loaded once on a miss", st)
	}
	// The reference: the same folder configured at start-up.
	ref := newAddService(t, ManagerOptions{KeepAlive: -1}, ServiceOptions{}, "gpt2")
	wantRes, err := ref.Generate(ctx, greedyRequest("gpt2", 4), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := choiceIDs(res, 0), choiceIDs(wantRes, 0); !slices.Equal(got, want) || len(got) == 0 {
		t.Errorf("added model generated %v, the configured one %v", got, want)
	}
	d, err := svc.Describe(ctx, "org/tiny-gpt2")
	if err != nil {
		t.Fatal(err)
	}
	wantD, err := ref.Describe(ctx, "gpt2")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Serves.Tasks, wantD.Serves.Tasks) || d.Entry.Detection.Architecture != wantD.Entry.Detection.Architecture {
		t.Errorf("added model serves %+v, the configured one %+v", d.Serves, wantD.Serves)
	}
}

// An added model is evicted, reloaded and unloaded as the others are.
func TestAddModelIsEvictedLikeOthers(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	svc := newAddService(t, ManagerOptions{MaxLoadedModels: 1, KeepAlive: time.Minute, Clock: clock.Now}, ServiceOptions{}, "llama")
	m := svc.Manager()
	if err := svc.AddModel(ctx, fixtureEntry(t, "added", "gpt2")); err != nil {
		t.Fatal(err)
	}
	generate := func(model string) {
		t.Helper()
		if _, err := svc.Generate(ctx, greedyRequest(model, 1), nil); err != nil {
			t.Fatalf("%s: %v", model, err)
		}
	}
	generate("llama")
	generate("added") // evicts llama: one model at a time
	if st := statusOf(t, m, "llama"); st.State != StateAvailable || st.Evictions.LRU != 1 {
		t.Errorf("llama: %+v, want evicted for lru by the added model", st)
	}
	generate("llama") // and back
	if st := statusOf(t, m, "added"); st.State != StateAvailable || st.Evictions.LRU != 1 {
		t.Errorf("added: %+v, want evicted for lru", st)
	}
	generate("added")
	clock.Advance(time.Minute)
	sweepNow(t, m)
	if st := statusOf(t, m, "added"); st.State != StateAvailable || st.Evictions.KeepAlive != 1 {
		t.Errorf("added: %+v, want unloaded by the global keep-alive", st)
	}
	generate("added")
	if err := m.Unload(ctx, "added"); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, m, "added"); st.State != StateAvailable || st.Evictions.Admin != 1 || st.Loads != 3 {
		t.Errorf("added: %+v, want unloaded by the admin after 3 loads", st)
	}
}

// A per-model spec set on the entry applies as it does at start-up.
func TestAddModelTakesItsSpec(t *testing.T) {
	ctx := context.Background()
	svc := newAddService(t, ManagerOptions{KeepAlive: time.Hour}, ServiceOptions{}, "llama")
	e := fixtureEntry(t, "pinned", "gpt2")
	keep := -time.Second
	e.Spec = config.ModelSpec{Pinned: true, KeepAlive: &keep}
	if err := svc.AddModel(ctx, e); err != nil {
		t.Fatal(err)
	}
	if st := statusOf(t, svc.Manager(), "pinned"); !st.Pinned || st.KeepAlive != keep {
		t.Errorf("status %+v, want pinned with keep-alive %s", st, keep)
	}
}

// Refused additions change nothing.
func TestAddModelRefusals(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	badTask := fixtureEntry(t, "bad-task", "gpt2")
	badTask.Spec.Task = "classification" // gpt2 has no classification head
	tests := []struct {
		name  string
		ctx   context.Context
		entry Entry
		is    error // nil: any error
	}{
		{"configured name", ctx, fixtureEntry(t, "llama", "gpt2"), ErrModelExists},
		{"added name", ctx, fixtureEntry(t, "first", "gpt2"), ErrModelExists},
		{"empty name", ctx, Entry{Dir: "/nowhere"}, nil},
		{"task the head cannot serve", ctx, badTask, nil},
		{"cancelled", cancelled, fixtureEntry(t, "late", "gpt2"), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := newAddService(t, ManagerOptions{}, ServiceOptions{}, "llama")
			if err := svc.AddModel(ctx, fixtureEntry(t, "first", "bert")); err != nil {
				t.Fatal(err)
			}
			before := catalogNames(svc.Catalog())
			err := svc.AddModel(tt.ctx, tt.entry)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("AddModel: %v, want an error matching %v", err, tt.is)
			}
			if got := catalogNames(svc.Catalog()); !slices.Equal(got, before) {
				t.Errorf("catalog %v after a refused addition, was %v", got, before)
			}
			if got := statusNames(svc.Manager()); !slices.Equal(got, before) {
				t.Errorf("status %v after a refused addition, want %v", got, before)
			}
			if got := len(svc.Breakers()); got != len(before) {
				t.Errorf("%d breakers for %d models", got, len(before))
			}
			// The model first added keeps its own folder.
			if e, _ := svc.Catalog().Lookup("first"); filepath.Base(e.Dir) != "bert" {
				t.Errorf("first is served from %s", e.Dir)
			}
		})
	}
}

func TestAddModelAfterClose(t *testing.T) {
	svc := newAddService(t, ManagerOptions{}, ServiceOptions{}, "llama")
	if err := svc.Manager().Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := svc.AddModel(context.Background(), fixtureEntry(t, "late", "gpt2"))
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("AddModel after Close: %v, want ErrClosed", err)
	}
	if _, ok := svc.Catalog().Lookup("late"); ok || len(svc.Breakers()) != 1 {
		t.Errorf("a refused model was published")
	}
}

// Models are added concurrently with one another (some racing for the
// same name), with requests running on a configured model and with
// readers of every listing. Under -race this checks the synchronisation;
// in any case exactly one addition per name wins, every listing agrees on
// the order, and every added model answers.
func TestAddModelConcurrently(t *testing.T) {
	ctx := context.Background()
	svc := newAddService(t, ManagerOptions{KeepAlive: -1}, ServiceOptions{MaxConcurrentPerModel: 4}, "llama")
	const names, racers = 6, 3
	stop := make(chan struct{})
	var background sync.WaitGroup
	errs := make(chan error, 100)
	running := make(chan struct{}) // closed once a request has run
	background.Go(func() {         // requests on a configured model
		for first := true; ; first = false {
			select {
			case <-stop:
				return
			default:
			}
			_, err := svc.Generate(ctx, greedyRequest("llama", 1), nil)
			if first {
				close(running)
			}
			if err != nil {
				errs <- err
				return
			}
		}
	})
	background.Go(func() { // every reader of the model set
		for {
			select {
			case <-stop:
				return
			default:
			}
			svc.Catalog().Models(ctx)
			svc.Manager().Status()
			svc.Manager().Memory()
			svc.Breakers()
			for _, e := range svc.Catalog().Entries() {
				if _, err := svc.Describe(ctx, e.Name); err != nil {
					errs <- err
					return
				}
			}
		}
	})

	wins := make([]int, names)
	var mu sync.Mutex
	var adders sync.WaitGroup
	<-running
	for i := range names * racers {
		adders.Go(func() {
			n := i % names
			fixture := []string{"gpt2", "bert", "qwen2"}[i%3]
			err := svc.AddModel(ctx, fixtureEntry(t, fmt.Sprintf("added-%d", n), fixture))
			switch {
			case err == nil:
				mu.Lock()
				wins[n]++
				mu.Unlock()
			case !errors.Is(err, ErrModelExists):
				errs <- err
			}
		})
	}
	adders.Wait()
	close(stop)
	background.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for n, w := range wins {
		if w != 1 {
			t.Errorf("added-%d was added %d times", n, w)
		}
	}
	got := catalogNames(svc.Catalog())
	if len(got) != 1+names || got[0] != "llama" {
		t.Fatalf("catalog %v", got)
	}
	if st := statusNames(svc.Manager()); !slices.Equal(st, got) {
		t.Errorf("status order %v, catalog order %v", st, got)
	}
	var breakers []string
	for _, b := range svc.Breakers() {
		breakers = append(breakers, b.Model)
	}
	if !slices.Equal(breakers, got) {
		t.Errorf("breakers %v, catalog %v", breakers, got)
	}
	for _, name := range got[1:] {
		if _, _, err := svc.Tokenize(ctx, TokenizeRequest{Model: name, Texts: []string{"hello"}}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
