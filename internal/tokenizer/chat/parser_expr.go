package chat

import (
	"slices"
	"strconv"
	"strings"
)

// Expression grammar, loosest binding first, as in Jinja's parser:
//
//	tuple    expr ("," expr)*
//	expr     or ("if" or ("else" expr)?)*
//	or       and ("or" and)*
//	and      not ("and" not)*
//	not      "not" not | compare
//	compare  math1 (("=="|"!="|"<"|"<="|">"|">="|"in"|"not" "in") math1)*
//	math1    concat (("+"|"-") concat)*
//	concat   math2 ("~" math2)*
//	math2    pow (("*"|"/"|"//"|"%") pow)*
//	pow      unary ("**" unary)*
//	unary    ("-"|"+") unary-without-filters | primary postfix, then filters and tests

// parseTuple parses one expression or a comma-separated tuple of them.
// endNames are names that end the tuple (e.g. "recursive" after a for loop's
// iterable).
func (p *parser) parseTuple(withCond, explicitParens bool, endNames ...string) (expr, error) {
	line := p.cur().line
	var items []expr
	isTuple := false
	for {
		if len(items) > 0 {
			if !p.skipOp(",") {
				break
			}
			isTuple = true
		}
		if p.tupleEnds(endNames) {
			break
		}
		e, err := p.parseExpr(withCond)
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	if !isTuple {
		if len(items) == 1 {
			return items[0], nil
		}
		if !explicitParens {
			return nil, p.errAt(p.cur(), "expected an expression, got %s", describe(p.cur()))
		}
	}
	return &listExpr{pos{line}, items, true}, nil
}

func (p *parser) tupleEnds(endNames []string) bool {
	t := p.cur()
	switch t.kind {
	case tokBlockEnd, tokVarEnd, tokEOF:
		return true
	case tokOp:
		return t.val == ")"
	case tokName:
		return p.isName(endNames...)
	}
	return false
}

func (p *parser) parseExpr(withCond bool) (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	line := p.cur().line
	e, err := p.parseOr()
	if err != nil || !withCond {
		return e, err
	}
	for p.skipName("if") {
		cond, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		var no expr
		if p.skipName("else") {
			if no, err = p.parseExpr(true); err != nil {
				return nil, err
			}
		}
		e = &condExpr{pos{line}, cond, e, no}
	}
	return e, nil
}

func (p *parser) parseOr() (expr, error) {
	line := p.cur().line
	l, err := p.parseAnd()
	for err == nil && p.skipName("or") {
		var r expr
		if r, err = p.parseAnd(); err == nil {
			l = &binExpr{pos{line}, "or", l, r}
		}
	}
	return l, err
}

func (p *parser) parseAnd() (expr, error) {
	line := p.cur().line
	l, err := p.parseNot()
	for err == nil && p.skipName("and") {
		var r expr
		if r, err = p.parseNot(); err == nil {
			l = &binExpr{pos{line}, "and", l, r}
		}
	}
	return l, err
}

func (p *parser) parseNot() (expr, error) {
	if p.isName("not") {
		line := p.next().line
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{pos{line}, "not", x}, nil
	}
	return p.parseCompare()
}

func (p *parser) parseCompare() (expr, error) {
	line := p.cur().line
	first, err := p.parseMath1()
	if err != nil {
		return nil, err
	}
	c := &compareExpr{pos: pos{line}, first: first}
	for {
		var op string
		t := p.cur()
		switch {
		case t.kind == tokOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == "<=" || t.val == ">" || t.val == ">="):
			op = t.val
			p.i++
		case p.isName("in"):
			op = "in"
			p.i++
		case p.isName("not") && p.toks[p.i+1].kind == tokName && p.toks[p.i+1].val == "in":
			op = "notin"
			p.i += 2
		}
		if op == "" {
			break
		}
		r, err := p.parseMath1()
		if err != nil {
			return nil, err
		}
		c.ops = append(c.ops, op)
		c.rest = append(c.rest, r)
	}
	if len(c.ops) == 0 {
		return first, nil
	}
	return c, nil
}

// binaryLevel parses next (op next)* for the operators ops, left-associative.
func (p *parser) binaryLevel(next func() (expr, error), ops ...string) (expr, error) {
	line := p.cur().line
	l, err := next()
	if err != nil {
		return nil, err
	}
	for {
		t := p.cur()
		if t.kind != tokOp || !slices.Contains(ops, t.val) {
			return l, nil
		}
		p.i++
		r, err := next()
		if err != nil {
			return nil, err
		}
		l = &binExpr{pos{line}, t.val, l, r}
	}
}

func (p *parser) parseMath1() (expr, error) { return p.binaryLevel(p.parseConcat, "+", "-") }

func (p *parser) parseConcat() (expr, error) {
	line := p.cur().line
	first, err := p.parseMath2()
	if err != nil {
		return nil, err
	}
	parts := []expr{first}
	for p.skipOp("~") {
		e, err := p.parseMath2()
		if err != nil {
			return nil, err
		}
		parts = append(parts, e)
	}
	if len(parts) == 1 {
		return first, nil
	}
	return &concatExpr{pos{line}, parts}, nil
}

func (p *parser) parseMath2() (expr, error) {
	return p.binaryLevel(p.parsePow, "*", "/", "//", "%")
}

func (p *parser) parsePow() (expr, error) {
	return p.binaryLevel(func() (expr, error) { return p.parseUnary(true) }, "**")
}

func (p *parser) parseUnary(withFilter bool) (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.cur()
	var e expr
	var err error
	if t.kind == tokOp && (t.val == "-" || t.val == "+") {
		p.i++
		x, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		e = &unaryExpr{pos{t.line}, t.val, x}
	} else {
		if e, err = p.parsePrimary(); err != nil {
			return nil, err
		}
		if e, err = p.parsePostfix(e); err != nil {
			return nil, err
		}
	}
	if withFilter {
		return p.parseFilterExpr(e)
	}
	return e, nil
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.next()
	at := pos{t.line}
	switch t.kind {
	case tokName:
		switch t.val {
		case "true", "True":
			return &constExpr{at, true}, nil
		case "false", "False":
			return &constExpr{at, false}, nil
		case "none", "None":
			return &constExpr{at, nil}, nil
		}
		return &nameExpr{at, t.val}, nil
	case tokString:
		s := t.val
		for p.cur().kind == tokString { // adjacent literals concatenate
			s += p.next().val
		}
		return &constExpr{at, s}, nil
	case tokInt:
		n, err := strconv.ParseInt(t.val, 10, 64)
		if err != nil {
			return nil, p.errAt(t, "integer literal %s out of range", t.val)
		}
		return &constExpr{at, n}, nil
	case tokFloat:
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil && !strings.Contains(err.Error(), "range") {
			return nil, p.errAt(t, "bad float literal %s", t.val)
		}
		return &constExpr{at, f}, nil
	case tokOp:
		switch t.val {
		case "(":
			e, err := p.parseTuple(true, true)
			if err != nil {
				return nil, err
			}
			return e, p.expectOp(")")
		case "[":
			items, err := p.parseItems("]")
			if err != nil {
				return nil, err
			}
			return &listExpr{at, items, false}, nil
		case "{":
			return p.parseDict(at)
		}
	}
	return nil, p.errAt(t, "unexpected %s", describe(t))
}

// parseItems parses "a, b, c" up to close (consumed); a trailing comma is fine.
func (p *parser) parseItems(close string) ([]expr, error) {
	var items []expr
	for !p.skipOp(close) {
		if len(items) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			if p.skipOp(close) {
				break
			}
		}
		e, err := p.parseExpr(true)
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	return items, nil
}

func (p *parser) parseDict(at pos) (expr, error) {
	d := &dictExpr{pos: at}
	for !p.skipOp("}") {
		if len(d.keys) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			if p.skipOp("}") {
				break
			}
		}
		k, err := p.parseExpr(true)
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(":"); err != nil {
			return nil, err
		}
		v, err := p.parseExpr(true)
		if err != nil {
			return nil, err
		}
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
	}
	return d, nil
}

func (p *parser) parsePostfix(e expr) (expr, error) {
	for {
		var err error
		switch {
		case p.isOp(".") || p.isOp("["):
			e, err = p.parseSubscript(e)
		case p.isOp("("):
			e, err = p.parseCall(e)
		default:
			return e, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *parser) parseFilterExpr(e expr) (expr, error) {
	for {
		var err error
		switch {
		case p.isOp("|"):
			p.i++
			e, err = p.parseFilter(e)
		case p.isName("is"):
			e, err = p.parseTest(e)
		case p.isOp("("):
			e, err = p.parseCall(e)
		default:
			return e, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *parser) parseSubscript(obj expr) (expr, error) {
	t := p.next()
	at := pos{t.line}
	if t.val == "." {
		a := p.next()
		switch a.kind {
		case tokName:
			return &attrExpr{at, obj, a.val}, nil
		case tokInt:
			n, err := strconv.ParseInt(a.val, 10, 64)
			if err != nil {
				return nil, p.errAt(a, "integer literal %s out of range", a.val)
			}
			return &itemExpr{at, obj, &constExpr{at, n}}, nil
		}
		return nil, p.errAt(a, "expected a name after '.', got %s", describe(a))
	}
	// "[" key "]" or "[" lo ":" hi ":" step "]"
	var parts [3]expr
	n := 0
	isSlice := false
	for {
		if !p.isOp(":") && !p.isOp("]") {
			e, err := p.parseExpr(true)
			if err != nil {
				return nil, err
			}
			parts[n] = e
		}
		if p.skipOp(":") {
			isSlice = true
			n++
			if n > 2 {
				return nil, p.errAt(p.cur(), "too many ':' in slice")
			}
			continue
		}
		break
	}
	if err := p.expectOp("]"); err != nil {
		return nil, err
	}
	if !isSlice {
		if parts[0] == nil {
			return nil, p.errAt(t, "expected an index between '[' and ']'")
		}
		return &itemExpr{at, obj, parts[0]}, nil
	}
	return &sliceExpr{at, obj, parts[0], parts[1], parts[2]}, nil
}

// parseArgs parses "(args, name=value, *star, **kwstar)".
func (p *parser) parseArgs() (args []expr, kwargs []kwarg, star, kwStar expr, err error) {
	if err = p.expectOp("("); err != nil {
		return
	}
	first := true
	for !p.skipOp(")") {
		if !first {
			if err = p.expectOp(","); err != nil {
				return
			}
			if p.skipOp(")") {
				break
			}
		}
		first = false
		switch {
		case p.skipOp("**"):
			kwStar, err = p.parseExpr(true)
		case p.skipOp("*"):
			star, err = p.parseExpr(true)
		case p.cur().kind == tokName && p.toks[p.i+1].kind == tokOp && p.toks[p.i+1].val == "=":
			name := p.next().val
			p.i++
			var v expr
			if v, err = p.parseExpr(true); err == nil {
				kwargs = append(kwargs, kwarg{name, v})
			}
		default:
			if len(kwargs) > 0 {
				err = p.errAt(p.cur(), "positional argument follows keyword argument")
				return
			}
			var v expr
			if v, err = p.parseExpr(true); err == nil {
				args = append(args, v)
			}
		}
		if err != nil {
			return
		}
	}
	return
}

func (p *parser) parseCall(fn expr) (expr, error) {
	line := p.cur().line
	args, kwargs, star, kwStar, err := p.parseArgs()
	if err != nil {
		return nil, err
	}
	return &callExpr{pos{line}, fn, args, kwargs, star, kwStar}, nil
}

// dottedName parses a filter or test name, which may contain dots.
func (p *parser) dottedName() (string, error) {
	name, err := p.ident()
	if err != nil {
		return "", err
	}
	for p.isOp(".") && p.toks[p.i+1].kind == tokName {
		p.i++
		name += "." + p.next().val
	}
	return name, nil
}

func (p *parser) parseFilter(base expr) (*filterExpr, error) {
	line := p.cur().line
	name, err := p.dottedName()
	if err != nil {
		return nil, err
	}
	f := &filterExpr{pos: pos{line}, base: base, name: name}
	if p.isOp("(") {
		var star, kwStar expr
		if f.args, f.kwargs, star, kwStar, err = p.parseArgs(); err != nil {
			return nil, err
		}
		if star != nil || kwStar != nil {
			return nil, p.errAt(p.cur(), "*args and **kwargs are not supported in filter calls")
		}
	}
	return f, nil
}

func (p *parser) parseTest(base expr) (expr, error) {
	line := p.next().line // "is"
	negated := p.skipName("not")
	name, err := p.dottedName()
	if err != nil {
		return nil, err
	}
	t := &testExpr{pos: pos{line}, base: base, name: name, negated: negated}
	cur := p.cur()
	switch {
	case p.isOp("("):
		var kwargs []kwarg
		var star, kwStar expr
		if t.args, kwargs, star, kwStar, err = p.parseArgs(); err != nil {
			return nil, err
		}
		if len(kwargs) > 0 || star != nil || kwStar != nil {
			return nil, p.errAt(cur, "tests take positional arguments only")
		}
	case cur.kind == tokString || cur.kind == tokInt || cur.kind == tokFloat ||
		cur.kind == tokOp && (cur.val == "[" || cur.val == "{") ||
		cur.kind == tokName && !p.isName("else", "or", "and", "if", "in", "not", "is", "recursive"):
		// One argument without parentheses: {{ x is divisibleby 3 }}.
		arg, err := p.parsePrimary()
		if err != nil {
			return nil, err
		}
		if arg, err = p.parsePostfix(arg); err != nil {
			return nil, err
		}
		t.args = []expr{arg}
	}
	return t, nil
}
