package generate

import (
	"fmt"
	"strings"
	"testing"
)

// fakeDetok is a synthetic tokenizer for testing our own text logic: each
// id stands for fixed bytes, as byte-fallback and byte-level vocabularies
// do, and decoding concatenates them and turns invalid UTF-8 into U+FFFD,
// as Hugging Face decoders do. With strip it removes one leading space of
// the result, as SentencePiece's Strip decoder does, which is what makes
// decoding context-dependent.
type fakeDetok struct {
	pieces  []string
	special map[int32]bool
	strip   bool
}

func (f *fakeDetok) Decode(ids []int32, skipSpecial bool) (string, error) {
	var b strings.Builder
	for _, id := range ids {
		if id < 0 || int(id) >= len(f.pieces) {
			return "", fmt.Errorf("fake: id %d out of range", id)
		}
		if skipSpecial && f.special[id] {
			continue
		}
		b.WriteString(f.pieces[id])
	}
	s := strings.ToValidUTF8(b.String(), replacement)
	if f.strip {
		s = strings.TrimPrefix(s, " ")
	}
	return s, nil
}

// The synthetic vocabulary: "€" is E2 82 AC and "😀" is F0 9F 98 80, split
// into byte tokens as byte fallback would.
var testPieces = []string{
	0: "<s>", 1: "</s>", 2: " Hello", 3: " world", 4: "!",
	5: "\xe2", 6: "\x82", 7: "\xac",
	8: "\xf0", 9: "\x9f", 10: "\x98", 11: "\x80",
	12: "ST", 13: "OP", 14: " S", 15: "TOP", 16: "x", 17: "a", 18: "b", 19: "c",
	20: "é", 21: "\xe2\x82",
}

const (
	tokBOS, tokEOS, tokHello, tokWorld, tokBang = 0, 1, 2, 3, 4
	tokE2, tok82, tokAC                         = 5, 6, 7
	tokF0, tok9F, tok98, tok80                  = 8, 9, 10, 11
	tokST, tokOP, tokSpS, tokTOP, tokX          = 12, 13, 14, 15, 16
	tokA, tokB, tokC, tokEAcute, tokE282        = 17, 18, 19, 20, 21
)

func newFakeDetok(strip bool) *fakeDetok {
	return &fakeDetok{pieces: testPieces, special: map[int32]bool{tokBOS: true, tokEOS: true}, strip: strip}
}

func TestIncrementalDecoder(t *testing.T) {
	tests := []struct {
		name    string
		strip   bool
		context []int32
		ids     []int32
		pieces  []string // what each Add returns
		flush   string
	}{
		{"words", false, []int32{tokBOS}, []int32{tokHello, tokWorld, tokBang}, []string{" Hello", " world", "!"}, ""},
		{"euro over three byte tokens", false, []int32{tokBOS}, []int32{tokHello, tokE2, tok82, tokAC, tokBang}, []string{" Hello", "", "", "€", "!"}, ""},
		{"emoji over four byte tokens", false, nil, []int32{tokF0, tok9F, tok98, tok80}, []string{"", "", "", "😀"}, ""},
		{"two-byte then one-byte", false, []int32{tokHello}, []int32{tokE282, tokAC}, []string{"", "€"}, ""},
		{"incomplete at the end is flushed", false, []int32{tokBOS}, []int32{tokX, tokF0, tok9F}, []string{"x", "", ""}, replacement},
		{"invalid byte then text", false, nil, []int32{tokAC, tokX}, []string{"", replacement + "x"}, ""},
		// Decoded alone, " Hello" would lose its space to the Strip
		// decoder; the context keeps the text identical to a full decode.
		{"sentencepiece strip", true, []int32{tokBOS}, []int32{tokHello, tokWorld, tokHello}, []string{"Hello", " world", " Hello"}, ""},
		{"strip after a prompt", true, []int32{tokBOS, tokHello}, []int32{tokWorld, tokBang}, []string{" world", "!"}, ""},
		{"special skipped", false, []int32{tokBOS}, []int32{tokX, tokBOS, tokX}, []string{"x", "", "x"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newFakeDetok(tc.strip)
			x, err := NewIncrementalDecoder(d, tc.context, true)
			if err != nil {
				t.Fatal(err)
			}
			var all strings.Builder
			for i, id := range tc.ids {
				got, err := x.Add(id)
				if err != nil {
					t.Fatal(err)
				}
				if got != tc.pieces[i] {
					t.Errorf("token %d: %q, want %q", i, got, tc.pieces[i])
				}
				all.WriteString(got)
			}
			got, err := x.Flush()
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.flush {
				t.Errorf("flush %q, want %q", got, tc.flush)
			}
			all.WriteString(got)
			// The pieces add up to the full decode minus the context's.
			full, _ := d.Decode(append(append([]int32(nil), tc.context...), tc.ids...), true)
			ctx, _ := d.Decode(tc.context, true)
			if want := strings.TrimPrefix(full, ctx); all.String() != want {
				t.Errorf("pieces add up to %q, want %q", all.String(), want)
			}
		})
	}
}

// FuzzIncrementalDecoder checks on random token streams that the pieces add
// up to the full decode and that no piece but the flush ends in U+FFFD.
func FuzzIncrementalDecoder(f *testing.F) {
	f.Add([]byte{tokHello, tokE2, tok82, tokAC, tokF0}, false)
	f.Add([]byte{tokAC, tokE2, tokX, tokF0, tok9F, tok98, tok80, tokE282}, true)
	f.Add([]byte{tokSpS, tokBOS, tokHello}, true)
	f.Fuzz(func(t *testing.T, stream []byte, strip bool) {
		d := newFakeDetok(strip)
		ids := make([]int32, len(stream))
		for i, b := range stream {
			ids[i] = int32(b) % int32(len(testPieces))
		}
		context := []int32{tokBOS, tokHello}
		x, err := NewIncrementalDecoder(d, context, true)
		if err != nil {
			t.Fatal(err)
		}
		var all strings.Builder
		for _, id := range ids {
			piece, err := x.Add(id)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(piece, replacement) {
				t.Fatalf("piece %q ends in an incomplete character", piece)
			}
			all.WriteString(piece)
		}
		tail, err := x.Flush()
		if err != nil {
			t.Fatal(err)
		}
		all.WriteString(tail)
		full, _ := d.Decode(append(context, ids...), true)
		ctx, _ := d.Decode(context, true)
		if !strings.HasPrefix(full, ctx) {
			t.Fatalf("fake decoder: %q does not start with %q", full, ctx)
		}
		if want := full[len(ctx):]; all.String() != want {
			t.Fatalf("ids %v: pieces add up to %q, want %q", ids, all.String(), want)
		}
	})
}
