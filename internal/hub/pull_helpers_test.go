package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hfserve/internal/hub/hubtest"
)

// testRepo is the repo the pull tests serve.
const testRepo = "org/tiny-llama"

// hubFiles is a repo as the Hub would hold a converted model: the tiny
// llama fixture, plus a README, a nested file, and weight duplicates in
// formats hfserve does not read (which a default pull must skip).
func hubFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := llamaFiles(t)
	files["README.md"] = []byte("# tiny llama\n")
	files["1_Pooling/config.json"] = []byte(`{"pooling_mode_mean_tokens": true}`)
	files["pytorch_model.bin"] = append([]byte("PK\x03\x04"), files["model.safetensors"][:1000]...)
	files["onnx/model.onnx"] = []byte("onnx bytes")
	return files
}

// defaultPicked are the files of hubFiles a default pull downloads.
var defaultPicked = []string{"1_Pooling/config.json", "README.md", "config.json", "generation_config.json",
	"model.safetensors", "tokenizer.json", "tokenizer_config.json"}

// newHub starts a fake Hub holding testRepo; it returns the Hub and the
// commit of main.
func newHub(t *testing.T) (*hubtest.Hub, string) {
	t.Helper()
	h := hubtest.New()
	t.Cleanup(h.Close)
	return h, h.AddRepo(testRepo, hubFiles(t))
}

// testClient talks to h with short waits, so retries do not slow tests.
func testClient(h *hubtest.Hub) *Client {
	return &Client{Endpoint: h.URL, RetryWait: time.Millisecond, ProgressInterval: time.Millisecond}
}

// wantETag is the blob name huggingface_hub gives content, derived here
// from the rules (not from the fake Hub): sha256 for an LFS file, git's
// blob sha1 for any other.
func wantETag(path string, content []byte) string {
	if hubtest.IsLFS(path, len(content)) {
		s := sha256.Sum256(content)
		return hex.EncodeToString(s[:])
	}
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// checkLayout checks cacheDir's copy of repo@commit against huggingface_hub's
// layout rules for exactly the files in want:
//
//   - blobs/<etag> holds the file's bytes (etag as wantETag says);
//   - snapshots/<commit>/<path> is a symlink whose target is the relative
//     path "../../blobs/<etag>", with one more "../" per folder in <path>
//     (os.path.relpath from the link's folder, as _create_symlink makes it);
//   - refs/<ref> holds the 40-hex commit and no newline (when ref != "");
//   - nothing else is in snapshots/<commit>, and no *.incomplete is left.
func checkLayout(t *testing.T, cacheDir, repo, ref, commit string, want map[string][]byte) {
	t.Helper()
	repoDir := filepath.Join(cacheDir, "models--"+strings.ReplaceAll(repo, "/", "--"))
	for path, content := range want {
		etag := wantETag(path, content)
		link := filepath.Join(repoDir, "snapshots", commit, filepath.FromSlash(path))
		target, err := os.Readlink(link)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		wantTarget := strings.Repeat("../", 2+strings.Count(path, "/")) + "blobs/" + etag
		if target != wantTarget {
			t.Errorf("%s links to %q, want %q", path, target, wantTarget)
		}
		got, err := os.ReadFile(filepath.Join(repoDir, "blobs", etag))
		if err != nil || string(got) != string(content) {
			t.Errorf("blobs/%s (%s): err %v, bytes differ: %v", etag, path, err, string(got) != string(content))
		}
	}
	var present []string
	filepath.WalkDir(filepath.Join(repoDir, "snapshots", commit), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Join(repoDir, "snapshots", commit), p)
			present = append(present, filepath.ToSlash(rel))
		}
		return nil
	})
	if len(present) != len(want) {
		t.Errorf("snapshot holds %v, want exactly %d files", present, len(want))
	}
	if ref != "" {
		b, err := os.ReadFile(filepath.Join(repoDir, "refs", filepath.FromSlash(ref)))
		if err != nil || string(b) != commit {
			t.Errorf("refs/%s = %q (%v), want %q with no newline", ref, b, err, commit)
		}
	}
	if left := incompleteFiles(t, repoDir); len(left) > 0 {
		t.Errorf("partial downloads left: %v", left)
	}
}

func incompleteFiles(t *testing.T, repoDir string) []string {
	t.Helper()
	found, _ := filepath.Glob(filepath.Join(repoDir, "blobs", "*"+incompleteSuffix))
	return found
}

// pick returns the entries of files named in names.
func pick(files map[string][]byte, names ...string) map[string][]byte {
	out := map[string][]byte{}
	for _, n := range names {
		out[n] = files[n]
	}
	return out
}

// events collects a pull's events.
type events struct {
	mu  sync.Mutex
	all []PullEvent
}

func (e *events) add(ev PullEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

func (e *events) list() []PullEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]PullEvent(nil), e.all...)
}

// nothingLooksComplete checks that a failed pull left no snapshot, ref or
// blob that a reader could take for a model.
func nothingLooksComplete(t *testing.T, cacheDir, repo string) {
	t.Helper()
	if _, err := (Cache{Dir: cacheDir}).Resolve(repo, "main"); err == nil {
		t.Errorf("a failed pull left a resolvable snapshot of %s", repo)
	}
	repoDir := filepath.Join(cacheDir, RepoFolderName(repo))
	snaps, _ := listNames(filepath.Join(repoDir, "snapshots"), true)
	if len(snaps) > 0 {
		t.Errorf("a failed pull left snapshots %v", snaps)
	}
}

func pullCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
