package tokenizer

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fastPathInputs are the corpus strings plus random mixtures of them.
func fastPathInputs(t testing.TB) []string {
	data, err := os.ReadFile("../../testdata/tokenizers/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var corpus []string
	if err := json.Unmarshal(data, &corpus); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(7))
	out := append([]string{}, corpus...)
	for i := 0; i < 200; i++ {
		a, b := []rune(corpus[r.Intn(len(corpus))]), []rune(corpus[r.Intn(len(corpus))])
		out = append(out, string(a[:r.Intn(len(a)+1)])+"<|im_start|><|endoftext|>"[:r.Intn(26)]+string(b[r.Intn(len(b)+1):]))
	}
	// ASCII mixtures for the WordPiece path: punctuation runs, special
	// tokens, words longer than max_input_chars_per_word, controls.
	const pieces = "Hello WORLD [CLS] [SEP][MASK] [PAD]x unaffable don't e.g. a-b_c 3.14 \t\n\r\x01 \x7f ~`|^ " +
		"supercalifragilisticexpialidocious zzzzqqqq ##ing [unused0] "
	others := []string{"naïve", "中文ab", "Ünï,x", "\u00a0", "\u3000x", "a\u200bb", "é\x01Z", "\x0b", "\u0301", "😀!", "\ufffd", "ǅemal"}
	for i := 0; i < 300; i++ {
		var b []byte
		for n := r.Intn(12); n >= 0; n-- {
			start := r.Intn(len(pieces))
			b = append(b, pieces[start:start+r.Intn(len(pieces)-start+1)]...)
			if i >= 150 && r.Intn(2) == 0 { // half of them mix in non-ASCII chunks
				b = append(b, others[r.Intn(len(others))]...)
			}
		}
		out = append(out, string(b))
	}
	return append(out, strings.Repeat("a", 99), strings.Repeat("a", 100), strings.Repeat("a", 101), strings.Repeat("ab", 300)+" x")
}

// TestFastPathsMatchGeneral checks that the raw-byte fast path gives the
// same encodings as the general pipeline.
func TestFastPathsMatchGeneral(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/models/tiny/*/tokenizer.json")
	paths = append(paths, "../../testdata/tokenizers/gpt2/tokenizer.json.gz", "../../testdata/tokenizers/qwen3/tokenizer.json.gz",
		"../../testdata/tokenizers/bert-uncased-minilm/tokenizer.json")
	inputs := fastPathInputs(t)
	withFast, withWordPiece := 0, 0
	for _, p := range paths {
		tk, err := LoadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if tk.fastByteLevel == nil && tk.fastWordPiece == nil {
			continue
		}
		withFast++
		if tk.fastWordPiece != nil {
			withWordPiece++
		}
		general := *tk
		general.fastByteLevel, general.fastWordPiece = nil, nil
		for _, s := range inputs {
			for _, add := range []bool{true, false} {
				want, err := general.Encode(s, add)
				if err != nil {
					t.Fatal(err)
				}
				got, err := tk.Encode(s, add)
				if err != nil {
					t.Fatal(err)
				}
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				if string(g) != string(w) {
					t.Fatalf("%s %q:\n got %s\nwant %s", p, s, g, w)
				}
			}
		}
	}
	if withFast < 9 || withWordPiece < 4 {
		t.Fatalf("only %d tokenizers use a fast path (%d the WordPiece one)", withFast, withWordPiece)
	}
}
