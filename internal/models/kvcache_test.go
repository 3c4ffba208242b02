package models

import (
	"errors"
	"testing"
)

func TestKVCacheGrowKeepsContents(t *testing.T) {
	spec := &CacheSpec{Layers: 2, KVHeads: 3, HeadDim: 4, MaxPositions: 1000}
	if _, err := spec.NewCache(1001); !errors.Is(err, ErrContextLength) {
		t.Fatalf("cache longer than the context: %v", err)
	}
	if _, err := spec.NewCache(0); !errors.Is(err, ErrBadInput) {
		t.Fatalf("empty cache: %v", err)
	}
	c, err := spec.NewCache(500)
	if err != nil {
		t.Fatal(err)
	}
	value := func(l, h, pos, d int) float32 { return float32(((l*10+h)*1000+pos)*10 + d) }
	fill := func(from, to int) {
		c.reserve(to)
		for l := 0; l < 2; l++ {
			for h := 0; h < 3; h++ {
				k, v := c.head(l, h)
				for pos := from; pos < to; pos++ {
					for d := 0; d < 4; d++ {
						k[pos*4+d] = value(l, h, pos, d)
						v[pos*4+d] = -value(l, h, pos, d)
					}
				}
			}
		}
		c.n = to
	}
	fill(0, 10)
	if c.Bytes() != int64(minCacheTokens)*spec.BytesPerToken() {
		t.Errorf("first allocation %d bytes", c.Bytes())
	}
	fill(10, 300) // grows twice
	fill(300, 500)
	if c.cap != 500 {
		t.Errorf("capacity %d, want the maximum 500", c.cap)
	}
	for l := 0; l < 2; l++ {
		for h := 0; h < 3; h++ {
			k, v := c.head(l, h)
			for pos := 0; pos < 500; pos++ {
				if k[pos*4+3] != value(l, h, pos, 3) || v[pos*4+3] != -value(l, h, pos, 3) {
					t.Fatalf("layer %d head %d position %d lost its values after growing", l, h, pos)
				}
			}
		}
	}
	if err := c.Truncate(501); !errors.Is(err, ErrBadInput) {
		t.Errorf("Truncate past the end: %v", err)
	}
	if err := c.Truncate(7); err != nil || c.Len() != 7 {
		t.Errorf("Truncate(7): %v, len %d", err, c.Len())
	}
	c.Reset()
	if c.Len() != 0 || c.MaxTokens() != 500 {
		t.Errorf("after Reset: len %d, max %d", c.Len(), c.MaxTokens())
	}
}

func TestBatchRows(t *testing.T) {
	b := &Batch{Seqs: []SeqStep{
		{Tokens: make([]int32, 5), Output: OutputAll},
		{Tokens: make([]int32, 3)},
		{Tokens: make([]int32, 4), Output: OutputNone},
		{Tokens: nil},
		{Tokens: make([]int32, 1)},
	}}
	if got := b.OutputRows(); got != 7 {
		t.Errorf("OutputRows = %d, want 7", got)
	}
	want := []int{0, 5, 6, 6, 6, 7}
	for i, off := range b.RowOffsets() {
		if off != want[i] {
			t.Errorf("RowOffsets = %v, want %v", b.RowOffsets(), want)
			break
		}
	}
}

// TestKVCacheCopyPrefix copies a prefix into caches of other capacities
// (an empty one, one holding more tokens, one too short) and checks the
// copy and the refusals.
func TestKVCacheCopyPrefix(t *testing.T) {
	spec := &CacheSpec{Layers: 2, KVHeads: 3, HeadDim: 4, MaxPositions: 1000}
	value := func(l, h, pos, d int) float32 { return float32(((l*10+h)*1000+pos)*10 + d) }
	src, err := spec.NewCache(300)
	if err != nil {
		t.Fatal(err)
	}
	src.reserve(100) // capacity 100: rows of heads sit 100 positions apart
	for l := range 2 {
		for h := range 3 {
			k, v := src.head(l, h)
			for pos := range 100 {
				for d := range 4 {
					k[pos*4+d], v[pos*4+d] = value(l, h, pos, d), -value(l, h, pos, d)
				}
			}
		}
	}
	src.n = 100
	full, _ := spec.NewCache(500)
	full.reserve(200)
	full.n = 200
	for _, dst := range []*KVCache{mustCache(t, spec, 80), full} {
		if err := dst.CopyPrefix(src, 70); err != nil {
			t.Fatal(err)
		}
		if dst.Len() != 70 {
			t.Fatalf("Len %d after copying 70 tokens", dst.Len())
		}
		for l := range 2 {
			for h := range 3 {
				k, v := dst.head(l, h)
				for pos := range 70 {
					for d := range 4 {
						if k[pos*4+d] != value(l, h, pos, d) || v[pos*4+d] != -value(l, h, pos, d) {
							t.Fatalf("layer %d head %d position %d: k %v v %v", l, h, pos, k[pos*4+d], v[pos*4+d])
						}
					}
				}
			}
		}
	}
	if err := mustCache(t, spec, 50).CopyPrefix(src, 70); !errors.Is(err, ErrContextLength) {
		t.Errorf("70 tokens into a 50-token cache: %v", err)
	}
	if err := mustCache(t, spec, 500).CopyPrefix(src, 101); !errors.Is(err, ErrBadInput) {
		t.Errorf("more tokens than the source holds: %v", err)
	}
	other := &CacheSpec{Layers: 2, KVHeads: 3, HeadDim: 4, MaxPositions: 1000}
	if err := mustCache(t, other, 500).CopyPrefix(src, 10); !errors.Is(err, ErrBadInput) {
		t.Errorf("a cache of another model: %v", err)
	}
}

func mustCache(t *testing.T, spec *CacheSpec, n int) *KVCache {
	t.Helper()
	c, err := spec.NewCache(n)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
