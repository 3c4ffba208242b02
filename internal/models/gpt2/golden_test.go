package gpt2

import (
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
	"hfserve/internal/tensor"
)

const fixture = "../../../testdata/models/tiny/gpt2"

// load loads the fixture, closing it when the test ends.
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
	g := goldentest.Read(t, fixture)
	t.Run("serial", func(t *testing.T) { goldentest.Decoder(t, load(t, fixture, nil), g) })
	t.Run("pool", func(t *testing.T) { goldentest.Decoder(t, load(t, fixture, pool), g) })
}
