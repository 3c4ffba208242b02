package tokenizer

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// spmCharsmap reads the precompiled_charsmap of a SentencePiece fixture
// (trained and converted by testdata/gen/spm/build.sh).
func spmCharsmap(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile("testdata/golden/spm-t5-unigram/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Normalizer struct {
			Charsmap string `json:"precompiled_charsmap"`
		} `json:"normalizer"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Normalizer.Charsmap == "" {
		t.Fatalf("no charsmap in the fixture: %v", err)
	}
	return doc.Normalizer.Charsmap
}

func TestPrecompiledRejectsMalformedCharsmaps(t *testing.T) {
	header := func(trieBytes uint32, rest ...byte) string {
		b := binary.LittleEndian.AppendUint32(nil, trieBytes)
		return base64.StdEncoding.EncodeToString(append(b, rest...))
	}
	cases := []struct{ name, charsmap, want string }{
		{"not base64", "@@@@", "base64"},
		{"empty", "", "header"},
		{"short header", base64.StdEncoding.EncodeToString([]byte{1, 2}), "header"},
		{"trie past the end", header(16, 1, 2, 3, 4), "does not fit"},
		{"huge trie size", header(0xFFFFFFFF), "does not fit"},
		{"blob not UTF-8", header(4, 0, 0, 0, 0, 0xff, 0xfe), "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := newPrecompiled(c.charsmap)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
	// An empty trie is valid (the Rust crate would panic on lookup; here
	// nothing matches).
	n, err := newPrecompiled(header(0))
	if err != nil {
		t.Fatal(err)
	}
	s := newNormalized("ｶﾞ text")
	if err := n.normalize(&s); err != nil || s.text != "ｶﾞ text" {
		t.Fatalf("empty trie changed the text: %q %v", s.text, err)
	}
}

// TestPrecompiledTransform checks single lookups in nmt_nfkc's charsmap
// against the NFKC results SentencePiece builds it from, plus its nmt rules.
func TestPrecompiledTransform(t *testing.T) {
	n, err := newPrecompiled(spmCharsmap(t))
	if err != nil {
		t.Fatal(err)
	}
	p := n.(*precompiled)
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"ｶ", "カ", true},
		{"ﬁ", "fi", true},
		{"Ａ", "A", true},
		{"①", "1", true},
		{"\t", " ", true},      // nmt: tab → space
		{"\x1e", "", true},     // nmt: control removed
		{"a", "", false},       // unchanged characters are not in the map
		{"ｶﾞ", "カ", true},      // the shortest key wins, though ｶﾞ → ガ is in the map too
		{"Ａ\u0301", "A", true}, // only the first character matched: the whole chunk goes
	}
	for _, c := range cases {
		got, ok := p.transform(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("transform(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// FuzzPrecompiledCharsmap loads arbitrary charsmaps and normalizes text
// with them: errors are fine, panics and broken alignments are not.
func FuzzPrecompiledCharsmap(f *testing.F) {
	f.Add([]byte{8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0, 0, 'x', 0}, "abc")
	f.Add([]byte{12, 0, 0, 0, 0x00, 0x04, 0, 0, 0x61, 0x01, 0, 0, 0x00, 0, 0, 0x80, 'x', 0}, "a ab")
	f.Add([]byte{0, 0, 0, 0}, "")
	f.Fuzz(func(t *testing.T, charsmap []byte, text string) {
		p, err := parsePrecompiled(charsmap)
		if err != nil || !utf8.ValidString(text) {
			return
		}
		checkPrecompiledNormalize(t, p, text)
	})
}

// FuzzPrecompiledText normalizes arbitrary text with nmt_nfkc's charsmap.
func FuzzPrecompiledText(f *testing.F) {
	n, err := newPrecompiled(spmCharsmap(f))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"ＡＢＣ ｶﾞｷﾞ ﬁ ™ \r\n\x1e 👩\u200d💻", "e\u0301 Ａ\u0301", "", "\x00\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if utf8.ValidString(text) {
			checkPrecompiledNormalize(t, n.(*precompiled), text)
		}
	})
}

func checkPrecompiledNormalize(t *testing.T, p *precompiled, text string) {
	n := newNormalized(text)
	if err := p.normalize(&n); err != nil {
		t.Fatal(err)
	}
	if len(n.align) != len(n.text) || !utf8.ValidString(n.text) {
		t.Fatalf("broken result %q with %d alignments", n.text, len(n.align))
	}
	for _, a := range n.align {
		if a.s < 0 || a.s > a.e || a.e > len(text) {
			t.Fatalf("alignment %v outside the %d-byte text", a, len(text))
		}
	}
}
