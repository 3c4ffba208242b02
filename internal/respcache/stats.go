package respcache

// Stats is a snapshot of a cache's counters, in the JSON shape of
// GET /admin/cache.
type Stats struct {
	// Backend is "memory" or "redis".
	Backend string `json:"backend"`
	// Hits counts lookups answered from the cache, SharedHits those among
	// them answered by an identical request in flight.
	Hits       uint64 `json:"hits"`
	SharedHits uint64 `json:"shared_hits"`
	// Misses counts requests computed: not found, looked up in vain,
	// backend failing, or no-cache.
	Misses uint64 `json:"misses"`
	// Stores counts answers written; StoresDropped answers not written
	// (over the size bound, or no generation stamp because the backend
	// failed).
	Stores        uint64 `json:"stores"`
	StoresDropped uint64 `json:"stores_dropped"`
	// Evictions and Expirations count entries the backend dropped to stay
	// within its bounds or found past their TTL (memory backend only).
	Evictions   uint64 `json:"evictions"`
	Expirations uint64 `json:"expirations"`
	// Entries and Bytes are what the backend holds (memory backend only:
	// Redis would need a scan).
	Entries int64 `json:"entries"`
	Bytes   int64 `json:"bytes"`
	// BackendErrors counts failed backend operations (each was a miss or
	// a store that did not happen); BackendSkipped those not tried because
	// the backend's breaker was open.
	BackendErrors  uint64 `json:"backend_errors"`
	BackendSkipped uint64 `json:"backend_skipped"`
	// Invalidations and Flushes count the calls made.
	Invalidations uint64 `json:"invalidations"`
	Flushes       uint64 `json:"flushes"`
	// Breaker is the backend's breaker state ("closed", "open",
	// "half-open"); empty for the memory backend, which has none.
	Breaker string `json:"breaker,omitempty"`
}

// Stats returns the counters now.
func (c *Cache) Stats() Stats {
	u := c.backend.Usage()
	s := Stats{
		Backend: c.backend.Name(),
		Hits:    c.hits.Load(), SharedHits: c.sharedHits.Load(), Misses: c.misses.Load(),
		Stores: c.stores.Load(), StoresDropped: c.storesDropped.Load(),
		Evictions: u.Evictions, Expirations: u.Expirations, Entries: u.Entries, Bytes: u.Bytes,
		BackendErrors: c.backendErrors.Load(), BackendSkipped: c.backendSkipped.Load(),
		Invalidations: c.invalidations.Load(), Flushes: c.flushes.Load(),
	}
	if b, ok := c.backend.(interface{ BreakerState() BreakerState }); ok {
		s.Breaker = string(b.BreakerState())
	}
	return s
}
