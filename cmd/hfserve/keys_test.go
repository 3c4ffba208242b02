package main

import (
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hfserve/internal/auth"
	"hfserve/internal/server"
)

// newKeysServer serves the key admin API in-process, with API keys on and
// e2eAdminKey as the bootstrap admin key, and returns its URL.
func newKeysServer(t *testing.T) string {
	t.Helper()
	store, err := auth.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "keys.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	keys := auth.NewManager(store, auth.ManagerOptions{AdminKey: e2eAdminKey})
	srv, err := server.New(server.Options{Auth: &server.AuthOptions{Keys: keys}})
	if err != nil {
		t.Fatal(err)
	}
	srv.HandleAdminKeys(keys)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestKeysCommands runs every keys subcommand against an in-process server.
func TestKeysCommands(t *testing.T) {
	url := newKeysServer(t)
	env := []string{"HFSERVE_ADMIN_KEY=" + e2eAdminKey}
	run := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, env, append(args, "--server", url)...)
		if code != 0 || stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
		}
		return stdout
	}
	out := run("keys", "create", "--name", "ci bot", "--scopes", "inference, embeddings", "--models", "stories260k,Qwen/*",
		"--rpm", "60", "--daily-tokens", "5000", "--expires-at", "2099-01-02T03:04:05Z")
	id, secret := idLine.FindStringSubmatch(out), secretLine.FindStringSubmatch(out)
	if id == nil || secret == nil || !strings.Contains(out, secretNotice) {
		t.Fatalf("keys create printed:\n%s", out)
	}
	for _, want := range []string{"name:       ci bot", "scopes:     inference,embeddings", "models:     stories260k,Qwen/*",
		"limits:     rpm=60 daily=5000", "expires:    2099-01-02T03:04:05Z", "state:      active"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys create output lacks %q:\n%s", want, out)
		}
	}
	out = run("keys", "ls")
	if !regexp.MustCompile(id[1]+`\s+ci bot\s+hfs_\S+\s+active\s+inference,embeddings\s+stories260k,Qwen/\*\s+rpm=60 daily=5000`).MatchString(out) ||
		strings.Contains(out, secret[1]) {
		t.Errorf("keys ls:\n%s", out)
	}
	if out := run("keys", "show", id[1], "--json"); !strings.Contains(out, `"id":"`+id[1]+`"`) || strings.Contains(out, secret[1]) {
		t.Errorf("keys show --json: %s", out)
	}
	out = run("keys", "rotate", id[1])
	if rotated := secretLine.FindStringSubmatch(out); rotated == nil || rotated[1] == secret[1] || !strings.Contains(out, secretNotice) {
		t.Errorf("keys rotate:\n%s", out)
	}
	if out := run("keys", "revoke", id[1]); !regexp.MustCompile(`(?m)^state:\s+revoked$`).MatchString(out) {
		t.Errorf("keys revoke:\n%s", out)
	}
	if out := run("keys", "ls"); !strings.Contains(out, "revoked") {
		t.Errorf("keys ls after revoke:\n%s", out)
	}
}

// TestKeysErrors checks the failures: exit 2 for usage errors, 1 for the
// server's refusals, always one line on stderr with the reason.
func TestKeysErrors(t *testing.T) {
	url := newKeysServer(t)
	env := []string{"HFSERVE_ADMIN_KEY=" + e2eAdminKey}
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		msg  string
	}{
		{"wrong admin key", nil, []string{"keys", "ls", "--server", url, "--api-key", "wrong"}, 1, "401"},
		{"no admin key", nil, []string{"keys", "ls", "--server", url}, 1, "didn't provide an API key"},
		{"unknown id", env, []string{"keys", "show", "key_0000000000000000", "--server", url}, 1, "no API key with id"},
		{"bad scope", env, []string{"keys", "create", "--name", "x", "--scopes", "root", "--server", url}, 1, "scopes"},
		{"past expiry", env, []string{"keys", "create", "--name", "x", "--expires-at", "2001-01-01T00:00:00Z", "--server", url}, 1, "expires_at"},
		{"no name", env, []string{"keys", "create", "--server", url}, 2, "--name is required"},
		{"bad expiry", env, []string{"keys", "create", "--name", "x", "--expires-at", "soon", "--server", url}, 2, "RFC 3339"},
		{"two expiries", env, []string{"keys", "create", "--name", "x", "--expires-at", "2099-01-01T00:00:00Z", "--expires-in", "1h"}, 2, "not both"},
		{"negative expiry", env, []string{"keys", "create", "--name", "x", "--expires-in", "-1h"}, 2, "positive"},
		{"bad limit", env, []string{"keys", "create", "--name", "x", "--rpm", "many"}, 2, "rpm"},
		{"no subcommand", env, []string{"keys"}, 2, "no subcommand"},
		{"unknown subcommand", env, []string{"keys", "list"}, 2, `unknown subcommand "list"`},
		{"revoke without id", env, []string{"keys", "revoke", "--server", url}, 2, "exactly one key ID"},
		{"ls with an argument", env, []string{"keys", "ls", "extra"}, 2, "unexpected argument"},
		{"bad server", env, []string{"keys", "ls", "--server", "ftp://x"}, 2, "--server"},
		{"server down", env, []string{"keys", "ls", "--server", "http://127.0.0.1:1"}, 1, "is hfserve running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.env, tt.args...)
			if code != tt.code || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.msg) {
				t.Errorf("exit %d (want %d), stderr %q (want one line with %q)", code, tt.code, stderr, tt.msg)
			}
		})
	}
	for _, sub := range []string{"create", "ls", "show", "revoke", "rotate"} {
		if code, stdout, _ := runCLI(t, nil, "keys", sub, "--help"); code != 0 || !strings.Contains(stdout, "Usage: hfserve keys "+sub) {
			t.Errorf("keys %s --help: %d %q", sub, code, stdout)
		}
	}
}
