package main

// End-to-end tests of API keys (issue 9) on the real binary: keys made
// with the `hfserve keys` CLI (in-process and as the binary), used through
// the official OpenAI SDK, limited, revoked; usage flushed on SIGTERM and
// found again after a restart, as are the keys.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"hfserve/api"
	"hfserve/internal/respcache/redistest"
)

// e2eAdminKey is the bootstrap admin key of the auth end-to-end tests.
const e2eAdminKey = "e2e-admin-key-0123456789abcdefghijklmnopq"

// authEnv turns API keys on with e2eAdminKey.
var authEnv = []string{"HFSERVE_AUTH_ENABLED=true", "HFSERVE_ADMIN_KEY=" + e2eAdminKey}

// keyedRequest sends method to url with key as a Bearer key ("" sends
// none) and returns the status, headers and body.
func keyedRequest(t *testing.T, method, url, key, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// secretLine finds the secret in `hfserve keys create` or `rotate` output.
var secretLine = regexp.MustCompile(`(?m)^key:\s+(hfs_\S+)$`)

// idLine finds the key id in the same output.
var idLine = regexp.MustCompile(`(?m)^id:\s+(key_\S+)$`)

// createKeyCLI runs `hfserve keys create` in-process and returns the new
// key's id and secret.
func createKeyCLI(t *testing.T, p *serverProcess, args ...string) (id, secret string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, []string{"HFSERVE_ADMIN_KEY=" + e2eAdminKey},
		append([]string{"keys", "create", "--server", p.baseURL}, args...)...)
	if code != 0 {
		t.Fatalf("keys create: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "shown only now") {
		t.Errorf("keys create does not say the secret is not shown again:\n%s", stdout)
	}
	s, i := secretLine.FindStringSubmatch(stdout), idLine.FindStringSubmatch(stdout)
	if s == nil || i == nil {
		t.Fatalf("keys create printed no id or secret:\n%s", stdout)
	}
	return i[1], s[1]
}

// sdkStatus is the HTTP status of an SDK error (0 for success).
func sdkStatus(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("not an API error: %v", err)
	}
	return apiErr.StatusCode
}

func TestE2EAuthKeysSDKAndRestart(t *testing.T) {
	dataDir := t.TempDir()
	// A flush interval longer than the test: usage found after the
	// restart was flushed by the shutdown.
	args := []string{"--data-dir", dataDir, "--usage-flush-interval", "1h"}
	p := startServer(t, authEnv, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Open without a key: the probes. Everything else answers 401.
	for _, path := range []string{"/health", "/ready", "/metrics"} {
		if status, _, _ := keyedRequest(t, "GET", p.baseURL+path, "", ""); status != 200 {
			t.Errorf("GET %s without a key: %d", path, status)
		}
	}
	noKey := openai.NewClient(option.WithBaseURL(p.baseURL+"/v1/"), option.WithAPIKey("hfs_not-a-key"), option.WithMaxRetries(0))
	_, err := noKey.Models.List(ctx)
	if got := sdkStatus(t, err); got != 401 {
		t.Fatalf("SDK with a wrong key: status %d (%v)", got, err)
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) && apiErr.Code != "invalid_api_key" {
		t.Errorf("401 code %q, want invalid_api_key", apiErr.Code)
	}

	id, secret := createKeyCLI(t, p, "--name", "e2e", "--scopes", "inference", "--rpm", "2")
	sdk := openai.NewClient(option.WithBaseURL(p.baseURL+"/v1/"), option.WithAPIKey(secret), option.WithMaxRetries(0))
	var resp *http.Response
	c, err := sdk.Completions.New(ctx, openai.CompletionNewParams{
		Model: "stories260k", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")},
		MaxTokens: openai.Int(4),
	}, option.WithResponseInto(&resp))
	if err != nil {
		t.Fatalf("authorised completion: %v", err)
	}
	if c.Usage.CompletionTokens == 0 || resp.Header.Get("X-Ratelimit-Limit-Requests") != "2" || resp.Header.Get("X-Ratelimit-Remaining-Requests") != "1" {
		t.Errorf("usage %+v, rate limit headers %v", c.Usage, resp.Header)
	}
	// Outside its scope: embeddings.
	if status, _, body := keyedRequest(t, "POST", p.baseURL+"/v1/embeddings", secret, `{"input":"x"}`); status != 403 {
		t.Errorf("embeddings with an inference key: %d %s", status, body)
	}
	// The 403 was refused before the limiter: the second request of the
	// minute passes, the third is 429.
	if _, err := sdk.Models.List(ctx); err != nil {
		t.Fatalf("second request of the minute: %v", err)
	}
	_, err = sdk.Models.List(ctx)
	if got := sdkStatus(t, err); got != 429 {
		t.Errorf("over rpm: status %d (%v), want 429", got, err)
	}
	if errors.As(err, &apiErr) && (apiErr.Code != "rate_limit_exceeded" || apiErr.Response.Header.Get("Retry-After") == "") {
		t.Errorf("429: code %q, headers %v", apiErr.Code, apiErr.Response.Header)
	}

	// Usage, as the admin sees it (not yet flushed: merged from memory).
	usage := func(p *serverProcess) api.UsageList {
		t.Helper()
		status, _, body := keyedRequest(t, "GET", p.baseURL+"/admin/usage?key_id="+id, e2eAdminKey, "")
		var list api.UsageList
		if status != 200 || json.Unmarshal(body, &list) != nil {
			t.Fatalf("GET /admin/usage: %d %s", status, body)
		}
		return list
	}
	before := usage(p)
	if len(before.Data) != 1 || before.Data[0].Model != "stories260k" || before.Data[0].Requests != 1 ||
		before.Data[0].GeneratedTokens != c.Usage.CompletionTokens || before.Data[0].PromptTokens != c.Usage.PromptTokens {
		t.Errorf("usage before the restart: %+v (completion usage %+v)", before.Data, c.Usage)
	}

	// Revoke with the binary itself.
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "keys", "revoke", id, "--server", p.baseURL, "--api-key", e2eAdminKey).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "revoked") {
		t.Fatalf("hfserve keys revoke: %v\n%s", err, out)
	}
	if status, _, _ := keyedRequest(t, "GET", p.baseURL+"/v1/models", secret, ""); status != 401 {
		t.Errorf("revoked key: %d", status)
	}

	// SIGTERM, restart on the same data dir: keys and usage are there.
	p.stop(t)
	if !strings.Contains(p.logs.String(), "usage flushed") {
		t.Errorf("no usage flush logged at shutdown:\n%s", p.logs)
	}
	if strings.Contains(p.logs.String(), secret) || strings.Contains(p.logs.String(), e2eAdminKey) {
		t.Fatal("a secret reached the server's log")
	}
	p2 := startServer(t, authEnv, args...)
	if after := usage(p2); len(after.Data) != 1 || after.Data[0] != before.Data[0] {
		t.Errorf("usage after the restart %+v, want %+v", after.Data, before.Data)
	}
	code, stdout, stderr := runCLI(t, []string{"HFSERVE_ADMIN_KEY=" + e2eAdminKey}, "keys", "show", id, "--server", p2.baseURL)
	if code != 0 || !regexp.MustCompile(`(?m)^state:\s+revoked$`).MatchString(stdout) {
		t.Errorf("keys show after the restart: %d %s %s", code, stdout, stderr)
	}
	if status, _, _ := keyedRequest(t, "GET", p2.baseURL+"/v1/models", secret, ""); status != 401 {
		t.Errorf("revoked key after the restart: %d", status)
	}
}

func TestE2EAuthKeysCLI(t *testing.T) {
	p := startServer(t, authEnv)
	env := []string{"HFSERVE_ADMIN_KEY=" + e2eAdminKey}

	id, secret := createKeyCLI(t, p, "--name", "cli", "--models", "stories260k", "--expires-in", "24h", "--tpm", "1000")
	code, stdout, stderr := runCLI(t, env, "keys", "ls", "--server", p.baseURL)
	if code != 0 || !strings.Contains(stdout, id) || !strings.Contains(stdout, "active") || !strings.Contains(stdout, "tpm=1000") {
		t.Fatalf("keys ls: %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, secret) {
		t.Fatal("keys ls shows a secret")
	}
	code, stdout, _ = runCLI(t, env, "keys", "ls", "--server", p.baseURL, "--json")
	var list api.AdminKeyList
	if code != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list.Data) != 1 || list.Data[0].ExpiresAt == nil {
		t.Fatalf("keys ls --json: %d %s", code, stdout)
	}

	// Rotate: the old secret stops, the new one works.
	code, stdout, stderr = runCLI(t, env, "keys", "rotate", id, "--server", p.baseURL)
	m := secretLine.FindStringSubmatch(stdout)
	if code != 0 || m == nil || m[1] == secret || !strings.Contains(stdout, "shown only now") {
		t.Fatalf("keys rotate: %d\n%s%s", code, stdout, stderr)
	}
	if status, _, _ := keyedRequest(t, "GET", p.baseURL+"/v1/models", secret, ""); status != 401 {
		t.Errorf("old secret after rotate: %d", status)
	}
	if status, _, _ := keyedRequest(t, "GET", p.baseURL+"/v1/models", m[1], ""); status != 200 {
		t.Errorf("new secret after rotate: %d", status)
	}
}

// TestE2EAuthRedisShared: two replicas on one Redis (auth_store=redis)
// share keys, rate limits and usage: a key made on one works on the
// other, its requests per minute count across both, a revocation on one
// reaches the other within the key cache's time, and the usage of both is
// there after both stopped.
func TestE2EAuthRedisShared(t *testing.T) {
	rs := redistest.Start(t)
	args := []string{"--auth-store", "redis", "--redis-url", rs.URL(), "--usage-flush-interval", "1h"}
	one := startServer(t, authEnv, args...)
	two := startServer(t, authEnv, args...)

	id, secret := createKeyCLI(t, one, "--name", "shared", "--rpm", "3")
	for i, p := range []*serverProcess{two, one, two} {
		if status, _, body := keyedRequest(t, "POST", p.baseURL+"/v1/completions", secret,
			`{"model":"stories260k","prompt":"Once","max_tokens":2}`); status != 200 {
			t.Fatalf("request %d: %d %s", i, status, body)
		}
	}
	status, h, _ := keyedRequest(t, "GET", one.baseURL+"/v1/models", secret, "")
	if status != 429 || h.Get("X-Ratelimit-Limit-Requests") != "3" {
		t.Errorf("fourth request of the minute across replicas: %d %v, want 429", status, h)
	}

	code, _, stderr := runCLI(t, []string{"HFSERVE_ADMIN_KEY=" + e2eAdminKey}, "keys", "revoke", id, "--server", two.baseURL)
	if code != 0 {
		t.Fatalf("keys revoke: %s", stderr)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _, _ := keyedRequest(t, "GET", one.baseURL+"/v1/models", secret, "")
		if status == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the revocation on one replica never reached the other (last status %d)", status)
		}
		time.Sleep(200 * time.Millisecond)
	}

	one.stop(t)
	two.stop(t)
	three := startServer(t, authEnv, args...)
	status, _, body := keyedRequest(t, "GET", three.baseURL+"/admin/usage?key_id="+id, e2eAdminKey, "")
	var list api.UsageList
	if status != 200 || json.Unmarshal(body, &list) != nil || len(list.Data) != 1 || list.Data[0].Requests != 3 {
		t.Errorf("usage of both replicas: %d %s, want 3 requests", status, body)
	}
}

// TestE2EAuthKeySurvivesKill creates a key through the admin API, kills the
// server with SIGKILL the moment the 201 is in (no shutdown path runs), and
// checks that the restarted server knows the key: acknowledged means on disk.
func TestE2EAuthKeySurvivesKill(t *testing.T) {
	args := []string{"--data-dir", t.TempDir()}
	p := startServer(t, authEnv, args...)
	status, _, body := keyedRequest(t, "POST", p.baseURL+"/admin/keys", e2eAdminKey, `{"name":"durable","scopes":["inference"]}`)
	if status != http.StatusCreated {
		t.Fatalf("POST /admin/keys: %d %s", status, body)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	var created struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.ID == "" || created.Key == "" {
		t.Fatalf("POST /admin/keys answer %s: %v", body, err)
	}
	p2 := startServer(t, authEnv, args...)
	if status, _, body := keyedRequest(t, "GET", p2.baseURL+"/v1/models", created.Key, ""); status != http.StatusOK {
		t.Errorf("the key created before SIGKILL, after the restart: %d %s", status, body)
	}
	if status, _, body := keyedRequest(t, "GET", p2.baseURL+"/admin/keys/"+created.ID, e2eAdminKey, ""); status != http.StatusOK {
		t.Errorf("GET /admin/keys/%s after the restart: %d %s", created.ID, status, body)
	}
}
