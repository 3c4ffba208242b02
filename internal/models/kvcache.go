package models

import "fmt"

// CacheSpec is a decoder's KV cache geometry. A model keeps one and hands
// out caches made from it; a cache is accepted only by the model whose spec
// made it (compared by pointer).
type CacheSpec struct {
	// Layers, KVHeads and HeadDim are the cache's dimensions per token.
	Layers, KVHeads, HeadDim int
	// MaxPositions is the model's context length: no cache may hold more.
	MaxPositions int
}

// BytesPerToken is what one token of a cache costs: keys and values of
// every layer, float32.
func (s *CacheSpec) BytesPerToken() int64 {
	return int64(2*s.Layers*s.KVHeads*s.HeadDim) * 4
}

// minCacheTokens is the first allocation of a cache: enough for a short
// prompt without making every idle sequence pay for its maximum.
const minCacheTokens = 64

// NewCache returns an empty cache for at most maxTokens tokens. Memory is
// allocated as the sequence grows (doubling), so a cache costs what its
// sequence uses, not its maximum.
func (s *CacheSpec) NewCache(maxTokens int) (*KVCache, error) {
	if maxTokens <= 0 {
		return nil, fmt.Errorf("models: KV cache for %d tokens: %w", maxTokens, ErrBadInput)
	}
	if maxTokens > s.MaxPositions {
		return nil, fmt.Errorf("models: KV cache for %d tokens is longer than the model's context of %d (max_position_embeddings): %w",
			maxTokens, s.MaxPositions, ErrContextLength)
	}
	return &KVCache{
		spec: s,
		max:  maxTokens,
		k:    make([][]float32, s.Layers),
		v:    make([][]float32, s.Layers),
	}, nil
}

// KVCache holds one sequence's keys and values for every layer of one
// model. It is not safe for concurrent use: a sequence is in one Forward at
// a time.
//
// Layout: per layer, head-major [KVHeads][capacity][HeadDim], so that one
// head's keys for positions [0, n) are contiguous, as the attention's
// matrix products want them.
type KVCache struct {
	spec *CacheSpec
	n    int // tokens committed
	max  int // tokens allowed
	cap  int // tokens allocated
	k, v [][]float32
}

// Len is the number of tokens the cache holds: the position of the next
// token.
func (c *KVCache) Len() int { return c.n }

// MaxTokens is the most tokens the cache may hold.
func (c *KVCache) MaxTokens() int { return c.max }

// Bytes is the memory the cache has allocated.
func (c *KVCache) Bytes() int64 { return int64(c.cap) * c.spec.BytesPerToken() }

// Reset empties the cache, keeping its memory for reuse.
func (c *KVCache) Reset() { c.n = 0 }

// Truncate keeps the first n tokens and drops the rest, so a sequence can
// be rolled back or a shared prefix reused.
func (c *KVCache) Truncate(n int) error {
	if n < 0 || n > c.n {
		return fmt.Errorf("models: truncate KV cache of %d tokens to %d: %w", c.n, n, ErrBadInput)
	}
	c.n = n
	return nil
}

// CopyPrefix makes c hold the first n tokens of src, a cache of the same
// model: the keys and values of a prompt computed once for several
// sequences that share it. What c held before is dropped.
func (c *KVCache) CopyPrefix(src *KVCache, n int) error {
	if src == nil || src.spec != c.spec {
		return fmt.Errorf("models: copy a KV cache prefix: the caches belong to different models: %w", ErrBadInput)
	}
	if n < 0 || n > src.n {
		return fmt.Errorf("models: copy %d tokens of a KV cache holding %d: %w", n, src.n, ErrBadInput)
	}
	if n > c.max {
		return fmt.Errorf("models: copy %d tokens into a KV cache for at most %d: %w", n, c.max, ErrContextLength)
	}
	c.n = 0
	c.reserve(n)
	hd := c.spec.HeadDim
	for l := range c.k {
		for h := range c.spec.KVHeads {
			copy(c.k[l][h*c.cap*hd:][:n*hd], src.k[l][h*src.cap*hd:][:n*hd])
			copy(c.v[l][h*c.cap*hd:][:n*hd], src.v[l][h*src.cap*hd:][:n*hd])
		}
	}
	c.n = n
	return nil
}

// reserve makes room for n tokens in every layer without changing Len.
func (c *KVCache) reserve(n int) {
	if n <= c.cap {
		return
	}
	newCap := max(c.cap*2, minCacheTokens, n)
	newCap = min(newCap, c.max)
	hd := c.spec.HeadDim
	for l := range c.k {
		c.k[l] = regrow(c.k[l], c.spec.KVHeads, c.cap, newCap, c.n, hd)
		c.v[l] = regrow(c.v[l], c.spec.KVHeads, c.cap, newCap, c.n, hd)
	}
	c.cap = newCap
}

// regrow copies the first n tokens of every head into a buffer of the new
// capacity.
func regrow(old []float32, heads, oldCap, newCap, n, hd int) []float32 {
	buf := make([]float32, heads*newCap*hd)
	for h := 0; h < heads; h++ {
		copy(buf[h*newCap*hd:h*newCap*hd+n*hd], old[h*oldCap*hd:h*oldCap*hd+n*hd])
	}
	return buf
}

// head returns layer l's keys and values of kv head h for positions
// [0, c.cap): rows of HeadDim.
func (c *KVCache) head(l, h int) (k, v []float32) {
	size := c.cap * c.spec.HeadDim
	return c.k[l][h*size : (h+1)*size], c.v[l][h*size : (h+1)*size]
}
