package chat

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The lexer follows Jinja's as transformers configures it: trim_blocks
// (drop the first newline after a block or comment tag), lstrip_blocks
// (drop spaces and tabs before a block or comment tag that starts a line),
// "-" and "+" modifiers on tags, newlines normalised to "\n", and one
// trailing newline of the template dropped (keep_trailing_newline off).

type tokenKind int

const (
	tokEOF        tokenKind = iota
	tokData                 // text outside tags
	tokBlockBegin           // {%
	tokBlockEnd             // %}
	tokVarBegin             // {{
	tokVarEnd               // }}
	tokName
	tokString
	tokInt
	tokFloat
	tokOp // operators and punctuation; val holds the operator
)

type token struct {
	kind tokenKind
	val  string
	line int
}

// lexer state; one per Parse.
type lexer struct {
	src  string
	pos  int
	line int
	toks []token
}

var (
	newlineRe = regexp.MustCompile(`\r\n|\r|\n`)
	rawEndRe  = regexp.MustCompile(`\{%([-+]?)\s*endraw\s*([-+]?)%\}`)
	rawBegRe  = regexp.MustCompile(`^\{%[-+]?\s*raw\s*([-+]?)%\}`)
)

// operators, longest first so that "**" wins over "*".
var operators = []string{
	"//", "**", "==", "!=", ">=", "<=",
	"+", "-", "*", "/", "%", "~", "<", ">", "=", ".", ",", ":", "|", "(", ")", "[", "]", "{", "}",
}

func lex(src string) ([]token, error) {
	lines := newlineRe.Split(src, -1)
	if len(lines) > 1 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	l := &lexer{src: strings.Join(lines, "\n"), line: 1}
	if err := l.run(); err != nil {
		return nil, err
	}
	l.toks = append(l.toks, token{kind: tokEOF, line: l.line})
	return l.toks, nil
}

func (l *lexer) errorf(format string, args ...any) error {
	return &SyntaxError{Line: l.line, Msg: fmt.Sprintf(format, args...)}
}

// emitData adds text, counting its newlines.
func (l *lexer) emitData(s string, line int) {
	if s != "" {
		l.toks = append(l.toks, token{kind: tokData, val: s, line: line})
	}
}

func (l *lexer) run() error {
	for l.pos < len(l.src) {
		start, startLine := l.pos, l.line
		idx := nextTag(l.src, l.pos)
		if idx < 0 {
			l.emitData(l.src[l.pos:], l.line)
			l.line += strings.Count(l.src[l.pos:], "\n")
			l.pos = len(l.src)
			break
		}
		data := l.src[start:idx]
		kind := l.src[idx+1]
		mod := byte(0)
		if idx+2 < len(l.src) && (l.src[idx+2] == '-' || l.src[idx+2] == '+') {
			mod = l.src[idx+2]
		}
		switch {
		case mod == '-':
			data = strings.TrimRightFunc(data, isSpace)
		case mod != '+' && kind != '{':
			data = lstripBlock(data, start == 0 || l.src[start-1] == '\n')
		}
		l.emitData(data, startLine)
		l.line += strings.Count(l.src[start:idx], "\n")
		l.pos = idx
		var err error
		switch kind {
		case '#':
			err = l.comment()
		case '%':
			if m := rawBegRe.FindStringSubmatch(l.src[l.pos:]); m != nil {
				err = l.raw(len(m[0]), m[1])
			} else {
				err = l.tag(tokBlockBegin, tokBlockEnd, "%}")
			}
		default:
			err = l.tag(tokVarBegin, tokVarEnd, "}}")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// nextTag finds the next "{{", "{%" or "{#" at or after pos.
func nextTag(s string, pos int) int {
	for {
		i := strings.IndexByte(s[pos:], '{')
		if i < 0 || pos+i+1 >= len(s) {
			return -1
		}
		switch s[pos+i+1] {
		case '{', '%', '#':
			return pos + i
		}
		pos += i + 1
	}
}

// lstripBlock removes the spaces and tabs between the last line start and a
// block tag, if nothing else stands there.
func lstripBlock(data string, lineStarting bool) string {
	nl := strings.LastIndexByte(data, '\n')
	if nl < 0 && !lineStarting {
		return data
	}
	tail := data[nl+1:]
	if strings.Trim(tail, " \t") != "" {
		return data
	}
	return data[:nl+1]
}

// afterTag applies the end-of-tag whitespace rules: "-" strips all
// whitespace that follows, and trim_blocks (block and comment tags, unless
// "+") drops one newline.
func (l *lexer) afterTag(mod byte, trimBlocks bool) {
	switch {
	case mod == '-':
		rest := strings.TrimLeftFunc(l.src[l.pos:], isSpace)
		l.line += strings.Count(l.src[l.pos:len(l.src)-len(rest)], "\n")
		l.pos = len(l.src) - len(rest)
	case mod != '+' && trimBlocks && l.pos < len(l.src) && l.src[l.pos] == '\n':
		l.pos++
		l.line++
	}
}

func (l *lexer) comment() error {
	end := strings.Index(l.src[l.pos+2:], "#}")
	if end < 0 {
		return l.errorf("missing end of comment tag")
	}
	body := l.src[l.pos+2 : l.pos+2+end]
	l.line += strings.Count(body, "\n")
	l.pos += 2 + end + 2
	if strings.HasSuffix(body, "-") {
		l.afterTag('-', true)
	} else {
		l.afterTag(0, true)
	}
	return nil
}

// raw handles {% raw %}...{% endraw %}: the text in between is output as is.
func (l *lexer) raw(openLen int, openMod string) error {
	l.pos += openLen
	if openMod == "-" {
		l.afterTag('-', true)
	} else {
		l.afterTag(modByte(openMod), true)
	}
	loc := rawEndRe.FindStringSubmatchIndex(l.src[l.pos:])
	if loc == nil {
		return l.errorf("missing end of raw directive")
	}
	body := l.src[l.pos : l.pos+loc[0]]
	closeOpenMod := l.src[l.pos+loc[2] : l.pos+loc[3]]
	closeEndMod := l.src[l.pos+loc[4] : l.pos+loc[5]]
	switch closeOpenMod {
	case "-":
		body = strings.TrimRightFunc(body, isSpace)
	case "":
		body = lstripBlock(body, false)
	}
	l.emitData(body, l.line)
	l.line += strings.Count(l.src[l.pos:l.pos+loc[1]], "\n")
	l.pos += loc[1]
	l.afterTag(modByte(closeEndMod), true)
	return nil
}

func modByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

// tag lexes the expression tokens of a {% %} or {{ }} tag.
func (l *lexer) tag(begin, end tokenKind, closer string) error {
	openLine := l.line
	l.toks = append(l.toks, token{kind: begin, line: l.line})
	l.pos += 2
	// "+" is a modifier on block tags only; in {{+x}} it is unary plus.
	if l.pos < len(l.src) && (l.src[l.pos] == '-' || l.src[l.pos] == '+' && begin == tokBlockBegin) {
		l.pos++
	}
	depth := 0
	for {
		// Whitespace between tokens.
		for l.pos < len(l.src) {
			r, size := utf8.DecodeRuneInString(l.src[l.pos:])
			if !isSpace(r) {
				break
			}
			if r == '\n' {
				l.line++
			}
			l.pos += size
		}
		if l.pos >= len(l.src) {
			return &SyntaxError{Line: openLine, Msg: "unexpected end of template: tag opened here is never closed (missing '" + closer + "')"}
		}
		rest := l.src[l.pos:]
		if depth == 0 {
			for _, mod := range []string{"-", "+", ""} {
				if mod == "+" && begin != tokBlockBegin {
					continue
				}
				if strings.HasPrefix(rest, mod+closer) {
					l.toks = append(l.toks, token{kind: end, line: l.line})
					l.pos += len(mod) + len(closer)
					l.afterTag(modByte(mod), begin == tokBlockBegin)
					return nil
				}
			}
		}
		c := rest[0]
		switch {
		case c == '\'' || c == '"':
			if err := l.str(c); err != nil {
				return err
			}
		case c >= '0' && c <= '9':
			l.number()
		case c == '_' || isLetter(rest):
			n := nameLen(rest)
			l.toks = append(l.toks, token{kind: tokName, val: rest[:n], line: l.line})
			l.pos += n
		default:
			op := ""
			for _, o := range operators {
				if strings.HasPrefix(rest, o) {
					op = o
					break
				}
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(rest)
				return l.errorf("unexpected character %q", r)
			}
			switch op {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					return l.errorf("unexpected '%s'", op)
				}
				depth--
			}
			l.toks = append(l.toks, token{kind: tokOp, val: op, line: l.line})
			l.pos += len(op)
		}
	}
}

func isLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

func nameLen(s string) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		n += size
	}
	return n
}

// number lexes an integer or float literal (underscores allowed, as in
// Python). A number right after "." is always an integer, so that x.0.1 is
// two item lookups.
func (l *lexer) number() {
	s := l.src[l.pos:]
	digits := func(i int) int {
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '_' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9') {
			i++
		}
		return i
	}
	afterDot := len(l.toks) > 0 && l.toks[len(l.toks)-1].kind == tokOp && l.toks[len(l.toks)-1].val == "."
	i := digits(0)
	kind := tokInt
	if !afterDot {
		if i+1 < len(s) && s[i] == '.' && s[i+1] >= '0' && s[i+1] <= '9' {
			i = digits(i + 1)
			kind = tokFloat
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			j := i + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if j < len(s) && s[j] >= '0' && s[j] <= '9' {
				i = digits(j)
				kind = tokFloat
			}
		}
	}
	l.toks = append(l.toks, token{kind: kind, val: strings.ReplaceAll(s[:i], "_", ""), line: l.line})
	l.pos += i
}

// str lexes a quoted string literal with Python's escapes.
func (l *lexer) str(q byte) error {
	startLine := l.line
	i := l.pos + 1
	for i < len(l.src) && l.src[i] != q {
		if l.src[i] == '\\' {
			i++
		}
		if i < len(l.src) && l.src[i] == '\n' {
			l.line++
		}
		i++
	}
	if i >= len(l.src) {
		return &SyntaxError{Line: startLine, Msg: "unterminated string literal"}
	}
	l.toks = append(l.toks, token{kind: tokString, val: unescape(l.src[l.pos+1 : i]), line: startLine})
	l.pos = i + 1
	return nil
}
