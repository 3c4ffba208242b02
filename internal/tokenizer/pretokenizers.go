package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// preTokenizer cuts the pieces of a sequence into smaller pieces (words).
type preTokenizer interface {
	preTokenize(p *preTokenized) error
}

// gpt2Pattern is the regex the ByteLevel pre-tokenizer uses when use_regex is set.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// parsePreTokenizer builds a pre-tokenizer from its tokenizer.json object.
func parsePreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	typ, err := typeOf(raw)
	if err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	switch typ {
	case "ByteLevel":
		var c struct {
			AddPrefixSpace *bool `json:"add_prefix_space"`
			UseRegex       *bool `json:"use_regex"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("pre_tokenizer ByteLevel: %w", err)
		}
		b := &byteLevelPre{addPrefixSpace: boolOr(c.AddPrefixSpace, true)}
		if boolOr(c.UseRegex, true) {
			if b.re, err = compileRegex(gpt2Pattern); err != nil {
				return nil, err
			}
		}
		return b, nil
	case "Split":
		var c struct {
			Pattern  json.RawMessage `json:"pattern"`
			Behavior string          `json:"behavior"`
			Invert   bool            `json:"invert"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("pre_tokenizer Split: %w", err)
		}
		p, err := parsePattern(c.Pattern)
		if err != nil {
			return nil, fmt.Errorf("pre_tokenizer Split: %w", err)
		}
		b, err := parseSplitBehavior(c.Behavior)
		if err != nil {
			return nil, fmt.Errorf("pre_tokenizer Split: %w", err)
		}
		if c.Invert {
			p = invertPattern{p}
		}
		return patternSplit{p, b}, nil
	case "Whitespace":
		return patternSplit{invertPattern{&regexPattern{source: `\w+|[^\w\s]+`, m: whitespaceScanner{}}}, splitRemoved}, nil
	case "WhitespaceSplit":
		return patternSplit{runePattern(isWhitespace), splitRemoved}, nil
	case "BertPreTokenizer":
		return bertPre{}, nil
	case "Punctuation":
		var c struct {
			Behavior *string `json:"behavior"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("pre_tokenizer Punctuation: %w", err)
		}
		b := splitIsolated
		if c.Behavior != nil {
			if b, err = parseSplitBehavior(*c.Behavior); err != nil {
				return nil, fmt.Errorf("pre_tokenizer Punctuation: %w", err)
			}
		}
		return patternSplit{runePattern(isBertPunct), b}, nil
	case "Digits":
		var c struct {
			Individual bool `json:"individual_digits"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("pre_tokenizer Digits: %w", err)
		}
		b := splitContiguous
		if c.Individual {
			b = splitIsolated
		}
		return patternSplit{runePattern(isNumeric), b}, nil
	case "CharDelimiterSplit":
		var c struct {
			Delimiter string `json:"delimiter"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("pre_tokenizer CharDelimiterSplit: %w", err)
		}
		d, size := utf8.DecodeRuneInString(c.Delimiter)
		if size == 0 || size != len(c.Delimiter) {
			return nil, fmt.Errorf("pre_tokenizer CharDelimiterSplit: delimiter %q must be one character", c.Delimiter)
		}
		return patternSplit{runePattern(func(r rune) bool { return r == d }), splitRemoved}, nil
	case "Metaspace":
		return parseMetaspace(raw)
	case "Sequence":
		var c struct {
			PreTokenizers []json.RawMessage `json:"pretokenizers"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("pre_tokenizer Sequence: %w", err)
		}
		seq := make(sequencePre, 0, len(c.PreTokenizers))
		for i, r := range c.PreTokenizers {
			p, err := parsePreTokenizer(r)
			if err != nil {
				return nil, fmt.Errorf("pre_tokenizer Sequence[%d]: %w", i, err)
			}
			seq = append(seq, p)
		}
		return seq, nil
	}
	return nil, fmt.Errorf("unsupported pre_tokenizer type %q", typ)
}

type sequencePre []preTokenizer

func (s sequencePre) preTokenize(p *preTokenized) error {
	for _, x := range s {
		if err := x.preTokenize(p); err != nil {
			return err
		}
	}
	return nil
}

// patternSplit splits every piece on a pattern with a delimiter behaviour.
type patternSplit struct {
	p pattern
	b splitBehavior
}

func (s patternSplit) preTokenize(p *preTokenized) error {
	return p.splitEach(func(_ int, n normalized) ([]normalized, error) {
		return n.splitBy(s.p, s.b)
	})
}

type bertPre struct{}

func (bertPre) preTokenize(p *preTokenized) error {
	if err := (patternSplit{runePattern(isWhitespace), splitRemoved}).preTokenize(p); err != nil {
		return err
	}
	return patternSplit{runePattern(isBertPunct), splitIsolated}.preTokenize(p)
}

// byteLevelPre is GPT-2's pre-tokenizer: optional prefix space, the GPT-2
// regex split, then every byte mapped to a printable character.
type byteLevelPre struct {
	addPrefixSpace bool
	re             *regexPattern
}

func (b *byteLevelPre) preTokenize(p *preTokenized) error {
	err := p.splitEach(func(_ int, n normalized) ([]normalized, error) {
		if b.addPrefixSpace && !strings.HasPrefix(n.text, " ") {
			n.prepend(" ")
		}
		if b.re != nil {
			return n.splitBy(b.re, splitIsolated)
		}
		return []normalized{n}, nil
	})
	if err != nil {
		return err
	}
	return p.normalizeEach(func(n *normalized) error {
		byteLevelTransform(n)
		return nil
	})
}

type prependScheme int

const (
	prependAlways prependScheme = iota
	prependFirst
	prependNever
)

// metaspacePre replaces spaces by a visible character (▁), optionally
// prepends one, and optionally splits before each.
type metaspacePre struct {
	replacement rune
	scheme      prependScheme
	split       bool
}

func parseMetaspaceConfig(raw json.RawMessage, what string) (metaspacePre, error) {
	var c struct {
		Replacement    *string `json:"replacement"`
		PrependScheme  *string `json:"prepend_scheme"`
		AddPrefixSpace *bool   `json:"add_prefix_space"`
		Split          *bool   `json:"split"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return metaspacePre{}, fmt.Errorf("%s Metaspace: %w", what, err)
	}
	m := metaspacePre{replacement: '▁', scheme: prependAlways, split: boolOr(c.Split, true)}
	if c.Replacement != nil {
		r, size := utf8.DecodeRuneInString(*c.Replacement)
		if size == 0 || size != len(*c.Replacement) {
			return m, fmt.Errorf("%s Metaspace: replacement %q must be one character", what, *c.Replacement)
		}
		m.replacement = r
	}
	switch {
	case c.PrependScheme != nil:
		switch *c.PrependScheme {
		case "always":
			m.scheme = prependAlways
		case "first":
			m.scheme = prependFirst
		case "never":
			m.scheme = prependNever
		default:
			return m, fmt.Errorf("%s Metaspace: unknown prepend_scheme %q", what, *c.PrependScheme)
		}
	case c.AddPrefixSpace != nil && !*c.AddPrefixSpace:
		m.scheme = prependNever
	}
	return m, nil
}

func parseMetaspace(raw json.RawMessage) (preTokenizer, error) {
	m, err := parseMetaspaceConfig(raw, "pre_tokenizer")
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *metaspacePre) preTokenize(p *preTokenized) error {
	rep := string(m.replacement)
	return p.splitEach(func(_ int, n normalized) ([]normalized, error) {
		if err := n.replaceMatches(stringPattern(" "), rep); err != nil {
			return nil, err
		}
		switch m.scheme {
		case prependAlways:
			if !strings.HasPrefix(n.text, rep) {
				n.prepend(rep)
			}
		case prependFirst:
			if !strings.HasPrefix(n.text, rep) && n.origStart == 0 {
				n.prepend(rep)
			}
		}
		if m.split {
			r := m.replacement
			return n.splitBy(runePattern(func(c rune) bool { return c == r }), splitMergedWithNext)
		}
		return []normalized{n}, nil
	})
}

// isBertPunct is ASCII punctuation or any Unicode punctuation (P*).
func isBertPunct(c rune) bool {
	if c < 128 {
		return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
	}
	return unicode.IsPunct(c)
}

// isNumeric is Rust's char::is_numeric (Nd, Nl, No).
func isNumeric(c rune) bool {
	if c < 128 {
		return c >= '0' && c <= '9'
	}
	return unicode.IsNumber(c)
}

// isWordChar is the Unicode \w of Rust's regex crate.
func isWordChar(c rune) bool {
	if c < 128 {
		return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	}
	return unicode.IsLetter(c) || unicode.Is(unicode.M, c) || unicode.Is(unicode.Nd, c) ||
		unicode.Is(unicode.Pc, c) || unicode.Is(unicode.Nl, c) || unicode.Is(unicode.Other_Alphabetic, c) ||
		c == 0x200C || c == 0x200D
}

// whitespaceScanner matches `\w+|[^\w\s]+`.
type whitespaceScanner struct{}

func (whitespaceScanner) findAll(s string) ([][2]int, error) {
	var out [][2]int
	const (
		none = iota
		word
		other
	)
	cur, start := none, 0
	for i, c := range s {
		k := other
		if isWordChar(c) {
			k = word
		} else if unicode.IsSpace(c) {
			k = none
		}
		if k != cur {
			if cur != none {
				out = append(out, [2]int{start, i})
			}
			cur, start = k, i
		}
	}
	if cur != none {
		out = append(out, [2]int{start, len(s)})
	}
	return out, nil
}
