package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadConfig: any config.json is accepted or refused with an error,
// never a panic, and an accepted one has dimensions a converter can use.
func FuzzReadConfig(f *testing.F) {
	for _, fx := range []string{"qwen2", "llama", "bert"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "models", "tiny", fx, "config.json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"model_type":"llama","hidden_size":64,"num_attention_heads":0}`))
	f.Add([]byte(`{"model_type":"qwen2","hidden_size":64,"num_attention_heads":4,"num_key_value_heads":-2,"vocab_size":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := readConfig(dir)
		if err != nil {
			return
		}
		if c.Vocab <= 0 || c.Layers <= 0 || c.HeadDim <= 0 || c.KVHeads <= 0 || c.Heads%c.KVHeads != 0 {
			t.Fatalf("accepted unusable config %+v", c)
		}
	})
}

// FuzzReadVocab: any tokenizer.json is accepted or refused, never a panic,
// and an accepted vocabulary has exactly the requested number of ids.
func FuzzReadVocab(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "models", "tiny", "qwen2", "tokenizer.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0,"b":600},"merges":[["a","b"],"a b",3]}}`))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":-1}},"added_tokens":[{"id":2,"content":"x","special":true}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "tokenizer.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		v, err := readVocab(path, 512)
		if err != nil {
			return
		}
		if len(v.tokens) != 512 || len(v.types) != 512 {
			t.Fatalf("%d tokens, %d types", len(v.tokens), len(v.types))
		}
		for i, typ := range v.types {
			if typ == 0 {
				t.Fatalf("id %d has no type", i)
			}
		}
	})
}
