package skills

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

const tinyDir = "../../testdata/models/tiny"

// tinyFixtures are the model folders under tinyDir.
var tinyFixtures = []string{"bert", "bert-cls", "distilbert", "gpt2", "llama", "llama-tied", "mistral", "qwen2", "qwen3", "roberta", "xlm-roberta"}

// copyFixture copies a tiny fixture's files into a fresh folder the test
// may change, and returns it.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join(tinyDir, name)
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dst, e.Name(), string(b))
	}
	return dst
}

// writeFile writes dir/name (making folders), mode 0644.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editConfig rewrites dir/config.json after edit changes its keys.
func editConfig(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "config.json", string(out))
}

// headerTotals parses a safetensors header on its own (8-byte little-endian
// length, then JSON) and returns the element count and data bytes of all
// tensors: an independent check of the safetensors package's numbers.
func headerTotals(t *testing.T, path string) (params, bytes int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b[:8])
	var header map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	for name, raw := range header {
		if name == "__metadata__" {
			continue
		}
		var tensor struct {
			Shape   []int64  `json:"shape"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &tensor); err != nil {
			t.Fatal(err)
		}
		elems := int64(1)
		for _, d := range tensor.Shape {
			elems *= d
		}
		params += elems
		bytes += tensor.Offsets[1] - tensor.Offsets[0]
	}
	return params, bytes
}

// golden is the part of a fixture's golden.json the tests use as reference.
type golden struct {
	Kind         string `json:"kind"` // decoder | encoder
	Architecture string `json:"architecture"`
	WeightsDType string `json:"weights_dtype"`
}

func readGolden(t *testing.T, name string) golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tinyDir, name, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}
