package tokenizer

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
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
	return out
}

// TestFastPathsMatchGeneral checks that the raw-byte fast path gives the
// same encodings as the general pipeline.
func TestFastPathsMatchGeneral(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/models/tiny/*/tokenizer.json")
	paths = append(paths, "../../testdata/tokenizers/gpt2/tokenizer.json.gz", "../../testdata/tokenizers/qwen3/tokenizer.json.gz")
	inputs := fastPathInputs(t)
	withFast := 0
	for _, p := range paths {
		tk, err := LoadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if tk.fastByteLevel == nil {
			continue
		}
		withFast++
		general := *tk
		general.fastByteLevel = nil
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
	if withFast < 5 {
		t.Fatalf("only %d tokenizers use the byte-level fast path", withFast)
	}
}
