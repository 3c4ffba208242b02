package tokenizer

import (
	"encoding/binary"
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
	// Pretty-printed files indent with runs of spaces: skip 8 at a time.
	for s.pos+8 <= len(s.data) && binary.LittleEndian.Uint64(s.data[s.pos:]) == 0x2020202020202020 {
		s.pos += 8
	}
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
	b, _, err := s.strBytes(nil)
	return string(b), err
}

// strBytes reads a string without allocating when it can: the result is
// the raw bytes of the document when the string has no escapes and is
// valid UTF-8, else it is decoded into scratch (returned, possibly grown,
// for reuse). The result is only valid until scratch is reused.
func (s *jsonScanner) strBytes(scratch []byte) ([]byte, []byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, scratch, err
	}
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c == '"' {
			raw := s.data[start:s.pos]
			s.pos++
			if utf8.Valid(raw) {
				return raw, scratch, nil
			}
			scratch = appendValidUTF8(scratch[:0], raw)
			return scratch, scratch, nil
		}
		if c == '\\' {
			s.pos = start
			return s.slowStr(scratch[:0])
		}
		if c < 0x20 {
			return nil, scratch, s.errf("control character in string")
		}
		s.pos++
	}
	return nil, scratch, s.errf("unterminated string")
}

// appendValidUTF8 appends b with each invalid byte replaced by U+FFFD, as a
// Go string-to-rune conversion (and encoding/json) does.
func appendValidUTF8(dst, b []byte) []byte {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		dst = utf8.AppendRune(dst, r)
		b = b[size:]
	}
	return dst
}

// slowStr decodes a string with escapes into buf; pos is just after the
// quote.
func (s *jsonScanner) slowStr(buf []byte) ([]byte, []byte, error) {
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !utf8.Valid(buf) {
				fixed := appendValidUTF8(nil, buf)
				return fixed, buf, nil
			}
			return buf, buf, nil
		case c < 0x20:
			return nil, buf, s.errf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(s.data) {
			return nil, buf, s.errf("unterminated escape")
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
				return nil, buf, err
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
					save := s.pos
					s.pos += 2
					if r2, err = s.hex4(); err != nil {
						return nil, buf, err
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
			return nil, buf, s.errf("invalid escape \\%c", e)
		}
	}
	return nil, buf, s.errf("unterminated string")
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
	b, err := s.numberBytes()
	return string(b), err
}

// numberBytes reads a JSON number and returns its bytes in the document.
func (s *jsonScanner) numberBytes() ([]byte, error) {
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
		return nil, s.errf("expected a number")
	}
	return s.data[start:s.pos], nil
}

// tokenID reads a non-negative integer that fits an int32.
func (s *jsonScanner) tokenID() (int32, bool, []byte, error) {
	num, err := s.numberBytes()
	if err != nil {
		return 0, false, nil, err
	}
	if len(num) == 0 || len(num) > 10 || (len(num) > 1 && num[0] == '0') {
		return 0, false, num, nil
	}
	v := int64(0)
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, false, num, nil
		}
		v = v*10 + int64(c-'0')
	}
	if v > 1<<31-1 {
		return 0, false, num, nil
	}
	return int32(v), true, num, nil
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

// skip skips any value, checking its syntax, without allocating.
func (s *jsonScanner) skip() error {
	switch c := s.peek(); {
	case c == '"':
		return s.skipStr()
	case c == '{':
		s.pos++
		if s.peek() == '}' {
			s.pos++
			return nil
		}
		for {
			if s.peek() != '"' {
				return s.errf("expected a string")
			}
			if err := s.skipStr(); err != nil {
				return err
			}
			if err := s.expect(':'); err != nil {
				return err
			}
			if err := s.skip(); err != nil {
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
		_, err := s.numberBytes()
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
	out, err := s.fields(nil)
	if err != nil {
		return nil, err
	}
	return out, s.end()
}

// fields reads an object into the raw values of its keys. hook, when not
// nil, may consume a value itself (returning true), so that a big value is
// parsed in the same pass instead of being skipped and scanned again.
func (s *jsonScanner) fields(hook func(key string) (bool, error)) (map[string]json.RawMessage, error) {
	if s.peek() != '{' {
		return nil, errors.New("expected a JSON object")
	}
	out := map[string]json.RawMessage{}
	err := s.object(func(k string) error {
		s.ws()
		start := s.pos
		handled := false
		if hook != nil {
			var err error
			if handled, err = hook(k); err != nil {
				return err
			}
		}
		if !handled {
			if err := s.skip(); err != nil {
				return err
			}
		}
		out[k] = json.RawMessage(s.data[start:s.pos])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fastVocabMap reads {"token": id, ...}. The keys share one backing
// string: one allocation instead of one per token, which matters for
// 150k-token vocabularies (load time and GC work).
func fastVocabMap(raw json.RawMessage) (*vocabulary, error) {
	if isNull(raw) {
		return nil, errors.New("vocab: missing")
	}
	s := &jsonScanner{data: raw}
	p, err := s.vocabMap()
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, err
	}
	return p.wait()
}

// vocabMap reads a {"token": id, ...} object at the scanner's position.
func (s *jsonScanner) vocabMap() (*pendingVocab, error) {
	type entry struct{ end, id int32 }
	entries := make([]entry, 0, 1024)
	arena := make([]byte, 0, 16<<10)
	var scratch []byte
	err := s.expect('{')
	if err == nil && s.peek() == '}' {
		s.pos++
	} else {
		for err == nil {
			var key []byte
			if key, scratch, err = s.strBytes(scratch); err != nil {
				break
			}
			if err = s.expect(':'); err != nil {
				break
			}
			id, ok, num, nerr := s.tokenID()
			if nerr != nil {
				err = nerr
				break
			}
			if !ok {
				err = fmt.Errorf("token %q has invalid id %s", key, num)
				break
			}
			arena = append(arena, key...)
			if len(arena) > 1<<31-1 {
				err = errors.New("vocabulary too large")
				break
			}
			entries = append(entries, entry{int32(len(arena)), id})
			switch s.peek() {
			case ',':
				s.pos++
				continue
			case '}':
				s.pos++
			default:
				err = s.errf("expected ',' or '}'")
			}
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("vocab: %w", err)
	}
	keys := string(arena)
	toks := make([]string, len(entries))
	ids := make([]int32, len(entries))
	start := int32(0)
	for i, e := range entries {
		toks[i], ids[i] = keys[start:e.end], e.id
		start = e.end
	}
	return &pendingVocab{toks: toks, ids: ids}, nil
}

// pendingVocab is a parsed {"token": id} vocab whose map is not built yet:
// building it (150k hashed inserts for big vocabularies) can run while the
// rest of the document is parsed.
type pendingVocab struct {
	toks []string
	ids  []int32
	done chan struct{}
	v    *vocabulary
	err  error
}

// start builds the vocabulary in the background; wait returns it.
func (p *pendingVocab) start() *pendingVocab {
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		p.v, p.err = p.build()
	}()
	return p
}

func (p *pendingVocab) wait() (*vocabulary, error) {
	if p.done == nil {
		return p.build()
	}
	<-p.done
	return p.v, p.err
}

func (p *pendingVocab) build() (*vocabulary, error) {
	out := make(map[string]int32, len(p.toks))
	for i, tok := range p.toks {
		out[tok] = p.ids[i] // later duplicates win, like encoding/json
	}
	if len(out) != len(p.toks) {
		// A token listed twice: only the map knows which id won.
		return newVocabulary(out)
	}
	return newVocabularyOrdered(out, p.toks, p.ids)
}

// mergeTokens are the merges of a BPE model as byte ranges: most point
// into the tokenizer.json document itself (no copy); tokens written with
// escapes are decoded into a side buffer. They only live while the model
// is built.
type mergeTokens struct {
	doc, side []byte
	spans     []mergeSpan
}

// mergeSpan locates a merge's two tokens; a negative offset -o-1 is offset
// o in the side buffer.
type mergeSpan struct{ a, aLen, b, bLen int32 }

func (m *mergeTokens) len() int { return len(m.spans) }

func (m *mergeTokens) tok(off, n int32) []byte {
	if off < 0 {
		o := -off - 1
		return m.side[o : o+n]
	}
	return m.doc[off : off+n]
}

// pair returns the two tokens of merge i.
func (m *mergeTokens) pair(i int) ([]byte, []byte) {
	sp := m.spans[i]
	return m.tok(sp.a, sp.aLen), m.tok(sp.b, sp.bLen)
}

// fastMerges reads ["a b", ...] or [["a", "b"], ...].
func fastMerges(raw json.RawMessage) (*mergeTokens, error) {
	if isNull(raw) {
		return &mergeTokens{}, nil
	}
	s := &jsonScanner{data: raw}
	m, err := s.merges()
	if err != nil {
		return nil, err
	}
	return m, s.end()
}

// merges reads a merges array at the scanner's position.
func (s *jsonScanner) merges() (*mergeTokens, error) {
	m := &mergeTokens{doc: s.data, spans: make([]mergeSpan, 0, 1024)}
	var scratch []byte
	// locate returns where v (just read by strBytes) lives.
	locate := func(v []byte, from int) (int32, error) {
		if len(v) > 0 && len(s.data) > 0 && &v[0] == &s.data[from] {
			return int32(from), nil
		}
		if len(v) == 0 {
			return 0, nil
		}
		if len(m.side)+len(v) > 1<<30 {
			return 0, errors.New("merges: too large")
		}
		off := int32(len(m.side))
		m.side = append(m.side, v...)
		return -off - 1, nil
	}
	if len(s.data) > 1<<31-1 {
		return nil, errors.New("merges: document too large")
	}
	err := s.array(func() error {
		switch s.peek() {
		case '"':
			from := s.pos + 1
			line, sc, err := s.strBytes(scratch)
			scratch = sc
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
				return fmt.Errorf("merges: entry %d %q is not two tokens separated by one space", len(m.spans), line)
			}
			off, err := locate(line, from)
			if err != nil {
				return err
			}
			b := off + int32(sp) + 1
			if off < 0 {
				b = off - int32(sp) - 1
			}
			m.spans = append(m.spans, mergeSpan{off, int32(sp), b, int32(len(line) - sp - 1)})
		case '[':
			n := 0
			var span mergeSpan
			err := s.array(func() error {
				if n >= 2 {
					return errors.New("merges: a pair has more than two tokens")
				}
				s.ws()
				from := s.pos + 1
				v, sc, err := s.strBytes(scratch)
				scratch = sc
				if err != nil {
					return err
				}
				off, err := locate(v, from)
				if err != nil {
					return err
				}
				if n == 0 {
					span.a, span.aLen = off, int32(len(v))
				} else {
					span.b, span.bLen = off, int32(len(v))
				}
				n++
				return nil
			})
			if err != nil {
				return err
			}
			if n != 2 {
				return errors.New("merges: a pair must have two tokens")
			}
			m.spans = append(m.spans, span)
		default:
			return s.errf("merges: expected a string or a pair")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("merges: %w", err)
	}
	return m, nil
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
