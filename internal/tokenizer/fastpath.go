package tokenizer

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// byteLevelFast encodes with the common byte-level BPE pipeline (GPT-2,
// Llama 3, Qwen: optional NFC, regex split, ByteLevel without prefix
// space, BPE with every byte character in the vocabulary) directly on the
// original bytes, without materializing normalized pieces. It produces
// exactly what the general pipeline produces (TestFastPathsMatchGeneral).
type byteLevelFast struct {
	re        *regexPattern // nil: no split
	nfc       bool          // normalizer is NFC (applied only when it changes nothing)
	model     *bpe
	byteSymID [256]int32
	cache     *wordCache
}

// newByteLevelFast returns the fast path when the pipeline has that shape.
func newByteLevelFast(t *Tokenizer) *byteLevelFast {
	m, ok := t.model.(*bpe)
	if !ok || (m.prefix != nil && *m.prefix != "") || (m.suffix != nil && *m.suffix != "") {
		return nil
	}
	f := &byteLevelFast{model: m, cache: newWordCache()}
	switch n := t.normalizer.(type) {
	case nil:
	case unicodeNormalizer:
		if n.form != norm.NFC {
			return nil
		}
		f.nfc = true
	default:
		return nil
	}
	var bl *byteLevelPre
	switch p := t.pre.(type) {
	case *byteLevelPre:
		bl = p
		f.re = p.re
	case sequencePre:
		if len(p) != 2 {
			return nil
		}
		ps, ok := p[0].(patternSplit)
		if !ok || ps.b != splitIsolated {
			return nil
		}
		re, ok := ps.p.(*regexPattern)
		if !ok {
			return nil
		}
		if bl, ok = p[1].(*byteLevelPre); !ok || bl.re != nil {
			return nil
		}
		f.re = re
	default:
		return nil
	}
	if bl.addPrefixSpace {
		return nil
	}
	for b := 0; b < 256; b++ {
		id, ok := m.vocab.id(byteLevel.byteToStr[b])
		if !ok {
			return nil
		}
		f.byteSymID[b] = id
	}
	return f
}

// encode returns false when the text needs the general pipeline.
func (f *byteLevelFast) encode(t *Tokenizer, text string, typeID int32) (*Encoding, bool, error) {
	if f.nfc && !norm.NFC.IsNormalString(text) {
		return nil, false, nil
	}
	segs := t.added.rawSegments(text)
	e := newEncodingCap(len(text)/3 + 4)
	conv := newCharConverter(text)
	word := int32(0)
	emit := func(id int32, value string, bs, be int) {
		e.appendToken(id, value, conv.convert(bs, be), [2]int{bs, be}, typeID, word, typeID, 0)
	}
	for _, seg := range segs {
		if seg.id >= 0 {
			emit(seg.id, text[seg.s:seg.e], seg.s, seg.e)
			word++
			continue
		}
		s := text[seg.s:seg.e]
		var locs [][2]int
		if f.re != nil {
			ms, err := f.re.findMatches(s)
			if err != nil {
				return nil, true, err
			}
			locs = make([][2]int, 0, len(ms))
			for _, m := range ms {
				locs = append(locs, [2]int{m.s, m.e})
			}
		} else {
			locs = [][2]int{{0, len(s)}}
		}
		for _, l := range locs {
			if l[0] == l[1] {
				continue
			}
			base := seg.s + l[0]
			w := s[l[0]:l[1]]
			for _, sy := range f.word(w) {
				bs, be := charBounds(text, base, base+int(sy.len))
				emit(sy.id, f.model.tokenValue(sy.id), bs, be)
				base += int(sy.len)
			}
			word++
		}
	}
	return e, true, nil
}

// word returns the BPE symbols of one word, lengths in original bytes.
func (f *byteLevelFast) word(w string) []wordSymbol {
	if syms, ok := f.cache.get(w); ok {
		return syms
	}
	m := f.model
	if m.ignoreMerges {
		buf := make([]byte, 0, 2*len(w))
		for i := 0; i < len(w); i++ {
			buf = append(buf, byteLevel.byteToStr[w[i]]...)
		}
		if id, ok := m.vocab.toID[string(buf)]; ok {
			syms := []wordSymbol{{id, int32(len(w))}}
			f.cache.put(w, syms)
			return syms
		}
	}
	syms := make([]wordSymbol, len(w))
	for i := 0; i < len(w); i++ {
		syms[i] = wordSymbol{f.byteSymID[w[i]], 1}
	}
	syms = m.mergeAll(syms)
	f.cache.put(w, syms)
	return syms
}

// charBounds widens a byte range to the characters it touches.
func charBounds(s string, start, end int) (int, int) {
	for start > 0 && start < len(s) && !utf8.RuneStart(s[start]) {
		start--
	}
	for end < len(s) && !utf8.RuneStart(s[end]) {
		end++
	}
	return start, end
}

// rawSegments splits text on added tokens when no normalizer can change
// it: the raw-text tokens first, then the normalized-text ones.
func (v *addedVocab) rawSegments(text string) []addedMatch {
	first := v.findMatches(text, &v.raw)
	if len(v.norm.t.nodes) == 0 {
		return first
	}
	out := make([]addedMatch, 0, len(first))
	for _, m := range first {
		if m.id >= 0 {
			out = append(out, m)
			continue
		}
		for _, sub := range v.findMatches(text[m.s:m.e], &v.norm) {
			out = append(out, addedMatch{sub.id, m.s + sub.s, m.s + sub.e})
		}
	}
	return out
}

func newEncodingCap(n int) *Encoding {
	return &Encoding{
		IDs: make([]int32, 0, n), Tokens: make([]string, 0, n), Offsets: make([][2]int, 0, n),
		ByteOffsets: make([][2]int, 0, n), TypeIDs: make([]int32, 0, n), AttentionMask: make([]int32, 0, n),
		SpecialTokensMask: make([]int32, 0, n), WordIDs: make([]int32, 0, n), SequenceIDs: make([]int32, 0, n),
	}
}
