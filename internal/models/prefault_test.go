package models

import (
	"slices"
	"testing"
	"unsafe"

	"hfserve/internal/tensor"
)

func TestMergeSpans(t *testing.T) {
	cases := []struct {
		in   []span
		gap  uintptr
		want []span
	}{
		{nil, 0, nil},
		{[]span{{10, 20}}, 0, []span{{10, 20}}},
		{[]span{{30, 40}, {10, 20}}, 0, []span{{10, 20}, {30, 40}}},
		{[]span{{30, 40}, {10, 20}}, 10, []span{{10, 40}}},
		{[]span{{10, 50}, {20, 30}, {45, 60}}, 0, []span{{10, 60}}},
		{[]span{{10, 20}, {21, 22}}, 0, []span{{10, 20}, {21, 22}}},
	}
	for _, c := range cases {
		if got := mergeSpans(slices.Clone(c.in), c.gap); !slices.Equal(got, c.want) {
			t.Errorf("mergeSpans(%v, %d) = %v, want %v", c.in, c.gap, got, c.want)
		}
	}
}

func TestInPlace(t *testing.T) {
	data := make([]byte, 16)
	view := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(data))), 4)
	m, err := tensor.NewMatrixF32(2, 2, view)
	if err != nil {
		t.Fatal(err)
	}
	if !inPlace(m, data) {
		t.Error("a matrix over the bytes themselves is not in place")
	}
	c, _ := tensor.NewMatrixF32(2, 2, make([]float32, 4))
	if inPlace(c, data) || inPlace(m, nil) {
		t.Error("a copy counts as in place")
	}
}

// TestPrefaultAndReadAhead loads nothing but runs both over a fixture's
// weights, with and without a pool and a skipped matrix, which must not fail
// or change the weights.
func TestPrefaultAndReadAhead(t *testing.T) {
	w, err := OpenWeights("../../testdata/models/tiny/qwen2")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.ReadAhead()
	emb := w.Matrix("model.embed_tokens.weight", -1, -1)
	if emb != nil || w.Err() == nil {
		t.Fatal("a wrong shape was accepted")
	}
	pool := tensor.NewPool(2)
	defer pool.Close()
	for _, name := range w.st.Names() {
		info, _ := w.st.Lookup(name)
		if len(info.Shape) == 2 {
			w.Matrix(name, int(info.Shape[0]), int(info.Shape[1]))
		}
	}
	if len(w.mapped) == 0 {
		t.Fatal("no matrix of the fixture was taken in place")
	}
	before := make([]byte, 0)
	for _, b := range w.mapped {
		before = append(before, b...)
	}
	w.Prefault(nil)
	w.Prefault(pool, nil, emb)
	after := make([]byte, 0)
	for _, b := range w.mapped {
		after = append(after, b...)
	}
	if !slices.Equal(before, after) {
		t.Error("prefaulting changed the weights")
	}
}
