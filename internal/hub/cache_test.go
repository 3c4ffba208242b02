package hub

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRepoFolderName(t *testing.T) {
	// huggingface_hub's repo_folder_name: "--".join(["models", *repo_id.split("/")]).
	tests := map[string]string{"org/name": "models--org--name", "gpt2": "models--gpt2", "a.b/c_d": "models--a.b--c_d"}
	for repo, want := range tests {
		if got := RepoFolderName(repo); got != want {
			t.Errorf("RepoFolderName(%q) = %q, want %q", repo, got, want)
		}
		if back, ok := repoIDFromFolder(want); !ok || back != repo {
			t.Errorf("repoIDFromFolder(%q) = %q, %v", want, back, ok)
		}
	}
	for _, bad := range []string{"datasets--org--x", "models--", "models--a--b--c", "models---x", ".locks"} {
		if id, ok := repoIDFromFolder(bad); ok {
			t.Errorf("repoIDFromFolder(%q) = %q, want not a model repo", bad, id)
		}
	}
}

func TestCacheResolve(t *testing.T) {
	dir := llamaCache(t)
	addSnapshot(t, dir, "org/llama", commitB, llamaFiles(t))
	setRef(t, dir, "org/llama", "v1", commitB)
	setRef(t, dir, "org/llama", "refs/pr/1", commitB)
	addSnapshot(t, dir, "gpt2", commitC, llamaFiles(t))
	setRef(t, dir, "gpt2", "main", commitC+"\n") // tolerate a trailing newline
	c := Cache{Dir: dir}
	tests := []struct {
		repo, rev  string
		wantCommit string
	}{
		{"org/llama", "main", commitA},
		{"org/llama", "", commitA},
		{"org/llama", "v1", commitB},
		{"org/llama", "refs/pr/1", commitB},
		{"org/llama", commitB, commitB}, // a commit hash needs no ref
		{"gpt2", "main", commitC},
	}
	for _, tt := range tests {
		snap, err := c.Resolve(tt.repo, tt.rev)
		if err != nil {
			t.Errorf("Resolve(%q, %q): %v", tt.repo, tt.rev, err)
			continue
		}
		wantDir := filepath.Join(dir, RepoFolderName(tt.repo), "snapshots", tt.wantCommit)
		if snap.Commit != tt.wantCommit || snap.Dir != wantDir || snap.Repo != tt.repo {
			t.Errorf("Resolve(%q, %q) = %+v, want commit %s in %s", tt.repo, tt.rev, snap, tt.wantCommit, wantDir)
		}
	}
}

func TestCacheResolveNotFound(t *testing.T) {
	dir := llamaCache(t)
	setRef(t, dir, "org/llama", "stale", commitB) // no snapshot for commitB
	c := Cache{Dir: dir}
	tests := []struct {
		name        string
		cache       Cache
		repo, rev   string
		what        Missing
		path        string
		present     []string
		msgContains []string
	}{
		{
			name: "no cache", cache: Cache{Dir: filepath.Join(dir, "nope")}, repo: "org/llama", rev: "main",
			what: MissingCache, path: filepath.Join(dir, "nope"),
			msgContains: []string{filepath.Join(dir, "nope"), "does not exist", "HF_HUB_CACHE"},
		},
		{
			name: "no repo", cache: c, repo: "org/missing", rev: "main",
			what: MissingRepo, path: filepath.Join(dir, "models--org--missing"), present: []string{"org/llama", "other/model"},
			msgContains: []string{"models--org--missing", "org/llama, other/model", "huggingface-cli download org/missing"},
		},
		{
			name: "no ref", cache: c, repo: "org/llama", rev: "v9",
			what: MissingRevision, path: filepath.Join(dir, "models--org--llama", "refs", "v9"), present: []string{"main", "stale"},
			msgContains: []string{`"v9"`, filepath.Join("refs", "v9"), "refs present: main, stale"},
		},
		{
			name: "uppercase hash is not a commit", cache: c, repo: "org/llama", rev: strings.ToUpper(commitA),
			what: MissingRevision, path: filepath.Join(dir, "models--org--llama", "refs", strings.ToUpper(commitA)), present: []string{"main", "stale"},
		},
		{
			name: "ref without snapshot", cache: c, repo: "org/llama", rev: "stale",
			what: MissingSnapshot, path: filepath.Join(dir, "models--org--llama", "snapshots", commitB), present: []string{commitA},
			msgContains: []string{commitB, "snapshot folder", "snapshots present: " + commitA},
		},
		{
			name: "commit without snapshot", cache: c, repo: "org/llama", rev: commitC,
			what: MissingSnapshot, path: filepath.Join(dir, "models--org--llama", "snapshots", commitC), present: []string{commitA},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cache.Resolve(tt.repo, tt.rev)
			var nf *NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("Resolve: got %v, want a *NotFoundError", err)
			}
			if !errors.Is(err, ErrNotFound) {
				t.Error("errors.Is(err, ErrNotFound) = false")
			}
			if nf.What != tt.what || nf.Path != tt.path || !slices.Equal(nf.Present, tt.present) {
				t.Errorf("got %+v, want What %v Path %s Present %v", nf, tt.what, tt.path, tt.present)
			}
			for _, s := range tt.msgContains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestCacheResolveBadInput(t *testing.T) {
	dir := llamaCache(t)
	// A ref whose content is not a commit must not become a path.
	setRef(t, dir, "org/llama", "evil", "../../../../etc")
	if err := os.WriteFile(filepath.Join(dir, "models--file--repo"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Cache{Dir: dir}
	tests := []struct{ repo, rev, wantErr string }{
		{"org/llama", "evil", "does not hold a commit hash"},
		{"org/llama", "../x", "revision"},
		{"org/../x", "main", "repo id"},
		{"a/b/c", "main", "repo id"},
		{"file/repo", "main", "not a folder"},
	}
	for _, tt := range tests {
		_, err := c.Resolve(tt.repo, tt.rev)
		if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Resolve(%q, %q) = %v, want a non-NotFound error mentioning %q", tt.repo, tt.rev, err, tt.wantErr)
		}
	}
}

func TestCacheResolveRefsFolderIsNoRevision(t *testing.T) {
	dir := llamaCache(t)
	setRef(t, dir, "org/llama", "refs/pr/1", commitA)
	// "refs" is now the folder refs/refs, not a ref file.
	_, err := Cache{Dir: dir}.Resolve("org/llama", "refs")
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.What != MissingRevision {
		t.Fatalf("got %v, want MissingRevision", err)
	}
	if !slices.Equal(nf.Present, []string{"main", "refs/pr/1"}) {
		t.Errorf("Present = %v", nf.Present)
	}
}

func TestIsCommitHash(t *testing.T) {
	tests := map[string]bool{
		commitA: true, "0123456789abcdef0123456789abcdef01234567": true,
		"main": false, strings.ToUpper(commitA): false, commitA[:39]: false, commitA + "a": false,
		"g123456789abcdef0123456789abcdef01234567": false,
	}
	for rev, want := range tests {
		if got := IsCommitHash(rev); got != want {
			t.Errorf("IsCommitHash(%q) = %v", rev, got)
		}
	}
}
