package hub

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFindModelDirs(t *testing.T) {
	root := t.TempDir()
	elsewhere := t.TempDir()
	model := func(rel string) string {
		dir := filepath.Join(root, filepath.FromSlash(rel))
		mustMkdir(t, dir)
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	a := model("a")
	model("a/1_Pooling") // part of model a, not a model of its own
	b := model("group/b")
	deep := model("l1/l2/l3/l4/l5/l6") // at MaxFindDepth: found
	model("m1/m2/m3/m4/m5/m6/m7")      // below it: not found
	model(".hidden/c")
	mustMkdir(t, filepath.Join(root, "empty"))
	// A symlink loop, and a link to a model folder outside root.
	if err := os.Symlink("..", filepath.Join(root, "group", "loop")); err != nil {
		t.Fatal(err)
	}
	ext := filepath.Join(elsewhere, "ext")
	mustMkdir(t, ext)
	if err := os.WriteFile(filepath.Join(ext, "config.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(ext, filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	// A second link to a folder already seen is not walked twice.
	if err := os.Symlink(b, filepath.Join(root, "z-again")); err != nil {
		t.Fatal(err)
	}
	// A broken config.json symlink does not make a model.
	mustMkdir(t, filepath.Join(root, "broken"))
	if err := os.Symlink("nowhere", filepath.Join(root, "broken", "config.json")); err != nil {
		t.Fatal(err)
	}

	got, err := FindModelDirs(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{a, b, deep, filepath.Join(root, "linked")}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("FindModelDirs =\n  %v\nwant\n  %v", got, want)
	}
}

func TestFindModelDirsRootIsModel(t *testing.T) {
	abs, _ := filepath.Abs(tinyLlama)
	got, err := FindModelDirs(abs)
	if err != nil || !slices.Equal(got, []string{abs}) {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestFindModelDirsInCache(t *testing.T) {
	dir := llamaCache(t)
	got, err := FindModelDirs(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(dir, "models--org--llama", "snapshots", commitA),
		filepath.Join(dir, "models--other--model", "snapshots", commitC),
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestFindModelDirsErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{filepath.Join(dir, "missing"), file} {
		if _, err := FindModelDirs(root); err == nil || !strings.Contains(err.Error(), root) {
			t.Errorf("FindModelDirs(%s) = %v, want an error naming it", root, err)
		}
	}
}
