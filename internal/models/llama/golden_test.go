package llama

import (
	"path/filepath"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
	"hfserve/internal/tensor"
)

// fixtures are the Llama-family model folders with golden outputs.
var fixtures = []string{
	"../../../testdata/models/tiny/llama",
	"../../../testdata/models/tiny/llama-tied",
	"../../../testdata/models/tiny/mistral",
	"../../../testdata/models/tiny/qwen2",
	"../../../testdata/models/tiny/qwen3",
	"../../../testdata/models/stories260K",
}

// load loads a fixture folder (unpacking gzipped weights), closing it when
// the test ends.
func load(t testing.TB, dir string, pool *tensor.Pool) *Model {
	t.Helper()
	dir = goldentest.ModelDir(t, dir)
	c, err := models.ReadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir, c, models.LoadOptions{Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return m
}

func TestGolden(t *testing.T) {
	pool := tensor.NewPool(2)
	t.Cleanup(pool.Close)
	for _, dir := range fixtures {
		for _, p := range []struct {
			name string
			pool *tensor.Pool
		}{{"serial", nil}, {"pool", pool}} {
			t.Run(filepath.Base(dir)+"/"+p.name, func(t *testing.T) {
				g := goldentest.Read(t, dir)
				goldentest.Decoder(t, load(t, dir, p.pool), g)
			})
		}
	}
}
