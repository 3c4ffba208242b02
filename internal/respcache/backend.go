package respcache

import (
	"context"
	"errors"
	"time"
)

// ErrUnavailable is returned by a backend that did not try an operation
// because its breaker is open (the store failed recently and is given time
// to recover).
var ErrUnavailable = errors.New("respcache: backend unavailable (breaker open)")

// Stamp is the pair of generations current when a request looked the cache
// up: the cache's (bumped by Flush) and the model's (bumped by
// InvalidateModel). An entry is valid only under the stamp it was written
// with, so an answer computed before an invalidation and stored after it is
// never read.
type Stamp struct {
	Global, Model uint64
}

// Usage is what a backend holds; a backend that cannot tell cheaply (Redis)
// reports zeros.
type Usage struct {
	Entries     int64
	Bytes       int64
	Evictions   uint64 // entries dropped to stay within the bounds
	Expirations uint64 // entries found past their TTL
}

// Backend stores values by key. Implementations are safe for concurrent
// use. Errors are for the Cache to count and log: it treats every one as a
// miss (or a store that did not happen).
type Backend interface {
	// Name is "memory" or "redis".
	Name() string
	// Get returns the value stored under key for model and the model's
	// current stamp; value is nil on a miss, including an entry written
	// under an older stamp.
	Get(ctx context.Context, model string, key Key) (value []byte, stamp Stamp, err error)
	// Stamp returns model's current stamp, for a request that stores
	// without looking up.
	Stamp(ctx context.Context, model string) (Stamp, error)
	// Set stores value under key for ttl, valid under stamp. A stamp that
	// is no longer current may be dropped at once.
	Set(ctx context.Context, model string, key Key, stamp Stamp, value []byte, ttl time.Duration) error
	// InvalidateModel makes every entry of model a miss.
	InvalidateModel(ctx context.Context, model string) error
	// Flush makes every entry a miss.
	Flush(ctx context.Context) error
	// Usage reports what the backend holds.
	Usage() Usage
	// Close releases the backend's resources.
	Close() error
}
