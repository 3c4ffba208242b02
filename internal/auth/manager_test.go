package auth

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testAdminKey = "admin-key-for-tests-0123456789abcdef"

func newTestManager(t *testing.T, clock *fakeClock) (*Manager, *SQLiteStore) {
	t.Helper()
	s := openTestSQLite(t)
	return NewManager(s, ManagerOptions{AdminKey: testAdminKey, Now: clock.Now}), s
}

func TestCreateValidation(t *testing.T) {
	clock := newFakeClock()
	m, _ := newTestManager(t, clock)
	past, future := clock.Now().Add(-time.Second), clock.Now().Add(time.Hour)
	for _, c := range []struct {
		name      string
		spec      KeySpec
		wantField string // "" for success
	}{
		{"minimal", KeySpec{Name: "ci"}, ""},
		{"everything", KeySpec{Name: "Ünïcode name", Scopes: []Scope{"Admin", ScopeInference, ScopeInference},
			Models: []string{"Qwen/*", "gpt2"}, Limits: Limits{RPM: 1, TPM: 2, MaxConcurrent: 3, DailyTokens: 4, MonthlyTokens: 5},
			ExpiresAt: &future}, ""},
		{"name missing", KeySpec{}, "name"},
		{"name blank", KeySpec{Name: " \t"}, "name"},
		{"name too long", KeySpec{Name: strings.Repeat("é", MaxKeyNameLen+1)}, "name"},
		{"name at the limit", KeySpec{Name: strings.Repeat("é", MaxKeyNameLen)}, ""},
		{"name with a newline", KeySpec{Name: "a\nb"}, "name"},
		{"name not UTF-8", KeySpec{Name: "a\xffb"}, "name"},
		{"unknown scope", KeySpec{Name: "x", Scopes: []Scope{"everything"}}, "scopes"},
		{"empty model", KeySpec{Name: "x", Models: []string{""}}, "models"},
		{"bad glob", KeySpec{Name: "x", Models: []string{"Qwen/[a-"}}, "models"},
		{"model with a space", KeySpec{Name: "x", Models: []string{"a b"}}, "models"},
		{"too many models", KeySpec{Name: "x", Models: make([]string, MaxModelPatterns+1)}, "models"},
		{"negative rpm", KeySpec{Name: "x", Limits: Limits{RPM: -1}}, "rpm"},
		{"negative tpm", KeySpec{Name: "x", Limits: Limits{TPM: -1}}, "tpm"},
		{"negative concurrency", KeySpec{Name: "x", Limits: Limits{MaxConcurrent: -1}}, "max_concurrent"},
		{"negative daily", KeySpec{Name: "x", Limits: Limits{DailyTokens: -1}}, "daily_tokens"},
		{"negative monthly", KeySpec{Name: "x", Limits: Limits{MonthlyTokens: -1}}, "monthly_tokens"},
		{"expiry in the past", KeySpec{Name: "x", ExpiresAt: &past}, "expires_at"},
		{"expiry now", KeySpec{Name: "x", ExpiresAt: ptr(clock.Now())}, "expires_at"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := m.Create(context.Background(), c.spec)
			if c.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != c.wantField {
				t.Fatalf("Create: %v, want a ValidationError on %q", err, c.wantField)
			}
		})
	}
}

func TestCreateNormalizes(t *testing.T) {
	clock := newFakeClock()
	m, _ := newTestManager(t, clock)
	ctx := context.Background()
	for _, c := range []struct {
		name       string
		spec       KeySpec
		wantScopes []Scope
		wantModels []string
	}{
		{"default scopes", KeySpec{Name: "a"}, []Scope{ScopeInference, ScopeEmbeddings}, []string{}},
		{"scopes deduplicated in order", KeySpec{Name: "a", Scopes: []Scope{"ADMIN", " embeddings", "admin"}},
			[]Scope{ScopeEmbeddings, ScopeAdmin}, []string{}},
		{"models deduplicated", KeySpec{Name: "a", Models: []string{"b", "a", "b"}}, DefaultScopes(), []string{"b", "a"}},
		{"a star means all", KeySpec{Name: "a", Models: []string{"b", "*"}}, DefaultScopes(), []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, _, err := m.Create(ctx, c.spec)
			if err != nil {
				t.Fatal(err)
			}
			stored, err := m.Get(ctx, k.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []Key{k, stored} {
				if !slicesEqual(got.Scopes, c.wantScopes) || !slicesEqual(got.Models, c.wantModels) || got.Models == nil {
					t.Fatalf("scopes %q models %q, want %q %q", got.Scopes, got.Models, c.wantScopes, c.wantModels)
				}
			}
		})
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCreatedKeyAndItsJSON(t *testing.T) {
	clock := newFakeClock()
	m, _ := newTestManager(t, clock)
	k, secret, err := m.Create(context.Background(), KeySpec{Name: "json", Limits: Limits{RPM: 7}})
	if err != nil {
		t.Fatal(err)
	}
	if !looksLikeSecret(secret) || !strings.HasPrefix(k.ID, "key_") || len(k.ID) != 20 {
		t.Fatalf("secret %q id %q: wrong shape", secret, k.ID)
	}
	if k.Prefix != secret[:DisplayPrefixLen] || k.Hash != HashSecret(secret) || !k.CreatedAt.Equal(clock.Now()) {
		t.Fatalf("key %+v does not match its secret or the clock", k)
	}
	raw, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	if _, ok := fields["hash"]; ok || strings.Contains(string(raw), k.Hash) || strings.Contains(string(raw), secret) {
		t.Fatalf("the key's JSON shows its hash or secret: %s", raw)
	}
	if fields["rpm"] != float64(7) || fields["id"] != k.ID || fields["prefix"] != k.Prefix {
		t.Fatalf("JSON %s lacks top-level rpm, id or prefix", raw)
	}

	// The body of POST /admin/keys decodes into a KeySpec, limits at the top.
	var spec KeySpec
	body := `{"name":"n","scopes":["inference"],"models":["gpt2"],"rpm":1,"tpm":2,"max_concurrent":3,
		"daily_tokens":4,"monthly_tokens":5,"expires_at":"2030-01-01T00:00:00Z"}`
	if err := json.Unmarshal([]byte(body), &spec); err != nil {
		t.Fatal(err)
	}
	want := Limits{RPM: 1, TPM: 2, MaxConcurrent: 3, DailyTokens: 4, MonthlyTokens: 5}
	if spec.Limits != want || spec.ExpiresAt == nil || spec.ExpiresAt.Year() != 2030 {
		t.Fatalf("decoded spec %+v", spec)
	}
}

func TestAuthenticate(t *testing.T) {
	clock := newFakeClock()
	m, _ := newTestManager(t, clock)
	ctx := context.Background()
	create := func(spec KeySpec) (Key, string) {
		t.Helper()
		k, secret, err := m.Create(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		return k, secret
	}
	active, activeSecret := create(KeySpec{Name: "active", Scopes: []Scope{ScopeInference}, Models: []string{"Qwen/*"}, Limits: Limits{RPM: 5}})
	_, expiringSecret := create(KeySpec{Name: "expiring", ExpiresAt: ptr(clock.Now().Add(time.Minute))})
	revoked, revokedSecret := create(KeySpec{Name: "revoked"})
	rotated, oldSecret := create(KeySpec{Name: "rotated"})
	adminScoped, adminScopedSecret := create(KeySpec{Name: "admin scoped", Scopes: []Scope{ScopeAdmin}})
	if _, err := m.Revoke(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	_, rotatedSecret, err := m.Rotate(ctx, rotated.ID)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute) // the expiring key expires, exactly now
	unknown, _, err := newSecret()
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name    string
		secret  string
		wantErr error
		wantID  string
		admin   bool
	}{
		{"bootstrap admin key", testAdminKey, nil, AdminKeyID, true},
		{"admin key with one byte more", testAdminKey + "x", ErrInvalidKey, "", false},
		{"admin key with one byte less", testAdminKey[:len(testAdminKey)-1], ErrInvalidKey, "", false},
		{"active key", activeSecret, nil, active.ID, false},
		{"admin-scoped key", adminScopedSecret, nil, adminScoped.ID, true},
		{"unknown well-formed key", unknown, ErrInvalidKey, "", false},
		{"malformed key", "hfs_short", ErrInvalidKey, "", false},
		{"empty", "", ErrInvalidKey, "", false},
		{"expired key", expiringSecret, ErrExpiredKey, "", false},
		{"revoked key", revokedSecret, ErrRevokedKey, "", false},
		{"rotated key, old secret", oldSecret, ErrInvalidKey, "", false},
		{"rotated key, new secret", rotatedSecret, nil, rotated.ID, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := m.Authenticate(ctx, c.secret)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) || p != nil {
					t.Fatalf("Authenticate = %+v, %v; want %v", p, err, c.wantErr)
				}
				if c.secret != "" && strings.Contains(err.Error(), c.secret) {
					t.Fatalf("error %q shows the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.KeyID != c.wantID || p.Admin != c.admin {
				t.Fatalf("principal %+v, want key %s admin=%v", p, c.wantID, c.admin)
			}
		})
	}

	p, err := m.Authenticate(ctx, activeSecret)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "active" || p.Limits.RPM != 5 || !p.Allows(ScopeInference) || p.Allows(ScopeEmbeddings) ||
		!p.AllowsModel("Qwen/Qwen3-0.6B") || p.AllowsModel("gpt2") {
		t.Fatalf("principal of the active key: %+v", p)
	}

	// Without a configured admin key, nothing is the admin key.
	noAdmin := NewManager(openTestSQLite(t), ManagerOptions{Now: clock.Now})
	for _, s := range []string{"", testAdminKey} {
		if _, err := noAdmin.Authenticate(ctx, s); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("Authenticate(%q) without an admin key: %v, want ErrInvalidKey", s, err)
		}
	}
}

func TestRevokeAndRotate(t *testing.T) {
	clock := newFakeClock()
	m, _ := newTestManager(t, clock)
	ctx := context.Background()
	k, _, err := m.Create(ctx, KeySpec{Name: "r"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := m.Revoke(ctx, k.ID)
	if err != nil || first.RevokedAt == nil || !first.RevokedAt.Equal(clock.Now()) {
		t.Fatalf("Revoke = %+v, %v", first, err)
	}
	clock.Advance(time.Hour)
	again, err := m.Revoke(ctx, k.ID)
	if err != nil || again.RevokedAt == nil || !again.RevokedAt.Equal(*first.RevokedAt) {
		t.Fatalf("second Revoke = %+v, %v; want idempotent", again, err)
	}
	if _, _, err := m.Rotate(ctx, k.ID); !errors.Is(err, ErrRevokedKey) {
		t.Fatalf("Rotate of a revoked key: %v, want ErrRevokedKey", err)
	}
	for _, op := range []func() error{
		func() error { _, err := m.Revoke(ctx, "key_0000000000000000"); return err },
		func() error { _, _, err := m.Rotate(ctx, "key_0000000000000000"); return err },
		func() error { _, err := m.Get(ctx, AdminKeyID); return err },
	} {
		if err := op(); !errors.Is(err, ErrKeyNotFound) {
			t.Fatalf("unknown id: %v, want ErrKeyNotFound", err)
		}
	}
	keys, err := m.List(ctx)
	if err != nil || len(keys) != 1 || keys[0].State(clock.Now()) != KeyRevoked {
		t.Fatalf("List = %+v, %v", keys, err)
	}
}

// countingStore counts KeyByHash calls.
type countingStore struct {
	Store
	lookups atomic.Int64
}

func (c *countingStore) KeyByHash(ctx context.Context, hash string) (Key, error) {
	c.lookups.Add(1)
	return c.Store.KeyByHash(ctx, hash)
}

func TestAuthenticateCache(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name        string
		ttl         time.Duration
		wantLookups int64
	}{
		{"default TTL", 0, 3},
		{"off", -1, 4},
		{"capped at MaxCacheTTL", time.Hour, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock := newFakeClock()
			store := &countingStore{Store: openTestSQLite(t)}
			m := NewManager(store, ManagerOptions{Now: clock.Now, CacheTTL: c.ttl})
			_, secret, err := m.Create(ctx, KeySpec{Name: "c"})
			if err != nil {
				t.Fatal(err)
			}
			// Calls at 0, 0.5s, 1s (DefaultCacheTTL: expired) and 2.5s
			// (past MaxCacheTTL).
			for _, at := range []time.Duration{0, 500 * time.Millisecond, 500 * time.Millisecond, 1500 * time.Millisecond} {
				clock.Advance(at)
				if _, err := m.Authenticate(ctx, secret); err != nil {
					t.Fatal(err)
				}
			}
			if got := store.lookups.Load(); got != c.wantLookups {
				t.Fatalf("%d store lookups, want %d", got, c.wantLookups)
			}
		})
	}
}

func TestAuditLogHasNoSecrets(t *testing.T) {
	var buf strings.Builder
	clock := newFakeClock()
	m := NewManager(openTestSQLite(t), ManagerOptions{AdminKey: testAdminKey, Now: clock.Now,
		Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	ctx := context.Background()
	k, secret, err := m.Create(ctx, KeySpec{Name: "audited"})
	if err != nil {
		t.Fatal(err)
	}
	_, rotated, err := m.Rotate(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{testAdminKey, rotated} {
		if _, err := m.Authenticate(ctx, s); err != nil && s == testAdminKey {
			t.Fatal(err)
		}
	}
	log := buf.String()
	for _, want := range []string{"key created", "key rotated", "key revoked", k.ID} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log lacks %q:\n%s", want, log)
		}
	}
	for _, secretish := range []string{secret, rotated, testAdminKey, k.Hash, secret[:DisplayPrefixLen+4]} {
		if strings.Contains(log, secretish) {
			t.Errorf("audit log shows %q:\n%s", secretish, log)
		}
	}
}
