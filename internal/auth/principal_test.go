package auth

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestParseScope(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Scope
		ok   bool
	}{
		{"inference", ScopeInference, true},
		{" Embeddings ", ScopeEmbeddings, true},
		{"ADMIN", ScopeAdmin, true},
		{"", "", false},
		{"admin ", ScopeAdmin, true},
		{"inferences", "", false},
	} {
		got, err := ParseScope(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseScope(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestPrincipalAllows(t *testing.T) {
	for _, c := range []struct {
		name       string
		p          Principal
		scope      Scope
		model      string
		wantScope  bool
		wantModels bool
	}{
		{"scope held", Principal{Scopes: []Scope{ScopeInference}}, ScopeInference, "gpt2", true, true},
		{"scope not held", Principal{Scopes: []Scope{ScopeInference}}, ScopeEmbeddings, "gpt2", false, true},
		{"admin scope implies all", Principal{Scopes: []Scope{ScopeAdmin}}, ScopeEmbeddings, "gpt2", true, true},
		{"admin flag implies all", Principal{Admin: true, Models: []string{"x"}}, ScopeInference, "gpt2", true, true},
		{"no scopes", Principal{}, ScopeInference, "gpt2", false, true},
		{"exact model", Principal{Models: []string{"gpt2"}}, ScopeAdmin, "gpt2", false, true},
		{"other model", Principal{Models: []string{"gpt2"}}, ScopeAdmin, "gpt2-large", false, false},
		{"glob", Principal{Models: []string{"Qwen/*"}}, ScopeAdmin, "Qwen/Qwen3-0.6B", false, true},
		{"glob stops at a slash", Principal{Models: []string{"Qwen/*"}}, ScopeAdmin, "Qwen/a/b", false, false},
		{"glob of another org", Principal{Models: []string{"Qwen/*"}}, ScopeAdmin, "meta/Qwen", false, false},
		{"star matches slashes", Principal{Models: []string{"*"}}, ScopeAdmin, "a/b/c", false, true},
		{"character class", Principal{Models: []string{"bert-[bl]*"}}, ScopeAdmin, "bert-large", false, true},
		{"malformed pattern matches only itself", Principal{Models: []string{"a["}}, ScopeAdmin, "a[", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.Allows(c.scope); got != c.wantScope {
				t.Errorf("Allows(%s) = %v", c.scope, got)
			}
			if got := c.p.AllowsModel(c.model); got != c.wantModels {
				t.Errorf("AllowsModel(%s) = %v", c.model, got)
			}
		})
	}
}

func TestHashSecret(t *testing.T) {
	// FIPS 180-2 test vectors.
	for in, want := range map[string]string{
		"abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"":    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	} {
		if got := HashSecret(in); got != want {
			t.Errorf("HashSecret(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		secret, hash, err := newSecret()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
		if !strings.HasPrefix(secret, SecretPrefix) || err != nil || len(raw) != 32 || len(secret) != secretLen {
			t.Fatalf("secret %q: not hfs_ + base64url of 32 bytes (%v)", secret, err)
		}
		if !looksLikeSecret(secret) || hash != HashSecret(secret) || seen[secret] {
			t.Fatalf("secret %q: shape, hash or uniqueness wrong", secret)
		}
		seen[secret] = true
	}
	for _, bad := range []string{"", "hfs_", "sk-" + strings.Repeat("a", 44), SecretPrefix + strings.Repeat("a", 42) + "!",
		SecretPrefix + strings.Repeat("a", 44), SecretPrefix + strings.Repeat("a", 42) + "B"} {
		if looksLikeSecret(bad) {
			t.Errorf("looksLikeSecret(%q) = true", bad)
		}
	}
}
