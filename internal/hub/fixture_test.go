package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// tinyLlama is a real model folder; the tests copy it into caches they build.
const tinyLlama = "../../testdata/models/tiny/llama"

// Commits used by the test caches.
const (
	commitA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	commitB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	commitC = "cccccccccccccccccccccccccccccccccccccccc"
)

// modelFiles are the files of tinyLlama a snapshot gets.
var modelFiles = []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"}

// addSnapshot writes files into <cache>/models--.../ the way huggingface_hub
// does: the content in blobs/<sha256>, a relative symlink in
// snapshots/<commit>/<name>. files maps a name in the snapshot (it may have
// a folder: "1_Pooling/config.json") to its content. It returns the snapshot
// folder.
func addSnapshot(t *testing.T, cacheDir, repo, commit string, files map[string][]byte) string {
	t.Helper()
	repoDir := filepath.Join(cacheDir, RepoFolderName(repo))
	blobs := filepath.Join(repoDir, "blobs")
	snap := filepath.Join(repoDir, "snapshots", commit)
	mustMkdir(t, blobs)
	for name, content := range files {
		sum := sha256.Sum256(content)
		etag := hex.EncodeToString(sum[:])
		blob := filepath.Join(blobs, etag)
		if err := os.WriteFile(blob, content, 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(snap, filepath.FromSlash(name))
		mustMkdir(t, filepath.Dir(link))
		rel, err := filepath.Rel(filepath.Dir(link), blob)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(rel, link); err != nil {
			t.Fatal(err)
		}
	}
	return snap
}

// setRef writes refs/<name> holding commit, without a newline as
// huggingface_hub writes it.
func setRef(t *testing.T, cacheDir, repo, name, commit string) {
	t.Helper()
	path := filepath.Join(cacheDir, RepoFolderName(repo), "refs", filepath.FromSlash(name))
	mustMkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(commit), 0o644); err != nil {
		t.Fatal(err)
	}
}

// llamaFiles reads the tiny llama fixture's files.
func llamaFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, name := range modelFiles {
		b, err := os.ReadFile(filepath.Join(tinyLlama, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = b
	}
	return files
}

// llamaCache builds a cache holding org/llama with main → commitA, plus a
// second repo, and returns the cache folder.
func llamaCache(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	addSnapshot(t, dir, "org/llama", commitA, llamaFiles(t))
	setRef(t, dir, "org/llama", "main", commitA)
	addSnapshot(t, dir, "other/model", commitC, map[string][]byte{"config.json": []byte("{}")})
	setRef(t, dir, "other/model", "main", commitC)
	return dir
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}
