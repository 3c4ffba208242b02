package respcache

import (
	"fmt"
	"log/slog"
	"time"

	"hfserve/internal/config"
)

// Backend names, as cache_backend spells them.
const (
	BackendMemory = "memory"
	BackendRedis  = "redis"
)

// Config is what Open needs, as the configuration gives it.
type Config struct {
	// Backend is BackendMemory or BackendRedis (cache_backend).
	Backend string
	// MaxEntries and MaxBytes bound the memory backend (cache_max_size,
	// cache_max_bytes); MaxBytes also bounds one value for either backend.
	MaxEntries int
	MaxBytes   int64
	// TTL is cache_ttl_seconds.
	TTL time.Duration
	// RedisURL is redis_url.
	RedisURL string
	// Logger receives backend errors and breaker changes.
	Logger *slog.Logger
	// Clock tells the time (TTLs, breaker); nil is time.Now.
	Clock func() time.Time
}

// ConfigFrom takes the cache's settings from the configuration.
func ConfigFrom(cfg *config.Config, log *slog.Logger) Config {
	return Config{Backend: cfg.CacheBackend, MaxEntries: cfg.CacheMaxSize, MaxBytes: int64(cfg.CacheMaxBytes),
		TTL: cfg.CacheTTL(), RedisURL: cfg.RedisURL, Logger: log}
}

// Open builds the configured cache. It does not contact Redis.
func Open(cfg Config) (*Cache, error) {
	var b Backend
	switch cfg.Backend {
	case BackendMemory, "":
		b = NewMemory(MemoryOptions{MaxEntries: cfg.MaxEntries, MaxBytes: cfg.MaxBytes, Clock: cfg.Clock})
	case BackendRedis:
		r, err := NewRedis(RedisOptions{URL: cfg.RedisURL, Logger: cfg.Logger, Clock: cfg.Clock})
		if err != nil {
			return nil, err
		}
		b = r
	default:
		return nil, fmt.Errorf("respcache: unknown backend %q (want %s or %s)", cfg.Backend, BackendMemory, BackendRedis)
	}
	return New(Options{Backend: b, TTL: cfg.TTL, MaxValueBytes: int(min(cfg.MaxBytes, 1<<40)), Logger: cfg.Logger})
}
