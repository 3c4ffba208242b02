package chat

import (
	"fmt"
	"slices"
)

// maxParseDepth bounds the nesting of statements and expressions, so that
// a hostile template cannot exhaust the stack while parsing or rendering.
const maxParseDepth = 200

type parser struct {
	toks      []token
	i         int
	depth     int
	loopDepth int     // enclosing for loops in the current macro body
	open      []token // the block tags being parsed, innermost last
}

func parse(src string) ([]node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	body, end, err := p.subparse()
	if err != nil {
		return nil, err
	}
	if end != "" {
		return nil, p.errAt(p.prev(), "unexpected '%s'", end)
	}
	return body, nil
}

func (p *parser) cur() token  { return p.toks[p.i] }
func (p *parser) prev() token { return p.toks[max(p.i-1, 0)] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return &SyntaxError{Line: t.line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) isOp(op string) bool {
	t := p.cur()
	return t.kind == tokOp && t.val == op
}

func (p *parser) isName(names ...string) bool {
	t := p.cur()
	return t.kind == tokName && slices.Contains(names, t.val)
}

func (p *parser) skipOp(op string) bool {
	if p.isOp(op) {
		p.i++
		return true
	}
	return false
}

func (p *parser) skipName(name string) bool {
	if p.isName(name) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectOp(op string) error {
	if !p.skipOp(op) {
		return p.errAt(p.cur(), "expected '%s', got %s", op, describe(p.cur()))
	}
	return nil
}

func (p *parser) expectName(name string) error {
	if !p.skipName(name) {
		return p.errAt(p.cur(), "expected '%s', got %s", name, describe(p.cur()))
	}
	return nil
}

func (p *parser) expectBlockEnd() error {
	if p.cur().kind != tokBlockEnd {
		return p.errAt(p.cur(), "expected end of statement block, got %s", describe(p.cur()))
	}
	p.i++
	return nil
}

func (p *parser) ident() (string, error) {
	t := p.cur()
	if t.kind != tokName {
		return "", p.errAt(t, "expected a name, got %s", describe(t))
	}
	p.i++
	return t.val, nil
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of template"
	case tokBlockEnd:
		return "end of statement block"
	case tokVarEnd:
		return "end of print statement"
	case tokBlockBegin:
		return "begin of statement block"
	case tokVarBegin:
		return "begin of print statement"
	case tokString:
		return "string literal"
	case tokData:
		return "template data"
	}
	return "'" + t.val + "'"
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxParseDepth {
		return p.errAt(p.cur(), "template nested too deeply (more than %d levels)", maxParseDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// subparse parses nodes until a block tag whose name is in ends (returned,
// with the tag name consumed) or the end of the template (returns "").
func (p *parser) subparse(ends ...string) ([]node, string, error) {
	if err := p.enter(); err != nil {
		return nil, "", err
	}
	defer p.leave()
	var body []node
	for {
		t := p.next()
		switch t.kind {
		case tokEOF:
			if len(ends) > 0 {
				opener := p.open[len(p.open)-1]
				return nil, "", p.errAt(opener, "unexpected end of template: '%s' is never closed (expected '%s')", opener.val, ends[len(ends)-1])
			}
			return body, "", nil
		case tokData:
			body = append(body, &textNode{pos{t.line}, t.val})
		case tokVarBegin:
			e, err := p.parseTuple(true, false)
			if err != nil {
				return nil, "", err
			}
			if p.cur().kind != tokVarEnd {
				return nil, "", p.errAt(p.cur(), "expected end of print statement, got %s", describe(p.cur()))
			}
			p.i++
			body = append(body, &outputNode{pos{t.line}, e})
		case tokBlockBegin:
			name := p.cur()
			if name.kind != tokName {
				return nil, "", p.errAt(name, "expected a statement name, got %s", describe(name))
			}
			if slices.Contains(ends, name.val) {
				p.i++
				return body, name.val, nil
			}
			n, err := p.statement()
			if err != nil {
				return nil, "", err
			}
			if n != nil {
				body = append(body, n)
			}
		default:
			return nil, "", p.errAt(t, "unexpected %s", describe(t))
		}
	}
}

func (p *parser) statement() (node, error) {
	t := p.next()
	at := pos{t.line}
	p.open = append(p.open, t)
	defer func() { p.open = p.open[:len(p.open)-1] }()
	switch t.val {
	case "if":
		return p.parseIf(at)
	case "for":
		return p.parseFor(at)
	case "set":
		return p.parseSet(at)
	case "macro":
		return p.parseMacro(at)
	case "call":
		return p.parseCallBlock(at)
	case "filter":
		return p.parseFilterBlock(at)
	case "with":
		return p.parseWith(at)
	case "block":
		if _, err := p.ident(); err != nil {
			return nil, err
		}
		for p.isName("scoped", "required") {
			p.i++
		}
		return p.parseBody(at, "endblock", true)
	case "generation", "autoescape":
		end := "end" + t.val
		if t.val == "autoescape" {
			if _, err := p.parseExpr(true); err != nil {
				return nil, err
			}
		}
		return p.parseBody(at, end, false)
	case "break", "continue":
		if p.loopDepth == 0 {
			return nil, p.errAt(t, "'%s' outside of a loop", t.val)
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		if t.val == "break" {
			return &breakNode{at}, nil
		}
		return &continueNode{at}, nil
	case "extends", "include", "import", "from":
		return nil, p.errAt(t, "'%s' is not supported: a chat template is a single template", t.val)
	}
	return nil, p.errAt(t, "unknown tag '%s'", t.val)
}

// parseBody parses "%}body{% end %}" into a blockNode; allowName permits
// {% endblock name %}.
func (p *parser) parseBody(at pos, end string, allowName bool) (node, error) {
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	body, _, err := p.subparse(end)
	if err != nil {
		return nil, err
	}
	if allowName && p.cur().kind == tokName {
		p.i++
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	return &blockNode{at, body}, nil
}

func (p *parser) parseIf(at pos) (node, error) {
	n := &ifNode{pos: at}
	for {
		cond, err := p.parseTuple(false, false)
		if err != nil {
			return nil, err
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, end, err := p.subparse("elif", "else", "endif")
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, cond)
		n.bodies = append(n.bodies, body)
		switch end {
		case "elif":
			continue
		case "else":
			if err := p.expectBlockEnd(); err != nil {
				return nil, err
			}
			n.orElse, _, err = p.subparse("endif")
			if err != nil {
				return nil, err
			}
		}
		return n, p.expectBlockEnd()
	}
}

func (p *parser) parseFor(at pos) (node, error) {
	n := &forNode{pos: at}
	var err error
	if n.target, err = p.parseAssignTarget(false, "in"); err != nil {
		return nil, err
	}
	if err := p.expectName("in"); err != nil {
		return nil, err
	}
	if n.iter, err = p.parseTuple(false, false, "recursive"); err != nil {
		return nil, err
	}
	if p.skipName("if") {
		if n.filter, err = p.parseExpr(true); err != nil {
			return nil, err
		}
	}
	n.recursive = p.skipName("recursive")
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	p.loopDepth++
	body, end, err := p.subparse("endfor", "else")
	p.loopDepth--
	if err != nil {
		return nil, err
	}
	n.body = body
	if end == "else" {
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		if n.orElse, _, err = p.subparse("endfor"); err != nil {
			return nil, err
		}
	}
	return n, p.expectBlockEnd()
}

// parseAssignTarget parses a name, a tuple of names, or (withAttr) name.attr.
func (p *parser) parseAssignTarget(withAttr bool, endNames ...string) (assignTarget, error) {
	var items []assignTarget
	paren := p.skipOp("(")
	for {
		t := p.cur()
		name, err := p.ident()
		if err != nil {
			return assignTarget{}, err
		}
		if isReserved(name) {
			return assignTarget{}, p.errAt(t, "cannot assign to '%s'", name)
		}
		target := assignTarget{name: name}
		if withAttr && p.skipOp(".") {
			if target.attr, err = p.ident(); err != nil {
				return assignTarget{}, err
			}
		}
		items = append(items, target)
		if !p.skipOp(",") {
			break
		}
		if p.isName(endNames...) || p.isOp(")") || p.isOp("=") {
			break
		}
	}
	if paren {
		if err := p.expectOp(")"); err != nil {
			return assignTarget{}, err
		}
	}
	if len(items) == 1 && !paren {
		return items[0], nil
	}
	return assignTarget{tuple: items}, nil
}

func isReserved(name string) bool {
	switch name {
	case "true", "false", "none", "True", "False", "None":
		return true
	}
	return false
}

func (p *parser) parseSet(at pos) (node, error) {
	target, err := p.parseAssignTarget(true)
	if err != nil {
		return nil, err
	}
	if p.skipOp("=") {
		value, err := p.parseTuple(true, false)
		if err != nil {
			return nil, err
		}
		return &setNode{at, target, value}, p.expectBlockEnd()
	}
	n := &setBlockNode{pos: at, target: target}
	for p.skipOp("|") {
		f, err := p.parseFilter(nil)
		if err != nil {
			return nil, err
		}
		n.filters = append(n.filters, f)
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	if n.body, _, err = p.subparse("endset"); err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

// parseSignature parses "(a, b=1)" for macros and call blocks.
func (p *parser) parseSignature(m *macroDef) error {
	if err := p.expectOp("("); err != nil {
		return err
	}
	for !p.isOp(")") {
		if len(m.params) > 0 {
			if err := p.expectOp(","); err != nil {
				return err
			}
			if p.isOp(")") {
				break
			}
		}
		t := p.cur()
		name, err := p.ident()
		if err != nil {
			return err
		}
		m.params = append(m.params, name)
		if p.skipOp("=") {
			d, err := p.parseExpr(true)
			if err != nil {
				return err
			}
			m.defaults = append(m.defaults, d)
		} else if len(m.defaults) > 0 {
			return p.errAt(t, "non-default argument follows default argument")
		}
	}
	p.i++
	return nil
}

// macroBody parses a macro or caller body, where break and continue of an
// outer loop do not reach.
func (p *parser) macroBody(m *macroDef, end string) error {
	if err := p.expectBlockEnd(); err != nil {
		return err
	}
	saved := p.loopDepth
	p.loopDepth = 0
	body, _, err := p.subparse(end)
	p.loopDepth = saved
	if err != nil {
		return err
	}
	if p.cur().kind == tokName { // {% endmacro name %}
		p.i++
	}
	m.body = body
	return p.expectBlockEnd()
}

func (p *parser) parseMacro(at pos) (node, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	m := &macroDef{name: name}
	if err := p.parseSignature(m); err != nil {
		return nil, err
	}
	if err := p.macroBody(m, "endmacro"); err != nil {
		return nil, err
	}
	return &macroNode{at, name, m}, nil
}

func (p *parser) parseCallBlock(at pos) (node, error) {
	caller := &macroDef{name: "caller"}
	if p.isOp("(") {
		if err := p.parseSignature(caller); err != nil {
			return nil, err
		}
	}
	e, err := p.parseExpr(true)
	if err != nil {
		return nil, err
	}
	call, ok := e.(*callExpr)
	if !ok {
		return nil, p.errAt(p.cur(), "expected a call after 'call'")
	}
	if err := p.macroBody(caller, "endcall"); err != nil {
		return nil, err
	}
	return &callBlockNode{at, call, caller}, nil
}

func (p *parser) parseFilterBlock(at pos) (node, error) {
	n := &filterBlockNode{pos: at}
	for {
		f, err := p.parseFilter(nil)
		if err != nil {
			return nil, err
		}
		n.filters = append(n.filters, f)
		if !p.skipOp("|") {
			break
		}
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	var err error
	if n.body, _, err = p.subparse("endfilter"); err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

func (p *parser) parseWith(at pos) (node, error) {
	n := &withNode{pos: at}
	for p.cur().kind != tokBlockEnd {
		if len(n.targets) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		target, err := p.parseAssignTarget(false)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp("="); err != nil {
			return nil, err
		}
		value, err := p.parseExpr(true)
		if err != nil {
			return nil, err
		}
		n.targets = append(n.targets, target)
		n.values = append(n.values, value)
	}
	p.i++
	var err error
	if n.body, _, err = p.subparse("endwith"); err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}
