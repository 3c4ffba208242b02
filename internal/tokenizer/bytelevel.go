package tokenizer

import "unicode/utf8"

// byteLevelTables maps each byte to the printable character GPT-2's
// byte-level BPE uses for it, and back.
type byteLevelTables struct {
	byteToRune [256]rune
	// byteToStr holds the UTF-8 encoding of byteToRune, for fast appends.
	byteToStr  [256]string
	runeToByte map[rune]byte
}

// byteLevel is the immutable GPT-2 byte-to-character table.
var byteLevel = newByteLevelTables()

func newByteLevelTables() *byteLevelTables {
	t := &byteLevelTables{runeToByte: make(map[rune]byte, 256)}
	n := 0
	for b := 0; b < 256; b++ {
		keep := (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
		r := rune(b)
		if !keep {
			r = rune(256 + n)
			n++
		}
		t.byteToRune[b] = r
		t.byteToStr[b] = string(r)
		t.runeToByte[r] = byte(b)
	}
	return t
}

// byteLevelTransform replaces every byte of the text by its byte-level
// character; all bytes of one original character keep that character's
// alignment.
func byteLevelTransform(n *normalized) {
	s := n.text
	buf := make([]byte, 0, 2*len(s))
	align := make([]span, 0, 2*len(s))
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		a := n.align[i]
		for j := 0; j < size; j++ {
			before := len(buf)
			buf = append(buf, byteLevel.byteToStr[s[i+j]]...)
			for k := before; k < len(buf); k++ {
				align = append(align, a)
			}
		}
		i += size
	}
	n.text = string(buf)
	n.align = align
}
