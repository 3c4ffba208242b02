package tokenizer

import "fmt"

// wordPieceFast encodes with the BERT pipeline (BertNormalizer,
// BertPreTokenizer, WordPiece) directly on the original bytes. The pipeline
// is local to whitespace-separated chunks: the normalizer maps characters
// one by one and the pre-tokenizer splits on whitespace, so each chunk can
// be encoded on its own. A chunk of printable ASCII, where the normalizer
// can only lowercase (every byte stays in place), is split into words and
// punctuation right here; any other chunk goes through the general pieces
// (normalizer, pre-tokenizer) alone. It produces exactly what the general
// pipeline produces (TestFastPathsMatchGeneral).
type wordPieceFast struct {
	model     *wordPiece
	lowercase bool
	cache     *wordCache
}

// newWordPieceFast returns the fast path when the pipeline has that shape.
func newWordPieceFast(t *Tokenizer) *wordPieceFast {
	m, ok := t.model.(*wordPiece)
	if !ok {
		return nil
	}
	n, ok := t.normalizer.(bertNormalizer)
	if !ok {
		return nil
	}
	if _, ok := t.pre.(bertPre); !ok {
		return nil
	}
	// Added tokens matched on normalized text would need the normalized
	// string; the usual BERT files have none.
	if len(t.added.norm.t.nodes) != 0 {
		return nil
	}
	return &wordPieceFast{model: m, lowercase: n.lowercase, cache: newWordCache()}
}

func isASCIISpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isASCIIPunct(c byte) bool {
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

// encode always handles the text (the bool is for symmetry with the
// byte-level path).
func (f *wordPieceFast) encode(t *Tokenizer, text string, typeID int32) (*Encoding, bool, error) {
	segs := t.added.rawSegments(text)
	e := newEncodingCap(len(text)/4 + 4)
	conv := newCharConverter(text)
	word := int32(0)
	var lower []byte
	for _, seg := range segs {
		if seg.id >= 0 {
			e.appendToken(seg.id, text[seg.s:seg.e], conv.convert(seg.s, seg.e), [2]int{seg.s, seg.e}, typeID, word, typeID, 0)
			word++
			continue
		}
		for i := seg.s; i < seg.e; {
			if isASCIISpace(text[i]) {
				i++
				continue
			}
			// The chunk runs to the next ASCII whitespace.
			j, plain, upper := i, true, false
			for ; j < seg.e && !isASCIISpace(text[j]); j++ {
				c := text[j]
				plain = plain && c >= 0x20 && c < 0x7F
				upper = upper || (c >= 'A' && c <= 'Z')
			}
			if !plain {
				n, err := f.general(t, e, text[i:j], conv, i, typeID, word)
				if err != nil {
					return nil, true, err
				}
				word += n
				i = j
				continue
			}
			chunk := text[i:j]
			if upper && f.lowercase {
				lower = append(lower[:0], chunk...)
				for k, c := range lower {
					if c >= 'A' && c <= 'Z' {
						lower[k] = c + ('a' - 'A')
					}
				}
				chunk = string(lower)
			}
			// Words and single punctuation characters.
			for k := 0; k < len(chunk); word++ {
				end := k + 1
				if !isASCIIPunct(chunk[k]) {
					for end < len(chunk) && !isASCIIPunct(chunk[end]) {
						end++
					}
				}
				if err := f.word(e, chunk[k:end], conv, i+k, typeID, word); err != nil {
					return nil, true, err
				}
				k = end
			}
			i = j
		}
	}
	return e, true, nil
}

// general encodes one chunk that is not plain ASCII with the general
// normalizer and pre-tokenizer, as the full pipeline would (no added token
// can be inside: rawSegments split them off). It returns its word count.
func (f *wordPieceFast) general(t *Tokenizer, e *Encoding, chunk string, conv charConverter, base int, typeID, word int32) (int32, error) {
	n := newNormalized(chunk)
	// The Rust library ignores normalizer errors at this step.
	_ = t.normalizer.normalize(&n)
	if n.text == "" {
		return 0, nil
	}
	pt := &preTokenized{original: chunk, splits: []split{{n: n}}}
	if err := t.pre.preTokenize(pt); err != nil {
		return 0, fmt.Errorf("tokenizer: pre-tokenizing: %w", err)
	}
	return t.appendSplits(e, pt, conv, base, typeID, word)
}

// word appends the WordPiece tokens of one word starting at byte base.
func (f *wordPieceFast) word(e *Encoding, w string, conv charConverter, base int, typeID, word int32) error {
	emit := func(id int32, value string, bs, be int) {
		e.appendToken(id, value, conv.convert(bs, be), [2]int{bs, be}, typeID, word, typeID, 0)
	}
	syms, ok := f.cache.get(w)
	if !ok {
		toks, err := f.model.tokenize(w)
		if err != nil {
			return err
		}
		syms = make([]wordSymbol, len(toks))
		for i, tk := range toks {
			if tv, ok := f.model.vocab.token(tk.id); !ok || tv != tk.value {
				// Several tokens share this id: the cache keeps ids only, so
				// emit this word uncached with the token strings matched.
				for _, tk := range toks {
					emit(tk.id, tk.value, base+tk.s, base+tk.e)
				}
				return nil
			}
			syms[i] = wordSymbol{tk.id, int32(tk.e - tk.s)}
		}
		f.cache.put(w, syms)
	}
	pos := base
	for _, sy := range syms {
		tv, _ := f.model.vocab.token(sy.id)
		emit(sy.id, tv, pos, pos+int(sy.len))
		pos += int(sy.len)
	}
	return nil
}
