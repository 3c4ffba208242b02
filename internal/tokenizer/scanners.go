package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Well-known pre-tokenizer patterns, matched by hand-written scanners that
// give exactly the matches of the backtracking regex (FuzzScanners checks
// them against regexp2).
const (
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwenPattern   = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// knownScanner returns a hand-written matcher for a well-known pattern, or nil.
func knownScanner(src string) matcher {
	switch src {
	case gpt2Pattern:
		return gpt2Scanner{}
	case llama3Pattern:
		return llamaScanner{maxDigits: 3}
	case qwenPattern:
		return llamaScanner{maxDigits: 1}
	}
	return nil
}

// Character classes of the patterns (Unicode, as Oniguruma has them).
const (
	clsOther = iota
	clsLetter
	clsNumber
	clsSpace
)

func classOf(r rune) int {
	if r < utf8.RuneSelf {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			return clsLetter
		case r >= '0' && r <= '9':
			return clsNumber
		case r == ' ' || r >= '\t' && r <= '\r':
			return clsSpace
		}
		return clsOther
	}
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// at decodes the rune at i and its class; size 0 at the end.
func at(s string, i int) (rune, int, int) {
	if i >= len(s) {
		return 0, 0, -1
	}
	if c := s[i]; c < utf8.RuneSelf {
		r := rune(c)
		return r, 1, classOf(r)
	}
	r, size := utf8.DecodeRuneInString(s[i:])
	return r, size, classOf(r)
}

// runOf returns the end of the run of class cls starting at i.
func runOf(s string, i, cls int) int {
	for i < len(s) {
		_, size, c := at(s, i)
		if c != cls {
			break
		}
		i += size
	}
	return i
}

// contraction matches 's 't 're 've 'm 'll 'd at i (ASCII case folding
// when fold is set) and returns its length, or 0.
func contraction(s string, i int, fold bool) int {
	if i+1 >= len(s) || s[i] != '\'' {
		return 0
	}
	lower := func(b byte) byte {
		if fold && b >= 'A' && b <= 'Z' {
			return b + 'a' - 'A'
		}
		return b
	}
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if i+2 < len(s) && lower(s[i+2]) == 'e' {
			return 3
		}
	case 'l':
		if i+2 < len(s) && lower(s[i+2]) == 'l' {
			return 3
		}
	}
	return 0
}

// spaceRun handles `\s+(?!\S)|\s+` for a whitespace run starting at i: the
// run minus its last character when another character follows it.
func spaceRun(s string, i int) int {
	j := runOf(s, i, clsSpace)
	if j == len(s) {
		return j
	}
	_, last := utf8.DecodeLastRuneInString(s[i:j])
	if j-last > i {
		return j - last
	}
	return j
}

// gpt2Scanner matches gpt2Pattern.
type gpt2Scanner struct{}

func (gpt2Scanner) findAll(s string) ([][2]int, error) {
	out := make([][2]int, 0, len(s)/4+1)
	for i := 0; i < len(s); {
		end := gpt2Next(s, i)
		out = append(out, [2]int{i, end})
		i = end
	}
	return out, nil
}

func gpt2Next(s string, i int) int {
	if n := contraction(s, i, false); n > 0 {
		return i + n
	}
	_, size, c := at(s, i)
	start := i
	if s[i] == ' ' {
		if _, nsize, nc := at(s, i+1); nsize > 0 && nc != clsSpace {
			c, start = nc, i+1
			size = nsize
		}
	}
	if c != clsSpace {
		return runOf(s, start+size, c)
	}
	return spaceRun(s, i)
}

// llamaScanner matches llama3Pattern (maxDigits 3) and qwenPattern (1).
type llamaScanner struct{ maxDigits int }

func (l llamaScanner) findAll(s string) ([][2]int, error) {
	out := make([][2]int, 0, len(s)/4+1)
	for i := 0; i < len(s); {
		end := l.next(s, i)
		out = append(out, [2]int{i, end})
		i = end
	}
	return out, nil
}

func isCRLF(r rune) bool { return r == '\r' || r == '\n' }

func (l llamaScanner) next(s string, i int) int {
	if n := contraction(s, i, true); n > 0 {
		return i + n
	}
	r, size, c := at(s, i)
	switch c {
	case clsLetter:
		return runOf(s, i+size, clsLetter)
	case clsNumber:
		j := i + size
		for k := 1; k < l.maxDigits; k++ {
			_, nsize, nc := at(s, j)
			if nc != clsNumber {
				break
			}
			j += nsize
		}
		return j
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if !isCRLF(r) {
		if _, nsize, nc := at(s, i+size); nc == clsLetter {
			return runOf(s, i+size+nsize, clsLetter)
		}
	}
	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	start := -1
	if c == clsOther {
		start = i
	} else if r == ' ' {
		if _, _, nc := at(s, i+1); nc == clsOther {
			start = i + 1
		}
	}
	if start >= 0 {
		j := runOf(s, start, clsOther)
		for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
			j++
		}
		return j
	}
	// \s*[\r\n]+ : up to the last newline of the whitespace run.
	j := runOf(s, i, clsSpace)
	lastNL := -1
	for k := i; k < j; k++ {
		if s[k] == '\r' || s[k] == '\n' {
			lastNL = k
		}
	}
	if lastNL >= 0 {
		return lastNL + 1
	}
	return spaceRun(s, i)
}
