package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tasks lists the values a model's task override may take.
func Tasks() []string {
	return []string{"text-generation", "chat", "embeddings", "classification", "rerank", "token-classification", "fill-mask"}
}

// Poolings lists the values a model's pooling override may take.
func Poolings() []string { return []string{"cls", "mean", "max", "lasttoken"} }

// LogLevels lists the values of log_level, least severe first.
func LogLevels() []string { return []string{"debug", "info", "warn", "error"} }

// CircuitFailureModes lists the values of circuit_failure_mode.
func CircuitFailureModes() []string { return []string{"consecutive", "ratio"} }

// CacheBackends lists the values of cache_backend.
func CacheBackends() []string { return []string{"memory", "redis"} }

// OTelProtocols lists the values of otel_protocol.
func OTelProtocols() []string { return []string{"http", "grpc"} }

// checkOTelEndpoint accepts an http or https URL with a host.
func checkOTelEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%q names no host: want http://host:port", raw)
	}
	return nil
}

// AuthStores lists the values of auth_store.
func AuthStores() []string { return []string{"sqlite", "redis"} }

// MinAdminKeyLen is the shortest admin_key accepted: a guessable bootstrap key would open
// every route.
const MinAdminKeyLen = 32

// KernelSets lists the values of kernels.
func KernelSets() []string { return []string{"auto", "avx512", "avx2", "go"} }

// LogFormats lists the values of log_format.
func LogFormats() []string { return []string{"text", "json"} }

// problems collects validation errors, one *Error per bad key.
type problems []error

func (p *problems) add(key, format string, args ...any) {
	*p = append(*p, &Error{Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) atLeast(key string, value, least int) {
	if value < least {
		p.add(key, "must be at least %d, got %d", least, value)
	}
}

func (p *problems) notNegative(key string, d time.Duration) {
	if d < 0 {
		p.add(key, "must not be negative, got %s", formatDuration(d))
	}
}

func (p *problems) oneOf(key, value string, allowed []string) {
	if !slices.Contains(allowed, value) {
		p.add(key, "%q is not one of %q", value, allowed)
	}
}

// Validate checks every value's range. It reports all problems at once, each an *Error naming
// its key (without a source: [Binding.Resolve] adds that), joined with errors.Join.
func (c *Config) Validate() error {
	var p problems
	if err := checkListen(c.Listen); err != nil {
		p.add("listen", "%v", err)
	}
	c.validateModels(&p)
	for i, dir := range c.ModelDirs {
		if dir == "" {
			p.add(fmt.Sprintf("model_dirs[%d]", i), "empty folder name")
		}
	}
	p.atLeast("max_loaded_models", c.MaxLoadedModels, 1)
	if c.ModelLoadTimeout <= 0 {
		p.add("model_load_timeout", "must be positive, got %s", formatDuration(c.ModelLoadTimeout))
	}
	if c.CapacityWait < 0 {
		p.add("capacity_wait", "must be 0 or more, got %s", formatDuration(c.CapacityWait))
	}
	p.atLeast("max_batch_size", c.MaxBatchSize, 1)
	p.atLeast("max_batch_tokens", c.MaxBatchTokens, 1)
	p.atLeast("max_num_seqs", c.MaxNumSeqs, 1)
	p.atLeast("max_queue_size", c.MaxQueueSize, 1)
	if c.KVCacheMemory < 1<<20 {
		p.add("kv_cache_memory", "must be at least 1MiB, got %d bytes", c.KVCacheMemory)
	}
	p.atLeast("max_batch_wait_ms", c.MaxBatchWaitMS, 0)
	p.atLeast("cache_max_size", c.CacheMaxSize, 1)
	p.atLeast("cache_ttl_seconds", c.CacheTTLSeconds, 1)
	if c.CacheMaxBytes < 1<<20 {
		p.add("cache_max_bytes", "must be at least 1MiB, got %d bytes", c.CacheMaxBytes)
	}
	p.oneOf("cache_backend", c.CacheBackend, CacheBackends())
	if err := checkRedisURL(c.RedisURL); err != nil {
		p.add("redis_url", "%v", err)
	}
	p.atLeast("circuit_failure_threshold", c.CircuitFailureThreshold, 1)
	p.atLeast("circuit_timeout_seconds", c.CircuitTimeoutSeconds, 1)
	p.oneOf("circuit_failure_mode", c.CircuitFailureMode, CircuitFailureModes())
	if c.CircuitFailurePercent < 1 || c.CircuitFailurePercent > 100 {
		p.add("circuit_failure_percent", "must be from 1 to 100, got %d", c.CircuitFailurePercent)
	}
	if c.CircuitWindow <= 0 {
		p.add("circuit_window", "must be positive, got %s", formatDuration(c.CircuitWindow))
	}
	p.atLeast("circuit_half_open_probes", c.CircuitHalfOpenProbes, 1)
	p.notNegative("model_load_backoff", c.ModelLoadBackoff)
	p.atLeast("max_concurrent_requests_per_model", c.MaxConcurrentPerModel, 0)
	if err := c.MaxMemory.check(); err != nil {
		p.add("max_memory", "%v", err)
	}
	p.notNegative("read_header_timeout", c.ReadHeaderTimeout)
	p.notNegative("read_timeout", c.ReadTimeout)
	p.notNegative("write_timeout", c.WriteTimeout)
	p.notNegative("idle_timeout", c.IdleTimeout)
	p.notNegative("request_timeout", c.RequestTimeout)
	p.notNegative("shutdown_timeout", c.ShutdownTimeout)
	if c.MaxRequestBodyBytes < 1 {
		p.add("max_request_body_bytes", "must be at least 1 byte, got %d", c.MaxRequestBodyBytes)
	}
	p.oneOf("log_level", c.LogLevel, LogLevels())
	p.oneOf("kernels", c.Kernels, KernelSets())
	p.oneOf("log_format", c.LogFormat, LogFormats())
	if c.OTelEndpoint != "" {
		if err := checkOTelEndpoint(c.OTelEndpoint); err != nil {
			p.add("otel_endpoint", "%v", err)
		}
	}
	p.oneOf("otel_protocol", c.OTelProtocol, OTelProtocols())
	if strings.TrimSpace(c.OTelServiceName) == "" {
		p.add("otel_service_name", "must not be empty")
	}
	if c.OTelSamplingRatio < 0 || c.OTelSamplingRatio > 1 {
		p.add("otel_sampling_ratio", "must be from 0 to 1, got %g", c.OTelSamplingRatio)
	}
	if c.DataDir == "" {
		p.add("data_dir", "empty: set data_dir, or HOME / XDG_DATA_HOME for the default")
	}
	c.validateSecurity(&p)
	switch len(p) {
	case 0:
		return nil
	case 1:
		return p[0]
	}
	return errors.Join(p...)
}

// checkListen accepts host:port with a numeric port; an empty host means every interface.
func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: port must be a number from 0 to 65535", addr)
	}
	return nil
}

// checkRedisURL accepts the URLs the Redis client does: redis:// or rediss:// with a host
// (the port and the database number optional), or unix:// with a socket path.
func checkRedisURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Hostname() == "" {
			return fmt.Errorf("%q names no host: want redis://host:port/db", raw)
		}
		if p := u.Port(); p != "" {
			if _, err := strconv.ParseUint(p, 10, 16); err != nil {
				return fmt.Errorf("%q: port must be a number from 0 to 65535", raw)
			}
		}
		if db := strings.Trim(u.Path, "/"); db != "" {
			if _, err := strconv.ParseUint(db, 10, 32); err != nil {
				return fmt.Errorf("%q: the path must be a database number, got %q", raw, db)
			}
		}
	case "unix":
		if u.Path == "" {
			return fmt.Errorf("%q names no socket path", raw)
		}
	default:
		return fmt.Errorf("%q: scheme must be redis, rediss or unix", raw)
	}
	return nil
}

// validateModels checks each entry of models and that their ids are unique.
func (c *Config) validateModels(p *problems) {
	seen := map[string]int{}
	for i, m := range c.Models {
		key := fmt.Sprintf("models[%d]", i)
		if m.Ref == "" {
			p.add(key+".ref", "missing: every model needs a reference (a folder or org/name[@rev])")
		}
		if first, dup := seen[m.ID()]; dup && m.ID() != "" {
			p.add(key+".name", "%q is already the name of models[%d]; give one an alias", m.ID(), first)
		} else {
			seen[m.ID()] = i
		}
		if m.Task != "" {
			p.oneOf(key+".task", m.Task, Tasks())
		}
		if m.Pooling != "" {
			p.oneOf(key+".pooling", m.Pooling, Poolings())
		}
		p.atLeast(key+".max_context", m.MaxContext, 0)
		p.atLeast(key+".max_batch_size", m.MaxBatchSize, 0)
		p.atLeast(key+".max_batch_tokens", m.MaxBatchTokens, 0)
	}
}

// validateSecurity checks the auth, TLS, CORS, token-limit and download keys.
func (c *Config) validateSecurity(p *problems) {
	p.atLeast("download_concurrency", c.DownloadConcurrency, 1)
	p.oneOf("auth_store", c.AuthStore, AuthStores())
	if c.AdminKey != "" && len(c.AdminKey) < MinAdminKeyLen {
		p.add("admin_key", "must be at least %d characters, got %d", MinAdminKeyLen, len(c.AdminKey))
	}
	if strings.TrimSpace(c.AdminKey) != c.AdminKey || strings.ContainsFunc(c.AdminKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		p.add("admin_key", "must not contain spaces or control characters")
	}
	p.atLeast("auth_max_failures", c.AuthMaxFailures, 1)
	if c.AuthLockout <= 0 {
		p.add("auth_lockout", "must be positive, got %s", formatDuration(c.AuthLockout))
	}
	if c.UsageFlushInterval <= 0 {
		p.add("usage_flush_interval", "must be positive, got %s", formatDuration(c.UsageFlushInterval))
	}
	for i, origin := range c.CORSAllowedOrigins {
		if err := checkOrigin(origin); err != nil {
			p.add(fmt.Sprintf("cors_allowed_origins[%d]", i), "%v", err)
		}
	}
	p.atLeast("max_input_tokens", c.MaxInputTokens, 0)
	p.atLeast("max_output_tokens", c.MaxOutputTokens, 0)
}

// checkOrigin accepts "*" or a browser origin: http(s)://host[:port] and nothing more.
func checkOrigin(origin string) error {
	if origin == "*" {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil {
		return fmt.Errorf("%q is not an origin: %w", origin, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("%q is not an origin: want scheme://host[:port] or *", origin)
	}
	return nil
}
