package serving

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// TestOnUnloadReportsEveryUnload: the hook sees each unload with its
// reason, and an admin Unload returns only after the hook ran (the
// response cache relies on it: a request after the unload must not find
// the model's old answers).
func TestOnUnloadReportsEveryUnload(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
	)
	hook := func(model string, reason EvictReason) {
		mu.Lock()
		got = append(got, model+":"+string(reason))
		mu.Unlock()
	}
	l := newTestLoader()
	m := newTestManager(t, l, ManagerOptions{MaxLoadedModels: 1, KeepAlive: -1, OnUnload: hook}, "bert", "gpt2")
	seen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}

	acquireRelease(t, m, "bert")
	if err := m.Unload(context.Background(), "bert"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"bert:admin"}; !slices.Equal(seen(), want) {
		t.Fatalf("after Unload: hook saw %q, want %q", seen(), want)
	}
	acquireRelease(t, m, "bert")
	acquireRelease(t, m, "gpt2") // evicts bert: one model at most
	eventually(t, "the LRU eviction reported", func() bool { return len(seen()) == 2 })
	if want := []string{"bert:admin", "bert:lru"}; !slices.Equal(seen(), want) {
		t.Fatalf("after eviction: hook saw %q, want %q", seen(), want)
	}
}
