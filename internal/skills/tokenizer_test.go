package skills

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The component layouts below are those of real tokenizer.json files as
// described in testdata/FIXTURES-README.md and testdata/models/tiny/FIXTURES.md.
var tokenizerKindCases = []struct{ name, json, want string }{
	{"gpt2", `{"pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}`, "BPE (byte-level)"},
	{"llama3 sequence", `{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split"}, {"type": "ByteLevel"}]}, "model": {"type": "BPE", "ignore_merges": true}}`, "BPE (byte-level)"},
	{"mistral", `{"pre_tokenizer": {"type": "Metaspace"}, "decoder": {"type": "Sequence", "decoders": [{"type": "Replace"}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip"}]}, "model": {"type": "BPE", "byte_fallback": true}}`, "BPE (SentencePiece, byte fallback)"},
	{"llama legacy", `{"normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend"}, {"type": "Replace"}]}, "pre_tokenizer": null, "model": {"type": "BPE", "byte_fallback": true}}`, "BPE (SentencePiece, byte fallback)"},
	{"sentencepiece without fallback", `{"pre_tokenizer": {"type": "Metaspace"}, "model": {"type": "BPE", "byte_fallback": false}}`, "BPE (SentencePiece)"},
	{"plain BPE", `{"model": {"type": "BPE"}}`, "BPE"},
	{"wordpiece", `{"normalizer": {"type": "BertNormalizer"}, "model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}}`, "WordPiece"},
	{"unigram", `{"pre_tokenizer": {"type": "Metaspace"}, "model": {"type": "Unigram", "unk_id": 3, "vocab": [["<unk>", 0.0]]}}`, "Unigram"},
	{"unigram byte fallback", `{"model": {"type": "Unigram", "byte_fallback": true}}`, "Unigram (byte fallback)"},
	{"wordlevel", `{"model": {"type": "WordLevel"}}`, "WordLevel"},
	{"old file, no type: BPE", `{"model": {"merges": ["a b"], "vocab": {}}}`, "BPE"},
	{"old file, no type: Unigram", `{"model": {"unk_id": 0, "vocab": []}}`, "Unigram"},
	{"old file, no type: WordPiece", `{"model": {"continuing_subword_prefix": "##", "max_input_chars_per_word": 100}}`, "WordPiece"},
	{"empty", `{}`, "unknown"},
}

func TestTokenizerKind(t *testing.T) {
	tests := tokenizerKindCases
	for _, tt := range tests {
		ts, err := decodeTokenizerSummary([]byte(tt.json))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := ts.kind(); got != tt.want {
			t.Errorf("%s: kind = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTokenizerKindFiles(t *testing.T) {
	tests := []struct {
		name, file, content string
		want                string
	}{
		{"vocab.txt", "vocab.txt", "[UNK]\n", "WordPiece (vocab.txt only)"},
		{"vocab.json + merges.txt", "vocab.json", "{}", "BPE (vocab.json + merges.txt only)"},
		{"nothing", "", "", ""},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		if tt.file != "" {
			writeFile(t, dir, tt.file, tt.content)
			writeFile(t, dir, "merges.txt", "#version: 0.2\n")
		}
		kind, warning := tokenizerKind(dir)
		if kind != tt.want || !strings.Contains(warning, "no tokenizer.json") {
			t.Errorf("%s: kind %q warning %q, want %q", tt.name, kind, warning, tt.want)
		}
	}
}

// A real 50k-token vocabulary is decoded without building it; the result is
// the same as for the tiny fixture of the same style.
func TestTokenizerKindLargeVocab(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"added_tokens": [], "pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {`)
	for i := range 50000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"t`)
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(`":`)
		b.WriteString("1")
	}
	b.WriteString(`}, "merges": []}, "decoder": {"type": "ByteLevel"}}`)
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ts, err := readTokenizerSummary(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := ts.kind(); got != "BPE (byte-level)" {
		t.Errorf("kind = %q", got)
	}
}

func FuzzTokenizerSummary(f *testing.F) {
	// Small seeds keep the fuzzer fast; one real file shows it the full shape.
	for _, tc := range tokenizerKindCases {
		f.Add([]byte(tc.json))
	}
	if b, err := os.ReadFile(filepath.Join(tinyDir, "bert", "tokenizer.json")); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Sequence", "pretokenizers": []}]}}`))
	f.Add([]byte(`{"model": {"merges": null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := decodeTokenizerSummary(data)
		if err != nil {
			return
		}
		if ts.kind() == "" {
			t.Fatal("empty kind for a decodable tokenizer.json")
		}
	})
}
