package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hfserve/api"
	"hfserve/internal/auth"
	"hfserve/internal/config"
)

// TestAuthCredentials checks every way a key can be missing or bad: 401
// in OpenAI's shape with WWW-Authenticate, and a good key let through.
func TestAuthCredentials(t *testing.T) {
	e := newAuthEnv(t, nil).withProbes()
	_, good := e.create(auth.KeySpec{})
	_, expiring := e.create(auth.KeySpec{ExpiresAt: new(e.clock.Now().Add(time.Hour))})
	revKey, revoked := e.create(auth.KeySpec{})
	if _, err := e.keys.Revoke(context.Background(), revKey.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour) // expiring has expired
	tests := []struct {
		name    string
		header  http.Header
		status  int
		keyID   string // of the principal, when let through
		message string // part of the 401 message
	}{
		{"no key", nil, 401, "", "didn't provide an API key"},
		{"not bearer", http.Header{"Authorization": {"Basic " + good}}, 401, "", "Malformed"},
		{"bearer without key", http.Header{"Authorization": {"Bearer"}}, 401, "", "Malformed"},
		{"two different keys", http.Header{"Authorization": {"Bearer " + good}, "X-Api-Key": {testAdminKey}}, 401, "", "Malformed"},
		{"wrong key", http.Header{"Authorization": {"Bearer hfs_" + strings.Repeat("A", 43)}}, 401, "", "Incorrect API key"},
		{"garbage key", http.Header{"Authorization": {"Bearer nonsense"}}, 401, "", "Incorrect API key"},
		{"expired", http.Header{"Authorization": {"Bearer " + expiring}}, 401, "", "expired"},
		{"revoked", http.Header{"Authorization": {"Bearer " + revoked}}, 401, "", "revoked"},
		{"good bearer", http.Header{"Authorization": {"Bearer " + good}}, 200, "", ""},
		{"good bearer, any case", http.Header{"Authorization": {"bearer " + good}}, 200, "", ""},
		{"good x-api-key", http.Header{"X-Api-Key": {good}}, 200, "", ""},
		{"admin key", http.Header{"Authorization": {"Bearer " + testAdminKey}}, 200, auth.AdminKeyID, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each from its own address, so the lockout stays out of it.
			req := httptest.NewRequest(http.MethodPost, "/v1/completions", strings.NewReader("{}"))
			req.RemoteAddr = fmt.Sprintf("192.0.2.%d:1000", i+1)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, req)
			if tt.status == 401 {
				errBody := checkError(t, rec, 401, api.ErrTypeInvalidRequest, "invalid_api_key", "")
				if !strings.Contains(errBody.Message, tt.message) {
					t.Errorf("message %q does not say %q", errBody.Message, tt.message)
				}
				if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				return
			}
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.keyID != "" && !strings.Contains(rec.Body.String(), tt.keyID) {
				t.Errorf("principal %s, want %s", rec.Body, tt.keyID)
			}
		})
	}
}

// TestAuthRotate checks that a rotated key's old secret stops working and
// the new one works, under the same id.
func TestAuthRotate(t *testing.T) {
	e := newAuthEnv(t, nil).withProbes()
	k, old := e.create(auth.KeySpec{})
	_, fresh, err := e.keys.Rotate(context.Background(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec := e.do("POST", "/v1/completions", "{}", old, ""); rec.Code != 401 {
		t.Errorf("old secret after rotation: %d", rec.Code)
	}
	rec := e.do("POST", "/v1/completions", "{}", fresh, "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), k.ID) {
		t.Errorf("new secret: %d %s", rec.Code, rec.Body)
	}
}

// TestAuthScopes checks each endpoint class against each scope: 403 in
// OpenAI's shape outside the key's scopes.
func TestAuthScopes(t *testing.T) {
	e := newAuthEnv(t, nil).withProbes()
	_, inference := e.create(auth.KeySpec{Scopes: []auth.Scope{auth.ScopeInference}})
	_, embeddings := e.create(auth.KeySpec{Scopes: []auth.Scope{auth.ScopeEmbeddings}})
	_, admin := e.create(auth.KeySpec{Scopes: []auth.Scope{auth.ScopeAdmin}})
	keys := map[string]string{"inference": inference, "embeddings": embeddings, "admin": admin, "bootstrap": testAdminKey}
	routes := []struct {
		method, path string
		allowed      []string // the keys let through
	}{
		{"POST", "/v1/chat/completions", []string{"inference", "admin", "bootstrap"}},
		{"POST", "/v1/completions", []string{"inference", "admin", "bootstrap"}},
		{"POST", "/generate", []string{"inference", "admin", "bootstrap"}},
		{"POST", "/generate_stream", []string{"inference", "admin", "bootstrap"}},
		{"POST", "/v1/embeddings", []string{"embeddings", "admin", "bootstrap"}},
		{"POST", "/embed", []string{"embeddings", "admin", "bootstrap"}},
		{"POST", "/rerank", []string{"embeddings", "admin", "bootstrap"}},
		{"POST", "/predict", []string{"embeddings", "admin", "bootstrap"}},
		{"POST", "/tokenize", []string{"inference", "embeddings", "admin", "bootstrap"}},
		{"POST", "/decode", []string{"inference", "embeddings", "admin", "bootstrap"}},
		{"GET", "/info", []string{"inference", "embeddings", "admin", "bootstrap"}},
		{"GET", "/v1/models", []string{"inference", "embeddings", "admin", "bootstrap"}},
		{"GET", "/admin/keys", []string{"admin", "bootstrap"}},
		{"GET", "/admin/usage", []string{"admin", "bootstrap"}},
		// Unknown admin routes need the admin scope too, so they leak
		// nothing; unknown others any key.
		{"GET", "/admin/nothing-here", []string{"admin", "bootstrap"}},
		{"GET", "/no/such/route", []string{"inference", "embeddings", "admin", "bootstrap"}},
	}
	for _, rt := range routes {
		for name, secret := range keys {
			allowed := false
			for _, a := range rt.allowed {
				allowed = allowed || a == name
			}
			rec := e.do(rt.method, rt.path, "{}", secret, "")
			switch {
			case allowed && (rec.Code == 401 || rec.Code == 403):
				t.Errorf("%s %s with the %s key: %d %s", rt.method, rt.path, name, rec.Code, rec.Body)
			case !allowed:
				if rec.Code != 403 {
					t.Errorf("%s %s with the %s key: %d, want 403", rt.method, rt.path, name, rec.Code)
					continue
				}
				checkError(t, rec, 403, api.ErrTypePermission, "insufficient_permissions", "")
			}
		}
		if rec := e.do(rt.method, rt.path, "{}", "", ""); rec.Code != 401 {
			t.Errorf("%s %s without a key: %d, want 401", rt.method, rt.path, rec.Code)
		}
	}
}

// TestAuthOpenRoutes checks what stays open: the probes, /metrics unless
// metrics_require_key, and the dashboard's static files.
func TestAuthOpenRoutes(t *testing.T) {
	for _, requireKey := range []bool{false, true} {
		e := newAuthEnv(t, func(o *Options) { o.Auth.MetricsRequireKey = requireKey })
		_, inference := e.create(auth.KeySpec{Scopes: []auth.Scope{auth.ScopeInference}})
		for _, path := range []string{"/health", "/ready", "/admin/ui", "/admin/ui/", "/admin/ui/app.js", "/admin/ui/app.css"} {
			if rec := e.do("GET", path, "", "", ""); rec.Code != 200 {
				t.Errorf("GET %s without a key: %d", path, rec.Code)
			}
		}
		// A wrong method on an open path is not open.
		if rec := e.do("POST", "/health", "", "", ""); rec.Code != 401 {
			t.Errorf("POST /health without a key: %d, want 401", rec.Code)
		}
		want := map[string]int{"": 200, inference: 200, testAdminKey: 200}
		if requireKey {
			want = map[string]int{"": 401, inference: 403, testAdminKey: 200}
		}
		for secret, status := range want {
			if rec := e.do("GET", "/metrics", "", secret, ""); rec.Code != status {
				t.Errorf("metrics_require_key=%t: GET /metrics with key %.8q: %d, want %d", requireKey, secret, rec.Code, status)
			}
		}
	}
}

// TestAuthModelRestriction checks a key limited to some models: 403
// model_not_allowed for the others (in each API's shape), and a model
// list with only its models.
func TestAuthModelRestriction(t *testing.T) {
	svc := newTestService(t, storiesEntry(t), tinyEntry(t, "embed", "bert", config.ModelSpec{}))
	e := newAuthEnv(t, func(o *Options) { o.Catalog = svc.Catalog() })
	e.srv.HandleInference(svc)
	_, embedOnly := e.create(auth.KeySpec{Models: []string{"embed"}})

	rec := e.do("POST", "/v1/completions", `{"model":"stories260k","prompt":"x","max_tokens":1}`, embedOnly, "")
	checkError(t, rec, 403, api.ErrTypePermission, "model_not_allowed", "model")
	// The default model is the story model: leaving the model out does
	// not get around the restriction.
	rec = e.do("POST", "/v1/completions", `{"prompt":"x","max_tokens":1}`, embedOnly, "")
	checkError(t, rec, 403, api.ErrTypePermission, "model_not_allowed", "model")
	rec = e.do("POST", "/tokenize", `{"model":"stories260k","inputs":"x"}`, embedOnly, "")
	checkHFError(t, rec, 403, api.TEIErrorValidation)
	rec = e.do("POST", "/generate", `{"model":"stories260k","inputs":"x"}`, embedOnly, "")
	checkHFError(t, rec, 403, "validation")
	if rec := e.do("POST", "/v1/embeddings", `{"model":"embed","input":"hello"}`, embedOnly, ""); rec.Code != 200 {
		t.Errorf("allowed model: %d %s", rec.Code, rec.Body)
	}

	var list api.ModelList
	rec = e.do("GET", "/v1/models", "", embedOnly, "")
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Data) != 1 || list.Data[0].ID != "embed" {
		t.Errorf("models for an embed-only key: %s", rec.Body)
	}
	if rec := e.do("GET", "/v1/models/stories260k", "", embedOnly, ""); rec.Code != 404 {
		t.Errorf("GET a model the key may not use: %d, want 404", rec.Code)
	}
	rec = e.do("GET", "/v1/models", "", testAdminKey, "")
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Data) != 2 {
		t.Errorf("models for the admin key: %s", rec.Body)
	}
}

// TestAuthLockout checks that repeated bad keys from one address lock it
// out (429 + Retry-After, even for a good key, no key checked), that other
// addresses are unaffected, and that the lockout ends.
func TestAuthLockout(t *testing.T) {
	e := newAuthEnv(t, nil).withProbes()
	_, good := e.create(auth.KeySpec{})
	const attacker, other = "198.51.100.7:5000", "198.51.100.8:5000"
	for i := 0; i < lockoutMax; i++ {
		if rec := e.do("GET", "/v1/models", "", "hfs_wrong", attacker); rec.Code != 401 {
			t.Fatalf("bad key %d: %d", i, rec.Code)
		}
	}
	rec := e.do("GET", "/v1/models", "", good, attacker)
	checkError(t, rec, 429, api.ErrTypeRateLimit, "too_many_failed_authentications", "")
	if got := rec.Header().Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After = %q, want 60", got)
	}
	if rec := e.do("GET", "/v1/models", "", good, other); rec.Code != 200 {
		t.Errorf("another address: %d", rec.Code)
	}
	// A request without a key is no guess: it does not count.
	for i := 0; i < lockoutMax+1; i++ {
		e.do("GET", "/v1/models", "", "", other)
	}
	if rec := e.do("GET", "/v1/models", "", good, other); rec.Code != 200 {
		t.Errorf("after requests without a key: %d", rec.Code)
	}
	e.clock.Advance(time.Minute)
	if rec := e.do("GET", "/v1/models", "", good, attacker); rec.Code != 200 {
		t.Errorf("after the lockout: %d", rec.Code)
	}
	if !strings.Contains(e.logs.String(), `"auth":"locked_out"`) {
		t.Error("the access log does not show the lockout")
	}
}

// TestAuthLogsKeyIDNotSecret checks that the access log names the key by
// id and never holds a secret, good or bad.
func TestAuthLogsKeyIDNotSecret(t *testing.T) {
	e := newAuthEnv(t, nil).withProbes()
	k, good := e.create(auth.KeySpec{})
	e.do("POST", "/v1/completions", "{}", good, "")
	e.do("POST", "/v1/completions", "{}", testAdminKey, "")
	bad := "hfs_" + strings.Repeat("Z", 43)
	e.do("POST", "/v1/completions", "{}", bad, "")
	logs := e.logs.String()
	for _, secret := range []string{good, testAdminKey, bad} {
		if strings.Contains(logs, secret) {
			t.Fatalf("a secret reached the log:\n%s", logs)
		}
	}
	var found bool
	for _, rec := range e.logs.logRecords(t) {
		if rec["msg"] == "request" && rec["key_id"] == k.ID && rec["auth"] == "ok" {
			found = true
		}
	}
	if !found {
		t.Errorf("no access log line with key_id %s:\n%s", k.ID, logs)
	}
}
