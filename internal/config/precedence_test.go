package config

import (
	"os"
	"reflect"
	"testing"
	"time"
)

// TestPrecedenceScalars sets one key in more and more layers: each layer must override the
// one below it and be named as the source.
func TestPrecedenceScalars(t *testing.T) {
	const fileYAML = "max_batch_size: 8\nkeep_alive: 10m\n"
	fileEnv := []string{"HFSERVE_MAX_BATCH_SIZE=16", "HFSERVE_KEEP_ALIVE=-1"}
	flags := []string{"--max-batch-size", "4", "--keep-alive=0"}
	tests := []struct {
		name       string
		l          layers
		wantSize   int
		wantKeep   time.Duration
		wantSource string // source kind of both keys
	}{
		{"defaults", layers{}, 32, 5 * time.Minute, "default"},
		{"file over defaults", layers{file: fileYAML}, 8, 10 * time.Minute, "file"},
		{"env over file", layers{file: fileYAML, env: fileEnv}, 16, -time.Second, "env"},
		{"flag over env", layers{file: fileYAML, env: fileEnv, args: flags}, 4, 0, "flag"},
		{"flag over defaults", layers{args: flags}, 4, 0, "flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loaded := mustResolve(t, tt.l)
			if got := loaded.Config.MaxBatchSize; got != tt.wantSize {
				t.Errorf("max_batch_size = %d, want %d", got, tt.wantSize)
			}
			if got := loaded.Config.KeepAlive; got != tt.wantKeep {
				t.Errorf("keep_alive = %v, want %v", got, tt.wantKeep)
			}
			for _, key := range []string{"max_batch_size", "keep_alive"} {
				if got := sourceKind(loaded.Sources[key]); got != tt.wantSource {
					t.Errorf("source of %s = %q, want a %s source", key, loaded.Sources[key], tt.wantSource)
				}
			}
			if got := loaded.Sources["listen"]; got != SourceDefault {
				t.Errorf("untouched key listen has source %q", got)
			}
		})
	}
}

// TestPrecedenceLists checks that a higher layer replaces a list outright, never merges.
func TestPrecedenceLists(t *testing.T) {
	const fileYAML = `
models:
  - name: a
    ref: org/a
    pinned: true
  - org/b
model_dirs: [/file/one, /file/two]
`
	sep := string(os.PathListSeparator)
	env := []string{"HFSERVE_MODELS=c=org/c,./d", "HFSERVE_MODEL_DIRS=/env/one" + sep + "/env/two"}
	flags := []string{"--model", "e=org/e@main", "--model-dir", "/flag/one", "--model", "org/f"}
	tests := []struct {
		name       string
		l          layers
		wantModels []ModelSpec
		wantDirs   []string
	}{
		{"defaults", layers{}, nil, nil},
		{"file", layers{file: fileYAML},
			[]ModelSpec{{Name: "a", Ref: "org/a", Pinned: true}, {Ref: "org/b"}},
			[]string{"/file/one", "/file/two"}},
		{"env over file", layers{file: fileYAML, env: env},
			[]ModelSpec{{Name: "c", Ref: "org/c"}, {Ref: "./d"}},
			[]string{"/env/one", "/env/two"}},
		{"flags over env", layers{file: fileYAML, env: env, args: flags},
			[]ModelSpec{{Name: "e", Ref: "org/e@main"}, {Ref: "org/f"}},
			[]string{"/flag/one"}},
		{"empty env clears the file's list", layers{file: fileYAML, env: []string{"HFSERVE_MODELS="}},
			nil, []string{"/file/one", "/file/two"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loaded := mustResolve(t, tt.l)
			if !reflect.DeepEqual(loaded.Config.Models, tt.wantModels) {
				t.Errorf("models = %+v, want %+v", loaded.Config.Models, tt.wantModels)
			}
			if !reflect.DeepEqual(loaded.Config.ModelDirs, tt.wantDirs) {
				t.Errorf("model_dirs = %q, want %q", loaded.Config.ModelDirs, tt.wantDirs)
			}
		})
	}
}

// TestConfigFileChoice checks that --config beats HFSERVE_CONFIG, and HFSERVE_CONFIG works
// alone.
func TestConfigFileChoice(t *testing.T) {
	fromEnv := writeFile(t, "env.yaml", "max_loaded_models: 2\n")
	fromFlag := writeFile(t, "flag.yaml", "max_loaded_models: 3\n")

	loaded := mustResolve(t, layers{env: []string{"HFSERVE_CONFIG=" + fromEnv}})
	if loaded.Config.MaxLoadedModels != 2 || loaded.File != fromEnv {
		t.Errorf("HFSERVE_CONFIG: max_loaded_models %d from %q, want 2 from %q", loaded.Config.MaxLoadedModels, loaded.File, fromEnv)
	}
	if want := Source("file:" + fromEnv); loaded.Sources["max_loaded_models"] != want {
		t.Errorf("source %q, want %q", loaded.Sources["max_loaded_models"], want)
	}

	loaded = mustResolve(t, layers{env: []string{"HFSERVE_CONFIG=" + fromEnv}, args: []string{"--config", fromFlag}})
	if loaded.Config.MaxLoadedModels != 3 || loaded.File != fromFlag {
		t.Errorf("--config: max_loaded_models %d from %q, want 3 from %q", loaded.Config.MaxLoadedModels, loaded.File, fromFlag)
	}
}

// TestEveryKeyHasEveryLayer sets each scalar key through each layer to a non-default value
// and checks it arrives, so no key is reachable from only some layers.
func TestEveryKeyHasEveryLayer(t *testing.T) {
	// A valid non-default value for each key, in text form.
	values := map[string]string{
		"listen": "0.0.0.0:9999", "max_loaded_models": "3", "model_load_timeout": "90", "capacity_wait": "7",
		"enable_batching": "false", "max_batch_size": "7", "max_batch_wait_ms": "5", "max_batch_tokens": "99", "max_num_seqs": "3", "max_queue_size": "11", "kv_cache_memory": "64MiB",
		"enable_caching": "false", "cache_max_size": "9", "cache_ttl_seconds": "11",
		"cache_max_bytes": "2MiB", "cache_backend": "redis", "redis_url": "redis://cache.internal:6380/2",
		"enable_circuit_breaker": "false", "circuit_failure_threshold": "2",
		"circuit_timeout_seconds": "13", "circuit_failure_mode": "ratio", "circuit_failure_percent": "30",
		"circuit_window": "2m", "circuit_half_open_probes": "3", "model_load_backoff": "4s",
		"max_concurrent_requests_per_model": "6", "max_memory": "2GiB", "keep_alive": "1h",
		"preload": "true", "kernels": "avx2", "read_header_timeout": "3s", "read_timeout": "4s",
		"write_timeout": "5s", "idle_timeout": "6s", "request_timeout": "7s",
		"shutdown_timeout": "8s", "max_request_body_bytes": "1MiB", "log_level": "debug",
		"log_format": "json", "log_prompts": "true", "metrics_enabled": "false",
		"otel_endpoint": "http://collector:4318", "otel_protocol": "grpc", "otel_service_name": "svc", "otel_sampling_ratio": "0.25", "data_dir": "/var/lib/hfserve", "allow_download": "true",
		"download_concurrency": "2", "auth_enabled": "true", "admin_key": "0123456789abcdef0123456789abcdef-x",
		"auth_store": "redis", "metrics_require_key": "true", "auth_max_failures": "3", "auth_lockout": "30s",
		"usage_flush_interval": "2s", "tls_cert": "/etc/hfserve/cert.pem", "tls_key": "/etc/hfserve/key.pem",
		"cors_allowed_origins": "https://app.example.com", "max_input_tokens": "100", "max_output_tokens": "50",
		"models": "m=org/m", "model_dirs": "/models",
	}
	def := reflect.ValueOf(testDefaults())
	for i, k := range Keys() {
		text, ok := values[k.Key]
		if !ok {
			t.Errorf("key %s: no test value; add one", k.Key)
			continue
		}
		scenarios := map[string]layers{
			"file": {file: k.Key + ": " + yamlFlow(k.Type, text) + "\n"},
			"env":  {env: []string{k.Env + "=" + text}},
			"flag": {args: []string{k.Flag + "=" + text}},
		}
		for layer, l := range scenarios {
			loaded, err := resolve(t, l)
			if err != nil {
				t.Errorf("key %s via %s: %v", k.Key, layer, err)
				continue
			}
			got := reflect.ValueOf(loaded.Config).Field(i)
			if reflect.DeepEqual(got.Interface(), def.Field(i).Interface()) {
				t.Errorf("key %s via %s: still the default %v", k.Key, layer, got)
			}
			if sourceKind(loaded.Sources[k.Key]) != layer {
				t.Errorf("key %s via %s: source %q", k.Key, layer, loaded.Sources[k.Key])
			}
		}
	}
}

// yamlFlow writes a test value for a YAML file: lists in flow style, strings quoted so that
// a value like "false" stays what the key's type makes of it.
func yamlFlow(typ, text string) string {
	switch typ {
	case "list", "models":
		return "[" + text + "]"
	case "bool", "int", "float":
		return text
	}
	return `"` + text + `"`
}

// sourceKind is the layer part of a source: default, file, env or flag.
func sourceKind(s Source) string {
	for i, r := range s {
		if r == ':' {
			return string(s[:i])
		}
	}
	return string(s)
}
