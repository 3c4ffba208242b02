package tokenizer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hfserve/internal/tokenizer/chat"
)

func ptr[T any](v T) *T { return &v }

// TestLoadConfigFixtures checks LoadConfig against values read by hand from
// the fixtures' tokenizer_config.json and generation_config.json.
func TestLoadConfigFixtures(t *testing.T) {
	cases := []struct {
		dir            string
		bos, eos, pad  string
		unk            string
		addBOS, addEOS *bool
		maxLen         int
		cleanUp        bool
		templates      int
		eosIDs         []int32
		stop           []int32
	}{
		{dir: "../../testdata/tokenizers/qwen3", eos: "<|im_end|>", pad: "<|endoftext|>", addBOS: ptr(false),
			maxLen: 131072, templates: 1, stop: []int32{151645}},
		{dir: "../../testdata/tokenizers/mistral-32k", bos: "<s>", eos: "</s>", unk: "<unk>", addBOS: ptr(true), addEOS: ptr(false),
			maxLen: 0 /* 1e30 */, stop: []int32{2}},
		{dir: "../../testdata/models/tiny/bert", pad: "[PAD]", unk: "[UNK]", maxLen: 128, cleanUp: true},
		{dir: "../../testdata/models/tiny/qwen3", eos: "<|im_end|>", pad: "<|endoftext|>", addBOS: ptr(false), maxLen: 256,
			templates: 1, eosIDs: []int32{511}, stop: []int32{511}},
		{dir: "../../testdata/models/tiny/gpt2", bos: "<|endoftext|>", eos: "<|endoftext|>", unk: "<|endoftext|>", addBOS: ptr(false),
			maxLen: 128, templates: 1, eosIDs: []int32{499}, stop: []int32{499}},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			p, err := LoadDir(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			cfg := p.Config
			st := cfg.SpecialTokens
			if st.BOS != c.bos || st.EOS != c.eos || st.PAD != c.pad || st.UNK != c.unk {
				t.Errorf("special tokens %+v, want bos %q eos %q pad %q unk %q", st, c.bos, c.eos, c.pad, c.unk)
			}
			if !eqBoolPtr(cfg.AddBOSToken, c.addBOS) || !eqBoolPtr(cfg.AddEOSToken, c.addEOS) {
				t.Errorf("add_bos/add_eos %v/%v, want %v/%v", cfg.AddBOSToken, cfg.AddEOSToken, c.addBOS, c.addEOS)
			}
			if cfg.ModelMaxLength != c.maxLen || cfg.CleanUpTokenizationSpaces != c.cleanUp {
				t.Errorf("model_max_length %d clean_up %v, want %d %v", cfg.ModelMaxLength, cfg.CleanUpTokenizationSpaces, c.maxLen, c.cleanUp)
			}
			if len(cfg.ChatTemplates) != c.templates {
				t.Errorf("%d chat templates, want %d", len(cfg.ChatTemplates), c.templates)
			}
			if !eqIDs(cfg.EOSTokenIDs, c.eosIDs) || !eqIDs(p.StopTokenIDs(), c.stop) {
				t.Errorf("eos ids %v stop ids %v, want %v %v", cfg.EOSTokenIDs, p.StopTokenIDs(), c.eosIDs, c.stop)
			}
			if c.templates > 0 {
				tmpl, special, err := p.ChatTemplate("")
				if err != nil {
					t.Fatal(err)
				}
				out, err := tmpl.Render(t.Context(), chat.Input{Messages: []any{map[string]any{"role": "user", "content": "hi"}}, AddGenerationPrompt: true}, special)
				if err != nil || !strings.Contains(out, "<|im_start|>user\nhi<|im_end|>") {
					t.Errorf("render: %q %v", out, err)
				}
			} else if _, _, err := p.ChatTemplate(""); !errors.Is(err, chat.ErrNoChatTemplate) {
				t.Errorf("ChatTemplate without one: %v", err)
			}
		})
	}
}

func eqBoolPtr(a, b *bool) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// TestLoadConfigForms covers the other ways the files write things.
func TestLoadConfigForms(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tokenizer_config.json", `{"bos_token": {"content": "<s>", "lstrip": false, "__type": "AddedToken"},
		"eos_token": "</s>", "pad_token": null, "model_max_length": 1e30, "add_eos_token": true,
		"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]}`)
	write("generation_config.json", `{"eos_token_id": [2, 7, 9], "bos_token_id": 1}`)
	cfg, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SpecialTokens.BOS != "<s>" || cfg.SpecialTokens.EOS != "</s>" || cfg.SpecialTokens.PAD != "" {
		t.Errorf("special tokens %+v", cfg.SpecialTokens)
	}
	if cfg.ModelMaxLength != 0 || cfg.AddEOSToken == nil || !*cfg.AddEOSToken || cfg.AddBOSToken != nil {
		t.Errorf("max length %d add_eos %v add_bos %v", cfg.ModelMaxLength, cfg.AddEOSToken, cfg.AddBOSToken)
	}
	if cfg.ChatTemplates["default"] != "D" || cfg.ChatTemplates["tool_use"] != "T" || len(cfg.ChatTemplates) != 2 {
		t.Errorf("templates %v", cfg.ChatTemplates)
	}
	if !eqIDs(cfg.EOSTokenIDs, []int32{2, 7, 9}) {
		t.Errorf("eos ids %v", cfg.EOSTokenIDs)
	}

	empty, err := LoadConfig(t.TempDir())
	if err != nil || empty.ModelMaxLength != 0 || len(empty.ChatTemplates) != 0 || empty.EOSTokenIDs != nil {
		t.Errorf("empty folder: %+v %v", empty, err)
	}
	if _, err := LoadDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no tokenizer.json") {
		t.Errorf("LoadDir of an empty folder: %v", err)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	cases := []struct{ file, content, want string }{
		{"tokenizer_config.json", `{"model_max_length": "big"}`, "model_max_length"},
		{"tokenizer_config.json", `{"model_max_length": -1}`, "model_max_length"},
		{"tokenizer_config.json", `{"model_max_length": 12.5}`, "model_max_length"},
		{"tokenizer_config.json", `{"eos_token": 5}`, "eos_token"},
		{"tokenizer_config.json", `{"chat_template": 5}`, "chat_template"},
		{"tokenizer_config.json", `{"add_bos_token": "yes"}`, "tokenizer_config.json"},
		{"tokenizer_config.json", `[`, "tokenizer_config.json"},
		{"generation_config.json", `{"eos_token_id": "x"}`, "eos_token_id"},
		{"generation_config.json", `{"eos_token_id": [1, -2]}`, "negative"},
		{"generation_config.json", `{"eos_token_id": 1.5}`, "eos_token_id"},
	}
	for _, c := range cases {
		t.Run(c.content, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, c.file), []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

// TestCleanUpTokenizationSpaces: expected values from Python running
// transformers' clean_up_tokenization replace chain.
func TestCleanUpTokenizationSpaces(t *testing.T) {
	for _, c := range [][2]string{
		{"hello , world ! i 'm here .", "hello, world! i'm here."},
		{"don ' t do n't", "don't don't"},
		{"a ' s b", "a's b"},
		{"we 've  . ?", "we've .?"},
		{"x ' 'm", "x''m"},
		{"no change", "no change"},
	} {
		if got := CleanUpTokenizationSpaces(c[0]); got != c[1] {
			t.Errorf("CleanUpTokenizationSpaces(%q) = %q, want %q", c[0], got, c[1])
		}
	}
	p, err := LoadDir("../../testdata/models/tiny/bert")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := p.Encode("hello, world!", false)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := p.Tokenizer.Decode(enc.IDs, false)
	clean, _ := p.Decode(enc.IDs, false)
	if clean != CleanUpTokenizationSpaces(raw) || !p.Config.CleanUpTokenizationSpaces {
		t.Errorf("Pretrained.Decode %q, Tokenizer.Decode %q", clean, raw)
	}
}

// FuzzLoadConfig loads arbitrary tokenizer_config.json and
// generation_config.json files: an error or a config, never a panic.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte(`{"bos_token":{"content":"<s>"},"model_max_length":1e30,"chat_template":[{"name":"default","template":"x"}]}`), []byte(`{"eos_token_id":[1,2]}`))
	f.Add([]byte(`{"eos_token":"</s>","add_bos_token":true,"clean_up_tokenization_spaces":false}`), []byte(`{"eos_token_id":7}`))
	f.Add([]byte(`{"model_max_length":-3}`), []byte(`{"eos_token_id":null}`))
	f.Fuzz(func(t *testing.T, cfg, gen []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "generation_config.json"), gen, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := LoadConfig(dir)
		if err == nil && c.ModelMaxLength < 0 {
			t.Fatalf("negative model_max_length %d", c.ModelMaxLength)
		}
	})
}
