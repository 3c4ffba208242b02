package auth

import (
	"sync"
	"time"
)

// Bounds of the Manager's key cache.
const (
	// DefaultCacheTTL is how long a looked-up key is trusted by default.
	// BenchmarkAuthenticate (2 shared cores, 300 keys) measured about 140 µs
	// a lookup in SQLite or a local Redis and 2-3 µs from the cache: worth a
	// second of delay before a revocation elsewhere takes effect here.
	DefaultCacheTTL = time.Second
	// MaxCacheTTL is the longest a key revoked or rotated on another
	// replica may keep working here.
	MaxCacheTTL = 2 * time.Second
	// maxCachedKeys bounds the cache's memory; it holds keys that exist, so
	// a flood of bad secrets does not grow it.
	maxCachedKeys = 10000
)

// keyCache remembers keys found by hash for a short while. A nil *keyCache
// is a cache that keeps nothing.
type keyCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[string]cachedKey // by hash
}

type cachedKey struct {
	key     Key
	expires time.Time
}

func newKeyCache(ttl time.Duration, maxEntries int) *keyCache {
	return &keyCache{ttl: ttl, max: maxEntries, entries: map[string]cachedKey{}}
}

// get returns the key cached for hash unless it is older than the TTL.
func (c *keyCache) get(hash string, now time.Time) (Key, bool) {
	if c == nil {
		return Key{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok {
		return Key{}, false
	}
	if !now.Before(e.expires) {
		delete(c.entries, hash)
		return Key{}, false
	}
	return e.key, true
}

// put caches k under hash. A full cache first drops what has expired and,
// if that is not enough, everything: simpler than LRU order, and a refill
// costs one lookup per active key.
func (c *keyCache) put(hash string, k Key, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for h, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, h)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[hash] = cachedKey{key: k, expires: now.Add(c.ttl)}
}

// dropID forgets the key with this id, whatever its hash.
func (c *keyCache) dropID(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.entries {
		if e.key.ID == id {
			delete(c.entries, h)
		}
	}
}
