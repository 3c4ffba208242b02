package server

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"hfserve/api"
	"hfserve/internal/auth"
)

// decodeBody decodes a JSON answer into v.
func decodeBody(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("answer %s: %v", rec.Body, err)
	}
}

// TestAdminKeysLifecycle creates, lists, shows, rotates and revokes a key
// through the API and uses it in between.
func TestAdminKeysLifecycle(t *testing.T) {
	e := newAuthEnv(t, nil).withProbes()
	expires := e.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
	rec := e.do("POST", "/admin/keys", `{"name":"ci","scopes":["inference"],"models":["Qwen/*"],"rpm":60,"tpm":1000,
		"max_concurrent":2,"daily_tokens":10000,"monthly_tokens":200000,"expires_at":"`+expires+`"}`, testAdminKey, "")
	if rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var created api.AdminKeySecret
	decodeBody(t, rec, &created)
	if !strings.HasPrefix(created.Key, auth.SecretPrefix) || !strings.HasPrefix(created.Key, created.Prefix) {
		t.Fatalf("secret %q, prefix %q", created.Key, created.Prefix)
	}
	if rec.Header().Get("Location") != "/admin/keys/"+created.ID || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", rec.Header())
	}
	want := api.AdminKey{ID: created.ID, Object: api.ObjectAdminKey, Name: "ci", Prefix: created.Prefix,
		Scopes: []string{"inference"}, Models: []string{"Qwen/*"},
		KeyLimits: api.KeyLimits{RPM: 60, TPM: 1000, MaxConcurrent: 2, DailyTokens: 10000, MonthlyTokens: 200000},
		State:     api.KeyStateActive}
	checkAdminKey(t, "created", created.AdminKey, want)
	if created.ExpiresAt == nil || created.ExpiresAt.Format(time.RFC3339) != expires {
		t.Errorf("expires_at = %v, want %s", created.ExpiresAt, expires)
	}

	// The list and the key itself never hold the secret.
	rec = e.do("GET", "/admin/keys", "", testAdminKey, "")
	if strings.Contains(rec.Body.String(), created.Key) || strings.Contains(rec.Body.String(), `"key"`) {
		t.Fatalf("the list shows a secret: %s", rec.Body)
	}
	var list api.AdminKeyList
	decodeBody(t, rec, &list)
	if list.Object != api.ObjectList || len(list.Data) != 1 {
		t.Fatalf("list %+v", list)
	}
	checkAdminKey(t, "listed", list.Data[0], want)
	var got api.AdminKey
	rec = e.do("GET", "/admin/keys/"+created.ID, "", testAdminKey, "")
	decodeBody(t, rec, &got)
	checkAdminKey(t, "shown", got, want)

	// The key works for its scope, then rotation swaps the secret.
	if rec := e.do("POST", "/v1/completions", "{}", created.Key, ""); rec.Code != 200 {
		t.Fatalf("created key: %d %s", rec.Code, rec.Body)
	}
	rec = e.do("POST", "/admin/keys/"+created.ID+"/rotate", "", testAdminKey, "")
	var rotated api.AdminKeySecret
	decodeBody(t, rec, &rotated)
	if rec.Code != 200 || rotated.ID != created.ID || rotated.Key == created.Key || rotated.RotatedAt == nil {
		t.Fatalf("rotate: %d %+v", rec.Code, rotated)
	}
	if rec := e.do("POST", "/v1/completions", "{}", created.Key, ""); rec.Code != 401 {
		t.Errorf("old secret after rotate: %d", rec.Code)
	}
	if rec := e.do("POST", "/v1/completions", "{}", rotated.Key, ""); rec.Code != 200 {
		t.Errorf("new secret after rotate: %d", rec.Code)
	}

	// Revoke: answered with the key, revoked; twice is fine.
	for range 2 {
		rec = e.do("DELETE", "/admin/keys/"+created.ID, "", testAdminKey, "")
		decodeBody(t, rec, &got)
		if rec.Code != 200 || got.State != api.KeyStateRevoked || got.RevokedAt == nil {
			t.Fatalf("revoke: %d %+v", rec.Code, got)
		}
	}
	if rec := e.do("POST", "/v1/completions", "{}", rotated.Key, ""); rec.Code != 401 {
		t.Errorf("revoked key: %d", rec.Code)
	}
	rec = e.do("POST", "/admin/keys/"+created.ID+"/rotate", "", testAdminKey, "")
	checkError(t, rec, 409, api.ErrTypeInvalidRequest, "key_revoked", "")
}

// checkAdminKey compares the fields a test controls.
func checkAdminKey(t *testing.T, what string, got, want api.AdminKey) {
	t.Helper()
	if got.ID != want.ID || got.Object != want.Object || got.Name != want.Name || got.Prefix != want.Prefix ||
		strings.Join(got.Scopes, ",") != strings.Join(want.Scopes, ",") || strings.Join(got.Models, ",") != strings.Join(want.Models, ",") ||
		got.KeyLimits != want.KeyLimits || got.State != want.State || got.CreatedAt.IsZero() {
		t.Errorf("%s key = %+v, want %+v", what, got, want)
	}
}

// TestAdminKeysBadRequests checks the 400s (with the field as param) and
// 404s of the key admin API.
func TestAdminKeysBadRequests(t *testing.T) {
	e := newAuthEnv(t, nil)
	past := e.clock.Now().Add(-time.Hour).Format(time.RFC3339)
	tests := []struct {
		name, method, path, body string
		status                   int
		code, param              string
	}{
		{"unknown field", "POST", "/admin/keys", `{"name":"x","rpmm":5}`, 400, "", "rpmm"},
		{"no name", "POST", "/admin/keys", `{"scopes":["inference"]}`, 400, "invalid_value", "name"},
		{"bad scope", "POST", "/admin/keys", `{"name":"x","scopes":["root"]}`, 400, "invalid_value", "scopes"},
		{"negative limit", "POST", "/admin/keys", `{"name":"x","tpm":-1}`, 400, "invalid_value", "tpm"},
		{"bad pattern", "POST", "/admin/keys", `{"name":"x","models":["["]}`, 400, "invalid_value", "models"},
		{"expiry in the past", "POST", "/admin/keys", `{"name":"x","expires_at":"` + past + `"}`, 400, "invalid_value", "expires_at"},
		{"expiry not RFC 3339", "POST", "/admin/keys", `{"name":"x","expires_at":"tomorrow"}`, 400, "", "expires_at"},
		{"wrong type", "POST", "/admin/keys", `{"name":"x","rpm":"many"}`, 400, "", "rpm"},
		{"not JSON", "POST", "/admin/keys", `name=x`, 400, "", ""},
		{"unknown id", "GET", "/admin/keys/key_0000000000000000", "", 404, "key_not_found", ""},
		{"revoke unknown id", "DELETE", "/admin/keys/key_0000000000000000", "", 404, "key_not_found", ""},
		{"rotate unknown id", "POST", "/admin/keys/key_0000000000000000/rotate", "", 404, "key_not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(tt.method, tt.path, tt.body, testAdminKey, "")
			checkError(t, rec, tt.status, api.ErrTypeInvalidRequest, tt.code, tt.param)
		})
	}
}

// TestAdminUsage checks GET /admin/usage: filters, JSON and CSV, and the
// 400s for a bad day or format.
func TestAdminUsage(t *testing.T) {
	e := newAuthEnv(t, nil)
	e.usage.Record("key_a", "m1", 10, 5, false)
	e.usage.Record("key_a", "m2", 1, 1, true)
	e.clock.Advance(24 * time.Hour)
	e.usage.Record("key_b", "m1", 2, 2, false)
	if err := e.usage.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.usage.Record("key_b", "m1", 1, 0, false) // pending, not flushed: shown too

	var list api.UsageList
	rec := e.do("GET", "/admin/usage", "", testAdminKey, "")
	decodeBody(t, rec, &list)
	want := []api.UsageRecord{
		{Day: "2026-03-14", KeyID: "key_a", Model: "m1", Requests: 1, PromptTokens: 10, GeneratedTokens: 5},
		{Day: "2026-03-14", KeyID: "key_a", Model: "m2", Requests: 1, PromptTokens: 1, GeneratedTokens: 1, Errors: 1},
		{Day: "2026-03-15", KeyID: "key_b", Model: "m1", Requests: 2, PromptTokens: 3, GeneratedTokens: 2},
	}
	if list.Object != api.ObjectList || !slices.Equal(list.Data, want) {
		t.Fatalf("usage = %+v\nwant %+v", list.Data, want)
	}
	filters := map[string][]api.UsageRecord{
		"?key_id=key_a":           want[:2],
		"?model=m1":               {want[0], want[2]},
		"?from=2026-03-15":        want[2:],
		"?to=2026-03-14&model=m2": want[1:2],
		"?from=2026-03-14&to=2026-03-14&format=json": want[:2],
	}
	for q, w := range filters {
		rec := e.do("GET", "/admin/usage"+q, "", testAdminKey, "")
		list = api.UsageList{}
		decodeBody(t, rec, &list)
		if !slices.Equal(list.Data, w) {
			t.Errorf("%s: %+v, want %+v", q, list.Data, w)
		}
	}

	rec = e.do("GET", "/admin/usage?format=csv&key_id=key_a", "", testAdminKey, "")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", rec.Code, rec.Header())
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{auth.UsageCSVHeader(), {"2026-03-14", "key_a", "m1", "1", "10", "5", "0"}, {"2026-03-14", "key_a", "m2", "1", "1", "1", "1"}}
	if fmt.Sprint(rows) != fmt.Sprint(wantRows) {
		t.Errorf("csv rows %q, want %q", rows, wantRows)
	}

	for q, param := range map[string]string{"?from=2026-3-1": "from", "?to=yesterday": "to", "?from=2026-03-15&to=2026-03-14": "to", "?format=xml": "format"} {
		rec := e.do("GET", "/admin/usage"+q, "", testAdminKey, "")
		checkError(t, rec, 400, api.ErrTypeInvalidRequest, "invalid_value", param)
	}
}
