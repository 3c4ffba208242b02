package goldentest

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"hfserve/internal/safetensors"
)

// ModelDir returns a fixture folder ready to load. A folder whose weights
// are gzipped (stories260K) is copied into a temporary folder with
// model.safetensors unpacked; others are returned as they are.
func ModelDir(t testing.TB, dir string) string {
	t.Helper()
	gz := filepath.Join(dir, "model.safetensors.gz")
	if _, err := os.Stat(gz); err != nil {
		return dir
	}
	tmp := t.TempDir()
	copyFile(t, filepath.Join(dir, "config.json"), filepath.Join(tmp, "config.json"))
	in, err := os.Open(gz)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatalf("%s: %v", gz, err)
	}
	out, err := os.Create(filepath.Join(tmp, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatalf("%s: %v", gz, err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return tmp
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Entry is one tensor of a safetensors file being rewritten.
type Entry struct {
	DType string
	Shape []int64
	Data  []byte
}

// Rewrite copies the model folder dir into a temporary folder, letting
// editConfig change config.json (decoded as a map) and editWeights change
// the tensors (a map from name to entry: delete, reshape or add). Either
// edit may be nil. It returns the new folder.
func Rewrite(t testing.TB, dir string, editConfig func(map[string]any), editWeights func(map[string]*Entry)) string {
	t.Helper()
	src := ModelDir(t, dir)
	tmp := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if editConfig != nil {
		editConfig(cfg)
	}
	raw, err = json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "config.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := safetensors.OpenModel(src)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	entries := map[string]*Entry{}
	for _, name := range st.Names() {
		tt, err := st.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		entries[name] = &Entry{DType: string(tt.Info.DType), Shape: tt.Info.Shape, Data: append([]byte(nil), tt.Data...)}
	}
	if editWeights != nil {
		editWeights(entries)
	}
	WriteSafetensors(t, filepath.Join(tmp, "model.safetensors"), entries)
	return tmp
}

// WriteSafetensors writes entries as a safetensors file at path. It does
// not check that shapes match data: tests use it to make broken files too.
func WriteSafetensors(t testing.TB, path string, entries map[string]*Entry) {
	t.Helper()
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	header := map[string]any{}
	var data []byte
	for _, n := range names {
		e := entries[n]
		header[n] = map[string]any{"dtype": e.DType, "shape": e.Shape, "data_offsets": []int{len(data), len(data) + len(e.Data)}}
		data = append(data, e.Data...)
	}
	hj, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	for len(hj)%8 != 0 { // keep the data aligned, as the Rust writer does
		hj = append(hj, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hj)))
	out = append(out, hj...)
	out = append(out, data...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}
