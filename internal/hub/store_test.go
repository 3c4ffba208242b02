package hub

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestStoreResolvePath(t *testing.T) {
	abs, err := filepath.Abs(tinyLlama)
	if err != nil {
		t.Fatal(err)
	}
	ref := Ref{Alias: "tiny", Path: abs}
	local, err := Store{}.Resolve(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if local.Dir != abs || local.Commit != "" || local.Ref != ref {
		t.Errorf("got %+v", local)
	}
}

func TestStoreResolveRepo(t *testing.T) {
	dir := llamaCache(t)
	ref := Ref{Repo: "org/llama", Revision: "main"}
	local, err := Store{Cache: Cache{Dir: dir}}.Resolve(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "models--org--llama", "snapshots", commitA)
	if local.Dir != want || local.Commit != commitA {
		t.Errorf("got %+v, want Dir %s Commit %s", local, want, commitA)
	}
	// The snapshot's files read through their symlinks as the originals.
	got, err := os.ReadFile(filepath.Join(local.Dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(filepath.Join(tinyLlama, "config.json"))
	if string(got) != string(orig) {
		t.Error("config.json read through the snapshot differs from the fixture")
	}
}

func TestStoreResolveIncomplete(t *testing.T) {
	ctx := context.Background()
	files := llamaFiles(t)
	t.Run("broken blob symlink", func(t *testing.T) {
		dir := t.TempDir()
		snap := addSnapshot(t, dir, "org/llama", commitA, files)
		setRef(t, dir, "org/llama", "main", commitA)
		blob := brokenBlob(t, snap, "model.safetensors")
		_, err := Store{Cache: Cache{Dir: dir}}.Resolve(ctx, Ref{Repo: "org/llama", Revision: "main"})
		inc := wantIncomplete(t, err)
		if len(inc.Broken) != 1 || inc.Broken[0].Name != "model.safetensors" || !strings.HasSuffix(inc.Broken[0].Target, filepath.Base(blob)) {
			t.Errorf("Broken = %+v", inc.Broken)
		}
		if len(inc.Missing) != 0 {
			t.Errorf("Missing = %v, want none (the weights link is reported as broken)", inc.Missing)
		}
		for _, s := range []string{snap, "model.safetensors is a broken symlink", "blobs/", "download the model again"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("message %q does not mention %q", err, s)
			}
		}
	})
	t.Run("broken nested symlink and config", func(t *testing.T) {
		dir := t.TempDir()
		withPooling := map[string][]byte{"1_Pooling/config.json": []byte(`{"pooling_mode_mean_tokens": true}`)}
		for k, v := range files {
			withPooling[k] = v
		}
		snap := addSnapshot(t, dir, "org/llama", commitA, withPooling)
		brokenBlob(t, snap, "1_Pooling/config.json")
		brokenBlob(t, snap, "config.json")
		err := CheckModelDir(snap)
		inc := wantIncomplete(t, err)
		var names []string
		for _, b := range inc.Broken {
			names = append(names, b.Name)
		}
		if !slices.Equal(names, []string{"1_Pooling/config.json", "config.json"}) {
			t.Errorf("Broken = %v", names)
		}
		if len(inc.Missing) != 0 {
			t.Errorf("Missing = %v, want none (config.json is reported as broken)", inc.Missing)
		}
	})
	t.Run("no config", func(t *testing.T) {
		dir := folderWith(t, "model.safetensors", "tokenizer.json")
		inc := wantIncomplete(t, CheckModelDir(dir))
		if !slices.Equal(inc.Missing, []string{"config.json"}) {
			t.Errorf("Missing = %v", inc.Missing)
		}
	})
	t.Run("no safetensors, other formats", func(t *testing.T) {
		dir := folderWith(t, "config.json", "pytorch_model.bin", "model.onnx")
		inc := wantIncomplete(t, CheckModelDir(dir))
		if len(inc.Missing) != 1 || !strings.Contains(inc.Missing[0], "safetensors") {
			t.Errorf("Missing = %v", inc.Missing)
		}
		if !strings.Contains(inc.Note, "model.onnx, pytorch_model.bin") || !strings.Contains(inc.Note, "only safetensors") {
			t.Errorf("Note = %q", inc.Note)
		}
	})
	t.Run("other safetensors name", func(t *testing.T) {
		if err := CheckModelDir(folderWith(t, "config.json", "weights.safetensors")); err != nil {
			t.Error(err)
		}
	})
	t.Run("sharded, one shard missing", func(t *testing.T) {
		dir := folderWith(t, "config.json", "model-00001-of-00002.safetensors")
		writeIndex(t, dir, `{"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}}`)
		inc := wantIncomplete(t, CheckModelDir(dir))
		if len(inc.Missing) != 1 || !strings.HasPrefix(inc.Missing[0], "model-00002-of-00002.safetensors") {
			t.Errorf("Missing = %v", inc.Missing)
		}
	})
	t.Run("sharded, complete", func(t *testing.T) {
		dir := folderWith(t, "config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
		writeIndex(t, dir, `{"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}`)
		if err := CheckModelDir(dir); err != nil {
			t.Error(err)
		}
	})
}

func TestCheckModelDirBadIndex(t *testing.T) {
	for _, index := range []string{`{"weight_map":{"a":"../outside.safetensors"}}`, `{"weight_map":{}}`, `{"weight_map":`, `[1]`} {
		dir := folderWith(t, "config.json")
		writeIndex(t, dir, index)
		err := CheckModelDir(dir)
		if err == nil || errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), SafetensorsIndexFile) {
			t.Errorf("index %s: got %v, want an error naming the index", index, err)
		}
	}
}

func TestStoreResolvePathErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Store{}.Resolve(ctx, Ref{Path: filepath.Join(dir, "missing")})
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.What != MissingFolder || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing folder: got %v", err)
	}
	if _, err := (Store{}).Resolve(ctx, Ref{Path: file}); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("file: got %v", err)
	}
	if _, err := (Store{}).Resolve(ctx, Ref{}); err == nil {
		t.Error("empty ref: no error")
	}
	if _, err := (Store{}).Resolve(ctx, Ref{Path: dir, Repo: "a/b"}); err == nil {
		t.Error("ref with path and repo: no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := (Store{}).Resolve(cancelled, Ref{Path: dir}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
}

// fakeDownloader fills the cache with the tiny llama, as a Hub client would.
type fakeDownloader struct {
	t     *testing.T
	calls int
	err   error
}

func (d *fakeDownloader) Download(ctx context.Context, c Cache, repo, revision string) (Snapshot, error) {
	d.calls++
	if d.err != nil {
		return Snapshot{}, d.err
	}
	addSnapshot(d.t, c.Dir, repo, commitB, llamaFiles(d.t))
	setRef(d.t, c.Dir, repo, revision, commitB)
	return c.Resolve(repo, revision)
}

func TestStoreDownloader(t *testing.T) {
	ctx := context.Background()
	dir := llamaCache(t)
	d := &fakeDownloader{t: t}
	s := Store{Cache: Cache{Dir: dir}, Downloader: d}
	if _, err := s.Resolve(ctx, Ref{Repo: "org/llama", Revision: "main"}); err != nil || d.calls != 0 {
		t.Fatalf("cached repo: err %v, %d downloads", err, d.calls)
	}
	local, err := s.Resolve(ctx, Ref{Repo: "org/new", Revision: "main"})
	if err != nil || d.calls != 1 || local.Commit != commitB {
		t.Fatalf("missing repo: %+v, err %v, %d downloads", local, err, d.calls)
	}
	d.err = errors.New("network down")
	_, err = s.Resolve(ctx, Ref{Repo: "org/other", Revision: "main"})
	if err == nil || !strings.Contains(err.Error(), "network down") || !strings.Contains(err.Error(), "org/other") {
		t.Errorf("failed download: got %v", err)
	}
}

// brokenBlob deletes the blob behind a snapshot file, leaving its symlink
// dangling, and returns the blob's path.
func brokenBlob(t *testing.T, snap, name string) string {
	t.Helper()
	link := filepath.Join(snap, filepath.FromSlash(name))
	blob, err := filepath.EvalSymlinks(link)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(blob); err != nil {
		t.Fatal(err)
	}
	return blob
}

// folderWith makes a folder holding empty files with the given names.
func folderWith(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeIndex(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, SafetensorsIndexFile), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func wantIncomplete(t *testing.T, err error) *IncompleteModelError {
	t.Helper()
	var inc *IncompleteModelError
	if !errors.As(err, &inc) || !errors.Is(err, ErrIncomplete) {
		t.Fatalf("got %v, want an *IncompleteModelError", err)
	}
	return inc
}
