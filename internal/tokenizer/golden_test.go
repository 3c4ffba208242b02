package tokenizer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// goldenLine is one line of a golden.jsonl made with the Rust library
// (format in testdata/FIXTURES-README.md).
type goldenLine struct {
	Text               string       `json:"text"`
	Pair               *string      `json:"pair"`
	AddSpecial         *bool        `json:"add_special_tokens"`
	IDs                []int32      `json:"ids"`
	Tokens             []string     `json:"tokens"`
	Offsets            [][2]int     `json:"offsets"`
	TypeIDs            []int32      `json:"type_ids"`
	AttentionMask      []int32      `json:"attention_mask"`
	SpecialTokensMask  []int32      `json:"special_tokens_mask"`
	WordIDs            []int32      `json:"word_ids"`
	Overflowing        []goldenLine `json:"overflowing"`
	Error              *string      `json:"error"`
	NoSpecialError     *string      `json:"ids_no_special_error"`
	IDsNoSpecial       []int32      `json:"ids_no_special"`
	Decoded            *string      `json:"decoded"`
	DecodedSkipSpecial *string      `json:"decoded_skip_special"`
}

func readGolden(t *testing.T, path string) []goldenLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []goldenLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var g goldenLine
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, g)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no golden lines", path)
	}
	return out
}

// findTokenizerFile returns dir/tokenizer.json or dir/tokenizer.json.gz.
func findTokenizerFile(dir string) string {
	for _, name := range []string{"tokenizer.json", "tokenizer.json.gz"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

type goldenSet struct {
	name, tokenizer, golden string
	// keepParams keeps the file's truncation and padding (the shared
	// fixtures were made without them).
	keepParams bool
}

func goldenSets(t *testing.T) []goldenSet {
	var sets []goldenSet
	add := func(pattern, goldenName string) {
		dirs, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			g := filepath.Join(d, goldenName)
			if _, err := os.Stat(g); err != nil {
				continue
			}
			tf := findTokenizerFile(d)
			if tf == "" {
				t.Fatalf("%s: golden without tokenizer.json", d)
			}
			_, err := os.Stat(filepath.Join(d, "keep_params"))
			sets = append(sets, goldenSet{d, tf, g, err == nil})
		}
	}
	add("../../testdata/tokenizers/*", "golden.jsonl")
	add("../../testdata/models/tiny/*", "tokenizer_golden.jsonl")
	add("testdata/golden/*", "golden.jsonl")
	if len(sets) < 16 {
		t.Fatalf("found only %d golden sets", len(sets))
	}
	return sets
}

func TestGolden(t *testing.T) {
	sets := goldenSets(t)
	const llama3 = "../../../shared/fixtures/tokenizers/llama3"
	if _, err := os.Stat(filepath.Join(llama3, "golden.jsonl")); err == nil {
		sets = append(sets, goldenSet{llama3, filepath.Join(llama3, "tokenizer.json"), filepath.Join(llama3, "golden.jsonl"), false})
	} else {
		t.Logf("llama3 fixture not present (%v); skipping it", err)
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			tk, err := LoadFile(set.tokenizer)
			if err != nil {
				t.Fatal(err)
			}
			// Goldens are made without the file's padding and truncation.
			if !set.keepParams {
				tk = tk.WithPadding(nil).WithTruncation(nil)
			}
			fails := 0
			for i, g := range readGolden(t, set.golden) {
				if msg := checkGolden(tk, g); msg != "" {
					fails++
					if fails <= 5 {
						t.Errorf("line %d %q: %s", i+1, g.Text, msg)
					}
				}
			}
			if fails > 5 {
				t.Errorf("%d lines differ in total", fails)
			}
		})
	}
}

func checkGolden(tk *Tokenizer, g goldenLine) string {
	addSpecial := g.AddSpecial == nil || *g.AddSpecial
	encode := func(add bool) (*Encoding, error) {
		if g.Pair != nil {
			return tk.EncodePair(g.Text, *g.Pair, add)
		}
		return tk.Encode(g.Text, add)
	}
	enc, err := encode(addSpecial)
	if g.Error != nil {
		if err == nil {
			return "expected an error like the Rust library's: " + *g.Error
		}
		return ""
	}
	if err != nil {
		return "encode: " + err.Error()
	}
	if msg := compareEncoding(enc, g); msg != "" {
		return msg
	}
	if len(enc.Overflowing) != len(g.Overflowing) {
		return diff("overflowing count", len(enc.Overflowing), len(g.Overflowing))
	}
	for i, o := range g.Overflowing {
		if msg := compareEncoding(enc.Overflowing[i], o); msg != "" {
			return fmt.Sprintf("overflowing[%d]: %s", i, msg)
		}
	}
	if g.NoSpecialError != nil {
		if _, err := encode(false); err == nil {
			return "expected an error without special tokens like the Rust library's: " + *g.NoSpecialError
		}
	}
	if g.IDsNoSpecial != nil {
		e2, err := encode(false)
		if err != nil {
			return "encode without special tokens: " + err.Error()
		}
		if !eqIDs(e2.IDs, g.IDsNoSpecial) {
			return diff("ids_no_special", e2.IDs, g.IDsNoSpecial)
		}
		if g.Decoded != nil {
			d, err := tk.Decode(g.IDsNoSpecial, false)
			if err != nil {
				return "decode: " + err.Error()
			}
			if d != *g.Decoded {
				return diff("decoded", d, *g.Decoded)
			}
		}
	}
	if g.DecodedSkipSpecial != nil {
		d, err := tk.Decode(g.IDs, true)
		if err != nil {
			return "decode: " + err.Error()
		}
		if d != *g.DecodedSkipSpecial {
			return diff("decoded_skip_special", d, *g.DecodedSkipSpecial)
		}
	}
	return ""
}

// compareEncoding compares the fields the golden line has.
func compareEncoding(enc *Encoding, g goldenLine) string {
	if !eqIDs(enc.IDs, g.IDs) {
		return diff("ids", enc.IDs, g.IDs)
	}
	if g.Tokens != nil && !eqSlices(enc.Tokens, g.Tokens) {
		return diff("tokens", enc.Tokens, g.Tokens)
	}
	if g.Offsets != nil && !eqSlices(enc.Offsets, g.Offsets) {
		return diff("offsets", enc.Offsets, g.Offsets)
	}
	if g.WordIDs != nil && !eqIDs(enc.WordIDs, g.WordIDs) {
		return diff("word_ids", enc.WordIDs, g.WordIDs)
	}
	if g.TypeIDs != nil && !eqIDs(enc.TypeIDs, g.TypeIDs) {
		return diff("type_ids", enc.TypeIDs, g.TypeIDs)
	}
	if g.AttentionMask != nil && !eqIDs(enc.AttentionMask, g.AttentionMask) {
		return diff("attention_mask", enc.AttentionMask, g.AttentionMask)
	}
	if g.SpecialTokensMask != nil && !eqIDs(enc.SpecialTokensMask, g.SpecialTokensMask) {
		return diff("special_tokens_mask", enc.SpecialTokensMask, g.SpecialTokensMask)
	}
	return ""
}

func eqIDs(a, b []int32) bool { return eqSlices(a, b) }

// eqSlices compares element-wise; nil and empty are equal.
func eqSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func diff(what string, got, want any) string {
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	return what + ":\n got " + string(g) + "\nwant " + string(w)
}
