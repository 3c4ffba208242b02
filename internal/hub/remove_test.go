package hub

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRemoveRevisionKeepsSharedBlobs(t *testing.T) {
	h, mainCommit := newHub(t)
	files := hubFiles(t)
	v2 := pick(files, "config.json", "model.safetensors", "tokenizer.json")
	v2["config.json"] = []byte(`{"architectures": ["LlamaForCausalLM"], "v": 2}`)
	v2Commit := h.Commit(testRepo, "v2", v2)
	cacheDir := t.TempDir()
	cache := Cache{Dir: cacheDir}
	c := testClient(h)
	for _, rev := range []string{"main", "v2"} {
		if _, err := c.Pull(pullCtx(t), cache, PullOptions{Repo: testRepo, Revision: rev}); err != nil {
			t.Fatal(err)
		}
	}
	blobsDir := filepath.Join(cacheDir, RepoFolderName(testRepo), "blobs")
	shared := filepath.Join(blobsDir, wantETag("model.safetensors", files["model.safetensors"]))
	onlyMain := filepath.Join(blobsDir, wantETag("README.md", files["README.md"]))
	onlyV2 := filepath.Join(blobsDir, wantETag("config.json", v2["config.json"]))

	removed, err := cache.Remove(testRepo, "main")
	if err != nil {
		t.Fatal(err)
	}
	if len(removed.Snapshots) != 1 || removed.Snapshots[0] != mainCommit || len(removed.Refs) != 1 || removed.Refs[0] != "main" || removed.RepoGone {
		t.Errorf("removed %+v", removed)
	}
	// main had 7 files, 2 of which (weights, tokenizer.json) v2 shares.
	if removed.Blobs != len(defaultPicked)-2 || removed.Bytes <= 0 {
		t.Errorf("removed %d blobs (%d bytes), want %d", removed.Blobs, removed.Bytes, len(defaultPicked)-2)
	}
	for path, want := range map[string]bool{shared: true, onlyV2: true, onlyMain: false} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(path), err == nil, want)
		}
	}
	if _, err := cache.Resolve(testRepo, "main"); !errors.Is(err, ErrNotFound) {
		t.Errorf("main still resolves: %v", err)
	}
	if snap, err := cache.Resolve(testRepo, "v2"); err != nil || snap.Commit != v2Commit || CheckModelDir(snap.Dir) != nil {
		t.Errorf("v2 damaged: %v", err)
	}
	if _, err := cache.Remove(testRepo, "main"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing main twice: %v", err)
	}

	// The last snapshot takes the repo folder (and its locks) with it.
	removed, err = cache.Remove(testRepo, "v2")
	if err != nil || !removed.RepoGone {
		t.Fatalf("removing v2: %+v, %v", removed, err)
	}
	for _, dir := range []string{cache.RepoDir(testRepo), filepath.Join(cacheDir, ".locks", RepoFolderName(testRepo))} {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left: %v", dir, err)
		}
	}
}

func TestRemoveWholeRepo(t *testing.T) {
	dir := llamaCache(t)
	cache := Cache{Dir: dir}
	removed, err := cache.Remove("org/llama", "")
	if err != nil {
		t.Fatal(err)
	}
	if !removed.RepoGone || len(removed.Snapshots) != 1 || removed.Blobs != len(modelFiles) {
		t.Errorf("removed %+v", removed)
	}
	if _, err := cache.Resolve("other/model", "main"); err != nil {
		t.Errorf("another repo was damaged: %v", err)
	}
	for _, tt := range []struct{ repo, rev string }{{"org/llama", ""}, {"org/missing", ""}, {"other/model", "nope"}} {
		var nf *NotFoundError
		if _, err := cache.Remove(tt.repo, tt.rev); !errors.As(err, &nf) {
			t.Errorf("Remove(%q, %q) = %v, want a *NotFoundError", tt.repo, tt.rev, err)
		}
	}
	if _, err := cache.Resolve("other/model", "main"); err != nil {
		t.Errorf("a refused remove deleted something: %v", err)
	}
}
