package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"hfserve/internal/config"
	"hfserve/internal/hardware"
	"hfserve/internal/hub"
	"hfserve/internal/schedule"
	"hfserve/internal/server"
	"hfserve/internal/serving"
	"hfserve/internal/telemetry"
	"hfserve/internal/tensor"
)

const serveDescription = `Run the HTTP server. With no --model and no --model-dir it serves the built-in
default model (stories260K, a tiny LLaMA trained on children's stories).

Every setting can come from a YAML file (--config), from HFSERVE_* environment
variables or from flags; flags win over the environment, which wins over the
file, which wins over the defaults. --print-config shows the result and where
each value came from.`

// hardwareReport is the body of GET /admin/hardware: `hfserve version`'s
// machine report plus the kernels this server runs and their threads.
type hardwareReport struct {
	buildInfo
	KernelSet     string `json:"kernel_set"`
	KernelThreads int    `json:"kernel_threads"`
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "serve [flags]", serveDescription)
	binding := config.Bind(fs)
	printConfig := fs.Bool("print-config", false, "print the effective configuration, with the source of each value, and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve: unexpected argument %q (models are given with --model REF)", fs.Arg(0))
	}
	loaded, err := binding.ResolveEnviron(e.environ)
	if err != nil {
		return usageError{err}
	}
	if *printConfig {
		return loaded.Print(e.stdout)
	}
	cfg := loaded.Config
	// Before anything slow: a bad certificate should fail the start at once.
	tlsConfig, err := server.LoadTLSConfig(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		return err
	}

	logger, err := telemetry.NewLogger(e.stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return usageError{err}
	}
	build := currentBuildInfo(ctx)
	logger.Info("starting hfserve", "version", build.Version, "commit", build.Commit, "listen", cfg.Listen,
		"cpu", build.CPUModel, "cpu_features", strings.Join(build.CPUFeatures, ","), "cores", build.LogicalCores,
		"backend", build.Backend)
	for _, a := range build.Accelerators {
		logger.Info("accelerator present", "kind", a.Kind, "name", a.Name, "backend_built", slices.Contains(hardware.BuiltBackends(), a.Kind))
	}

	store := hub.Store{Cache: hub.Cache{Dir: hub.CacheDir(e.lookupEnv, e.homeDir)}}
	hubClient, err := hubClientFor(e, &cfg, logger) // nil unless allow_download
	if err != nil {
		return err
	}
	if hubClient != nil {
		store.Downloader = hubClient
	}
	catalog, err := serving.BuildCatalog(ctx, serving.Sources{
		Models: cfg.Models, ModelDirs: cfg.ModelDirs, Store: store, DataDir: cfg.DataDir,
	})
	if err != nil {
		return err
	}
	for _, m := range catalog.Entries() {
		logger.Info("model available", "model", m.Name, "dir", m.Dir, "architecture", m.Detection.Architecture,
			"tasks", fmt.Sprint(m.Detection.Tasks), "supported", m.Detection.Supported)
	}

	// The model manager loads models on demand (or now, with preload) under
	// the memory budget; the kernels share one worker pool sized to the
	// cores this process may use. The tensor package chooses its kernel
	// set once, on first use, from HFSERVE_KERNELS; the kernels key may come
	// from a file or a flag, so it is handed over through that variable
	// before anything runs a kernel. A set this CPU cannot run stops the start.
	if err := os.Setenv(tensor.KernelsEnv, cfg.Kernels); err != nil {
		return fmt.Errorf("kernels: %w", err)
	}
	if err := tensor.CheckKernelsEnv(); err != nil {
		return fmt.Errorf("kernels: %w", err)
	}
	pool := tensor.NewPool(0)
	defer pool.Close()
	var available int64
	if mem, err := hardware.DetectMemory(hardware.DefaultPaths()); err == nil {
		available = mem.Available
	} else {
		logger.Warn("cannot read available memory; a percentage max_memory means no budget", "err", err)
	}
	// Metrics and tracing are built first: the schedulers report their
	// batches to them.
	tracing, err := telemetry.NewTracing(ctx, telemetry.TracingOptions{
		Endpoint: cfg.OTelEndpoint, Protocol: cfg.OTelProtocol, ServiceName: cfg.OTelServiceName,
		ServiceVersion: build.Version, SamplingRatio: cfg.OTelSamplingRatio,
	})
	if err != nil {
		return err
	}
	defer func() {
		// Last spans out, within a bound: the collector may be gone.
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tracing.Shutdown(flushCtx); err != nil {
			logger.Warn("tracing", "err", err)
		}
	}()
	var tracer trace.TracerProvider // nil: the layers below skip tracing entirely
	if tracing.Enabled() {
		tracer = tracing.Provider()
		logger.Info("tracing", "endpoint", redactedURL(cfg.OTelEndpoint), "protocol", cfg.OTelProtocol,
			"service_name", cfg.OTelServiceName, "sampling_ratio", cfg.OTelSamplingRatio)
	}
	var metrics *telemetry.Metrics
	batching := serving.BatchingFromConfig(&cfg)
	batching.Tracer = tracer
	if cfg.MetricsEnabled {
		metrics = telemetry.NewMetrics(telemetry.MetricsOptions{Version: build.Version})
		batching.OnBatch = func(model, kind string, st schedule.StepInfo) {
			metrics.ObserveBatch(model, kind, st.Seqs, st.Tokens, st.Duration)
		}
	}
	mopts := serving.OptionsFromConfig(&cfg, catalog, available)
	mopts.Load = serving.BatchingLoader(pool, batching)
	mopts.Logger = logger
	cache, err := openResponseCache(&cfg, logger)
	if err != nil {
		return err
	}
	if cache != nil {
		defer cache.Close()
		mopts.OnUnload = invalidateOnUnload(cache, logger)
	}
	manager, err := serving.NewManager(mopts)
	if err != nil {
		return err
	}
	defer func() {
		// Requests have drained by now (Serve returned); give unloads a bound.
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if err := manager.Close(closeCtx); err != nil {
			logger.Warn("closing models", "err", err)
		}
	}()
	logger.Info("model manager", "max_loaded_models", cfg.MaxLoadedModels, "memory_budget_bytes", mopts.MemoryBudget,
		"keep_alive", cfg.KeepAlive.String(), "workers", pool.Workers(), "kernels", tensor.KernelSet(),
		"batching", cfg.EnableBatching)

	// API keys (auth_enabled): the store opens before the server is
	// built, and its usage is flushed after the server has stopped.
	authn, err := openAuth(ctx, &cfg, logger)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		authn.close(closeCtx)
	}()
	srv, err := server.New(server.Options{
		Auth:                authn.serverOptions(&cfg),
		Logger:              logger,
		Catalog:             catalog,
		MaxRequestBodyBytes: int64(cfg.MaxRequestBodyBytes),
		ReadHeaderTimeout:   cfg.ReadHeaderTimeout,
		ReadTimeout:         cfg.ReadTimeout,
		WriteTimeout:        cfg.WriteTimeout,
		IdleTimeout:         cfg.IdleTimeout,
		RequestTimeout:      cfg.RequestTimeout,
		ShutdownTimeout:     cfg.ShutdownTimeout,
		Version:             build.Version,
		Metrics:             metrics,
		Tracing:             tracing,
		LogPrompts:          cfg.LogPrompts,
		TLS:                 tlsConfig,
		CORSAllowedOrigins:  cfg.CORSAllowedOrigins,
	})
	if err != nil {
		return err
	}
	srv.HandleAdminModels(manager)
	authn.register(srv)
	authn.run(ctx, cfg.UsageFlushInterval)
	if err := srv.HandleAdminUI(); err != nil {
		return err
	}
	// Each model runs behind its circuit breaker and concurrency bound,
	// when configured; the breakers' state is on /admin/breakers.
	sopts := serving.ServiceOptionsFromConfig(&cfg)
	sopts.Logger = logger
	sopts.Tracer = tracer
	svc, err := serving.NewServiceWith(manager, sopts)
	if err != nil {
		return err
	}
	// Pulled models join svc's catalog, which /v1/models (Options.Catalog) lists.
	srv.HandleAdminPull(&adminPuller{client: hubClient, cache: store.Cache, svc: svc, base: ctx, logger: logger})
	if cache != nil {
		srv.HandleInference(svc, server.WithResponseCache(cache))
		srv.HandleAdminCache(cache)
	} else {
		srv.HandleInference(svc)
	}
	srv.HandleAdminBreakers(svc)
	srv.HandleAdminHardware(func(ctx context.Context) any {
		return hardwareReport{buildInfo: currentBuildInfo(ctx), KernelSet: tensor.KernelSet(), KernelThreads: pool.Workers()}
	})
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}
	// The actual address matters when the port was 0 (tests, ephemeral use).
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	logger.Info("listening", "addr", ln.Addr().String(), "url", scheme+"://"+ln.Addr().String())
	go func() {
		// Preloading happens while the server already answers /health; it
		// turns ready once every preloaded model is resident (a model that
		// fails to preload is logged and stays loadable on demand).
		if err := manager.Preload(ctx); err != nil {
			logger.Error("preload", "err", err)
		}
		srv.SetReady(true)
	}()
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	logger.Info("stopped")
	return nil
}
