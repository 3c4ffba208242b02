package auth

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// testKey is a stored key as Manager.Create would make it, numbered so
// that several differ in id, hash and creation time.
func testKey(n int, base time.Time) Key {
	secret := fmt.Sprintf("hfs_test-secret-%02d", n)
	return Key{
		ID: fmt.Sprintf("key_%016x", n), Name: fmt.Sprintf("key %d", n), Prefix: displayPrefix(secret),
		Hash: HashSecret(secret), Scopes: []Scope{ScopeInference}, Models: []string{"Qwen/*", "gpt2"},
		Limits:    Limits{RPM: 60, TPM: 1000, MaxConcurrent: 2, DailyTokens: 1e6, MonthlyTokens: 3e7},
		CreatedAt: base.Add(time.Duration(n) * time.Second).UTC(),
	}
}

// sameKey fails t unless got and want are equal, nil and empty slices alike.
func sameKey(t *testing.T, got, want Key) {
	t.Helper()
	for _, k := range []*Key{&got, &want} {
		if len(k.Models) == 0 {
			k.Models = nil
		}
		if len(k.Scopes) == 0 {
			k.Scopes = nil
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("key\n got %+v\nwant %+v", got, want)
	}
}

// mustCreate stores keys or fails t.
func mustCreate(t *testing.T, s Store, keys ...Key) {
	t.Helper()
	for _, k := range keys {
		if err := s.CreateKey(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
}

// storeBehaviours are what every Store does, each on a fresh store.
func storeBehaviours() []struct {
	name string
	run  func(t *testing.T, s Store)
} {
	ctx := context.Background()
	base := time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.UTC)
	return []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"create then get by id and by hash", func(t *testing.T, s Store) {
			k := testKey(1, base)
			k.ExpiresAt = ptr(base.Add(time.Hour))
			mustCreate(t, s, k)
			got, err := s.Key(ctx, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameKey(t, got, k)
			got, err = s.KeyByHash(ctx, k.Hash)
			if err != nil {
				t.Fatal(err)
			}
			sameKey(t, got, k)
		}},
		{"empty scopes and models round-trip", func(t *testing.T, s Store) {
			k := testKey(1, base)
			k.Models, k.Limits = nil, Limits{}
			mustCreate(t, s, k)
			got, err := s.Key(ctx, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameKey(t, got, k)
		}},
		{"unknown id and hash are not found", func(t *testing.T, s Store) {
			mustCreate(t, s, testKey(1, base))
			if _, err := s.Key(ctx, "key_ffffffffffffffff"); !errors.Is(err, ErrKeyNotFound) {
				t.Fatalf("Key: %v, want ErrKeyNotFound", err)
			}
			if _, err := s.KeyByHash(ctx, HashSecret("nope")); !errors.Is(err, ErrKeyNotFound) {
				t.Fatalf("KeyByHash: %v, want ErrKeyNotFound", err)
			}
		}},
		{"duplicate id or hash is refused", func(t *testing.T, s Store) {
			k := testKey(1, base)
			mustCreate(t, s, k)
			sameID := testKey(2, base)
			sameID.ID = k.ID
			sameHash := testKey(3, base)
			sameHash.Hash = k.Hash
			for _, dup := range []Key{sameID, sameHash} {
				if err := s.CreateKey(ctx, dup); !errors.Is(err, ErrDuplicateKey) {
					t.Fatalf("CreateKey(%s): %v, want ErrDuplicateKey", dup.ID, err)
				}
			}
			keys, err := s.Keys(ctx)
			if err != nil || len(keys) != 1 {
				t.Fatalf("after refused duplicates: %d keys, %v; want 1", len(keys), err)
			}
		}},
		{"keys are listed newest first", func(t *testing.T, s Store) {
			// Created out of order; 1ms apart, within the same second.
			var want []string
			for _, n := range []int{2, 0, 3, 1} {
				k := testKey(n, base)
				k.CreatedAt = base.Add(time.Duration(n) * time.Millisecond)
				mustCreate(t, s, k)
			}
			for n := 3; n >= 0; n-- {
				want = append(want, testKey(n, base).ID)
			}
			keys, err := s.Keys(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range keys {
				got = append(got, k.ID)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("order %v, want %v", got, want)
			}
		}},
		{"revoke is idempotent and keeps the first time", func(t *testing.T, s Store) {
			k := testKey(1, base)
			mustCreate(t, s, k)
			first := base.Add(time.Minute)
			got, err := s.RevokeKey(ctx, k.ID, first)
			if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(first) {
				t.Fatalf("RevokeKey = %+v, %v; want revoked at %v", got.RevokedAt, err, first)
			}
			got, err = s.RevokeKey(ctx, k.ID, first.Add(time.Hour))
			if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(first) {
				t.Fatalf("second RevokeKey = %+v, %v; want still revoked at %v", got.RevokedAt, err, first)
			}
			stored, err := s.KeyByHash(ctx, k.Hash)
			if err != nil || stored.RevokedAt == nil || !stored.RevokedAt.Equal(first) {
				t.Fatalf("stored RevokedAt = %v, %v", stored.RevokedAt, err)
			}
			if _, err := s.RevokeKey(ctx, "key_ffffffffffffffff", first); !errors.Is(err, ErrKeyNotFound) {
				t.Fatalf("revoking an unknown key: %v, want ErrKeyNotFound", err)
			}
		}},
		{"rotate replaces the hash", func(t *testing.T, s Store) {
			k, other := testKey(1, base), testKey(2, base)
			mustCreate(t, s, k, other)
			at := base.Add(time.Minute)
			newHash := HashSecret("hfs_new")
			got, err := s.RotateKey(ctx, k.ID, newHash, "hfs_new", at)
			if err != nil {
				t.Fatal(err)
			}
			want := k
			want.Hash, want.Prefix, want.RotatedAt = newHash, "hfs_new", &at
			sameKey(t, got, want)
			if _, err := s.KeyByHash(ctx, k.Hash); !errors.Is(err, ErrKeyNotFound) {
				t.Fatalf("old hash after rotation: %v, want ErrKeyNotFound", err)
			}
			byNew, err := s.KeyByHash(ctx, newHash)
			if err != nil {
				t.Fatal(err)
			}
			sameKey(t, byNew, want)
			if _, err := s.RotateKey(ctx, k.ID, other.Hash, "x", at); !errors.Is(err, ErrDuplicateKey) {
				t.Fatalf("rotating onto another key's hash: %v, want ErrDuplicateKey", err)
			}
			if _, err := s.RotateKey(ctx, "key_ffffffffffffffff", HashSecret("z"), "z", at); !errors.Is(err, ErrKeyNotFound) {
				t.Fatalf("rotating an unknown key: %v, want ErrKeyNotFound", err)
			}
		}},
		{"a revoked key is not rotated", func(t *testing.T, s Store) {
			k := testKey(1, base)
			mustCreate(t, s, k)
			if _, err := s.RevokeKey(ctx, k.ID, base); err != nil {
				t.Fatal(err)
			}
			if _, err := s.RotateKey(ctx, k.ID, HashSecret("n"), "n", base); !errors.Is(err, ErrRevokedKey) {
				t.Fatalf("RotateKey of a revoked key: %v, want ErrRevokedKey", err)
			}
			if _, err := s.KeyByHash(ctx, k.Hash); err != nil {
				t.Fatalf("the refused rotation changed the hash: %v", err)
			}
		}},
		{"touch moves last used forward only", func(t *testing.T, s Store) {
			a, b := testKey(1, base), testKey(2, base)
			mustCreate(t, s, a, b)
			t1, t2 := base.Add(time.Hour), base.Add(2*time.Hour)
			if err := s.TouchKeys(ctx, map[string]time.Time{a.ID: t2, b.ID: t1, "key_ffffffffffffffff": t1}); err != nil {
				t.Fatal(err)
			}
			if err := s.TouchKeys(ctx, map[string]time.Time{a.ID: t1}); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				id   string
				want time.Time
			}{{a.ID, t2}, {b.ID, t1}} {
				k, err := s.Key(ctx, c.id)
				if err != nil || k.LastUsedAt == nil || !k.LastUsedAt.Equal(c.want) {
					t.Fatalf("LastUsedAt of %s = %v, %v; want %v", c.id, k.LastUsedAt, err, c.want)
				}
			}
			if _, err := s.Key(ctx, "key_ffffffffffffffff"); !errors.Is(err, ErrKeyNotFound) {
				t.Fatalf("touching an unknown id made it: %v", err)
			}
		}},
		{"usage adds up and filters", func(t *testing.T, s Store) {
			batch1 := []UsageRecord{
				{Day: "2026-01-01", KeyID: "key_a", Model: "gpt2", Requests: 1, PromptTokens: 10, GeneratedTokens: 5},
				{Day: "2026-01-02", KeyID: "key_a", Model: "Qwen/Qwen3|0.6B", Requests: 2, PromptTokens: 7, Errors: 1},
				{Day: "2026-01-02", KeyID: "key_b", Model: "gpt2", Requests: 3, GeneratedTokens: 9},
				{Day: "2026-01-03", KeyID: "admin", Model: "gpt2"}, // all zero: not kept
			}
			batch2 := []UsageRecord{
				{Day: "2026-01-01", KeyID: "key_a", Model: "gpt2", Requests: 4, PromptTokens: 1, GeneratedTokens: 2, Errors: 3},
				{Day: "2026-02-01", KeyID: "key_b", Model: "gpt2", Requests: 1, PromptTokens: 1},
			}
			for _, b := range [][]UsageRecord{batch1, batch2} {
				if err := s.AddUsage(ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			// The expected sums, computed independently of the stores.
			all := sumUsage(append(append([]UsageRecord{}, batch1...), batch2...))
			for _, f := range []UsageFilter{
				{},
				{KeyID: "key_a"},
				{Model: "gpt2"},
				{From: "2026-01-02"},
				{To: "2026-01-02"},
				{From: "2026-01-02", To: "2026-01-02", KeyID: "key_b"},
				{From: "2026-03-01"},
				{KeyID: "nobody"},
			} {
				got, err := s.Usage(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				want := filterUsage(all, f)
				if len(got) == 0 && len(want) == 0 {
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("Usage(%+v)\n got %+v\nwant %+v", f, got, want)
				}
			}
		}},
	}
}

// sumUsage merges records per day, key and model the simple way, dropping
// all-zero ones, in the documented order.
func sumUsage(records []UsageRecord) []UsageRecord {
	var out []UsageRecord
next:
	for _, r := range records {
		if r.Requests == 0 && r.PromptTokens == 0 && r.GeneratedTokens == 0 && r.Errors == 0 {
			continue
		}
		for i := range out {
			if out[i].Day == r.Day && out[i].KeyID == r.KeyID && out[i].Model == r.Model {
				out[i].Requests += r.Requests
				out[i].PromptTokens += r.PromptTokens
				out[i].GeneratedTokens += r.GeneratedTokens
				out[i].Errors += r.Errors
				continue next
			}
		}
		out = append(out, r)
	}
	sortUsage(out)
	return out
}

// filterUsage applies f with plain comparisons.
func filterUsage(records []UsageRecord, f UsageFilter) []UsageRecord {
	var out []UsageRecord
	for _, r := range records {
		if (f.KeyID == "" || f.KeyID == r.KeyID) && (f.Model == "" || f.Model == r.Model) &&
			(f.From == "" || r.Day >= f.From) && (f.To == "" || r.Day <= f.To) {
			out = append(out, r)
		}
	}
	return out
}

func TestStoreConformance(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range storeBehaviours() {
				t.Run(c.name, func(t *testing.T) {
					c.run(t, b.open(t))
				})
			}
		})
	}
}
