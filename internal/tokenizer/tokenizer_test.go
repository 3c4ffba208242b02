package tokenizer

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const minimalModel = `"model":{"type":"WordLevel","vocab":{"<unk>":0,"a":1,"b":2},"unk_token":"<unk>"}`

// TestUnknownComponentsAreErrors checks that every component type this
// package does not know is refused with an error naming it.
func TestUnknownComponentsAreErrors(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"normalizer", `{"normalizer":{"type":"Frobnicate"},` + minimalModel + `}`, `"Frobnicate"`},
		{"nested normalizer", `{"normalizer":{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"Zap"}]},` + minimalModel + `}`, `"Zap"`},
		{"pre_tokenizer", `{"pre_tokenizer":{"type":"UnicodeScripts2"},` + minimalModel + `}`, `"UnicodeScripts2"`},
		{"model", `{"model":{"type":"BNE","vocab":{}}}`, `"BNE"`},
		{"post_processor", `{"post_processor":{"type":"Magic"},` + minimalModel + `}`, `"Magic"`},
		{"decoder", `{"decoder":{"type":"Unbyte"},` + minimalModel + `}`, `"Unbyte"`},
		{"missing type", `{"decoder":{"prefix":"##"},` + minimalModel + `}`, `missing "type"`},
		{"split behavior", `{"pre_tokenizer":{"type":"Split","pattern":{"String":"-"},"behavior":"Sideways"},` + minimalModel + `}`, `"Sideways"`},
		{"bad regex", `{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"(?<"},"behavior":"Isolated"},` + minimalModel + `}`, `regex`},
		{"merge not in vocab", `{"model":{"type":"BPE","vocab":{"a":0},"merges":["a b"]}}`, `"b"`},
		{"version", `{"version":"2.0",` + minimalModel + `}`, `version`},
		{"not json", `{"model":`, `invalid JSON`},
		{"precompiled", `{"normalizer":{"type":"Precompiled","precompiled_charsmap":"AAAA"},` + minimalModel + `}`, `Precompiled`},
		{"type not a string", `{"normalizer":{"type":5},` + minimalModel + `}`, `normalizer`},
		{"model type not a string", `{"model":{"type":["BPE"],"vocab":{}}}`, `type`},
		{"added token field type", `{"added_tokens":[{"id":0,"content":"<unk>","special":"yes"}],` + minimalModel + `}`, `added`},
		{"added token id type", `{"added_tokens":[{"id":"zero","content":"<unk>"}],` + minimalModel + `}`, `added`},
		{"vocab not an object", `{"model":{"type":"WordPiece","vocab":[1,2]}}`, `vocab`},
		{"unigram vocab not pairs", `{"model":{"type":"Unigram","vocab":{"a":1}}}`, `vocab`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one mentioning %s", err, c.want)
			}
		})
	}
}

func TestEncodeRejectsInvalidUTF8(t *testing.T) {
	tk, err := LoadFile("../../testdata/models/tiny/gpt2/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Encode("ok \xff", true); !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("got %v, want ErrInvalidUTF8", err)
	}
}

func TestVocabularyLookups(t *testing.T) {
	tk, err := LoadFile("../../testdata/models/tiny/qwen3/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	// FIXTURES.md: ids 0..511 are all used, <|im_end|> is 511.
	if got := tk.VocabSize(); got != 512 {
		t.Fatalf("VocabSize = %d, want 512", got)
	}
	if id, ok := tk.TokenToID("<|im_end|>"); !ok || id != 511 {
		t.Fatalf("TokenToID(<|im_end|>) = %d, %v", id, ok)
	}
	if tok, ok := tk.IDToToken(509); !ok || tok != "<|endoftext|>" {
		t.Fatalf("IDToToken(509) = %q, %v", tok, ok)
	}
	if !tk.IsSpecial(510) || tk.IsSpecial(5) {
		t.Fatal("IsSpecial wrong")
	}
	if _, ok := tk.IDToToken(100000); ok {
		t.Fatal("IDToToken accepted an unknown id")
	}
}

func TestEncodeBatchPadsAndCancels(t *testing.T) {
	tk, err := LoadFile("../../testdata/models/tiny/bert/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"a", "hello world, this is longer", "mid size text"}
	single := make([]*Encoding, len(texts))
	for i, s := range texts {
		if single[i], err = tk.Encode(s, true); err != nil {
			t.Fatal(err)
		}
	}
	padded := tk.WithPadding(&PaddingParams{PadID: 0, PadToken: "[PAD]"})
	batch, err := padded.EncodeBatch(context.Background(), texts, true)
	if err != nil {
		t.Fatal(err)
	}
	longest := single[1].Len()
	for i, e := range batch {
		if e.Len() != longest {
			t.Fatalf("item %d has %d tokens, want %d", i, e.Len(), longest)
		}
		n := single[i].Len()
		if !eqIDs(e.IDs[:n], single[i].IDs) {
			t.Fatalf("item %d ids %v, want prefix %v", i, e.IDs, single[i].IDs)
		}
		for j := n; j < longest; j++ {
			if e.IDs[j] != 0 || e.AttentionMask[j] != 0 || e.SpecialTokensMask[j] != 1 {
				t.Fatalf("item %d token %d is not padding", i, j)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tk.EncodeBatch(ctx, texts, true); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
