package tokenizer

import (
	"unicode/utf8"
)

// span is a half-open byte range [s, e) of the original input text.
type span struct{ s, e int }

// normalized is one piece of the input: its current (normalized) text and,
// for every byte of that text, the span of the original input it comes from.
//
// It mirrors the Rust NormalizedString with one simplification: alignments
// are absolute positions in the whole input rather than positions relative to
// the piece, so slicing shares them without copying. origStart/origEnd are the
// piece's range in the original input (Rust's offsets_original).
type normalized struct {
	text      string
	align     []span
	origStart int
	origEnd   int
}

// newNormalized returns the identity piece for text starting at offset 0.
func newNormalized(text string) normalized {
	align := make([]span, len(text))
	for i := 0; i < len(text); {
		_, size := utf8.DecodeRuneInString(text[i:])
		for j := 0; j < size; j++ {
			align[i+j] = span{i, i + size}
		}
		i += size
	}
	return normalized{text: text, align: align, origStart: 0, origEnd: len(text)}
}

// change is one output character of a transformation, as in the Rust
// library: delta 0 replaces the next input character, 1 inserts a new
// character (aligned like the previous one), and -n replaces the next input
// character and removes the n characters after it.
type change struct {
	r     rune
	delta int
}

// originalRange maps a normalized byte range back to the original input.
// Empty ranges map to themselves relative to the piece start, as in Rust.
func (n *normalized) originalRange(start, end int) (int, int) {
	if start == end {
		return n.origStart + start, n.origStart + end
	}
	if start < 0 || end > len(n.align) || start > end {
		return n.origStart, n.origStart
	}
	return n.align[start].s, n.align[end-1].e
}

// fullRange is the normalized range the Rust library transforms when asked
// to transform the whole original range: it starts at the first byte with a
// non-empty alignment.
func (n *normalized) fullRange() (int, int) {
	if n.origStart == n.origEnd {
		// Rust: an empty target range is returned unchanged (0..0).
		return 0, 0
	}
	for i, a := range n.align {
		if a.s != a.e {
			return i, len(n.align)
		}
	}
	return len(n.align), len(n.align)
}

// transform replaces the whole piece (see fullRange) with dest.
func (n *normalized) transform(dest []change, initialOffset int) {
	s, e := n.fullRange()
	n.transformRange(s, e, dest, initialOffset)
}

// transformRange replaces the normalized bytes [start, end) by the characters
// of dest, deriving each new character's alignment as the Rust library does.
func (n *normalized) transformRange(start, end int, dest []change, initialOffset int) {
	old := n.text[start:end]
	pos := 0 // read position in old
	nextOld := func() int {
		if pos >= len(old) {
			return 0
		}
		_, size := utf8.DecodeRuneInString(old[pos:])
		pos += size
		return size
	}
	initialRemoved := 0
	for i := 0; i < initialOffset; i++ {
		initialRemoved += nextOld()
	}
	offset := start + initialRemoved
	var buf []byte
	var align []span
	if len(dest) > 0 {
		buf = make([]byte, 0, len(dest)+4)
		align = make([]span, 0, len(dest)+4)
	}
	for _, ch := range dest {
		var a span
		if ch.delta > 0 {
			if offset < 1 {
				a = span{n.origStart, n.origStart}
			} else {
				a = n.alignAt(offset - 1)
			}
		} else {
			a = n.alignAt(offset)
			offset += nextOld()
		}
		for i := 0; i < -ch.delta; i++ {
			offset += nextOld()
		}
		r := ch.r
		if !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		before := len(buf)
		buf = utf8.AppendRune(buf, r)
		for i := before; i < len(buf); i++ {
			align = append(align, a)
		}
	}
	newAlign := make([]span, 0, len(n.align)-(end-start)+len(align))
	newAlign = append(newAlign, n.align[:start]...)
	newAlign = append(newAlign, align...)
	newAlign = append(newAlign, n.align[end:]...)
	n.align = newAlign
	n.text = n.text[:start] + string(buf) + n.text[end:]
}

// alignAt is the alignment of byte i, tolerant of out-of-range positions
// (where the Rust code would panic) so that malformed transformations stay safe.
func (n *normalized) alignAt(i int) span {
	if i >= 0 && i < len(n.align) {
		return n.align[i]
	}
	if len(n.align) > 0 {
		last := n.align[len(n.align)-1]
		return span{last.e, last.e}
	}
	return span{n.origStart, n.origStart}
}

// slice returns the sub-piece for normalized bytes [start, end).
func (n *normalized) slice(start, end int) normalized {
	os, oe := n.originalRange(start, end)
	return normalized{
		text:      n.text[start:end],
		align:     n.align[start:end:end],
		origStart: os,
		origEnd:   oe,
	}
}

// wholeRange reports whether a whole-string transform covers every byte
// (see fullRange), so that size-preserving rewrites can keep alignments.
func (n *normalized) wholeRange() bool {
	return n.origStart != n.origEnd && (len(n.align) == 0 || n.align[0].s != n.align[0].e)
}

// mapRunes replaces each character by f(c).
func (n *normalized) mapRunes(f func(rune) rune) {
	changed, sameSize := false, true
	for _, c := range n.text {
		if m := f(c); m != c {
			changed = true
			if utf8.RuneLen(m) != utf8.RuneLen(c) || c == utf8.RuneError {
				sameSize = false
				break
			}
		}
	}
	if !changed {
		return
	}
	if sameSize && n.wholeRange() {
		// Same byte length per character: the alignments do not move.
		buf := make([]byte, 0, len(n.text))
		for _, c := range n.text {
			buf = utf8.AppendRune(buf, f(c))
		}
		n.text = string(buf)
		return
	}
	dest := make([]change, 0, len(n.text))
	for _, c := range n.text {
		dest = append(dest, change{f(c), 0})
	}
	n.transform(dest, 0)
}

// filter keeps only the characters for which keep is true.
func (n *normalized) filter(keep func(rune) bool) {
	all := true
	for _, c := range n.text {
		if !keep(c) {
			all = false
			break
		}
	}
	if all {
		return
	}
	runes := []rune(n.text)
	dest := make([]change, 0, len(runes))
	removed := 0
	for i := len(runes) - 1; i >= 0; i-- {
		c := runes[i]
		if keep(c) {
			dest = append(dest, change{c, -removed})
			removed = 0
		} else {
			removed++
		}
	}
	for i, j := 0, len(dest)-1; i < j; i, j = i+1, j-1 {
		dest[i], dest[j] = dest[j], dest[i]
	}
	n.transform(dest, removed)
}

// prepend adds s before the text (nothing when the text is empty).
func (n *normalized) prepend(s string) {
	if n.text == "" {
		return
	}
	first, size := utf8.DecodeRuneInString(n.text)
	dest := make([]change, 0, len(s)+1)
	i := 0
	for _, c := range s {
		d := 1
		if i == 0 {
			d = 0
		}
		dest = append(dest, change{c, d})
		i++
	}
	dest = append(dest, change{first, 1})
	n.transformRange(0, size, dest, 0)
}

// appendStr adds s after the text (nothing when the text is empty).
func (n *normalized) appendStr(s string) {
	if n.text == "" {
		return
	}
	last, size := utf8.DecodeLastRuneInString(n.text)
	dest := []change{{last, 0}}
	for _, c := range s {
		dest = append(dest, change{c, 1})
	}
	n.transformRange(len(n.text)-size, len(n.text), dest, 0)
}

// replaceMatches replaces every match of p by content in one pass (a
// transform per match would be quadratic: a 1 MB text with a space every
// other byte has 500k matches). The alignments are the Rust library's:
// the new characters all take the alignment of the last replaced byte, or,
// for an empty match, of the byte before it (empty at the very start).
func (n *normalized) replaceMatches(p pattern, content string) error {
	matches, err := p.findMatches(n.text)
	if err != nil {
		return err
	}
	any := false
	for _, m := range matches {
		if m.match && (m.e > m.s || content != "") {
			any = true
			break
		}
	}
	if !any {
		return nil
	}
	text := make([]byte, 0, len(n.text)+len(content))
	align := make([]span, 0, len(n.text)+len(content))
	for _, m := range matches {
		if !m.match {
			text = append(text, n.text[m.s:m.e]...)
			align = append(align, n.align[m.s:m.e]...)
			continue
		}
		if content == "" {
			continue
		}
		var a span
		switch {
		case m.e > m.s:
			a = n.align[m.e-1]
		case len(align) > 0:
			a = align[len(align)-1]
		default:
			a = span{n.origStart, n.origStart}
		}
		text = append(text, content...)
		for range len(content) {
			align = append(align, a)
		}
	}
	n.text, n.align = string(text), align
	return nil
}

// lrstrip removes leading and/or trailing whitespace.
func (n *normalized) lrstrip(left, right bool) {
	runes := []rune(n.text)
	leading, trailing := 0, 0
	if left {
		for leading < len(runes) && isWhitespace(runes[leading]) {
			leading++
		}
	}
	if right {
		for trailing < len(runes) && isWhitespace(runes[len(runes)-1-trailing]) {
			trailing++
		}
	}
	if leading == 0 && trailing == 0 {
		return
	}
	count := len(runes)
	dest := make([]change, 0, len(runes))
	for i, c := range runes {
		switch {
		case i < leading || i >= count-trailing:
		case i == count-trailing-1:
			dest = append(dest, change{c, -trailing})
		default:
			dest = append(dest, change{c, 0})
		}
	}
	n.transform(dest, leading)
}

// splitBy splits the piece with the pattern and the delimiter behaviour.
// Empty pieces are kept here; callers drop them as the Rust library does.
func (n *normalized) splitBy(p pattern, behavior splitBehavior) ([]normalized, error) {
	matches, err := p.findMatches(n.text)
	if err != nil {
		return nil, err
	}
	matches = applyBehavior(matches, behavior)
	out := make([]normalized, 0, len(matches))
	for _, m := range matches {
		if m.match { // to remove
			continue
		}
		out = append(out, n.slice(m.s, m.e))
	}
	return out, nil
}
