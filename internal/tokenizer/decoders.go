package tokenizer

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decoder turns token strings back into text pieces (the Rust decode_chain);
// the final text is the concatenation of the pieces.
type decoder interface {
	decodeChain(tokens []string) ([]string, error)
}

func parseDecoder(raw json.RawMessage) (decoder, error) {
	typ, err := typeOf(raw)
	if err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	switch typ {
	case "ByteLevel":
		return byteLevelDecoder{}, nil
	case "ByteFallback":
		return byteFallbackDecoder{}, nil
	case "Fuse":
		return fuseDecoder{}, nil
	case "WordPiece":
		var c struct {
			Prefix  *string `json:"prefix"`
			Cleanup *bool   `json:"cleanup"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("decoder WordPiece: %w", err)
		}
		d := wordPieceDecoder{prefix: "##", cleanup: boolOr(c.Cleanup, true)}
		if c.Prefix != nil {
			d.prefix = *c.Prefix
		}
		return d, nil
	case "Metaspace":
		m, err := parseMetaspaceConfig(raw, "decoder")
		if err != nil {
			return nil, err
		}
		return metaspaceDecoder{replacement: m.replacement, prependFirst: m.scheme != prependNever}, nil
	case "BPEDecoder":
		var c struct {
			Suffix *string `json:"suffix"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("decoder BPEDecoder: %w", err)
		}
		d := bpeDecoder{suffix: "</w>"}
		if c.Suffix != nil {
			d.suffix = *c.Suffix
		}
		return d, nil
	case "Strip":
		var c struct {
			Content string `json:"content"`
			Start   int    `json:"start"`
			Stop    int    `json:"stop"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("decoder Strip: %w", err)
		}
		r, size := utf8.DecodeRuneInString(c.Content)
		if size == 0 || size != len(c.Content) || c.Start < 0 || c.Stop < 0 {
			return nil, fmt.Errorf("decoder Strip: content %q must be one character, start/stop non-negative", c.Content)
		}
		return stripDecoder{content: r, start: c.Start, stop: c.Stop}, nil
	case "Replace":
		var c struct {
			Pattern json.RawMessage `json:"pattern"`
			Content *string         `json:"content"`
		}
		if err := json.Unmarshal(raw, &c); err != nil || c.Content == nil {
			return nil, fmt.Errorf("decoder Replace: missing or invalid \"content\" (%v)", err)
		}
		p, err := parsePattern(c.Pattern)
		if err != nil {
			return nil, fmt.Errorf("decoder Replace: %w", err)
		}
		return replaceDecoder{p, *c.Content}, nil
	case "CTC":
		var c struct {
			Pad     *string `json:"pad_token"`
			Delim   *string `json:"word_delimiter_token"`
			Cleanup *bool   `json:"cleanup"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("decoder CTC: %w", err)
		}
		d := ctcDecoder{pad: "<pad>", delim: "|", cleanup: boolOr(c.Cleanup, true)}
		if c.Pad != nil {
			d.pad = *c.Pad
		}
		if c.Delim != nil {
			d.delim = *c.Delim
		}
		return d, nil
	case "Sequence":
		var c struct {
			Decoders []json.RawMessage `json:"decoders"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("decoder Sequence: %w", err)
		}
		seq := make(sequenceDecoder, 0, len(c.Decoders))
		for i, r := range c.Decoders {
			d, err := parseDecoder(r)
			if err != nil {
				return nil, fmt.Errorf("decoder Sequence[%d]: %w", i, err)
			}
			seq = append(seq, d)
		}
		return seq, nil
	}
	return nil, fmt.Errorf("unsupported decoder type %q", typ)
}

type sequenceDecoder []decoder

func (s sequenceDecoder) decodeChain(tokens []string) ([]string, error) {
	var err error
	for _, d := range s {
		if tokens, err = d.decodeChain(tokens); err != nil {
			return nil, err
		}
	}
	return tokens, nil
}

// byteLevelDecoder maps byte-level characters back to bytes; tokens with
// other characters are kept as they are. Invalid UTF-8 becomes U+FFFD.
type byteLevelDecoder struct{}

func (byteLevelDecoder) decodeChain(tokens []string) ([]string, error) {
	var buf []byte
	for _, t := range tokens {
		buf = appendByteLevelDecoded(buf, t)
	}
	return []string{strings.ToValidUTF8(string(buf), "\uFFFD")}, nil
}

func appendByteLevelDecoded(buf []byte, t string) []byte {
	start := len(buf)
	for _, c := range t {
		b, ok := byteLevel.runeToByte[c]
		if !ok {
			return append(buf[:start], t...)
		}
		buf = append(buf, b)
	}
	return buf
}

// byteFallbackDecoder turns runs of <0xNN> tokens back into text.
type byteFallbackDecoder struct{}

func parseByteToken(t string) (byte, bool) {
	if len(t) != 6 || !strings.HasPrefix(t, "<0x") || t[5] != '>' {
		return 0, false
	}
	v, err := strconv.ParseUint(t[3:5], 16, 8)
	if err != nil {
		return 0, false
	}
	return byte(v), true
}

func (byteFallbackDecoder) decodeChain(tokens []string) ([]string, error) {
	out := make([]string, 0, len(tokens))
	var pending []byte
	flush := func() {
		if len(pending) == 0 {
			return
		}
		if utf8.Valid(pending) {
			out = append(out, string(pending))
		} else {
			for range pending {
				out = append(out, "\uFFFD")
			}
		}
		pending = pending[:0]
	}
	for _, t := range tokens {
		if b, ok := parseByteToken(t); ok {
			pending = append(pending, b)
			continue
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out, nil
}

type fuseDecoder struct{}

func (fuseDecoder) decodeChain(tokens []string) ([]string, error) {
	return []string{strings.Join(tokens, "")}, nil
}

type wordPieceDecoder struct {
	prefix  string
	cleanup bool
}

func (d wordPieceDecoder) decodeChain(tokens []string) ([]string, error) {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		if i != 0 {
			if strings.HasPrefix(t, d.prefix) {
				t = strings.Replace(t, d.prefix, "", 1)
			} else {
				t = " " + t
			}
		}
		if d.cleanup {
			t = cleanupText(t)
		}
		out[i] = t
	}
	return out, nil
}

// cleanupText undoes the spaces WordPiece puts before punctuation and
// English contractions.
func cleanupText(s string) string {
	return cleanupReplacer.Replace(s)
}

// cleanupReplacer applies the replacements in the Rust order; each pattern
// is applied to the whole string before the next one, so it cannot be one
// strings.Replacer.
var cleanupReplacer = chainReplacer{
	{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
	{" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
}

type chainReplacer [][2]string

func (c chainReplacer) Replace(s string) string {
	for _, r := range c {
		if strings.Contains(s, r[0]) {
			s = strings.ReplaceAll(s, r[0], r[1])
		}
	}
	return s
}

type metaspaceDecoder struct {
	replacement  rune
	prependFirst bool
}

func (d metaspaceDecoder) decodeChain(tokens []string) ([]string, error) {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		var b strings.Builder
		b.Grow(len(t))
		for _, c := range t {
			if c == d.replacement {
				if i == 0 && d.prependFirst {
					continue
				}
				c = ' '
			}
			b.WriteRune(c)
		}
		out[i] = b.String()
	}
	return out, nil
}

type bpeDecoder struct{ suffix string }

func (d bpeDecoder) decodeChain(tokens []string) ([]string, error) {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		rep := " "
		if i == len(tokens)-1 {
			rep = ""
		}
		if d.suffix == "" {
			out[i] = t
			continue
		}
		out[i] = strings.ReplaceAll(t, d.suffix, rep)
	}
	return out, nil
}

type stripDecoder struct {
	content     rune
	start, stop int
}

func (d stripDecoder) decodeChain(tokens []string) ([]string, error) {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		runes := []rune(t)
		startCut := 0
		for j := 0; j < d.start && j < len(runes); j++ {
			if runes[j] != d.content {
				break
			}
			startCut = j + 1
		}
		stopCut := len(runes)
		for j := 0; j < d.stop && j < len(runes); j++ {
			k := len(runes) - j - 1
			if runes[k] != d.content {
				break
			}
			stopCut = k
		}
		if stopCut < startCut {
			stopCut = startCut
		}
		out[i] = string(runes[startCut:stopCut])
	}
	return out, nil
}

type replaceDecoder struct {
	p       pattern
	content string
}

func (d replaceDecoder) decodeChain(tokens []string) ([]string, error) {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		ms, err := d.p.findMatches(t)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		for _, m := range ms {
			if m.match {
				b.WriteString(d.content)
			} else {
				b.WriteString(t[m.s:m.e])
			}
		}
		out[i] = b.String()
	}
	return out, nil
}

type ctcDecoder struct {
	pad, delim string
	cleanup    bool
}

func (d ctcDecoder) decodeChain(tokens []string) ([]string, error) {
	var out []string
	for i, t := range tokens {
		if i > 0 && tokens[i-1] == t {
			continue
		}
		r := t
		if d.pad != "" {
			r = strings.ReplaceAll(r, d.pad, "")
		}
		if d.cleanup {
			r = cleanupText(r)
			if d.delim != "" {
				r = strings.ReplaceAll(r, d.delim, " ")
			}
		}
		if r != "" {
			out = append(out, r)
		}
	}
	return out, nil
}
