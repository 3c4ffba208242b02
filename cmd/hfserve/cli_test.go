package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// runCLI runs the CLI in-process with a clean environment plus extraEnv.
func runCLI(t *testing.T, extraEnv []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	home := t.TempDir()
	e := &env{stdout: &out, stderr: &errb, environ: append([]string{"HOME=" + home}, extraEnv...), homeDir: home}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestExitCodesAndOneLineErrors(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		wantErr  string // substring of the one stderr line
	}{
		{"no command", nil, nil, 2, "no command"},
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", nil, []string{"serve", "--no-such-flag"}, 2, "no-such-flag"},
		{"bad value", nil, []string{"serve", "--max-loaded-models", "many"}, 2, "max-loaded-models"},
		{"out of range", nil, []string{"serve", "--max-batch-size", "0", "--print-config"}, 2, "max_batch_size"},
		{"unknown env var", []string{"HFSERVE_MAX_LOADED_MODLES=3"}, []string{"serve", "--print-config"}, 2, "HFSERVE_MAX_LOADED_MODLES"},
		{"missing config file", nil, []string{"serve", "--config", "/nonexistent/hfserve.yaml", "--print-config"}, 2, "/nonexistent/hfserve.yaml"},
		{"serve positional", nil, []string{"serve", "model"}, 2, "unexpected argument"},
		{"show without model", nil, []string{"show"}, 2, "exactly one MODEL"},
		{"show bad ref", nil, []string{"show", "not a ref!"}, 2, "not a ref!"},
		{"show missing repo", nil, []string{"show", "org/missing"}, 1, "org/missing"},
		{"show folder without config", nil, []string{"show", "."}, 1, "config.json"},
		{"version extra arg", nil, []string{"version", "x"}, 2, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.env, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr %q", code, tt.wantCode, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "hfserve: ") {
				t.Fatalf("stderr must be exactly one line starting with 'hfserve: ', got %q", stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Fatalf("stderr %q does not mention %q", stderr, tt.wantErr)
			}
		})
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands() {
		code, stdout, stderr := runCLI(t, nil, c.name, "--help")
		if code != 0 || stderr != "" {
			t.Errorf("%s --help: code %d, stderr %q", c.name, code, stderr)
		}
		if n := strings.Count(stdout, "Usage: hfserve "+c.name); n != 1 {
			t.Errorf("%s --help prints its usage %d times, want once: %q", c.name, n, stdout)
		}
	}
	_, stdout, _ := runCLI(t, nil, "serve", "--help")
	for _, flag := range []string{"--listen", "--model", "--model-dir", "--config", "--max-loaded-models", "--print-config", "HFSERVE_MAX_LOADED_MODELS"} {
		if !strings.Contains(stdout, flag) {
			t.Errorf("serve --help does not document %s", flag)
		}
	}
	if code, stdout, _ := runCLI(t, nil, "help"); code != 0 || !strings.Contains(stdout, "serve") {
		t.Errorf("help: %d %q", code, stdout)
	}
}

func TestPrintConfigPrecedence(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "hfserve.yaml")
	if err := os.WriteFile(cfg, []byte("max_batch_size: 4\nmax_loaded_models: 2\ncache_max_size: 9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, []string{"HFSERVE_MAX_LOADED_MODELS=5", "HFSERVE_MAX_BATCH_SIZE=6"},
		"serve", "--config", cfg, "--max-batch-size", "8", "--print-config")
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	for _, want := range []string{
		"max_batch_size: 8 # flag:--max-batch-size",
		"max_loaded_models: 5 # env:HFSERVE_MAX_LOADED_MODELS",
		"cache_max_size: 9 # file:" + cfg,
		"cache_ttl_seconds: 300 # default",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--print-config lacks %q:\n%s", want, stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCLI(t, nil, "version")
	if code != 0 || !strings.Contains(stdout, runtime.Version()) || !strings.Contains(stdout, "commit:") || !strings.Contains(stdout, "cpu:") {
		t.Fatalf("version: %d %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, nil, "version", "--json")
	var b buildInfo
	if code != 0 || json.Unmarshal([]byte(stdout), &b) != nil || b.GoVersion != runtime.Version() || b.LogicalCores < 1 {
		t.Fatalf("version --json: %d %q", code, stdout)
	}
}

func TestLsModelDirAndCache(t *testing.T) {
	cache := t.TempDir()
	makeHubCache(t, cache, "org/tiny-bert", "../../testdata/models/tiny/bert")
	code, stdout, stderr := runCLI(t, []string{"HF_HUB_CACHE=" + cache}, "ls", "--model-dir", "../../testdata/models/tiny", "--json")
	if code != 0 {
		t.Fatalf("ls: %d %s", code, stderr)
	}
	var rows []listedModel
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatal(err)
	}
	byName := map[string]listedModel{}
	for _, r := range rows {
		byName[r.Name] = r
	}
	if len(rows) != 12 {
		t.Errorf("want 11 fixture folders + 1 cached repo, got %d rows", len(rows))
	}
	if r := byName["bert-cls"]; r.Architecture != "BertForSequenceClassification" || r.Source != "dir" || r.SizeBytes <= 0 {
		t.Errorf("bert-cls row: %+v", r)
	}
	if r := byName["org/tiny-bert"]; r.Source != "hf-cache" || r.Architecture != "BertModel" || len(r.Revisions) != 1 || r.Revisions[0] != "main" {
		t.Errorf("cached repo row: %+v", r)
	}
	code, stdout, _ = runCLI(t, []string{"HF_HUB_CACHE=" + cache}, "ls")
	if code != 0 || !strings.Contains(stdout, "org/tiny-bert") || !strings.HasPrefix(stdout, "NAME") {
		t.Fatalf("ls table: %d %q", code, stdout)
	}
}

func TestShow(t *testing.T) {
	cache := t.TempDir()
	makeHubCache(t, cache, "org/tiny-qwen2", "../../testdata/models/tiny/qwen2")
	code, stdout, stderr := runCLI(t, []string{"HF_HUB_CACHE=" + cache}, "show", "org/tiny-qwen2", "--json")
	if code != 0 {
		t.Fatalf("show: %d %s", code, stderr)
	}
	var s shownModel
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.Architecture != "Qwen2ForCausalLM" || s.DType != "BF16" || s.Params <= 0 || s.Commit == "" || !s.ChatTemplate || s.ContextLength <= 0 {
		t.Fatalf("show qwen2: %+v", s)
	}
	code, stdout, _ = runCLI(t, nil, "show", "../../testdata/models/tiny/bert-cls")
	if code != 0 || !strings.Contains(stdout, "classification") || !strings.Contains(stdout, "WordPiece") {
		t.Fatalf("show bert-cls: %d %q", code, stdout)
	}
	code, stdout, _ = runCLI(t, []string{"HFSERVE_DATA_DIR=" + t.TempDir()}, "show", "builtin")
	if code != 0 || !strings.Contains(stdout, "LlamaForCausalLM") {
		t.Fatalf("show builtin: %d %q", code, stdout)
	}
}

// makeHubCache lays src out as repo in a Hugging Face cache, as
// huggingface_hub does: blobs named by content, snapshot symlinks, refs/main.
func makeHubCache(t *testing.T, cache, repo, src string) {
	t.Helper()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	root := filepath.Join(cache, "models--"+strings.ReplaceAll(repo, "/", "--"))
	snap := filepath.Join(root, "snapshots", commit)
	for _, d := range []string{filepath.Join(root, "blobs"), snap, filepath.Join(root, "refs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		blob := strings.Repeat("ab", 19) + string(rune('a'+i%26)) + "0"
		if err := os.WriteFile(filepath.Join(root, "blobs", blob), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..", "..", "blobs", blob), filepath.Join(snap, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "refs", "main"), []byte(commit), 0o644); err != nil {
		t.Fatal(err)
	}
}
