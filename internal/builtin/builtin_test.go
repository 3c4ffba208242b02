package builtin

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestMaterializeMatchesFixture(t *testing.T) {
	dataDir := t.TempDir()
	dir, err := Materialize(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	// The embedded copy must be byte-identical to the fixture the engine's
	// golden tests use (testdata/models/stories260K, from ../shared/fixtures).
	fixture := "../../testdata/models/stories260K"
	for _, name := range []string{"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"} {
		compareFiles(t, filepath.Join(fixture, name), filepath.Join(dir, name))
	}
	gz, err := os.ReadFile(filepath.Join(fixture, "model.safetensors.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("model.safetensors differs from the fixture (%d vs %d bytes)", len(got), len(want))
	}
	// A second call reuses the folder.
	again, err := Materialize(dataDir)
	if err != nil || again != dir {
		t.Fatalf("second Materialize = %q, %v; want %q", again, err, dir)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dataDir, "builtin", ".tmp-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary folders left behind: %v", leftovers)
	}
}

func TestMaterializeConcurrent(t *testing.T) {
	dataDir := t.TempDir()
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	errs := make([]error, 8)
	for i := range dirs {
		wg.Go(func() { dirs[i], errs[i] = Materialize(dataDir) })
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil || dirs[i] != dirs[0] {
			t.Fatalf("call %d: %q, %v (first: %q)", i, dirs[i], errs[i], dirs[0])
		}
	}
}

func TestMaterializeUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Materialize(file); err == nil {
		t.Fatal("want an error when the data dir is a file")
	}
}

func compareFiles(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Fatalf("%s and %s differ", a, b)
	}
}
