package chat

func (r *renderer) eval(e expr, sc *scope) (any, error) {
	if err := r.step(); err != nil {
		return nil, err
	}
	switch e := e.(type) {
	case *constExpr:
		return e.val, nil
	case *nameExpr:
		if v, ok := sc.lookup(e.name); ok {
			return v, nil
		}
		return undefined{hint: "'" + e.name + "' is undefined"}, nil
	case *attrExpr:
		obj, err := r.eval(e.obj, sc)
		if err != nil {
			return nil, err
		}
		return getAttr(obj, e.name)
	case *itemExpr:
		obj, err := r.eval(e.obj, sc)
		if err != nil {
			return nil, err
		}
		key, err := r.eval(e.key, sc)
		if err != nil {
			return nil, err
		}
		return getItem(obj, key)
	case *sliceExpr:
		return r.evalSlice(e, sc)
	case *listExpr:
		return r.evalList(e, sc)
	case *dictExpr:
		return r.evalDict(e, sc)
	case *callExpr:
		return r.evalCall(e, sc, nil)
	case *filterExpr:
		base, err := r.eval(e.base, sc)
		if err != nil {
			return nil, err
		}
		return r.applyFilter(e, base, sc)
	case *testExpr:
		return r.evalTest(e, sc)
	case *unaryExpr:
		return r.evalUnary(e, sc)
	case *binExpr:
		return r.evalBinary(e, sc)
	case *concatExpr:
		return r.evalConcat(e, sc)
	case *compareExpr:
		return r.evalCompare(e, sc)
	case *condExpr:
		c, err := r.eval(e.cond, sc)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return r.eval(e.yes, sc)
		}
		if e.no == nil {
			return undefined{hint: "the inline if-expression evaluated to false and no else section was defined"}, nil
		}
		return r.eval(e.no, sc)
	}
	return nil, errorf("internal error: unknown expression %T", e)
}

func (r *renderer) evalList(e *listExpr, sc *scope) (any, error) {
	items := make([]any, len(e.items))
	for i, it := range e.items {
		v, err := r.eval(it, sc)
		if err != nil {
			return nil, err
		}
		items[i] = v
	}
	if err := r.charge(16 * len(items)); err != nil {
		return nil, err
	}
	return &list{items: items, tuple: e.tuple}, nil
}

func (r *renderer) evalDict(e *dictExpr, sc *scope) (any, error) {
	d := newDict(len(e.keys))
	for i := range e.keys {
		k, err := r.eval(e.keys[i], sc)
		if err != nil {
			return nil, err
		}
		if !hashable(k) {
			return nil, errorf("unhashable type: '%s'", typeName(k))
		}
		v, err := r.eval(e.vals[i], sc)
		if err != nil {
			return nil, err
		}
		d.set(k, v)
	}
	return d, r.charge(32 * len(e.keys))
}

func (r *renderer) evalUnary(e *unaryExpr, sc *scope) (any, error) {
	x, err := r.eval(e.x, sc)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "not":
		return !truthy(x), nil
	case "-":
		return negate(x)
	}
	if !isNumber(x) {
		return nil, errorf("bad operand type for unary +: '%s'", typeName(x))
	}
	if b, ok := x.(bool); ok {
		n, _ := toInt(b)
		return n, nil
	}
	return x, nil
}

// evalBinary evaluates arithmetic and the short-circuiting and/or, which
// return one of their operands, as in Python.
func (r *renderer) evalBinary(e *binExpr, sc *scope) (any, error) {
	l, err := r.eval(e.l, sc)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "and":
		if !truthy(l) {
			return l, nil
		}
		return r.eval(e.r, sc)
	case "or":
		if truthy(l) {
			return l, nil
		}
		return r.eval(e.r, sc)
	}
	rv, err := r.eval(e.r, sc)
	if err != nil {
		return nil, err
	}
	return r.binary(e.op, l, rv)
}

// evalConcat is a ~ b ~ c: the str() of each, joined.
func (r *renderer) evalConcat(e *concatExpr, sc *scope) (any, error) {
	n := 0
	parts := make([]string, len(e.parts))
	for i, p := range e.parts {
		v, err := r.eval(p, sc)
		if err != nil {
			return nil, err
		}
		parts[i] = str(v)
		n += len(parts[i])
	}
	if err := r.charge(n); err != nil {
		return nil, err
	}
	return joinStrings(parts, n), nil
}

// evalCompare evaluates a chain such as a < b <= c pairwise, stopping at
// the first false comparison.
func (r *renderer) evalCompare(e *compareExpr, sc *scope) (any, error) {
	l, err := r.eval(e.first, sc)
	if err != nil {
		return nil, err
	}
	for i, op := range e.ops {
		rv, err := r.eval(e.rest[i], sc)
		if err != nil {
			return nil, err
		}
		ok, err := compare(op, l, rv)
		if err != nil || !ok {
			return false, err
		}
		l = rv
	}
	return true, nil
}

func joinStrings(parts []string, n int) string {
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return string(b)
}

func (r *renderer) evalSlice(e *sliceExpr, sc *scope) (any, error) {
	obj, err := r.eval(e.obj, sc)
	if err != nil {
		return nil, err
	}
	var bounds [3]any
	for i, b := range []expr{e.lo, e.hi, e.step} {
		if b == nil {
			continue
		}
		if bounds[i], err = r.eval(b, sc); err != nil {
			return nil, err
		}
	}
	return slice(obj, bounds[0], bounds[1], bounds[2])
}

// evalArgs evaluates call arguments, spreading *args and **kwargs.
func (r *renderer) evalArgs(sc *scope, argExprs []expr, kwExprs []kwarg, star, kwStar expr) ([]any, *dict, error) {
	args := make([]any, 0, len(argExprs))
	for _, a := range argExprs {
		v, err := r.eval(a, sc)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, v)
	}
	if star != nil {
		v, err := r.eval(star, sc)
		if err != nil {
			return nil, nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, items...)
	}
	var kwargs *dict
	if len(kwExprs) > 0 || kwStar != nil {
		kwargs = newDict(len(kwExprs))
	}
	for _, kw := range kwExprs {
		v, err := r.eval(kw.val, sc)
		if err != nil {
			return nil, nil, err
		}
		kwargs.set(kw.name, v)
	}
	if kwStar != nil {
		v, err := r.eval(kwStar, sc)
		if err != nil {
			return nil, nil, err
		}
		d, ok := v.(*dict)
		if !ok {
			return nil, nil, errorf("argument after ** must be a mapping, not %s", typeName(v))
		}
		for i := range d.keys {
			k, val := d.at(i)
			ks, ok := k.(string)
			if !ok {
				return nil, nil, errorf("keywords must be strings")
			}
			kwargs.set(ks, val)
		}
	}
	return args, kwargs, nil
}

// evalCall calls a function; caller is set for {% call %} blocks.
func (r *renderer) evalCall(e *callExpr, sc *scope, caller *function) (any, error) {
	fn, err := r.eval(e.fn, sc)
	if err != nil {
		return nil, err
	}
	args, kwargs, err := r.evalArgs(sc, e.args, e.kwargs, e.star, e.kwStar)
	if err != nil {
		return nil, err
	}
	return r.call(fn, args, kwargs, caller)
}

func (r *renderer) call(fn any, args []any, kwargs *dict, caller *function) (any, error) {
	switch f := fn.(type) {
	case *function:
		if caller != nil {
			if kwargs == nil {
				kwargs = newDict(1)
			}
			kwargs.set("caller", caller)
		}
		return f.call(r, args, kwargs)
	case *loopInfo:
		return r.callLoop(f, args)
	case undefined:
		return nil, errorf("%s", f.hint)
	}
	return nil, errorf("'%s' object is not callable", typeName(fn))
}
