package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hfserve/api"
	"hfserve/internal/auth"
	"hfserve/internal/ratelimit"
	"hfserve/internal/serving"
	"hfserve/internal/telemetry"
)

// testAdminKey is the bootstrap admin key of the auth tests.
const testAdminKey = "test-admin-key-0123456789abcdefghijklmnop"

// fakeClock is a settable clock shared by the manager, limiter and lockout.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// authEnv is a Server with API keys on over a real SQLite store, limiter,
// usage recorder and lockout (max 3 failures a minute), all on one fake
// clock.
type authEnv struct {
	t       *testing.T
	srv     *Server
	handler http.Handler
	logs    *syncBuffer
	clock   *fakeClock
	keys    *auth.Manager
	usage   *auth.UsageRecorder
	lockout *auth.Lockout
}

// lockoutMax is the failures after which the test lockout locks.
const lockoutMax = 3

// newAuthEnv builds the environment; tweak may change the options (nil
// leaves them).
func newAuthEnv(t *testing.T, tweak func(*Options)) *authEnv {
	t.Helper()
	ctx := context.Background()
	store, err := auth.OpenSQLite(ctx, filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := newFakeClock()
	e := &authEnv{t: t, clock: clock}
	// No key cache: a revocation must show at once in these tests anyway,
	// and the cache is the auth package's business.
	e.keys = auth.NewManager(store, auth.ManagerOptions{AdminKey: testAdminKey, Now: clock.Now, CacheTTL: -1})
	e.usage = auth.NewUsageRecorder(store, auth.UsageOptions{Now: clock.Now})
	e.lockout = auth.NewLockout(lockoutMax, time.Minute, clock.Now)
	seed := func(ctx context.Context, keyID string, from time.Time) (int64, error) {
		return e.usage.TokensUsed(ctx, keyID, auth.Day(from))
	}
	opts := Options{
		Version: "test",
		Catalog: staticCatalog{{ID: "stories260k"}, {ID: "embed"}, {ID: "Qwen/tiny"}},
		Metrics: telemetry.NewMetrics(telemetry.MetricsOptions{Version: "test"}),
		Auth: &AuthOptions{
			Keys:    e.keys,
			Limiter: ratelimit.NewLocal(ratelimit.LocalOptions{Now: clock.Now, Seed: seed}),
			Usage:   e.usage,
			Lockout: e.lockout,
			Now:     clock.Now,
		},
	}
	if tweak != nil {
		tweak(&opts)
	}
	e.srv, e.logs = newTestServer(t, opts)
	e.srv.SetReady(true)
	e.srv.HandleAdminKeys(e.keys)
	e.srv.HandleAdminUsage(e.usage)
	if err := e.srv.HandleAdminUI(); err != nil {
		t.Fatal(err)
	}
	e.handler = e.srv.Handler()
	return e
}

// create makes a key with spec and returns its secret.
func (e *authEnv) create(spec auth.KeySpec) (auth.Key, string) {
	e.t.Helper()
	if spec.Name == "" {
		spec.Name = "test"
	}
	k, secret, err := e.keys.Create(context.Background(), spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return k, secret
}

// do sends a request with secret as a Bearer key ("" sends none) from
// remote (a default loopback address when "").
func (e *authEnv) do(method, target, body, secret, remote string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, stringsReader(body))
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if remote != "" {
		req.RemoteAddr = remote
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

// scopeProbe answers every route a request may reach after auth: 200 with
// the principal's key id, the model set and tokens counted as the test
// asks (X-Test-Model, X-Test-Tokens).
func scopeProbe() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := telemetry.RequestFrom(r.Context())
		if m := r.Header.Get("X-Test-Model"); m != "" {
			rec.SetModel(m)
		}
		if r.Header.Get("X-Test-Tokens") != "" {
			rec.AddTokens(4, 3, 1)
		}
		if r.Header.Get("X-Test-Fail") != "" {
			WriteError(w, r, http.StatusBadRequest, api.ErrTypeInvalidRequest, "", "", "failed on purpose")
			return
		}
		p := principalFrom(r.Context())
		id := ""
		if p != nil {
			id = p.KeyID
		}
		_ = WriteJSON(w, r, http.StatusOK, map[string]string{"key_id": id})
	})
}

// probeRoutes are routes of every access class, served by scopeProbe.
var probeRoutes = []string{
	"POST /v1/chat/completions", "POST /v1/completions", "POST /generate", "POST /generate_stream",
	"POST /v1/embeddings", "POST /embed", "POST /rerank", "POST /predict",
	"POST /tokenize", "POST /decode", "GET /info",
}

// withProbes registers scopeProbe on probeRoutes.
func (e *authEnv) withProbes() *authEnv {
	for _, p := range probeRoutes {
		e.srv.Handle(p, scopeProbe())
	}
	return e
}

// stringsReader is s as a body; nil for "".
func stringsReader(s string) io.Reader {
	if s == "" {
		return nil
	}
	return strings.NewReader(s)
}

// newTestService is a Service over a real Manager of entries, with the
// production loader.
func newTestService(t *testing.T, entries ...serving.Entry) *serving.Service {
	t.Helper()
	cat, err := serving.NewCatalog(entries)
	if err != nil {
		t.Fatal(err)
	}
	m, err := serving.NewManager(serving.ManagerOptions{Catalog: cat, Load: serving.RuntimeLoader(nil), KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return serving.NewService(m)
}
