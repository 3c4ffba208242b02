package chat

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzInput is the fixed conversation every fuzzed template renders.
var fuzzInput = Input{
	Messages: []any{
		json.RawMessage(`{"role":"system","content":"sys"}`),
		json.RawMessage(`{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image"}]}`),
		json.RawMessage(`{"role":"assistant","content":"<think>x</think>ok","tool_calls":[{"function":{"name":"f","arguments":{"a":1,"b":[true,null,2.5]}}}]}`),
		json.RawMessage(`{"role":"tool","content":"42"}`),
	},
	Tools:               []any{json.RawMessage(`{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}`)},
	AddGenerationPrompt: true,
	Extra:               map[string]any{"enable_thinking": false},
}

// FuzzRender parses arbitrary template text and renders it: it must never
// panic or run away, and every failure must be one of the typed errors.
func FuzzRender(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/templates/*.jinja")
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	if b, err := os.ReadFile("testdata/golden/snippets.json"); err == nil {
		var g goldenFile
		if json.Unmarshal(b, &g) == nil {
			for _, c := range g.Cases {
				f.Add(c.Template)
			}
		}
	}
	if t, _, err := FromTokenizerConfig("../../../testdata/tokenizers/qwen3", ""); err == nil {
		f.Add(t.Source())
	}
	limits := Limits{MaxOutputBytes: 1 << 16, MaxAllocBytes: 1 << 22, MaxSteps: 50_000, MaxDepth: 20}
	special := SpecialTokens{BOS: "<s>", EOS: "</s>", Additional: []string{"<x>"}}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("Parse error %v (%T) is not a *SyntaxError with a line", err, err)
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := tmpl.WithLimits(limits).Render(ctx, fuzzInput, special)
		if err == nil {
			if len(out) > limits.MaxOutputBytes {
				t.Fatalf("output of %d bytes passed the %d-byte limit", len(out), limits.MaxOutputBytes)
			}
			return
		}
		var (
			re *RenderError
			ra *RaiseError
			le *LimitError
		)
		switch {
		case errors.As(err, &re), errors.As(err, &ra), errors.As(err, &le):
		case errors.Is(err, context.DeadlineExceeded):
			t.Fatalf("render ran past 10s despite limits")
		default:
			t.Fatalf("Render error %v (%T) is not a typed template error", err, err)
		}
	})
}

// FuzzConfig feeds arbitrary tokenizer_config.json text to the config
// reader; it must return an error or a template, never panic.
func FuzzConfig(f *testing.F) {
	paths, _ := filepath.Glob("testdata/configs/*/tokenizer_config.json")
	paths = append(paths, "../../../testdata/tokenizers/qwen3/tokenizer_config.json")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"chat_template": [{"name": 1}], "bos_token": {"content": 5}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"", "tool_use"} {
			tmpl, _, err := FromTokenizerConfig(dir, name)
			if err == nil && tmpl == nil {
				t.Fatal("no template and no error")
			}
		}
	})
}
