package serving

import (
	"context"
	"fmt"
	"math"
	"time"

	"hfserve/internal/config"
	"hfserve/internal/models"
	"hfserve/internal/models/auto"
	"hfserve/internal/retry"
	"hfserve/internal/safetensors"
	"hfserve/internal/tensor"
)

// LoadFunc loads one catalog entry. The Manager gives its context the
// model_load_timeout deadline and cancels it when nobody waits for the load
// any more or the Manager closes. Production uses AutoLoader; tests inject
// loaders that count, fail or stall.
type LoadFunc func(ctx context.Context, e Entry) (models.Model, error)

// AutoLoader loads entries with the native engine (internal/models/auto);
// every model it loads runs its kernels on pool (nil: on the calling
// goroutine).
func AutoLoader(pool *tensor.Pool) LoadFunc {
	return func(ctx context.Context, e Entry) (models.Model, error) {
		return auto.Load(ctx, e.Dir, models.LoadOptions{Pool: pool})
	}
}

// EstimateBytes is a model's resident size predicted from its safetensors
// headers, read without touching the tensor data. The engine maps F32 and
// 16-bit matrices in place, so the tensor bytes as stored are the estimate.
func EstimateBytes(dir string) (int64, error) {
	mf, err := safetensors.ReadModelHeaders(dir)
	if err != nil {
		return 0, fmt.Errorf("serving: estimating size of %s: %w", dir, err)
	}
	return mf.TensorBytes(), nil
}

// ModelPolicy is the per-model part of the manager's configuration.
type ModelPolicy struct {
	// Pinned models are never evicted by LRU, the memory budget or
	// keep-alive (an explicit admin unload still unloads them).
	Pinned bool
	// KeepAlive overrides ManagerOptions.KeepAlive when set.
	KeepAlive *time.Duration
	// Preload loads the model in Manager.Preload.
	Preload bool
}

// PolicyFromSpec takes the manager's part of a configured model.
func PolicyFromSpec(spec config.ModelSpec) ModelPolicy {
	return ModelPolicy{Pinned: spec.Pinned, KeepAlive: spec.KeepAlive, Preload: spec.Preload}
}

// keepAlive is the policy's idle time, or def when it sets none.
func (p ModelPolicy) keepAlive(def time.Duration) time.Duration {
	if p.KeepAlive != nil {
		return *p.KeepAlive
	}
	return def
}

// loadBackoffJitter spreads a failed model's retries over the back half of
// each wait ("equal jitter"), so replicas that failed together do not all
// retry together.
const loadBackoffJitter = 0.5

// OptionsFromConfig maps the configuration's manager knobs onto
// ManagerOptions for cat. available is the memory the process may use
// (hardware.DetectMemory's Available); a percentage max_memory is a share
// of it, and with available unknown (0) a percentage means no budget. Load,
// Logger and Clock are left for the caller.
func OptionsFromConfig(cfg *config.Config, cat *Catalog, available int64) ManagerOptions {
	opts := ManagerOptions{
		Catalog:         cat,
		MaxLoadedModels: cfg.MaxLoadedModels,
		LoadTimeout:     cfg.ModelLoadTimeout,
		CapacityWait:    cfg.CapacityWait,
		KeepAlive:       cfg.KeepAlive,
		Preload:         cfg.Preload,
	}
	if cfg.EnableCircuitBreaker && cfg.ModelLoadBackoff > 0 {
		// Capped at the breaker's open timeout and only ever shortened by
		// the jitter, so the breaker's first probe after opening always
		// finds the load due rather than refused.
		opts.LoadBackoff = retry.Backoff{Initial: cfg.ModelLoadBackoff, Max: cfg.CircuitTimeout(), Jitter: loadBackoffJitter}
	}
	if cfg.MaxMemory.Percent == 0 || available > 0 {
		limit := cfg.MaxMemory.Limit(uint64(max(available, 0)))
		opts.MemoryBudget = int64(min(limit, math.MaxInt64))
	}
	return opts
}
