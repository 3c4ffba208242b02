package bert

import (
	"path/filepath"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
	"hfserve/internal/tensor"
)

// fixtures are the BERT-family model folders with golden outputs.
var fixtures = []string{
	"../../../testdata/models/tiny/bert",
	"../../../testdata/models/tiny/bert-cls",
	"../../../testdata/models/tiny/roberta",
	"../../../testdata/models/tiny/xlm-roberta",
	"../../../testdata/models/tiny/distilbert",
}

// load loads a fixture folder, closing it when the test ends.
func load(t testing.TB, dir string, pool *tensor.Pool) *Model {
	t.Helper()
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
				goldentest.Encoder(t, load(t, dir, p.pool), goldentest.Read(t, dir))
			})
		}
	}
}
