package config

import (
	"os"
	"reflect"
	"regexp"
	"testing"
	"time"
)

// TestExampleFile checks that example.yaml documents every key, loads, and holds the defaults
// apart from its example models.
func TestExampleFile(t *testing.T) {
	data, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		if !regexp.MustCompile(`(?m)^(# )?` + k.Key + `:`).Match(data) {
			t.Errorf("example.yaml does not list %s", k.Key)
		}
	}

	loaded := mustResolve(t, layers{args: []string{"--config", "example.yaml"}})
	thirtyMinutes := 30 * time.Minute
	wantModels := []ModelSpec{
		{Ref: "./models/bert-base-uncased"},
		{Name: "qwen", Ref: "Qwen/Qwen3-0.6B@main"},
		{Name: "minilm", Ref: "sentence-transformers/all-MiniLM-L6-v2", Task: "embeddings", Pooling: "mean",
			MaxContext: 256, Pinned: true, KeepAlive: &thirtyMinutes, MaxBatchSize: 64,
			MaxBatchTokens: 16384, Preload: true},
		{Name: "chat", Ref: "./models/tiny-llama",
			ChatTemplate: "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}assistant:"},
	}
	if !reflect.DeepEqual(loaded.Config.Models, wantModels) {
		t.Errorf("example models:\n%+v\nwant\n%+v", loaded.Config.Models, wantModels)
	}
	got := loaded.Config
	got.Models = nil
	if want := testDefaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("example.yaml differs from the defaults:\n%+v\nwant\n%+v", got, want)
	}
	for _, k := range Keys() {
		if k.Key != "data_dir" && sourceKind(loaded.Sources[k.Key]) != "file" {
			t.Errorf("key %s is not set by example.yaml (source %s)", k.Key, loaded.Sources[k.Key])
		}
	}
}

// TestEmptyFile checks that an empty or comment-only file changes nothing.
func TestEmptyFile(t *testing.T) {
	for _, content := range []string{"", "# nothing\n", "---\n", "~\n"} {
		path := writeFile(t, "empty.yaml", content)
		loaded := mustResolve(t, layers{args: []string{"--config", path}})
		if !reflect.DeepEqual(loaded.Config, testDefaults()) {
			t.Errorf("file %q changed the config: %+v", content, loaded.Config)
		}
	}
}

// TestYAMLForms checks the YAML spellings a key accepts beyond the canonical ones.
func TestYAMLForms(t *testing.T) {
	tests := []struct {
		yaml  string
		check func(c Config) bool
	}{
		{"model_load_timeout: 300", func(c Config) bool { return c.ModelLoadTimeout == 300*time.Second }},
		{"model_load_timeout: '2m'", func(c Config) bool { return c.ModelLoadTimeout == 2*time.Minute }},
		{"keep_alive: -1", func(c Config) bool { return c.KeepAlive < 0 }},
		{"keep_alive: 0", func(c Config) bool { return c.KeepAlive == 0 }},
		{"max_request_body_bytes: 1048576", func(c Config) bool { return c.MaxRequestBodyBytes == 1<<20 }},
		{"max_request_body_bytes: 1MiB", func(c Config) bool { return c.MaxRequestBodyBytes == 1<<20 }},
		{"max_memory: 4294967296", func(c Config) bool { return c.MaxMemory.Bytes == 1<<32 }},
		{"max_memory: 50%", func(c Config) bool { return c.MaxMemory.Percent == 50 }},
		{"enable_batching: False", func(c Config) bool { return !c.EnableBatching }},
		{"models:", func(c Config) bool { return c.Models == nil }},
		{"models: []", func(c Config) bool { return c.Models == nil }},
		{"listen: :8080", func(c Config) bool { return c.Listen == ":8080" }},
		{"anchors: &a org/x\n", nil}, // unknown key, even as an anchor holder
		{"model_dirs: &d [/a]\nmodels:\n  - *d\n", nil},
		{"x: &r org/x\nmodels: [*r]", nil},
	}
	for _, tt := range tests {
		cfg, err := loadYAML([]byte(tt.yaml))
		if tt.check == nil {
			if err == nil {
				t.Errorf("%q: accepted", tt.yaml)
			}
			continue
		}
		if err != nil || !tt.check(cfg) {
			t.Errorf("%q: error %v, or wrong value in %+v", tt.yaml, err, cfg)
		}
	}
}

// TestYAMLAliases checks that anchors and aliases resolve to their values.
func TestYAMLAliases(t *testing.T) {
	cfg, err := loadYAML([]byte("listen: &l 127.0.0.1:9000\nmodels:\n  - &m {ref: org/x, pinned: true}\nmodel_dirs: [*l]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9000" || len(cfg.ModelDirs) != 1 || cfg.ModelDirs[0] != cfg.Listen || !cfg.Models[0].Pinned {
		t.Errorf("aliases not followed: %+v", cfg)
	}
}
