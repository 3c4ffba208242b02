package config

import (
	"errors"
	"strings"
	"testing"
)

// TestFileErrors covers what a config file can get wrong: each error names the key, the file
// and the line.
func TestFileErrors(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantKey  string
		wantLine int
		wantMsg  string
	}{
		{"unknown key", "listen: :1\nmax_batch_sise: 3\n", "max_batch_sise", 2, "did you mean max_batch_size"},
		{"unknown key without a guess", "frobnicate: 1\n", "frobnicate", 1, "unknown key"},
		{"key set twice", "max_batch_size: 3\nmax_batch_size: 4\n", "max_batch_size", 2, "set twice"},
		{"merge key is not a key", "base: &b {max_batch_size: 1}\n", "base", 1, "unknown key"},
		{"string for int", `max_batch_size: "32"`, "max_batch_size", 1, "must be an integer"},
		{"float for int", "max_batch_size: 3.5", "max_batch_size", 1, "must be an integer"},
		{"int overflow", "max_batch_size: 99999999999999999999", "max_batch_size", 1, "must be an integer"},
		{"yes for bool", "enable_batching: yes", "enable_batching", 1, "must be true or false"},
		{"int for bool", "enable_batching: 1", "enable_batching", 1, "must be true or false"},
		{"list for string", "listen: [a]", "listen", 1, "not a list"},
		{"null for string", "log_level:", "log_level", 1, "must be a string"},
		{"bool for string", "log_level: true", "log_level", 1, "must be a string"},
		{"bool for duration", "keep_alive: true", "keep_alive", 1, "must be a duration"},
		{"bad duration", "model_load_timeout: 5 minutes", "model_load_timeout", 1, "not a duration"},
		{"float for memory", "max_memory: 1.5", "max_memory", 1, "must be a number of bytes"},
		{"bad size", "max_request_body_bytes: 8 potatoes", "max_request_body_bytes", 1, "unknown size unit"},
		{"negative size", "max_request_body_bytes: -1", "max_request_body_bytes", 1, "negative"},
		{"scalar for list", "models: org/x", "models", 1, "must be a list"},
		{"mapping for list", "model_dirs: {a: b}", "model_dirs", 1, "must be a list"},
		{"list in list", "models:\n  - [a]\n", "models[0]", 2, "model reference or a mapping"},
		{"mapping in dir list", "model_dirs:\n  - {a: b}\n", "model_dirs[0]", 2, "must be a string"},
		{"bool in dir list", "model_dirs: [true]", "model_dirs[0]", 1, "must be a string, not a boolean"},
		{"unknown model key", "models:\n  - ref: org/a\n    pined: true\n", "models[0].pined", 3, "did you mean pinned"},
		{"model key twice", "models:\n  - ref: org/a\n    ref: org/b\n", "models[0].ref", 3, "set twice"},
		{"wrong model field type", "models:\n  - ref: org/a\n    pinned: \"yes\"\n", "models[0].pinned", 3, "must be true or false"},
		{"bad model keep_alive", "models:\n  - ref: org/a\n    keep_alive: soon\n", "models[0].keep_alive", 3, "not a duration"},
		{"bad model ref string", "models:\n  - \"=org/a\"\n", "models[0]", 2, "empty alias"},
		{"invalid YAML", "models: [a\n", "config", 0, "not valid YAML"},
		{"two documents", "listen: :1\n---\nlisten: :2\n", "config", 2, "more than one YAML document"},
		{"list at top", "- listen\n", "config", 1, "must be a mapping"},
		{"scalar at top", "hello\n", "config", 1, "must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "bad.yaml", tt.yaml)
			_, err := resolve(t, layers{args: []string{"--config", path}})
			if err == nil {
				t.Fatal("no error")
			}
			ce := asConfigError(t, err)
			if ce.Key != tt.wantKey || ce.Line != tt.wantLine || !strings.Contains(ce.Msg, tt.wantMsg) {
				t.Errorf("got key %q line %d msg %q; want key %q line %d msg containing %q",
					ce.Key, ce.Line, ce.Msg, tt.wantKey, tt.wantLine, tt.wantMsg)
			}
			if want := Source("file:" + path); ce.Source != want {
				t.Errorf("source %q, want %q", ce.Source, want)
			}
			if !strings.Contains(err.Error(), tt.wantKey) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), " a a") {
				t.Errorf("message %q does not name the key and the file, or stutters", err)
			}
		})
	}
}

// TestRangeErrors covers out-of-range values; each must name its key and the layer it came
// from.
func TestRangeErrors(t *testing.T) {
	tests := []struct {
		name       string
		l          layers
		wantKey    string
		wantSource string
	}{
		{"zero max_loaded_models", layers{args: []string{"--max-loaded-models=0"}}, "max_loaded_models", "flag:--max-loaded-models"},
		{"zero load timeout", layers{env: []string{"HFSERVE_MODEL_LOAD_TIMEOUT=0"}}, "model_load_timeout", "env:HFSERVE_MODEL_LOAD_TIMEOUT"},
		{"zero batch size", layers{args: []string{"--max-batch-size=0"}}, "max_batch_size", "flag:--max-batch-size"},
		{"negative batch wait", layers{args: []string{"--max-batch-wait-ms=-1"}}, "max_batch_wait_ms", "flag:--max-batch-wait-ms"},
		{"zero cache size", layers{args: []string{"--cache-max-size=0"}}, "cache_max_size", "flag:--cache-max-size"},
		{"zero cache ttl", layers{args: []string{"--cache-ttl-seconds=0"}}, "cache_ttl_seconds", "flag:--cache-ttl-seconds"},
		{"tiny cache bytes", layers{args: []string{"--cache-max-bytes=1KiB"}}, "cache_max_bytes", "flag:--cache-max-bytes"},
		{"bad cache backend", layers{env: []string{"HFSERVE_CACHE_BACKEND=memcached"}}, "cache_backend", "env:HFSERVE_CACHE_BACKEND"},
		{"redis url scheme", layers{args: []string{"--redis-url=http://127.0.0.1:6379"}}, "redis_url", "flag:--redis-url"},
		{"redis url without host", layers{file: "redis_url: redis:///0\n"}, "redis_url", "file"},
		{"redis url database", layers{args: []string{"--redis-url=redis://127.0.0.1:6379/zero"}}, "redis_url", "flag:--redis-url"},
		{"zero failure threshold", layers{args: []string{"--circuit-failure-threshold=0"}}, "circuit_failure_threshold", "flag:--circuit-failure-threshold"},
		{"zero circuit timeout", layers{args: []string{"--circuit-timeout-seconds=0"}}, "circuit_timeout_seconds", "flag:--circuit-timeout-seconds"},
		{"bad failure mode", layers{env: []string{"HFSERVE_CIRCUIT_FAILURE_MODE=sometimes"}}, "circuit_failure_mode", "env:HFSERVE_CIRCUIT_FAILURE_MODE"},
		{"zero failure percent", layers{args: []string{"--circuit-failure-percent=0"}}, "circuit_failure_percent", "flag:--circuit-failure-percent"},
		{"failure percent over 100", layers{file: "circuit_failure_percent: 101\n"}, "circuit_failure_percent", "file"},
		{"zero circuit window", layers{args: []string{"--circuit-window=0"}}, "circuit_window", "flag:--circuit-window"},
		{"zero half-open probes", layers{args: []string{"--circuit-half-open-probes=0"}}, "circuit_half_open_probes", "flag:--circuit-half-open-probes"},
		{"negative load backoff", layers{args: []string{"--model-load-backoff=-1s"}}, "model_load_backoff", "flag:--model-load-backoff"},
		{"negative concurrency", layers{args: []string{"--max-concurrent-requests-per-model=-1"}}, "max_concurrent_requests_per_model", "flag:--max-concurrent-requests-per-model"},
		{"negative read timeout", layers{args: []string{"--read-timeout=-1s"}}, "read_timeout", "flag:--read-timeout"},
		{"negative shutdown timeout", layers{file: "shutdown_timeout: -5\n"}, "shutdown_timeout", "file"},
		{"zero body size", layers{args: []string{"--max-request-body-bytes=0"}}, "max_request_body_bytes", "flag:--max-request-body-bytes"},
		{"bad log level", layers{env: []string{"HFSERVE_LOG_LEVEL=verbose"}}, "log_level", "env:HFSERVE_LOG_LEVEL"},
		{"empty log level", layers{env: []string{"HFSERVE_LOG_LEVEL="}}, "log_level", "env:HFSERVE_LOG_LEVEL"},
		{"bad log format", layers{args: []string{"--log-format=xml"}}, "log_format", "flag:--log-format"},
		{"listen without port", layers{args: []string{"--listen=localhost"}}, "listen", "flag:--listen"},
		{"listen with named port", layers{args: []string{"--listen=localhost:http"}}, "listen", "flag:--listen"},
		{"listen port too big", layers{args: []string{"--listen=:65536"}}, "listen", "flag:--listen"},
		{"empty data dir", layers{env: []string{"HFSERVE_DATA_DIR="}}, "data_dir", "env:HFSERVE_DATA_DIR"},
		{"empty model dir", layers{file: "model_dirs: ['']\n"}, "model_dirs[0]", "file"},
		{"duplicate alias", layers{args: []string{"--model=a=org/x", "--model=a=org/y"}}, "models[1].name", "flag:--model"},
		{"duplicate ref", layers{file: "models: [org/x, org/x]\n"}, "models[1].name", "file"},
		{"model without ref", layers{file: "models:\n  - name: a\n"}, "models[0].ref", "file"},
		{"unknown task", layers{file: "models:\n  - {ref: org/x, task: translate}\n"}, "models[0].task", "file"},
		{"unknown pooling", layers{file: "models:\n  - {ref: org/x, pooling: median}\n"}, "models[0].pooling", "file"},
		{"negative context", layers{file: "models:\n  - {ref: org/x, max_context: -1}\n"}, "models[0].max_context", "file"},
		{"negative model batch", layers{file: "models:\n  - {ref: org/x, max_batch_size: -1}\n"}, "models[0].max_batch_size", "file"},
		{"negative batch tokens", layers{file: "models:\n  - {ref: org/x, max_batch_tokens: -1}\n"}, "models[0].max_batch_tokens", "file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolve(t, tt.l)
			if err == nil {
				t.Fatal("no error")
			}
			ce := asConfigError(t, err)
			if ce.Key != tt.wantKey {
				t.Errorf("key %q, want %q (error: %v)", ce.Key, tt.wantKey, err)
			}
			if got := string(ce.Source); got != tt.wantSource && sourceKind(ce.Source) != tt.wantSource {
				t.Errorf("source %q, want %q", ce.Source, tt.wantSource)
			}
		})
	}
}

// TestValueErrors covers malformed values in the environment, which the flag package does not
// see, and in flags, which fs.Parse rejects as usage errors.
func TestValueErrors(t *testing.T) {
	envTests := []struct {
		env     string
		wantKey string
	}{
		{"HFSERVE_MAX_BATCH_SIZE=abc", "max_batch_size"},
		{"HFSERVE_MAX_BATCH_SIZE=", "max_batch_size"},
		{"HFSERVE_ENABLE_BATCHING=maybe", "enable_batching"},
		{"HFSERVE_KEEP_ALIVE=forever", "keep_alive"},
		{"HFSERVE_MAX_MEMORY=150%", "max_memory"},
		{"HFSERVE_MODELS=org/a,,org/b", "models"},
		{"HFSERVE_MODELS==org/a", "models"},
	}
	for _, tt := range envTests {
		_, err := resolve(t, layers{env: []string{tt.env}})
		if err == nil {
			t.Errorf("%s: no error", tt.env)
			continue
		}
		ce := asConfigError(t, err)
		name, _, _ := strings.Cut(tt.env, "=")
		if ce.Key != tt.wantKey || ce.Source != Source("env:"+name) {
			t.Errorf("%s: key %q source %q, want %q from env:%s", tt.env, ce.Key, ce.Source, tt.wantKey, name)
		}
	}
	for _, arg := range []string{"--max-batch-size=abc", "--enable-batching=maybe", "--max-memory=0%", "--model=", "--keep-alive=later"} {
		_, err := resolve(t, layers{args: []string{arg}})
		flagName, _, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		if err == nil || !strings.Contains(err.Error(), flagName) {
			t.Errorf("%s: error %v does not name the flag", arg, err)
		}
	}
}

// TestUnknownEnv rejects HFSERVE_* variables that are not keys, and allows the reserved ones.
func TestUnknownEnv(t *testing.T) {
	_, err := resolve(t, layers{env: []string{"HFSERVE_MAX_BATCH=3"}})
	if err == nil {
		t.Fatal("HFSERVE_MAX_BATCH accepted")
	}
	ce := asConfigError(t, err)
	if ce.Key != "max_batch" || ce.Source != "env:HFSERVE_MAX_BATCH" || !strings.Contains(ce.Msg, "did you mean max_batch_size") {
		t.Errorf("got %+v", ce)
	}
	for _, name := range ReservedEnv() {
		env := []string{name + "=x"}
		if name == "HFSERVE_CONFIG" {
			env = []string{name + "=" + writeFile(t, "empty.yaml", "")}
		}
		if _, err := resolve(t, layers{env: env}); err != nil {
			t.Errorf("reserved %s rejected: %v", name, err)
		}
	}
	// Other programs' variables and the lower-case prefix are none of our business.
	if _, err := resolve(t, layers{env: []string{"HF_HOME=/x", "hfserve_x=1", "XHFSERVE_Y=2"}}); err != nil {
		t.Errorf("foreign variables rejected: %v", err)
	}
}

// TestConfigFileProblems covers a config file that cannot be read.
func TestConfigFileProblems(t *testing.T) {
	missing := t.TempDir() + "/missing.yaml"
	tests := []struct {
		name       string
		l          layers
		wantSource Source
	}{
		{"missing via flag", layers{args: []string{"--config", missing}}, "flag:--config"},
		{"missing via env", layers{env: []string{"HFSERVE_CONFIG=" + missing}}, "env:HFSERVE_CONFIG"},
		{"a folder", layers{args: []string{"--config", t.TempDir()}}, "flag:--config"},
		{"empty name", layers{env: []string{"HFSERVE_CONFIG="}}, "env:HFSERVE_CONFIG"},
	}
	for _, tt := range tests {
		_, err := resolve(t, tt.l)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		ce := asConfigError(t, err)
		if ce.Key != "config" || ce.Source != tt.wantSource {
			t.Errorf("%s: key %q source %q, want config from %q", tt.name, ce.Key, ce.Source, tt.wantSource)
		}
	}
}

// TestAllProblemsReported checks that validation reports every bad key at once.
func TestAllProblemsReported(t *testing.T) {
	_, err := resolve(t, layers{args: []string{"--max-batch-size=0", "--log-level=loud"}})
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *Error
		if errors.As(e, &ce) {
			keys = append(keys, ce.Key)
		}
	}
	if strings.Join(keys, ",") != "max_batch_size,log_level" {
		t.Errorf("reported keys %q, want max_batch_size and log_level", keys)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Key: "k", Msg: "bad"}, "config: k: bad"},
		{Error{Key: "k", Source: "flag:--k", Msg: "bad"}, "config: k (from flag:--k): bad"},
		{Error{Key: "k", Source: "file:/c.yaml", Line: 3, Msg: "bad"}, "config: k (from file:/c.yaml, line 3): bad"},
		{Error{Key: "k", Line: 3, Msg: "bad"}, "config: k (line 3): bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%+v formats as %q, want %q", tt.err, got, tt.want)
		}
	}
}
