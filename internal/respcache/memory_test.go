package respcache

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// memGet reads key for model and reports whether it hit.
func memGet(t *testing.T, m *Memory, model string, key Key) ([]byte, bool) {
	t.Helper()
	v, _, err := m.Get(context.Background(), model, key)
	if err != nil {
		t.Fatal(err)
	}
	return v, v != nil
}

// memSet stores value under key with model's current stamp.
func memSet(t *testing.T, m *Memory, model string, key Key, value string, ttl time.Duration) {
	t.Helper()
	st, err := m.Stamp(context.Background(), model)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Set(context.Background(), model, key, st, []byte(value), ttl); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryLRUByEntries(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxEntries: 3})
	for _, k := range []Key{"a", "b", "c"} {
		memSet(t, m, "m", k, "v"+string(k), 0)
	}
	memGet(t, m, "m", "a") // a is now the most recently used; b the least
	memSet(t, m, "m", "d", "vd", 0)
	for k, want := range map[Key]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, hit := memGet(t, m, "m", k); hit != want {
			t.Errorf("key %s: hit %t, want %t", k, hit, want)
		}
	}
	if u := m.Usage(); u.Entries != 3 || u.Evictions != 1 {
		t.Errorf("usage %+v, want 3 entries and 1 eviction", u)
	}
}

func TestMemoryBoundByBytes(t *testing.T) {
	value := string(make([]byte, 1000))
	one := int64(len(value)+1+len("m")) + entryOverhead // a one-letter key
	tests := []struct {
		name      string
		maxBytes  int64
		stores    int
		wantKept  int
		wantEvict uint64
	}{
		{"room for all", 10 * one, 5, 5, 0},
		{"room for two", 2*one + one/2, 5, 2, 3},
		{"exactly three", 3 * one, 5, 3, 2},
		{"value larger than the bound", one - 1, 3, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory(MemoryOptions{MaxBytes: tt.maxBytes})
			for i := range tt.stores {
				memSet(t, m, "m", Key(fmt.Sprint(i)), value, 0)
			}
			u := m.Usage()
			if u.Entries != int64(tt.wantKept) || u.Bytes != int64(tt.wantKept)*one || u.Evictions != tt.wantEvict {
				t.Fatalf("usage %+v, want %d entries of %d bytes, %d evictions", u, tt.wantKept, one, tt.wantEvict)
			}
			// The newest entries are the ones kept.
			for i := range tt.stores {
				_, hit := memGet(t, m, "m", Key(fmt.Sprint(i)))
				if want := i >= tt.stores-tt.wantKept; hit != want {
					t.Errorf("entry %d: hit %t, want %t", i, hit, want)
				}
			}
		})
	}
}

func TestMemoryTTL(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(MemoryOptions{Clock: clock.Now})
	memSet(t, m, "m", "short", "1", time.Minute)
	memSet(t, m, "m", "forever", "2", 0)
	clock.Advance(time.Minute - time.Nanosecond)
	if _, hit := memGet(t, m, "m", "short"); !hit {
		t.Fatal("entry gone before its TTL")
	}
	clock.Advance(time.Nanosecond)
	if _, hit := memGet(t, m, "m", "short"); hit {
		t.Fatal("entry still served at its TTL")
	}
	if _, hit := memGet(t, m, "m", "forever"); !hit {
		t.Fatal("entry without TTL expired")
	}
	if u := m.Usage(); u.Expirations != 1 || u.Entries != 1 {
		t.Fatalf("usage %+v, want 1 expiration, 1 entry left", u)
	}
}

func TestMemoryReplaceKeepsBytesRight(t *testing.T) {
	m := NewMemory(MemoryOptions{})
	memSet(t, m, "m", "k", "short", 0)
	memSet(t, m, "m", "k", "a longer value", 0)
	want := int64(len("a longer value")+len("k")+len("m")) + entryOverhead
	if u := m.Usage(); u.Entries != 1 || u.Bytes != want {
		t.Fatalf("usage %+v, want one entry of %d bytes", u, want)
	}
	if v, _ := memGet(t, m, "m", "k"); string(v) != "a longer value" {
		t.Fatalf("value %q", v)
	}
}

func TestMemoryInvalidateAndFlush(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(MemoryOptions{})
	memSet(t, m, "a", "a1", "x", 0)
	memSet(t, m, "a", "a2", "x", 0)
	memSet(t, m, "b", "b1", "x", 0)
	staleA, _ := m.Stamp(ctx, "a")
	if err := m.InvalidateModel(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[Key]bool{"a1": false, "a2": false} {
		if _, hit := memGet(t, m, "a", k); hit != want {
			t.Errorf("%s after invalidating a: hit %t", k, hit)
		}
	}
	if _, hit := memGet(t, m, "b", "b1"); !hit {
		t.Error("invalidating a dropped b's entry")
	}
	// An answer computed before the invalidation arrives after it: dropped.
	if err := m.Set(ctx, "a", "a1", staleA, []byte("old"), 0); err != nil {
		t.Fatal(err)
	}
	if _, hit := memGet(t, m, "a", "a1"); hit {
		t.Error("an answer stamped before the invalidation was stored")
	}
	staleB, _ := m.Stamp(ctx, "b")
	if err := m.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if u := m.Usage(); u.Entries != 0 || u.Bytes != 0 {
		t.Errorf("usage after flush %+v", u)
	}
	if err := m.Set(ctx, "b", "b1", staleB, []byte("old"), 0); err != nil {
		t.Fatal(err)
	}
	if _, hit := memGet(t, m, "b", "b1"); hit {
		t.Error("an answer stamped before the flush was stored")
	}
}
