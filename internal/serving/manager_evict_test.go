package serving

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestMaxLoadedModelsEvictsLeastRecentlyUsed(t *testing.T) {
	tests := []struct {
		name    string
		uses    []string // acquired and released in this order
		evicted string   // evicted by the last use
	}{
		{"oldest goes", []string{"bert", "gpt2", "llama"}, "bert"},
		{"a reuse refreshes", []string{"bert", "gpt2", "bert", "llama"}, "gpt2"},
		{"reload after eviction", []string{"bert", "gpt2", "llama", "bert"}, "gpt2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLoader()
			m := newTestManager(t, l, ManagerOptions{MaxLoadedModels: 2, KeepAlive: -1}, "bert", "gpt2", "llama")
			for _, name := range tt.uses {
				acquireRelease(t, m, name)
				if n := m.Memory().LoadedModels; n > 2 {
					t.Fatalf("%d models loaded, limit 2", n)
				}
			}
			st := statusOf(t, m, tt.evicted)
			if st.State != StateAvailable || st.Evictions.LRU != 1 || st.Evictions.Total() != 1 {
				t.Fatalf("%s: %+v, want evicted once for lru", tt.evicted, st)
			}
			last := tt.uses[len(tt.uses)-1]
			if st := statusOf(t, m, last); st.State != StateLoaded {
				t.Fatalf("%s state = %s", last, st.State)
			}
			if got := l.loaded.Load() - l.closes.Load(); got != 2 {
				t.Fatalf("%d models open in the loader, want 2", got)
			}
		})
	}
}

func TestMemoryBudgetEvicts(t *testing.T) {
	// Sizes from the fixtures' own headers: gpt2 > llama-tied > bert-cls.
	big, mid, small := fixtureEstimate(t, "gpt2"), fixtureEstimate(t, "llama-tied"), fixtureEstimate(t, "bert-cls")
	if !(big > mid && mid > small) {
		t.Fatalf("fixture sizes changed: gpt2 %d, llama-tied %d, bert-cls %d", big, mid, small)
	}
	budget := big + small // gpt2 and bert-cls fit; llama-tied needs gpt2 gone
	l := newTestLoader()
	m := newTestManager(t, l, ManagerOptions{MemoryBudget: budget, KeepAlive: -1}, "gpt2", "bert-cls", "llama-tied")
	acquireRelease(t, m, "gpt2")
	acquireRelease(t, m, "bert-cls")
	if mem := m.Memory(); mem.ReservedBytes != budget || mem.LoadedModels != 2 || mem.BudgetBytes != budget {
		t.Fatalf("memory = %+v, want %d reserved by 2 models", mem, budget)
	}
	acquireRelease(t, m, "llama-tied")
	if st := statusOf(t, m, "gpt2"); st.State != StateAvailable || st.Evictions.Memory != 1 || st.ResidentBytes != 0 {
		t.Fatalf("gpt2 = %+v, want evicted for memory", st)
	}
	if st := statusOf(t, m, "bert-cls"); st.State != StateLoaded || st.Evictions.Total() != 0 {
		t.Fatalf("bert-cls = %+v, want still loaded", st)
	}
	if mem := m.Memory(); mem.ReservedBytes != small+mid {
		t.Fatalf("reserved %d, want %d", mem.ReservedBytes, small+mid)
	}
}

func TestInFlightModelIsNeverEvicted(t *testing.T) {
	l := newTestLoader()
	m := newTestManager(t, l, ManagerOptions{MaxLoadedModels: 1, KeepAlive: -1}, "bert", "gpt2")
	held, err := m.Acquire(context.Background(), "bert")
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Acquire(context.Background(), "gpt2")
	var ce *CapacityError
	if !errors.Is(err, ErrCannotFit) || !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *CapacityError", err)
	}
	if ce.Model != "gpt2" || ce.Busy != 1 || ce.Loaded != 1 || ce.MaxLoaded != 1 || ce.Permanent || ce.RetryAfter() <= 0 {
		t.Fatalf("capacity error = %+v", ce)
	}
	if st := statusOf(t, m, "bert"); st.State != StateLoaded || st.InFlight != 1 {
		t.Fatalf("bert = %+v", st)
	}
	if st := statusOf(t, m, "gpt2"); st.State != StateAvailable || st.LastLoadError == "" || st.LoadFailures != 0 {
		t.Fatalf("gpt2 after a capacity refusal = %+v", st)
	}
	if n := l.count("gpt2"); n != 0 {
		t.Fatalf("the loader ran %d times for a load that cannot fit", n)
	}
	held.Release()
	acquireRelease(t, m, "gpt2")
	if st := statusOf(t, m, "bert"); st.State != StateAvailable || st.Evictions.LRU != 1 {
		t.Fatalf("bert after release = %+v", st)
	}
}

func TestPinnedModelIsNeverEvicted(t *testing.T) {
	l := newTestLoader()
	m := newTestManager(t, l, ManagerOptions{
		MaxLoadedModels: 1, KeepAlive: 0,
		PerModel: map[string]ModelPolicy{"bert": {Pinned: true}},
	}, "bert", "gpt2")
	acquireRelease(t, m, "bert")
	// Zero keep-alive would unload an unpinned model now.
	sweepNow(t, m)
	if st := statusOf(t, m, "bert"); st.State != StateLoaded || !st.Pinned {
		t.Fatalf("pinned bert = %+v", st)
	}
	if _, err := m.Acquire(context.Background(), "gpt2"); !errors.Is(err, ErrCannotFit) {
		t.Fatalf("err = %v, want ErrCannotFit", err)
	}
	if err := m.Pin("bert", false); err != nil {
		t.Fatal(err)
	}
	// The zero keep-alive may unload bert first; either way gpt2 fits.
	// gpt2 is pinned while a lease holds it: released unpinned, the zero
	// keep-alive could unload it before the pin.
	held, err := m.Acquire(context.Background(), "gpt2")
	if err != nil {
		t.Fatal(err)
	}
	// A model on its way out does not count against the bound, so the
	// Acquire can return while the janitor (kicked by the unpin) is
	// still closing bert.
	eventually(t, "bert's unload to finish", func() bool { return statusOf(t, m, "bert").State != StateUnloading })
	if st := statusOf(t, m, "bert"); st.State != StateAvailable || st.Pinned || st.Evictions.Total() != 1 {
		t.Fatalf("unpinned bert = %+v", st)
	}
	if err := m.Pin("gpt2", true); err != nil {
		t.Fatal(err)
	}
	held.Release()
	sweepNow(t, m)
	if st := statusOf(t, m, "gpt2"); st.State != StateLoaded {
		t.Fatalf("gpt2 pinned while loaded = %+v", st)
	}
}

func TestModelLargerThanBudget(t *testing.T) {
	l := newTestLoader()
	budget := fixtureEstimate(t, "gpt2") - 1
	m := newTestManager(t, l, ManagerOptions{MemoryBudget: budget, KeepAlive: -1}, "gpt2")
	_, err := m.Acquire(context.Background(), "gpt2")
	var ce *CapacityError
	if !errors.As(err, &ce) || !ce.Permanent || ce.RetryAfter() != 0 || ce.NeedBytes != budget+1 {
		t.Fatalf("err = %v (%+v), want a permanent capacity error", err, ce)
	}
}

func TestFailedLoadEvictsNothing(t *testing.T) {
	// A load that cannot fit even after evicting every idle model must
	// leave the idle ones alone.
	// bert-cls and llama fit together; gpt2 fits beside bert-cls but not
	// beside llama.
	small, held, big := fixtureEstimate(t, "bert-cls"), fixtureEstimate(t, "llama"), fixtureEstimate(t, "gpt2")
	if small+big > small+held || held+big <= small+held {
		t.Fatalf("fixture sizes changed: bert-cls %d, llama %d, gpt2 %d", small, held, big)
	}
	l := newTestLoader()
	m := newTestManager(t, l, ManagerOptions{MemoryBudget: small + held, KeepAlive: -1}, "bert-cls", "llama", "gpt2")
	acquireRelease(t, m, "bert-cls")
	lease, err := m.Acquire(context.Background(), "llama")
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release()
	if _, err := m.Acquire(context.Background(), "gpt2"); !errors.Is(err, ErrCannotFit) {
		t.Fatalf("err = %v, want ErrCannotFit", err)
	}
	if st := statusOf(t, m, "bert-cls"); st.State != StateLoaded || st.Evictions.Total() != 0 {
		t.Fatalf("bert-cls = %+v, want untouched", st)
	}
}

func TestCapacityErrorMessages(t *testing.T) {
	tests := []struct {
		err  *CapacityError
		want []string
	}{
		{&CapacityError{Model: "m", NeedBytes: 10, BudgetBytes: 5, Permanent: true}, []string{`"m"`, "10 bytes", "whole memory budget of 5"}},
		{&CapacityError{Model: "m", Busy: 2, Loaded: 2, MaxLoaded: 2}, []string{"2 of 2", "max_loaded_models is 2"}},
		{&CapacityError{Model: "m", NeedBytes: 7, BudgetBytes: 9, UsedBytes: 8, Busy: 1, Loaded: 1}, []string{"needs about 7 bytes", "8 of the 9-byte budget"}},
	}
	for _, tt := range tests {
		msg := tt.err.Error()
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q does not mention %q", msg, w)
			}
		}
		if !errors.Is(tt.err, ErrCannotFit) {
			t.Errorf("%v is not ErrCannotFit", tt.err)
		}
	}
}
