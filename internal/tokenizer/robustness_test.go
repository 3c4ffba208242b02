package tokenizer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// robustTokenizers cover every model type and the normalizers that rewrite
// text (Replace, Precompiled, BertNormalizer, NFKC).
var robustTokenizers = []struct {
	path      string
	roundTrip bool // decode(encode(s)) == s for any valid UTF-8
}{
	{"../../testdata/tokenizers/gpt2/tokenizer.json.gz", true},
	{"../../testdata/tokenizers/qwen3/tokenizer.json.gz", false}, // NFC
	{"../../testdata/tokenizers/mistral-32k/tokenizer.json.gz", false},
	{"../../testdata/tokenizers/bert-uncased-minilm/tokenizer.json", false},
	{"../../testdata/models/tiny/xlm-roberta/tokenizer.json", false},
	{"testdata/golden/spm-t5-unigram/tokenizer.json", false},
	{"testdata/golden/model-wordlevel/tokenizer.json", false},
}

func loadRobust(t *testing.T, path string) *Tokenizer {
	t.Helper()
	tk, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return tk.WithTruncation(nil).WithPadding(nil)
}

// checkEncoding checks what must hold for any encoding of s.
func checkEncoding(t *testing.T, tk *Tokenizer, s string, enc *Encoding) {
	t.Helper()
	n := utf8.RuneCountInString(s)
	for i, id := range enc.IDs {
		if _, ok := tk.IDToToken(id); !ok {
			t.Fatalf("token %d: id %d not in the vocabulary", i, id)
		}
		o, b := enc.Offsets[i], enc.ByteOffsets[i]
		if o[0] < 0 || o[0] > o[1] || o[1] > n || b[0] < 0 || b[0] > b[1] || b[1] > len(s) {
			t.Fatalf("token %d %q: offsets %v / bytes %v outside the text (%d chars, %d bytes)", i, enc.Tokens[i], o, b, n, len(s))
		}
	}
}

// TestLargeInputs encodes a 1 MB text and a text of more than 100k tokens
// with every kind of pipeline: correct output, no error, bounded time.
func TestLargeInputs(t *testing.T) {
	data, err := os.ReadFile("../../testdata/tokenizers/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus []string
	if err := json.Unmarshal(data, &corpus); err != nil {
		t.Fatal(err)
	}
	mixed := strings.Join(corpus, "\n")
	megabyte := strings.Repeat(mixed, 1<<20/len(mixed)+1)
	manyTokens := strings.Repeat("a ", 100_000)
	for _, rt := range robustTokenizers {
		t.Run(rt.path, func(t *testing.T) {
			tk := loadRobust(t, rt.path)
			enc, err := tk.Encode(megabyte, true)
			if err != nil {
				t.Fatal(err)
			}
			checkEncoding(t, tk, megabyte, enc)
			if enc.Len() < 100_000 {
				t.Errorf("1 MB gave only %d tokens", enc.Len())
			}
			if rt.roundTrip {
				plain, err := tk.Encode(megabyte, false)
				if err != nil {
					t.Fatal(err)
				}
				if got, err := tk.Decode(plain.IDs, false); err != nil || got != megabyte {
					t.Errorf("decode(encode(1 MB)) differs (%v)", err)
				}
			}
			enc, err = tk.Encode(manyTokens, false)
			if err != nil {
				t.Fatal(err)
			}
			checkEncoding(t, tk, manyTokens, enc)
			if enc.Len() < 100_000 {
				t.Errorf("%d tokens for 100k words", enc.Len())
			}
			// Truncation of a long input: exactly max_length tokens.
			tr := tk.WithTruncation(&TruncationParams{MaxLength: 512, Strategy: LongestFirst})
			if enc, err := tr.Encode(megabyte, true); err != nil || enc.Len() != 512 {
				t.Errorf("truncated 1 MB: %v tokens, %v", enc, err)
			}
		})
	}
}

// TestControlCharacters encodes every C0 and C1 control, DEL, BOM, the
// replacement character, lone combining marks and unassigned code points.
func TestControlCharacters(t *testing.T) {
	var b strings.Builder
	for c := rune(0); c < 0x20; c++ {
		b.WriteString("x" + string(c))
	}
	for c := rune(0x7F); c <= 0x9F; c++ {
		b.WriteString(string(c) + " ")
	}
	b.WriteString("\ufeffbom \ufffd \u0301\u0301 a\u200d\u200c \U000E0001 \U0010FFFF \uFFFF \u2028\u2029 end\x00")
	inputs := []string{b.String(), "\x00", "\r\n", "\u0301", " \t ", ""}
	for _, rt := range robustTokenizers {
		tk := loadRobust(t, rt.path)
		for _, s := range inputs {
			for _, add := range []bool{true, false} {
				enc, err := tk.Encode(s, add)
				if err != nil {
					t.Fatalf("%s %q: %v", rt.path, s, err)
				}
				checkEncoding(t, tk, s, enc)
				if _, err := tk.Decode(enc.IDs, false); err != nil {
					t.Fatalf("%s %q: decode: %v", rt.path, s, err)
				}
				if rt.roundTrip && !add {
					if got, _ := tk.Decode(enc.IDs, false); got != s {
						t.Errorf("%s: decode(encode(%q)) = %q", rt.path, s, got)
					}
				}
			}
		}
	}
}

// TestInvalidUTF8Everywhere: every entry point refuses invalid UTF-8 with
// ErrInvalidUTF8, and decoding unknown ids neither fails nor panics.
func TestInvalidUTF8Everywhere(t *testing.T) {
	bad := []string{"\xff", "ok \xc3", "\xed\xa0\x80 surrogate", "a\xc0\xafb"}
	for _, rt := range robustTokenizers {
		tk := loadRobust(t, rt.path)
		for _, s := range bad {
			if _, err := tk.Encode(s, true); !errors.Is(err, ErrInvalidUTF8) {
				t.Errorf("%s Encode(%q): %v", rt.path, s, err)
			}
			if _, err := tk.EncodePair("fine", s, true); !errors.Is(err, ErrInvalidUTF8) {
				t.Errorf("%s EncodePair(_, %q): %v", rt.path, s, err)
			}
			if _, err := tk.EncodeBatch(context.Background(), []string{"fine", s, "fine"}, true); !errors.Is(err, ErrInvalidUTF8) || !strings.Contains(err.Error(), "item 1") {
				t.Errorf("%s EncodeBatch with %q: %v", rt.path, s, err)
			}
		}
		if _, err := tk.Decode([]int32{-1, 1 << 30, 0, -1 << 31}, true); err != nil {
			t.Errorf("%s: decode of unknown ids: %v", rt.path, err)
		}
	}
}
