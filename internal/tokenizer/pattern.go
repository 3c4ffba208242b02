package tokenizer

import (
	"fmt"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// matchSpan is one part of a string: a match of a pattern or the text
// between two matches. A pattern's spans cover the whole string in order.
type matchSpan struct {
	s, e  int
	match bool
}

// pattern finds where a string should be split or replaced.
type pattern interface {
	findMatches(s string) ([]matchSpan, error)
}

// runePattern matches every single character for which the predicate holds.
type runePattern func(rune) bool

func (p runePattern) findMatches(s string) ([]matchSpan, error) {
	if s == "" {
		return []matchSpan{{0, 0, false}}, nil
	}
	var out []matchSpan
	last := 0
	for i, c := range s {
		if p(c) {
			if last < i {
				out = append(out, matchSpan{last, i, false})
			}
			end := i + utf8.RuneLen(c)
			if c == utf8.RuneError {
				_, size := utf8.DecodeRuneInString(s[i:])
				end = i + size
			}
			out = append(out, matchSpan{i, end, true})
			last = end
		}
	}
	if last < len(s) {
		out = append(out, matchSpan{last, len(s), false})
	}
	return out, nil
}

// stringPattern matches a literal string (non-overlapping, left to right).
type stringPattern string

func (p stringPattern) findMatches(s string) ([]matchSpan, error) {
	if p == "" {
		// Rust reports the char count here, not the byte length.
		return []matchSpan{{0, utf8.RuneCountInString(s), false}}, nil
	}
	if s == "" {
		return []matchSpan{{0, 0, false}}, nil
	}
	var out []matchSpan
	prev := 0
	for i := 0; i+len(p) <= len(s); {
		if s[i:i+len(p)] == string(p) {
			if prev != i {
				out = append(out, matchSpan{prev, i, false})
			}
			out = append(out, matchSpan{i, i + len(p), true})
			i += len(p)
			prev = i
			continue
		}
		i++
	}
	if prev != len(s) {
		out = append(out, matchSpan{prev, len(s), false})
	}
	return out, nil
}

// matcher finds successive non-overlapping matches; implemented by the
// general regexp2 engine and by hand-written scanners for well-known
// pre-tokenizer patterns.
type matcher interface {
	// findAll returns the [start, end) byte ranges of all matches.
	findAll(s string) ([][2]int, error)
}

// regexPattern splits on the matches of a regular expression.
type regexPattern struct {
	source string
	m      matcher
}

func (p *regexPattern) findMatches(s string) ([]matchSpan, error) {
	if s == "" {
		return []matchSpan{{0, 0, false}}, nil
	}
	locs, err := p.m.findAll(s)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", p.source, err)
	}
	out := make([]matchSpan, 0, 2*len(locs)+1)
	prev := 0
	for _, l := range locs {
		if prev != l[0] {
			out = append(out, matchSpan{prev, l[0], false})
		}
		out = append(out, matchSpan{l[0], l[1], true})
		prev = l[1]
	}
	if prev != len(s) {
		out = append(out, matchSpan{prev, len(s), false})
	}
	return out, nil
}

// regexp2Matcher is the general engine (backtracking, with lookarounds and
// Unicode classes like Oniguruma).
type regexp2Matcher struct{ re *regexp2.Regexp }

func (m regexp2Matcher) findAll(s string) ([][2]int, error) {
	locs, err := m.re.FindAllStringIndex(s, -1)
	if err != nil {
		return nil, err
	}
	out := make([][2]int, len(locs))
	for i, l := range locs {
		out[i] = [2]int{l[0], l[1]}
	}
	return out, nil
}

// compileRegex compiles an Oniguruma-style pattern, using a hand-written
// scanner when the pattern is one of the well-known ones.
func compileRegex(src string) (*regexPattern, error) {
	if m := knownScanner(src); m != nil {
		return &regexPattern{source: src, m: m}, nil
	}
	re, err := regexp2.Compile(src, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("compiling regex %q: %w", src, err)
	}
	return &regexPattern{source: src, m: regexp2Matcher{re}}, nil
}

// literalRegex builds a regex pattern that matches the string literally
// (the Rust library escapes String patterns into a regex).
func literalRegex(lit string) (pattern, error) {
	if lit == "" {
		// An escaped empty string is a regex that matches everywhere.
		return compileRegex("")
	}
	return stringPattern(lit), nil
}

// invertPattern flips which spans count as matches.
type invertPattern struct{ p pattern }

func (p invertPattern) findMatches(s string) ([]matchSpan, error) {
	ms, err := p.p.findMatches(s)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		ms[i].match = !ms[i].match
	}
	return ms, nil
}

// splitBehavior says what happens to the delimiter when splitting.
type splitBehavior int

const (
	splitRemoved splitBehavior = iota
	splitIsolated
	splitMergedWithPrevious
	splitMergedWithNext
	splitContiguous
)

func parseSplitBehavior(s string) (splitBehavior, error) {
	switch s {
	case "Removed":
		return splitRemoved, nil
	case "Isolated":
		return splitIsolated, nil
	case "MergedWithPrevious":
		return splitMergedWithPrevious, nil
	case "MergedWithNext":
		return splitMergedWithNext, nil
	case "Contiguous":
		return splitContiguous, nil
	}
	return 0, fmt.Errorf("unknown split behavior %q", s)
}

// applyBehavior turns pattern spans into pieces; in the result, match true
// means "drop this piece".
func applyBehavior(ms []matchSpan, b splitBehavior) []matchSpan {
	switch b {
	case splitRemoved:
		return ms
	case splitIsolated:
		for i := range ms {
			ms[i].match = false
		}
		return ms
	case splitContiguous:
		out := ms[:0:0]
		prev := false
		for _, m := range ms {
			if m.match == prev && len(out) > 0 {
				out[len(out)-1].e = m.e
			} else {
				out = append(out, matchSpan{m.s, m.e, false})
			}
			prev = m.match
		}
		return out
	case splitMergedWithPrevious:
		out := ms[:0:0]
		prev := false
		for _, m := range ms {
			if m.match && !prev && len(out) > 0 {
				out[len(out)-1].e = m.e
			} else {
				out = append(out, matchSpan{m.s, m.e, false})
			}
			prev = m.match
		}
		return out
	case splitMergedWithNext:
		out := ms[:0:0]
		prev := false
		for i := len(ms) - 1; i >= 0; i-- {
			m := ms[i]
			if m.match && !prev && len(out) > 0 {
				out[len(out)-1].s = m.s
			} else {
				out = append(out, matchSpan{m.s, m.e, false})
			}
			prev = m.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	}
	return ms
}
