package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner is a small strict JSON reader for the large parts of a
// tokenizer.json (vocabularies and merges), which encoding/json decodes an
// order of magnitude slower through reflection.
type jsonScanner struct {
	data []byte
	pos  int
}

func (s *jsonScanner) errf(format string, args ...any) error {
	return fmt.Errorf("JSON at byte %d: %s", s.pos, fmt.Sprintf(format, args...))
}

func (s *jsonScanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsonScanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *jsonScanner) expect(c byte) error {
	if s.peek() != c {
		return s.errf("expected %q", c)
	}
	s.pos++
	return nil
}

// str reads a string, validating escapes and UTF-8 like encoding/json
// (invalid UTF-8 becomes U+FFFD).
func (s *jsonScanner) str() (string, error) {
	if err := s.expect('"'); err != nil {
		return "", err
	}
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c == '"' {
			raw := s.data[start:s.pos]
			s.pos++
			if utf8.Valid(raw) {
				return string(raw), nil
			}
			return string([]rune(string(raw))), nil
		}
		if c == '\\' {
			s.pos = start
			return s.slowStr()
		}
		if c < 0x20 {
			return "", s.errf("control character in string")
		}
		s.pos++
	}
	return "", s.errf("unterminated string")
}

// slowStr decodes a string with escapes; pos is just after the quote.
func (s *jsonScanner) slowStr() (string, error) {
	buf := make([]byte, 0, 16)
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !utf8.Valid(buf) {
				return string([]rune(string(buf))), nil
			}
			return string(buf), nil
		case c < 0x20:
			return "", s.errf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(s.data) {
			return "", s.errf("unterminated escape")
		}
		e := s.data[s.pos+1]
		s.pos += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, err := s.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
					save := s.pos
					s.pos += 2
					if r2, err = s.hex4(); err != nil {
						return "", err
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						buf = utf8.AppendRune(buf, d)
						continue
					}
					s.pos = save
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", s.errf("invalid escape \\%c", e)
		}
	}
	return "", s.errf("unterminated string")
}

func (s *jsonScanner) hex4() (rune, error) {
	if s.pos+4 > len(s.data) {
		return 0, s.errf("short \\u escape")
	}
	v, err := strconv.ParseUint(string(s.data[s.pos:s.pos+4]), 16, 32)
	if err != nil {
		return 0, s.errf("invalid \\u escape")
	}
	s.pos += 4
	return rune(v), nil
}

// number reads a JSON number and returns its text.
func (s *jsonScanner) number() (string, error) {
	s.ws()
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.pos++
			continue
		}
		break
	}
	if start == s.pos {
		return "", s.errf("expected a number")
	}
	return string(s.data[start:s.pos]), nil
}

// skipStr skips a string without decoding it.
func (s *jsonScanner) skipStr() error {
	s.pos++ // opening quote
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; {
		case c == '"':
			s.pos++
			return nil
		case c == '\\':
			s.pos += 2
		case c < 0x20:
			return s.errf("control character in string")
		default:
			s.pos++
		}
	}
	return s.errf("unterminated string")
}

// skip skips any value.
func (s *jsonScanner) skip() error {
	switch c := s.peek(); {
	case c == '"':
		return s.skipStr()
	case c == '{':
		return s.object(func(string) error { return s.skip() })
	case c == '[':
		return s.array(s.skip)
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if len(s.data)-s.pos >= len(lit) && string(s.data[s.pos:s.pos+len(lit)]) == lit {
				s.pos += len(lit)
				return nil
			}
		}
		return s.errf("invalid literal")
	default:
		_, err := s.number()
		return err
	}
}

// object calls f for each key, positioned at its value (which f must consume).
func (s *jsonScanner) object(f func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		k, err := s.str()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := f(k); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.errf("expected ',' or '}'")
		}
	}
}

// array calls f for each element, positioned at it.
func (s *jsonScanner) array(f func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for {
		if err := f(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.errf("expected ',' or ']'")
		}
	}
}

// end checks that only whitespace is left.
func (s *jsonScanner) end() error {
	s.ws()
	if s.pos != len(s.data) {
		return s.errf("unexpected data after the value")
	}
	return nil
}

// splitObject returns the raw values of a JSON object's keys (the last one
// wins on duplicates, like encoding/json).
func splitObject(data []byte) (map[string]json.RawMessage, error) {
	s := &jsonScanner{data: data}
	if s.peek() != '{' {
		return nil, errors.New("tokenizer.json must be a JSON object")
	}
	out := map[string]json.RawMessage{}
	err := s.object(func(k string) error {
		s.ws()
		start := s.pos
		if err := s.skip(); err != nil {
			return err
		}
		out[k] = json.RawMessage(data[start:s.pos])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, s.end()
}

// fastVocabMap reads {"token": id, ...}.
func fastVocabMap(raw json.RawMessage) (map[string]int32, error) {
	if isNull(raw) {
		return nil, errors.New("vocab: missing")
	}
	s := &jsonScanner{data: raw}
	out := make(map[string]int32, len(raw)/16)
	err := s.object(func(k string) error {
		num, err := s.number()
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(num, 10, 64)
		if err != nil || id < 0 || id > 1<<31-1 {
			return fmt.Errorf("vocab: token %q has invalid id %s", k, num)
		}
		out[k] = int32(id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("vocab: %w", err)
	}
	return out, s.end()
}

// fastMerges reads ["a b", ...] or [["a", "b"], ...].
func fastMerges(raw json.RawMessage) ([][2]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	s := &jsonScanner{data: raw}
	out := make([][2]string, 0, len(raw)/12)
	err := s.array(func() error {
		switch s.peek() {
		case '"':
			line, err := s.str()
			if err != nil {
				return err
			}
			sp := -1
			for i := 0; i < len(line); i++ {
				if line[i] == ' ' {
					if sp >= 0 {
						sp = -2
						break
					}
					sp = i
				}
			}
			if sp < 0 {
				return fmt.Errorf("merges: entry %d %q is not two tokens separated by one space", len(out), line)
			}
			out = append(out, [2]string{line[:sp], line[sp+1:]})
		case '[':
			var pair [2]string
			n := 0
			err := s.array(func() error {
				if n >= 2 {
					return errors.New("merges: a pair has more than two tokens")
				}
				v, err := s.str()
				pair[n] = v
				n++
				return err
			})
			if err != nil {
				return err
			}
			if n != 2 {
				return errors.New("merges: a pair must have two tokens")
			}
			out = append(out, pair)
		default:
			return s.errf("merges: expected a string or a pair")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("merges: %w", err)
	}
	return out, s.end()
}

// fastUnigramVocab reads [["piece", score], ...].
func fastUnigramVocab(raw json.RawMessage) ([]string, []float64, error) {
	if isNull(raw) {
		return nil, nil, errors.New("vocab: missing")
	}
	s := &jsonScanner{data: raw}
	var pieces []string
	var scores []float64
	err := s.array(func() error {
		n := 0
		return s.array(func() error {
			defer func() { n++ }()
			switch n {
			case 0:
				p, err := s.str()
				pieces = append(pieces, p)
				return err
			case 1:
				num, err := s.number()
				if err != nil {
					return err
				}
				f, err := strconv.ParseFloat(num, 64)
				if err != nil {
					return fmt.Errorf("vocab entry %d: invalid score %s", len(scores), num)
				}
				scores = append(scores, f)
				return nil
			}
			return fmt.Errorf("vocab entry %d must be [piece, score]", len(pieces)-1)
		})
	})
	if err == nil && len(pieces) != len(scores) {
		err = fmt.Errorf("vocab entry %d must be [piece, score]", len(scores))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("vocab: %w", err)
	}
	return pieces, scores, s.end()
}
