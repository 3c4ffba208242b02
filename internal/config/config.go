package config

import (
	"path/filepath"
	"runtime"
	"time"
)

// Config is hfserve's whole configuration. Each exported field is one key, described by tags:
//   - key: the YAML spelling, from which the flag and environment names are derived (see the
//     package doc);
//   - help: one line for `serve --help` and the docs;
//   - arg: the flag's placeholder, where the type name would say too little;
//   - envsep:"path": the list's environment variable is split on the OS path-list separator
//     instead of commas;
//   - defaultdoc: the default as documented, where the real one depends on the machine.
//
// Durations accept Go duration strings ("5m", "1h30m") or a bare integer meaning seconds.
type Config struct {
	Listen    string      `key:"listen" arg:"HOST:PORT" help:"address the HTTP server listens on (host:port; port 0 picks a free one)"`
	Models    []ModelSpec `key:"models" arg:"REF" help:"models to serve: a folder or org/name[@rev], optionally alias=REF; the YAML file may give per-model overrides"`
	ModelDirs []string    `key:"model_dirs" arg:"DIR" envsep:"path" help:"serve every model folder found under these folders"`

	MaxLoadedModels         int           `key:"max_loaded_models" help:"most models resident at once; the least recently used idle one is unloaded first"`
	ModelLoadTimeout        time.Duration `key:"model_load_timeout" help:"longest a model load may take (a bare number is seconds)"`
	CapacityWait            time.Duration `key:"capacity_wait" help:"how long a request for a model that does not fit waits for busy models to finish before a 503; 0 fails at once (a bare number is seconds)"`
	EnableBatching          bool          `key:"enable_batching" help:"batch concurrent requests for the same model"`
	MaxBatchSize            int           `key:"max_batch_size" help:"most requests in one batch"`
	MaxBatchWaitMS          int           `key:"max_batch_wait_ms" help:"longest an encoder batch forming behind a busy model waits to fill before it runs beside it, in milliseconds (a request that finds the model idle never waits)"`
	MaxBatchTokens          int           `key:"max_batch_tokens" help:"most tokens in one batch: new tokens per generation step (prompt chunks plus one per running sequence), padded tokens per encoder batch"`
	MaxNumSeqs              int           `key:"max_num_seqs" help:"most sequences generating together in one model's batch"`
	MaxQueueSize            int           `key:"max_queue_size" help:"most requests (encoder inputs, generation sequences) waiting per model; more get 503 with Retry-After"`
	KVCacheMemory           ByteSize      `key:"kv_cache_memory" help:"KV cache memory per generation model: sequences that would exceed it wait; one that could never fit gets 503"`
	EnableCaching           bool          `key:"enable_caching" help:"cache responses to identical deterministic requests"`
	CacheMaxSize            int           `key:"cache_max_size" help:"most cached responses"`
	CacheTTLSeconds         int           `key:"cache_ttl_seconds" help:"how long a cached response stays valid, in seconds"`
	CacheMaxBytes           ByteSize      `key:"cache_max_bytes" help:"most bytes of cached responses held in memory (memory backend), and the largest single response cached (either backend)"`
	CacheBackend            string        `key:"cache_backend" help:"where cached responses live: memory (this process) or redis (shared by every replica that points at redis_url)"`
	RedisURL                string        `key:"redis_url" arg:"URL" help:"Redis server of the redis cache backend: redis://[user:password@]host:port/db, rediss:// for TLS"`
	EnableCircuitBreaker    bool          `key:"enable_circuit_breaker" help:"fail fast for a model that keeps failing"`
	CircuitFailureThreshold int           `key:"circuit_failure_threshold" help:"consecutive failures that open a model's circuit"`
	CircuitTimeoutSeconds   int           `key:"circuit_timeout_seconds" help:"seconds an open circuit waits before letting a probe through"`
	CircuitFailureMode      string        `key:"circuit_failure_mode" help:"how a model's circuit opens: consecutive (circuit_failure_threshold failures in a row) or ratio (at least that many failures in circuit_window that are also circuit_failure_percent of its requests)"`
	CircuitFailurePercent   int           `key:"circuit_failure_percent" help:"ratio mode: the share of requests in circuit_window that must fail, in percent"`
	CircuitWindow           time.Duration `key:"circuit_window" help:"ratio mode: the rolling window failures are counted over (a bare number is seconds)"`
	CircuitHalfOpenProbes   int           `key:"circuit_half_open_probes" help:"requests let through at once as probes after circuit_timeout_seconds; that many successes close the circuit, one failure reopens it"`
	ModelLoadBackoff        time.Duration `key:"model_load_backoff" help:"wait after a failed model load before the next attempt, doubling (with jitter) per failure up to circuit_timeout_seconds; requests meanwhile get 503 with Retry-After; 0 retries at once; only with enable_circuit_breaker"`
	MaxConcurrentPerModel   int           `key:"max_concurrent_requests_per_model" help:"most requests running on one model at once; more wait (within their deadline) for a place; 0 means no limit"`

	MaxMemory MemoryBudget  `key:"max_memory" help:"memory budget for loaded models: bytes (8589934592), a size (8GiB, 512MB) or a share of available memory (75%)"`
	KeepAlive time.Duration `key:"keep_alive" help:"unload a model after it has been idle this long; -1 never, 0 right after each request (a bare number is seconds)"`
	Preload   bool          `key:"preload" help:"load every configured model at start-up instead of on first request"`
	Kernels   string        `key:"kernels" help:"widest CPU kernel set to run: auto (the widest this CPU passes a self-check with), avx512, avx2 or go (portable); a set the CPU lacks stops the start"`

	ReadHeaderTimeout   time.Duration `key:"read_header_timeout" help:"longest time to read a request's headers; 0 means no limit"`
	ReadTimeout         time.Duration `key:"read_timeout" help:"longest time to read a whole request, body included; 0 means no limit"`
	WriteTimeout        time.Duration `key:"write_timeout" help:"longest time to write a response; 0 means no limit (streamed generations can be long)"`
	IdleTimeout         time.Duration `key:"idle_timeout" help:"how long an idle keep-alive connection stays open; 0 means no limit"`
	RequestTimeout      time.Duration `key:"request_timeout" help:"deadline for handling one request, generation included; 0 means no limit"`
	ShutdownTimeout     time.Duration `key:"shutdown_timeout" help:"on SIGINT/SIGTERM, how long in-flight requests may finish before the server stops"`
	MaxRequestBodyBytes ByteSize      `key:"max_request_body_bytes" help:"largest request body accepted: bytes or a size such as 8MiB"`
	LogLevel            string        `key:"log_level" help:"least severe log level written: debug, info, warn or error"`
	LogFormat           string        `key:"log_format" help:"log line format: text or json"`
	LogPrompts          bool          `key:"log_prompts" help:"add each request's prompt text to its access log line (off: prompts are never logged)"`
	MetricsEnabled      bool          `key:"metrics_enabled" help:"serve Prometheus metrics on GET /metrics (open to every client, like /health)"`
	OTelEndpoint        string        `key:"otel_endpoint" arg:"URL" help:"OpenTelemetry collector to export traces to (http://host:4318 for otel_protocol http, http://host:4317 for grpc; https for TLS); empty: no tracing"`
	OTelProtocol        string        `key:"otel_protocol" help:"OTLP transport for traces: http (protobuf over HTTP) or grpc"`
	OTelServiceName     string        `key:"otel_service_name" help:"service.name of exported traces"`
	OTelSamplingRatio   float64       `key:"otel_sampling_ratio" help:"share of new traces sampled, 0 to 1 (a request that arrives with a sampled traceparent is always traced)"`
	DataDir             string        `key:"data_dir" arg:"DIR" defaultdoc:"$XDG_DATA_HOME/hfserve, else ~/.local/share/hfserve" help:"folder for hfserve's own state (API keys, downloads)"`
	AllowDownload       bool          `key:"allow_download" help:"download models missing from the local cache from the Hugging Face Hub"`
	DownloadConcurrency int           `key:"download_concurrency" help:"most files one pull downloads at once"`

	AuthEnabled        bool          `key:"auth_enabled" help:"require an API key on every inference and admin route (/health and /ready stay open; /metrics too unless metrics_require_key)"`
	AdminKey           string        `key:"admin_key" arg:"KEY" secret:"true" help:"bootstrap admin key, at least 32 characters; better set as HFSERVE_ADMIN_KEY than in a file or on a command line (never printed)"`
	AuthStore          string        `key:"auth_store" help:"where API keys and usage live: sqlite (a database file in data_dir) or redis (redis_url, shared by every replica)"`
	MetricsRequireKey  bool          `key:"metrics_require_key" help:"with auth_enabled, /metrics also needs a key with the admin scope"`
	AuthMaxFailures    int           `key:"auth_max_failures" help:"bad keys one client address may present within auth_lockout before it is locked out for auth_lockout (429 with Retry-After)"`
	AuthLockout        time.Duration `key:"auth_lockout" help:"window for counting bad keys, and how long a client that reached auth_max_failures is refused (a bare number is seconds)"`
	UsageFlushInterval time.Duration `key:"usage_flush_interval" help:"how often per-key usage counted in memory is written to the auth store (and always on shutdown)"`
	TLSCert            string        `key:"tls_cert" arg:"FILE" help:"PEM certificate (chain) to serve HTTPS with; needs tls_key"`
	TLSKey             string        `key:"tls_key" arg:"FILE" help:"PEM private key of tls_cert"`
	CORSAllowedOrigins []string      `key:"cors_allowed_origins" arg:"ORIGIN" help:"origins allowed to call the API from a browser (scheme://host[:port], or * for any); empty: CORS off"`
	MaxInputTokens     int           `key:"max_input_tokens" help:"most prompt tokens one request may send; 0: up to the model's context"`
	MaxOutputTokens    int           `key:"max_output_tokens" help:"most tokens one request may ask to generate; 0: up to the model's context"`
}

// ModelSpec is one entry of models: what to serve and how. Zero fields inherit the global
// setting or what the model folder says; only Ref is required.
type ModelSpec struct {
	Name           string         `key:"name" help:"alias clients use as the model id; default: the reference"`
	Ref            string         `key:"ref" help:"a folder or org/name[@revision] in the Hugging Face cache"`
	Task           string         `key:"task" help:"task to serve instead of the ones config.json implies: text-generation, chat, embeddings, classification, rerank, token-classification or fill-mask"`
	Pooling        string         `key:"pooling" help:"embedding pooling instead of the model's own: cls, mean, max or lasttoken"`
	ChatTemplate   string         `key:"chat_template" help:"Jinja chat template instead of tokenizer_config.json's"`
	MaxContext     int            `key:"max_context" help:"context length limit below the model's own; 0 keeps the model's"`
	Pinned         bool           `key:"pinned" help:"never unload this model"`
	KeepAlive      *time.Duration `key:"keep_alive" help:"idle time before unloading, instead of the global keep_alive"`
	MaxBatchSize   int            `key:"max_batch_size" help:"most requests in one batch, instead of the global max_batch_size"`
	MaxBatchTokens int            `key:"max_batch_tokens" help:"most tokens in one batch; 0 means no token limit"`
	Preload        bool           `key:"preload" help:"load this model at start-up"`
}

// ID is the name clients use for the model: its alias if it has one, else its reference.
func (m ModelSpec) ID() string {
	if m.Name != "" {
		return m.Name
	}
	return m.Ref
}

// MaxBatchWait is max_batch_wait_ms as a duration.
func (c *Config) MaxBatchWait() time.Duration {
	return time.Duration(c.MaxBatchWaitMS) * time.Millisecond
}

// CacheTTL is cache_ttl_seconds as a duration.
func (c *Config) CacheTTL() time.Duration { return time.Duration(c.CacheTTLSeconds) * time.Second }

// CircuitTimeout is circuit_timeout_seconds as a duration.
func (c *Config) CircuitTimeout() time.Duration {
	return time.Duration(c.CircuitTimeoutSeconds) * time.Second
}

// Default returns the configuration used when nothing else is set. The data folder depends
// on the process environment (XDG_DATA_HOME, HOME).
func Default() Config { return defaults(lookupOS) }

// defaults is Default with the environment passed in, so Resolve and tests see one
// consistent environment.
func defaults(lookupEnv func(string) (string, bool)) Config {
	return Config{
		Listen:                  "127.0.0.1:8080",
		MaxLoadedModels:         10,
		ModelLoadTimeout:        300 * time.Second,
		CapacityWait:            10 * time.Second,
		EnableBatching:          true,
		MaxBatchTokens:          2048,
		MaxNumSeqs:              32,
		MaxQueueSize:            1024,
		KVCacheMemory:           2 << 30,
		MaxBatchSize:            32,
		MaxBatchWaitMS:          100,
		EnableCaching:           true,
		CacheMaxSize:            1000,
		CacheTTLSeconds:         300,
		CacheMaxBytes:           128 << 20,
		CacheBackend:            "memory",
		RedisURL:                "redis://127.0.0.1:6379/0",
		EnableCircuitBreaker:    true,
		CircuitFailureThreshold: 5,
		CircuitTimeoutSeconds:   60,
		CircuitFailureMode:      "consecutive",
		CircuitFailurePercent:   50,
		CircuitWindow:           time.Minute,
		CircuitHalfOpenProbes:   1,
		ModelLoadBackoff:        time.Second,
		MaxMemory:               MemoryBudget{Raw: "75%", Percent: 75},
		KeepAlive:               5 * time.Minute,
		ReadHeaderTimeout:       10 * time.Second,
		ReadTimeout:             60 * time.Second,
		IdleTimeout:             120 * time.Second,
		RequestTimeout:          10 * time.Minute,
		ShutdownTimeout:         30 * time.Second,
		MaxRequestBodyBytes:     8 << 20,
		LogLevel:                "info",
		LogFormat:               "text",
		Kernels:                 "auto",
		MetricsEnabled:          true,
		OTelProtocol:            "http",
		OTelServiceName:         "hfserve",
		OTelSamplingRatio:       1,
		DataDir:                 defaultDataDir(lookupEnv),
		DownloadConcurrency:     4,
		AuthStore:               "sqlite",
		AuthMaxFailures:         10,
		AuthLockout:             time.Minute,
		UsageFlushInterval:      10 * time.Second,
	}
}

// defaultDataDir follows the XDG base directory convention (LOCALAPPDATA on Windows). It is
// empty when the environment names no home, and Validate then asks for data_dir.
func defaultDataDir(lookupEnv func(string) (string, bool)) string {
	if runtime.GOOS == "windows" {
		if dir, ok := lookupEnv("LOCALAPPDATA"); ok && dir != "" {
			return filepath.Join(dir, "hfserve")
		}
		return ""
	}
	// The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
	if dir, ok := lookupEnv("XDG_DATA_HOME"); ok && filepath.IsAbs(dir) {
		return filepath.Join(dir, "hfserve")
	}
	if home, ok := lookupEnv("HOME"); ok && home != "" {
		return filepath.Join(home, ".local", "share", "hfserve")
	}
	return ""
}
