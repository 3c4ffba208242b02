package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"hfserve/internal/auth"
	"hfserve/internal/config"
	"hfserve/internal/ratelimit"
	"hfserve/internal/server"
)

// authDBFile is the SQLite database of auth_store=sqlite, in data_dir.
const authDBFile = "hfserve.db"

// authRedisTimeout bounds each Redis call of the key store and limiter.
const authRedisTimeout = 2 * time.Second

// authStack is what auth_enabled builds: the key store and manager, the
// usage recorder, the rate limiter and the lockout. A nil *authStack is
// auth off, and its methods do nothing.
type authStack struct {
	store   auth.Store
	redis   *redis.Client // nil with the SQLite store
	keys    *auth.Manager
	usage   *auth.UsageRecorder
	limiter ratelimit.Limiter
	lockout *auth.Lockout
	log     *slog.Logger
	// stopRun ends the flushing goroutine of run, which closes runDone.
	stopRun context.CancelFunc
	runDone chan struct{}
}

// openAuth opens the configured key store and builds the rest on it; nil
// with auth_enabled off, when nothing is opened.
func openAuth(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*authStack, error) {
	if !cfg.AuthEnabled {
		logger.Warn("API keys off (auth_enabled): every route is open to anyone who can reach the server")
		return nil, nil
	}
	a := &authStack{log: logger}
	switch cfg.AuthStore {
	case "redis":
		client, err := newRedisClient(cfg.RedisURL)
		if err != nil {
			return nil, err
		}
		openCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		store, err := auth.OpenRedisStore(openCtx, client, "")
		if err != nil {
			_ = client.Close()
			return nil, fmt.Errorf("auth_store redis at %s: %w", redactedURL(cfg.RedisURL), err)
		}
		a.store, a.redis = store, client
		logger.Info("API keys on", "store", "redis", "redis_url", redactedURL(cfg.RedisURL))
	default:
		// data_dir holds key hashes and usage: the owner's only.
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data_dir: %w", err)
		}
		path := filepath.Join(cfg.DataDir, authDBFile)
		store, err := auth.OpenSQLite(ctx, path)
		if err != nil {
			return nil, err
		}
		a.store = store
		logger.Info("API keys on", "store", "sqlite", "path", path)
	}
	if cfg.AdminKey == "" {
		logger.Warn("API keys on without admin_key: only stored keys with the admin scope can manage keys")
	}
	a.keys = auth.NewManager(a.store, auth.ManagerOptions{AdminKey: cfg.AdminKey, Logger: logger})
	a.usage = auth.NewUsageRecorder(a.store, auth.UsageOptions{Logger: logger})
	a.lockout = auth.NewLockout(cfg.AuthMaxFailures, cfg.AuthLockout, nil)
	// Quotas start from the usage already recorded, so a restart does not
	// hand every key a fresh day or month.
	seed := func(ctx context.Context, keyID string, periodStart time.Time) (int64, error) {
		return a.usage.TokensUsed(ctx, keyID, auth.Day(periodStart))
	}
	local := ratelimit.NewLocal(ratelimit.LocalOptions{Seed: seed})
	a.limiter = local
	if a.redis != nil {
		// Limits hold across replicas through Redis, and per replica
		// while it is away.
		rl, err := ratelimit.NewRedis(a.redis, ratelimit.RedisOptions{Fallback: local, Logger: logger, Seed: seed, Timeout: authRedisTimeout})
		if err != nil {
			return nil, errors.Join(err, a.closeStore())
		}
		a.limiter = rl
	}
	return a, nil
}

// newRedisClient builds a client for redis_url with bounded calls, as the
// response cache's: a Redis that hangs must not hang requests.
func newRedisClient(rawURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("redis_url: %w", err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = authRedisTimeout, authRedisTimeout, authRedisTimeout, authRedisTimeout
	opts.ContextTimeoutEnabled = true
	opts.DisableIdentity = true
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return redis.NewClient(opts), nil
}

// serverOptions is the server's AuthOptions; nil with auth off.
func (a *authStack) serverOptions(cfg *config.Config) *server.AuthOptions {
	if a == nil {
		return nil
	}
	return &server.AuthOptions{Keys: a.keys, Limiter: a.limiter, Usage: a.usage, Lockout: a.lockout,
		MetricsRequireKey: cfg.MetricsRequireKey}
}

// register adds the key and usage admin endpoints.
func (a *authStack) register(srv *server.Server) {
	if a == nil {
		return
	}
	srv.HandleAdminKeys(a.keys)
	srv.HandleAdminUsage(a.usage)
}

// run flushes usage every interval until ctx ends or close is called.
func (a *authStack) run(ctx context.Context, interval time.Duration) {
	if a == nil {
		return
	}
	ctx, a.stopRun = context.WithCancel(ctx)
	a.runDone = make(chan struct{})
	go func() {
		defer close(a.runDone)
		a.usage.Run(ctx, interval)
	}()
}

// close flushes the usage counted since the last flush and closes the
// store. Call it once the server has stopped serving, so that no request
// counts after the last flush.
func (a *authStack) close(ctx context.Context) {
	if a == nil {
		return
	}
	if a.stopRun != nil {
		a.stopRun()
		<-a.runDone
	}
	if err := a.usage.Close(ctx); err != nil {
		a.log.Error("usage: last flush failed; counts since the previous flush are lost", "err", err)
	} else {
		a.log.Info("usage flushed")
	}
	if err := a.closeStore(); err != nil {
		a.log.Warn("auth store", "err", err)
	}
}

// closeStore closes the store and, with Redis, the client.
func (a *authStack) closeStore() error {
	err := a.store.Close()
	if a.redis != nil {
		err = errors.Join(err, a.redis.Close())
	}
	return err
}
