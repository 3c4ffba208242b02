package tokenizer

import (
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

var scannerPatterns = []string{gpt2Pattern, llama3Pattern, qwenPattern}

// checkScanners compares every hand-written scanner with the general
// regexp2 engine on s.
func checkScanners(t *testing.T, s string) {
	t.Helper()
	for _, src := range scannerPatterns {
		re := regexp2.MustCompile(src, regexp2.None)
		want, err := regexp2Matcher{re}.findAll(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := knownScanner(src).findAll(s)
		if err != nil {
			t.Fatal(err)
		}
		if !eqSlices(got, want) {
			t.Fatalf("pattern %q on %q:\n got %v\nwant %v", src, s, got, want)
		}
	}
}

func TestScannersMatchRegex(t *testing.T) {
	cases := []string{
		"", "a", " ", "  ", "\n", "Hello world!", "  leading and trailing spaces  ",
		"multiple   spaces\tand\ttabs\nand\nnewlines\r\n", "don't DON'T 'S 're 'Ll 'x '",
		"Numbers: 0 1 12 123 1234 12345 3.14159 -42 1e10 ١٢٣٤", "\t\tfoo \n\n bar\r\n\r\n  x",
		" !!! ... ?? \n\n", "日本語のテキストです。", "emoji 😀🎉👍🏽 and 🇫🇷", "zero\u200bwidth\u00a0nb\u3000x",
		"x\u0085y \u2028 z", "a\n \nb", " \n", "\n ", "  \n  x", "ℌ𝔢𝔩𝔩𝔬 ①②③ ½",
	}
	for _, s := range cases {
		checkScanners(t, s)
	}
}

func FuzzScanners(f *testing.F) {
	for _, s := range []string{"Hello world!", "  \n\n x", "don't 12345", "日本 😀 \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		checkScanners(t, s)
	})
}
