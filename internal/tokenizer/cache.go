package tokenizer

import (
	"hash/maphash"
	"sync"
)

const (
	cacheShards      = 32
	cacheShardCap    = 2048 // entries per shard; the cache stops growing when full
	cacheMaxWordSize = 256  // longer words are not worth caching
)

// wordCache remembers merged words. It is safe for concurrent use and only
// ever grows to a fixed size, like the Rust library's cache; it changes
// speed, never results.
type wordCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string][]wordSymbol
}

func newWordCache() *wordCache {
	c := &wordCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[string][]wordSymbol)
	}
	return c
}

func (c *wordCache) shard(s string) *cacheShard {
	return &c.shards[maphash.String(c.seed, s)%cacheShards]
}

func (c *wordCache) get(s string) ([]wordSymbol, bool) {
	if len(s) > cacheMaxWordSize {
		return nil, false
	}
	sh := c.shard(s)
	sh.mu.RLock()
	v, ok := sh.m[s]
	sh.mu.RUnlock()
	return v, ok
}

func (c *wordCache) put(s string, v []wordSymbol) {
	if len(s) > cacheMaxWordSize {
		return
	}
	sh := c.shard(s)
	sh.mu.Lock()
	if len(sh.m) < cacheShardCap {
		sh.m[string([]byte(s))] = v // copy: s may alias a large input
	}
	sh.mu.Unlock()
}
