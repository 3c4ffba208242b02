package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites a piece of text in place, keeping alignments.
type normalizer interface {
	normalize(n *normalized) error
}

// parseNormalizer builds a normalizer from its tokenizer.json object.
func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	typ, err := typeOf(raw)
	if err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	switch typ {
	case "NFC":
		return unicodeNormalizer{norm.NFC}, nil
	case "NFD":
		return unicodeNormalizer{norm.NFD}, nil
	case "NFKC":
		return unicodeNormalizer{norm.NFKC}, nil
	case "NFKD":
		return unicodeNormalizer{norm.NFKD}, nil
	case "Lowercase":
		return lowercaseNormalizer{}, nil
	case "StripAccents":
		return stripAccentsNormalizer{}, nil
	case "Nmt":
		return nmtNormalizer{}, nil
	case "ByteLevel":
		return byteLevelNormalizer{}, nil
	case "Strip":
		var c struct {
			Left  *bool `json:"strip_left"`
			Right *bool `json:"strip_right"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("normalizer Strip: %w", err)
		}
		return stripNormalizer{left: boolOr(c.Left, true), right: boolOr(c.Right, true)}, nil
	case "Prepend":
		var c struct {
			Prepend *string `json:"prepend"`
		}
		if err := json.Unmarshal(raw, &c); err != nil || c.Prepend == nil {
			return nil, fmt.Errorf("normalizer Prepend: missing or invalid \"prepend\" (%v)", err)
		}
		return prependNormalizer{*c.Prepend}, nil
	case "Replace":
		var c struct {
			Pattern json.RawMessage `json:"pattern"`
			Content *string         `json:"content"`
		}
		if err := json.Unmarshal(raw, &c); err != nil || c.Content == nil {
			return nil, fmt.Errorf("normalizer Replace: missing or invalid \"content\" (%v)", err)
		}
		p, err := parsePattern(c.Pattern)
		if err != nil {
			return nil, fmt.Errorf("normalizer Replace: %w", err)
		}
		return replaceNormalizer{p, *c.Content}, nil
	case "BertNormalizer":
		var c struct {
			CleanText          *bool `json:"clean_text"`
			HandleChineseChars *bool `json:"handle_chinese_chars"`
			StripAccents       *bool `json:"strip_accents"`
			Lowercase          *bool `json:"lowercase"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("normalizer BertNormalizer: %w", err)
		}
		b := bertNormalizer{
			cleanText:    boolOr(c.CleanText, true),
			chineseChars: boolOr(c.HandleChineseChars, true),
			lowercase:    boolOr(c.Lowercase, true),
		}
		b.stripAccents = boolOr(c.StripAccents, b.lowercase)
		return b, nil
	case "Precompiled":
		var c struct {
			Charsmap *string `json:"precompiled_charsmap"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("normalizer Precompiled: %w", err)
		}
		if c.Charsmap == nil {
			return nil, fmt.Errorf("normalizer Precompiled: missing \"precompiled_charsmap\"")
		}
		return newPrecompiled(*c.Charsmap)
	case "Sequence":
		var c struct {
			Normalizers []json.RawMessage `json:"normalizers"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("normalizer Sequence: %w", err)
		}
		seq := make(sequenceNormalizer, 0, len(c.Normalizers))
		for i, r := range c.Normalizers {
			n, err := parseNormalizer(r)
			if err != nil {
				return nil, fmt.Errorf("normalizer Sequence[%d]: %w", i, err)
			}
			if n != nil {
				seq = append(seq, n)
			}
		}
		return seq, nil
	}
	return nil, fmt.Errorf("unsupported normalizer type %q", typ)
}

type sequenceNormalizer []normalizer

func (s sequenceNormalizer) normalize(n *normalized) error {
	for _, x := range s {
		if err := x.normalize(n); err != nil {
			return err
		}
	}
	return nil
}

// unicodeNormalizer applies NFC/NFD/NFKC/NFKD. Each normalization segment
// (text between two boundaries) is aligned as a unit: its first output
// characters replace its input characters, extra outputs are insertions and
// missing ones are removals, which matches the Rust library on composition
// and decomposition.
type unicodeNormalizer struct{ form norm.Form }

func (u unicodeNormalizer) normalize(n *normalized) error {
	if u.form.IsNormalString(n.text) {
		return nil
	}
	s := n.text
	dest := make([]change, 0, len(s)+8)
	for len(s) > 0 {
		end := u.form.NextBoundaryInString(s, true)
		if end <= 0 {
			end = len(s)
		}
		seg := s[:end]
		s = s[end:]
		out := u.form.String(seg)
		if out == seg {
			for _, c := range seg {
				dest = append(dest, change{c, 0})
			}
			continue
		}
		nIn := utf8.RuneCountInString(seg)
		outRunes := []rune(out)
		for i, c := range outRunes {
			switch {
			case i < nIn && i < len(outRunes)-1:
				dest = append(dest, change{c, 0})
			case i < nIn: // last output char, consumes the remaining inputs
				dest = append(dest, change{c, -(nIn - 1 - i)})
			default:
				dest = append(dest, change{c, 1})
			}
		}
		if len(outRunes) == 0 && nIn > 0 {
			// Nothing left of the segment: Rust cannot express this either;
			// keep the text unchanged rather than lose alignment.
			for _, c := range seg {
				dest = append(dest, change{c, 0})
			}
		}
	}
	n.transform(dest, 0)
	return nil
}

// lowerRune lists the full lowercase mapping of c (Rust char::to_lowercase).
func appendLower(dest []change, c rune) []change {
	if c == 'İ' { // the only unconditional multi-character lowercase mapping
		return append(dest, change{'i', 0}, change{'\u0307', 1})
	}
	return append(dest, change{unicode.ToLower(c), 0})
}

type lowercaseNormalizer struct{}

func (lowercaseNormalizer) normalize(n *normalized) error {
	lowercase(n)
	return nil
}

func lowercase(n *normalized) {
	if !strings.ContainsRune(n.text, 'İ') {
		n.mapRunes(unicode.ToLower)
		return
	}
	dest := make([]change, 0, len(n.text))
	for _, c := range n.text {
		dest = appendLower(dest, c)
	}
	n.transform(dest, 0)
}

type stripNormalizer struct{ left, right bool }

func (s stripNormalizer) normalize(n *normalized) error {
	n.lrstrip(s.left, s.right)
	return nil
}

type stripAccentsNormalizer struct{}

func (stripAccentsNormalizer) normalize(n *normalized) error {
	n.filter(func(c rune) bool { return !unicode.Is(unicode.M, c) })
	return nil
}

type prependNormalizer struct{ s string }

func (p prependNormalizer) normalize(n *normalized) error {
	n.prepend(p.s)
	return nil
}

type replaceNormalizer struct {
	p       pattern
	content string
}

func (r replaceNormalizer) normalize(n *normalized) error {
	return n.replaceMatches(r.p, r.content)
}

type nmtNormalizer struct{}

func (nmtNormalizer) normalize(n *normalized) error {
	n.filter(func(c rune) bool {
		switch {
		case c >= 0x01 && c <= 0x08, c == 0x0B, c >= 0x0E && c <= 0x1F, c == 0x7F, c == 0x8F, c == 0x9F:
			return false
		}
		return true
	})
	n.mapRunes(func(c rune) rune {
		switch {
		case c == 0x09, c == 0x0A, c == 0x0C, c == 0x0D, c == 0x1680, c >= 0x200B && c <= 0x200F,
			c == 0x2028, c == 0x2029, c == 0x2581, c == 0xFEFF, c == 0xFFFD:
			return ' '
		}
		return c
	})
	return nil
}

type byteLevelNormalizer struct{}

func (byteLevelNormalizer) normalize(n *normalized) error {
	byteLevelTransform(n)
	return nil
}

// bertNormalizer is BERT's normalizer: clean control characters, space out
// CJK ideographs, strip accents, lowercase.
type bertNormalizer struct {
	cleanText, chineseChars, stripAccents, lowercase bool
}

func (b bertNormalizer) normalize(n *normalized) error {
	if b.cleanText {
		n.filter(func(c rune) bool { return !(c == 0 || c == 0xFFFD || isBertControl(c)) })
		n.mapRunes(func(c rune) rune {
			if isBertWhitespace(c) {
				return ' '
			}
			return c
		})
	}
	if b.chineseChars && strings.IndexFunc(n.text, isChineseChar) >= 0 {
		dest := make([]change, 0, len(n.text))
		for _, c := range n.text {
			if isChineseChar(c) {
				dest = append(dest, change{' ', 0}, change{c, 1}, change{' ', 1})
			} else {
				dest = append(dest, change{c, 0})
			}
		}
		n.transform(dest, 0)
	}
	if b.stripAccents {
		if err := (unicodeNormalizer{norm.NFD}).normalize(n); err != nil {
			return err
		}
		n.filter(func(c rune) bool { return !unicode.Is(unicode.Mn, c) })
	}
	if b.lowercase {
		lowercase(n)
	}
	return nil
}

// isWhitespace is Rust's char::is_whitespace (Unicode White_Space).
func isWhitespace(c rune) bool {
	return unicode.IsSpace(c)
}

func isBertWhitespace(c rune) bool {
	return c == '\t' || c == '\n' || c == '\r' || unicode.IsSpace(c)
}

// isBertControl is true for Unicode "other" characters except tab and newlines.
func isBertControl(c rune) bool {
	if c == '\t' || c == '\n' || c == '\r' {
		return false
	}
	return unicode.In(c, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs) || isUnassigned(c)
}

// isUnassigned approximates the Cn category: code points in no category.
func isUnassigned(c rune) bool {
	if c > unicode.MaxRune {
		return false
	}
	return !unicode.In(c, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.C)
}

func isChineseChar(c rune) bool {
	switch {
	case c >= 0x4E00 && c <= 0x9FFF, c >= 0x3400 && c <= 0x4DBF, c >= 0x20000 && c <= 0x2A6DF,
		c >= 0x2A700 && c <= 0x2B73F, c >= 0x2B740 && c <= 0x2B81F, c >= 0x2B920 && c <= 0x2CEAF,
		c >= 0xF900 && c <= 0xFAFF, c >= 0x2F800 && c <= 0x2FA1F:
		return true
	}
	return false
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// normNFC is the NFC form, for tests and callers that need it directly.
const normNFC = norm.NFC
