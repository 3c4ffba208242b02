package tokenizer

import (
	"strings"
	"testing"
)

// TestDecodeStreamConcatenates checks that the streamed fragments add up to
// the full decode for every fixture tokenizer and corpus string (multi-byte
// characters split over byte tokens included).
func TestDecodeStreamConcatenates(t *testing.T) {
	for _, set := range goldenSets(t) {
		tk, err := LoadFile(set.tokenizer)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range readGolden(t, set.golden) {
			if g.Error != nil || g.IDsNoSpecial == nil || g.Decoded == nil {
				continue
			}
			ds := tk.NewDecodeStream(false)
			var b strings.Builder
			for _, id := range g.IDsNoSpecial {
				frag, ok, err := ds.Step(id)
				if err != nil {
					t.Fatalf("%s %q: %v", set.name, g.Text, err)
				}
				if ok {
					if strings.ContainsRune(frag, '\uFFFD') && !strings.ContainsRune(*g.Decoded, '\uFFFD') {
						t.Fatalf("%s %q: fragment %q has a replacement character", set.name, g.Text, frag)
					}
					b.WriteString(frag)
				}
			}
			// Only a trailing partial character (U+FFFD in the full decode)
			// may be held back.
			want := *g.Decoded
			if got := b.String(); got != want && !(strings.HasSuffix(want, "\uFFFD") && strings.HasPrefix(want, got)) {
				t.Fatalf("%s %q: streamed %q, full decode %q", set.name, g.Text, got, *g.Decoded)
			}
		}
	}
}
