package chat

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestTemplatesAgreesWithFromTokenizerConfig checks that Templates lists
// exactly the templates FromTokenizerConfig finds, name by name, on every
// fixture folder plus one with additional_chat_templates.
func TestTemplatesAgreesWithFromTokenizerConfig(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/configs/*")
	more, _ := filepath.Glob("../../../testdata/models/tiny/*/tokenizer_config.json")
	if len(more) < 5 {
		t.Fatalf("only %d tiny model folders", len(more))
	}
	for _, p := range more {
		dirs = append(dirs, filepath.Dir(p))
	}
	dirs = append(dirs, "../../../testdata/tokenizers/qwen3", "testdata/configs/does-not-exist")

	extra := t.TempDir()
	copyFile(t, "testdata/configs/named/tokenizer_config.json", filepath.Join(extra, "tokenizer_config.json"))
	if err := os.MkdirAll(filepath.Join(extra, "additional_chat_templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{"tool_use": "T{{ 1 }}", "summarize": "S", "default": "ignored"} {
		if err := os.WriteFile(filepath.Join(extra, "additional_chat_templates", name+".jinja"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dirs = append(dirs, extra)

	for _, dir := range dirs {
		templates, special, err := Templates(dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, name := range []string{"", "default", "tool_use", "rag", "summarize", "nonesuch"} {
			key := name
			if key == "" {
				key = "default"
			}
			tmpl, special2, err := FromTokenizerConfig(dir, name)
			src, ok := templates[key]
			switch {
			case !ok && !errors.Is(err, ErrNoChatTemplate):
				t.Errorf("%s %q: Templates has none, FromTokenizerConfig says %v", dir, name, err)
			case ok && err != nil:
				t.Errorf("%s %q: Templates has one, FromTokenizerConfig says %v", dir, name, err)
			case ok && tmpl.Source() != src:
				t.Errorf("%s %q: sources differ", dir, name)
			case ok && special2.BOS != special.BOS:
				t.Errorf("%s %q: special tokens differ", dir, name)
			}
		}
	}
	got, _, _ := Templates(extra)
	if got["summarize"] != "S" || got["tool_use"] != "T{{ 1 }}" || got["default"] == "ignored" {
		t.Errorf("additional_chat_templates not applied as expected: %v", got)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
