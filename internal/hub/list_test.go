package hub

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCacheList(t *testing.T) {
	dir := llamaCache(t)
	files := llamaFiles(t)
	// Snapshot B shares every blob with A except a changed config.json.
	filesB := maps.Clone(files)
	filesB["config.json"] = append(slices.Clone(files["config.json"]), ' ')
	addSnapshot(t, dir, "org/llama", commitB, filesB)
	setRef(t, dir, "org/llama", "v2", commitB)
	setRef(t, dir, "org/llama", "refs/pr/1", commitB)
	setRef(t, dir, "org/llama", "gone", commitC) // no such snapshot
	// Not model repos: ignored.
	mustMkdir(t, filepath.Join(dir, "datasets--org--data", "snapshots"))
	mustMkdir(t, filepath.Join(dir, ".locks", "models--org--llama"))

	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	blob, err := filepath.EvalSymlinks(filepath.Join(dir, "models--other--model", "snapshots", commitC, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(blob, old, old); err != nil {
		t.Fatal(err)
	}

	models, err := Cache{Dir: dir}.List()
	if err != nil {
		t.Fatal(err)
	}
	var repos []string
	for _, m := range models {
		repos = append(repos, m.Repo)
	}
	if !slices.Equal(repos, []string{"org/llama", "other/model"}) {
		t.Fatalf("repos = %v", repos)
	}

	llama := models[0]
	// Independent count: every fixture file once, plus the one changed config.
	var want int64
	for _, name := range modelFiles {
		want += fileSize(t, filepath.Join(tinyLlama, name))
	}
	want += int64(len(filesB["config.json"]))
	if llama.SizeOnDisk != want {
		t.Errorf("SizeOnDisk = %d, want %d (shared blobs counted once)", llama.SizeOnDisk, want)
	}
	wantRefs := map[string]string{"main": commitA, "v2": commitB, "refs/pr/1": commitB, "gone": commitC}
	if !maps.Equal(llama.Refs, wantRefs) {
		t.Errorf("Refs = %v, want %v", llama.Refs, wantRefs)
	}
	if len(llama.Snapshots) != 2 || llama.Snapshots[0].Revision != "main" || llama.Snapshots[0].Commit != commitA ||
		llama.Snapshots[1].Revision != "refs/pr/1" || llama.Snapshots[1].Commit != commitB {
		t.Errorf("Snapshots = %+v", llama.Snapshots)
	}
	if len(llama.Problems) != 1 || !strings.Contains(llama.Problems[0], "refs/gone") {
		t.Errorf("Problems = %v", llama.Problems)
	}
	if time.Since(llama.LastModified) > time.Hour {
		t.Errorf("LastModified = %v, want about now", llama.LastModified)
	}

	other := models[1]
	if other.SizeOnDisk != 2 || !other.LastModified.Equal(old) {
		t.Errorf("other/model: size %d (want 2), last modified %v (want %v)", other.SizeOnDisk, other.LastModified, old)
	}
}

func TestCacheListBroken(t *testing.T) {
	dir := t.TempDir()
	snap := addSnapshot(t, dir, "org/llama", commitA, llamaFiles(t))
	brokenBlob(t, snap, "model.safetensors")
	// A detached snapshot (no ref) is listed under its commit.
	models, err := Cache{Dir: dir}.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(models) != 1 || len(models[0].Snapshots) != 1 || models[0].Snapshots[0].Revision != commitA {
		t.Fatalf("got %+v", models)
	}
	p := models[0].Problems
	if len(p) != 1 || !strings.Contains(p[0], "model.safetensors") || !strings.Contains(p[0], "broken symlink") {
		t.Errorf("Problems = %v", p)
	}
	if models[0].SizeOnDisk >= fileSize(t, filepath.Join(tinyLlama, "model.safetensors")) {
		t.Errorf("SizeOnDisk %d counts the missing blob", models[0].SizeOnDisk)
	}
}

func TestCacheListMissingOrEmpty(t *testing.T) {
	for _, dir := range []string{filepath.Join(t.TempDir(), "none"), t.TempDir()} {
		models, err := Cache{Dir: dir}.List()
		if err != nil || len(models) != 0 {
			t.Errorf("List(%s) = %v, %v; want empty", dir, models, err)
		}
	}
}
