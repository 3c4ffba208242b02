package tokenizer

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchTokenizers are the tokenizers benchmarked; llama3 only when the
// shared fixture is present.
var benchTokenizers = []struct{ name, path string }{
	{"gpt2", "../../testdata/tokenizers/gpt2/tokenizer.json.gz"},
	{"bert", "../../testdata/tokenizers/bert-uncased-minilm/tokenizer.json"},
	{"qwen3", "../../testdata/tokenizers/qwen3/tokenizer.json.gz"},
	{"llama3", "../../../shared/fixtures/tokenizers/llama3/tokenizer.json"},
}

// benchCorpus returns the corpus strings and a long English text (the
// fixture documentation, repeated to about 1 MB). testdata/bench/bench.js
// builds the same inputs for the Rust library. The batch benchmark encodes
// the lines of that text four times over (about 4 MB, 49k texts).
func benchCorpus(b *testing.B) ([]string, string) {
	b.Helper()
	data, err := os.ReadFile("../../testdata/tokenizers/corpus.json")
	if err != nil {
		b.Fatal(err)
	}
	var corpus []string
	if err := json.Unmarshal(data, &corpus); err != nil {
		b.Fatal(err)
	}
	var src bytes.Buffer
	for _, p := range []string{"../../testdata/FIXTURES-README.md", "../../testdata/models/tiny/FIXTURES.md"} {
		d, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		src.Write(d)
	}
	long := strings.Repeat(src.String(), 1<<20/src.Len()+1)
	return corpus, long
}

func loadBench(b *testing.B, path string) *Tokenizer {
	b.Helper()
	if _, err := os.Stat(path); err != nil {
		b.Skipf("%s not present", filepath.Base(filepath.Dir(path)))
	}
	tk, err := LoadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return tk.WithPadding(nil).WithTruncation(nil)
}

func BenchmarkEncode(b *testing.B) {
	corpus, long := benchCorpus(b)
	corpusBytes := 0
	for _, s := range corpus {
		corpusBytes += len(s)
	}
	for _, bt := range benchTokenizers {
		b.Run(bt.name+"/corpus", func(b *testing.B) {
			tk := loadBench(b, bt.path)
			b.SetBytes(int64(corpusBytes))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, s := range corpus {
					if _, err := tk.Encode(s, true); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run(bt.name+"/long", func(b *testing.B) {
			tk := loadBench(b, bt.path)
			b.SetBytes(int64(len(long)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tk.Encode(long, false); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bt.name+"/batch", func(b *testing.B) {
			tk := loadBench(b, bt.path)
			lines := strings.SplitAfter(strings.Repeat(long, 4), "\n")
			b.SetBytes(int64(4 * len(long)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tk.EncodeBatch(context.Background(), lines, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoad measures LoadFile (file read and gunzip included) and Parse
// of the document already in memory (what the Rust fromString measures).
func BenchmarkLoad(b *testing.B) {
	for _, bt := range benchTokenizers {
		b.Run(bt.name+"/file", func(b *testing.B) {
			if _, err := os.Stat(bt.path); err != nil {
				b.Skip("not present")
			}
			for i := 0; i < b.N; i++ {
				if _, err := LoadFile(bt.path); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bt.name+"/parse", func(b *testing.B) {
			data, err := readMaybeGzip(bt.path)
			if err != nil {
				b.Skip("not present")
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func readMaybeGzip(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return data, err
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(gz)
}
