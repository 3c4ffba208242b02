package generate

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/auto"
)

// tinyDir is the folder of the tiny model fixtures.
const tinyDir = "../../testdata/models/tiny"

// storiesDir is the real pretrained stories260K model, weights gzipped.
const storiesDir = "../../testdata/models/stories260K"

// decoderFixtures are the tiny decoder fixtures.
var decoderFixtures = []string{"llama", "llama-tied", "mistral", "qwen2", "qwen3", "gpt2"}

// idGolden is the part of a decoder's golden.json that generation checks.
type idGolden struct {
	InputIDs [][]int32 `json:"input_ids"`
	Greedy   [][]int32 `json:"greedy"`
}

// textGolden is the part of a decoder's golden_text.json that generation
// checks.
type textGolden struct {
	Atol       float64        `json:"atol"`
	Rtol       float64        `json:"rtol"`
	EOSTokenID int32          `json:"eos_token_id"`
	InputIDs   [][]int32      `json:"input_ids"`
	Greedy     [][]int32      `json:"greedy"`
	Top5       [][][2]float64 `json:"top5_first_step"`
	Chat       textGoldenChat `json:"chat"`
}

type textGoldenChat struct {
	InputIDs []int32      `json:"input_ids"`
	Greedy   []int32      `json:"greedy"`
	Top5     [][2]float64 `json:"top5_first_step"`
}

// readJSON decodes a fixture file into v.
func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// modelDir returns a loadable copy of a fixture folder: stories260K's
// weights are gunzipped into a temporary folder; other folders are used in
// place.
func modelDir(t testing.TB, dir string) string {
	t.Helper()
	gz := filepath.Join(dir, "model.safetensors.gz")
	if _, err := os.Stat(gz); err != nil {
		return dir
	}
	tmp := t.TempDir()
	for _, name := range []string{"config.json", "generation_config.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
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

// loadDecoder loads a fixture as a decoder, closed when the test ends.
func loadDecoder(t testing.TB, dir string) models.Decoder {
	t.Helper()
	m, err := auto.Load(context.Background(), modelDir(t, dir), models.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	dec, ok := m.(models.Decoder)
	if !ok {
		t.Fatalf("%s: %T is not a decoder", dir, m)
	}
	return dec
}
