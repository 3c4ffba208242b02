package serving

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"hfserve/internal/config"
)

// tokenizerGolden is one line of a fixture's tokenizer_golden.jsonl (the
// Rust tokenizers' output).
type tokenizerGolden struct {
	Text               string   `json:"text"`
	IDs                []int32  `json:"ids"`
	Tokens             []string `json:"tokens"`
	Offsets            [][2]int `json:"offsets"` // characters
	IDsNoSpecial       []int32  `json:"ids_no_special"`
	Decoded            string   `json:"decoded"`
	DecodedSkipSpecial string   `json:"decoded_skip_special"`
}

func readTokenizerGolden(t *testing.T, name string) []tokenizerGolden {
	t.Helper()
	f, err := os.Open(filepath.Join(tiny, name, "tokenizer_golden.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tokenizerGolden
	lines := bufio.NewScanner(f)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		var g tokenizerGolden
		if err := json.Unmarshal(lines.Bytes(), &g); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// byteOffset converts a character offset into text to a byte offset.
func byteOffset(text string, char int) int {
	n := 0
	for i := range text {
		if n == char {
			return i
		}
		n++
	}
	return len(text)
}

// Tokenize reports the golden ids, the post-processor's tokens as special
// with no offsets, and every other token as its bytes of the input.
func TestTokenizeGolden(t *testing.T) {
	for _, name := range []string{"bert", "roberta", "xlm-roberta"} {
		t.Run(name, func(t *testing.T) {
			goldens := readTokenizerGolden(t, name)
			svc := newTestService(t, tinyModel(t, name))
			var texts []string
			for _, g := range goldens {
				texts = append(texts, g.Text)
			}
			for _, special := range []bool{true, false} {
				model, toks, err := svc.Tokenize(context.Background(), TokenizeRequest{Texts: texts, AddSpecialTokens: special})
				if err != nil {
					t.Fatal(err)
				}
				if model != name || len(toks) != len(goldens) {
					t.Fatalf("model %q, %d results", model, len(toks))
				}
				for i, g := range goldens {
					checkTokens(t, g, toks[i], special)
				}
			}
		})
	}
}

// checkTokens compares one text's TokenInfos with its golden line. The
// fixtures' templates add one special token before the text and one after
// it (FIXTURES.md).
func checkTokens(t *testing.T, g tokenizerGolden, got []TokenInfo, special bool) {
	t.Helper()
	// The golden's offsets are those of the ids with special tokens: without
	// them, token j is the golden's token j+1.
	ids, shift := g.IDsNoSpecial, 1
	if special {
		ids, shift = g.IDs, 0
	}
	if len(got) != len(ids) {
		t.Fatalf("%q: %d tokens, want %d", g.Text, len(got), len(ids))
	}
	for j, tok := range got {
		if tok.ID != ids[j] {
			t.Fatalf("%q: token %d is %d, want %d", g.Text, j, tok.ID, ids[j])
		}
		if special && (j == 0 || j == len(got)-1) {
			if !tok.Special || tok.Start != nil || tok.Stop != nil || tok.Text != g.Tokens[j] {
				t.Fatalf("%q: added token %d = %+v, want special %q without offsets", g.Text, j, tok, g.Tokens[j])
			}
			continue
		}
		off := g.Offsets[j+shift]
		start, stop := byteOffset(g.Text, off[0]), byteOffset(g.Text, off[1])
		if tok.Special || tok.Start == nil || tok.Stop == nil || *tok.Start != start || *tok.Stop != stop || tok.Text != g.Text[start:stop] {
			t.Fatalf("%q: token %d = %+v, want bytes [%d, %d) %q", g.Text, j, tok, start, stop, g.Text[start:stop])
		}
	}
}

// Decode gives the golden decoded texts, with and without special tokens.
func TestDecodeGolden(t *testing.T) {
	for _, name := range []string{"roberta", "gpt2", "qwen2"} {
		t.Run(name, func(t *testing.T) {
			goldens := readTokenizerGolden(t, name)
			svc := newTestService(t, tinyModel(t, name))
			var withSpecial, noSpecial [][]int32
			for _, g := range goldens {
				withSpecial = append(withSpecial, g.IDs)
				noSpecial = append(noSpecial, g.IDsNoSpecial)
			}
			_, skipped, err := svc.Decode(context.Background(), DecodeRequest{IDs: withSpecial, SkipSpecialTokens: true})
			if err != nil {
				t.Fatal(err)
			}
			_, kept, err := svc.Decode(context.Background(), DecodeRequest{IDs: noSpecial})
			if err != nil {
				t.Fatal(err)
			}
			for i, g := range goldens {
				if skipped[i] != g.DecodedSkipSpecial || kept[i] != g.Decoded {
					t.Fatalf("%q: decoded %q and %q, want %q and %q", g.Text, skipped[i], kept[i], g.DecodedSkipSpecial, g.Decoded)
				}
			}
		})
	}
}

// Describe reads the folder without loading the model, with max_context
// applied.
func TestDescribe(t *testing.T) {
	q := tinyModel(t, "qwen2")
	q.name, q.spec = "short-qwen", config.ModelSpec{MaxContext: 100}
	svc := newTestService(t, tinyModel(t, "qwen2"), q)
	var cfg struct {
		MaxPositions int `json:"max_position_embeddings"`
	}
	readJSON(t, filepath.Join(tiny, "qwen2", "config.json"), &cfg)
	for _, tc := range []struct {
		name string
		max  int
	}{{"", cfg.MaxPositions}, {"short-qwen", 100}} {
		d, err := svc.Describe(context.Background(), tc.name)
		if err != nil {
			t.Fatal(err)
		}
		// FIXTURES.md: qwen2 is stored in BF16.
		if d.DType != "BF16" || d.MaxPositions != tc.max || d.Params <= 0 || !d.Serves.HasTask("chat") {
			t.Fatalf("%q: %+v", tc.name, d)
		}
	}
	for _, st := range svc.Manager().Status() {
		if st.State != StateAvailable || st.Loads != 0 {
			t.Fatalf("Describe loaded a model: %+v", st)
		}
	}
}
