package main

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"hfserve/internal/config"
	"hfserve/internal/respcache"
	"hfserve/internal/serving"
)

// openResponseCache builds the configured response cache, or nil with
// enable_caching off.
func openResponseCache(cfg *config.Config, logger *slog.Logger) (*respcache.Cache, error) {
	if !cfg.EnableCaching {
		logger.Info("response cache off")
		return nil, nil
	}
	c, err := respcache.Open(respcache.ConfigFrom(cfg, logger))
	if err != nil {
		return nil, err
	}
	attrs := []any{"backend", cfg.CacheBackend, "ttl", cfg.CacheTTL().String(), "max_bytes", int64(cfg.CacheMaxBytes)}
	if cfg.CacheBackend == respcache.BackendRedis {
		attrs = append(attrs, "redis_url", redactedURL(cfg.RedisURL))
	} else {
		attrs = append(attrs, "max_entries", cfg.CacheMaxSize)
	}
	logger.Info("response cache", attrs...)
	return c, nil
}

// invalidateOnUnload is the Manager's OnUnload hook: an operator who
// unloads a model (to reload it, perhaps with new files) gets fresh answers
// afterwards. Evictions for room or idleness keep the entries: the model's
// answers have not changed.
func invalidateOnUnload(c *respcache.Cache, logger *slog.Logger) func(string, serving.EvictReason) {
	return func(model string, reason serving.EvictReason) {
		if reason != serving.EvictAdmin {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.InvalidateModel(ctx, model); err != nil {
			logger.Warn("response cache: invalidating an unloaded model's answers", "model", model, "err", err)
		}
	}
}

// redactedURL hides a URL's password for the log.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}
