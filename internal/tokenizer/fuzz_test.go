package tokenizer

import (
	"bytes"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// fuzzLoadSeeds are small valid tokenizer.json documents covering most
// component types (the fuzzer mutates and minimizes slowly on large inputs).
var fuzzLoadSeeds = []string{
	`{"version":"1.0","added_tokens":[{"id":0,"content":"[UNK]","special":true},{"id":5,"content":"<m>","lstrip":true,"single_word":true}],` +
		`"normalizer":{"type":"BertNormalizer","lowercase":true},"pre_tokenizer":{"type":"BertPreTokenizer"},` +
		`"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"[UNK]":0,"[CLS]":1,"[SEP]":2,"a":3,"##b":4}},` +
		`"post_processor":{"type":"TemplateProcessing","single":"[CLS] $A [SEP]","pair":"[CLS] $A [SEP] $B:1 [SEP]:1",` +
		`"special_tokens":{"[CLS]":{"id":"[CLS]","ids":[1],"tokens":["[CLS]"]},"[SEP]":{"id":"[SEP]","ids":[2],"tokens":["[SEP]"]}}},` +
		`"decoder":{"type":"WordPiece"},"truncation":{"max_length":8,"stride":1},"padding":{"strategy":{"Fixed":6}}}`,
	`{"normalizer":{"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"▁"},{"type":"Replace","pattern":{"String":" "},"content":"▁"}]},` +
		`"model":{"type":"BPE","unk_token":"<unk>","fuse_unk":true,"byte_fallback":true,"vocab":{"<unk>":0,"<0x41>":1,"▁":2,"a":3,"▁a":4},"merges":["▁ a"]},` +
		`"decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]}}`,
	`{"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\s+(?!\\S)|\\p{L}+"},"behavior":"Isolated","invert":false},` +
		`{"type":"ByteLevel","add_prefix_space":false,"use_regex":false},{"type":"Digits","individual_digits":true}]},` +
		`"model":{"type":"BPE","ignore_merges":true,"vocab":{"H":0,"i":1,"Hi":2,"Ġ":3},"merges":[["H","i"]]},` +
		`"post_processor":{"type":"RobertaProcessing","sep":["</s>",2],"cls":["<s>",0]},"decoder":{"type":"ByteLevel"}}`,
	`{"pre_tokenizer":{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":true},` +
		`"model":{"type":"Unigram","unk_id":0,"byte_fallback":true,"vocab":[["<unk>",0],["▁",-1],["a",-2],["<0x41>",-3]]},` +
		`"decoder":{"type":"Metaspace","replacement":"▁","prepend_scheme":"always"}}`,
	`{"normalizer":{"type":"NFKC"},"pre_tokenizer":{"type":"Whitespace"},"model":{"type":"WordLevel","vocab":{"<unk>":0,"a":1},"unk_token":"<unk>"},` +
		`"post_processor":{"type":"BertProcessing","sep":["a",1],"cls":["<unk>",0]},"decoder":{"type":"CTC"}}`,
}

func TestFuzzSeedsLoad(t *testing.T) {
	for i, s := range fuzzLoadSeeds {
		tk, err := Parse([]byte(s))
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		enc, err := tk.EncodePair("Hi a b  A", "aab", true)
		if err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		if enc.Len() == 0 {
			t.Fatalf("seed %d: no tokens", i)
		}
	}
}

// FuzzLoad feeds arbitrary bytes to the tokenizer.json loader: it must
// return an error or a tokenizer, never panic, and a loaded tokenizer must
// survive encoding and decoding.
func FuzzLoad(f *testing.F) {
	for _, seed := range fuzzLoadSeeds {
		f.Add([]byte(seed))
	}

	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]},"pre_tokenizer":{"type":"Split","pattern":{"Regex":"(?!"},"behavior":"Isolated"}}`))
	f.Add([]byte(`{"model":{"type":"Unigram","vocab":[["a",-1],["b",-2]],"unk_id":5}}`))
	f.Add([]byte(`{"model":{"type":"WordPiece","vocab":{"[UNK]":0}},"truncation":{"max_length":1,"stride":3}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"normalizer":{"type":"Sequence","normalizers":[{"type":"Precompiled","precompiled_charsmap":"AAAAAA=="},{"type":"Replace","pattern":{"Regex":"e*"},"content":"-"}]},` +
		`"model":{"type":"BPE","vocab":{"\u0061":0,"b":1,"ab":2,"-":3},"merges":[["a","\u0062"]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := Parse(data)
		if err != nil {
			return
		}
		for _, s := range []string{"", "Hello world!", "  <s> x\u00e9\u4e2d 12 ", "\x00\t\n"} {
			if enc, err := tk.Encode(s, true); err == nil {
				_, _ = tk.Decode(enc.IDs, true)
			}
			_, _ = tk.EncodePair(s, s, true)
		}
		_, _ = tk.Decode([]int32{-1, 0, 1, 2, 1 << 30}, false)
	})
}

// FuzzEncode encodes arbitrary strings with every fixture tokenizer: never
// a panic, offsets inside the text, and for byte-level BPE,
// decode(encode(s)) == s.
func FuzzEncode(f *testing.F) {
	paths, err := filepath.Glob("../../testdata/models/tiny/*/tokenizer.json")
	if err != nil || len(paths) == 0 {
		f.Fatalf("no tokenizers: %v", err)
	}
	var tks []*Tokenizer
	var names []string
	for _, p := range paths {
		tk, err := LoadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		tks = append(tks, tk)
		names = append(names, filepath.Base(filepath.Dir(p)))
	}
	for _, s := range []string{"", "Hello world!", "<|im_start|>user\nhi<|im_end|>", "  \t\n x", "日本語 😀🎉 e\u0301", "\xff\xfe", "[CLS] a [SEP] <mask>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, tk := range tks {
			enc, err := tk.Encode(s, true)
			if !utf8.ValidString(s) {
				if err == nil {
					t.Fatalf("%s: invalid UTF-8 accepted", names[i])
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", names[i], err)
			}
			n := utf8.RuneCountInString(s)
			for j, o := range enc.Offsets {
				if o[0] < 0 || o[0] > o[1] || o[1] > n {
					t.Fatalf("%s: token %d %q has offsets %v outside the text (%d chars)", names[i], j, enc.Tokens[j], o, n)
				}
			}
			if _, err := tk.Decode(enc.IDs, false); err != nil {
				t.Fatalf("%s: decode: %v", names[i], err)
			}
			if names[i] == "gpt2" || names[i] == "qwen2" || names[i] == "qwen3" || names[i] == "llama-tied" {
				plain, err := tk.Encode(s, false)
				if err != nil {
					t.Fatal(err)
				}
				got, err := tk.Decode(plain.IDs, false)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal([]byte(got), []byte(s)) && !(names[i] != "gpt2" && got == normalizeNFC(s)) {
					t.Fatalf("%s: decode(encode(%q)) = %q", names[i], s, got)
				}
			}
		}
	})
}

func normalizeNFC(s string) string {
	n := newNormalized(s)
	_ = unicodeNormalizer{form: normNFC}.normalize(&n)
	return n.text
}
