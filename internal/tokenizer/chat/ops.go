package chat

import (
	"math"
	"strings"
	"unicode/utf8"
)

// binary applies an arithmetic operator with Python's semantics.
func (r *renderer) binary(op string, l, rv any) (any, error) {
	if u, ok := l.(undefined); ok {
		return nil, errorf("%s", u.hint)
	}
	if u, ok := rv.(undefined); ok {
		return nil, errorf("%s", u.hint)
	}
	switch op {
	case "+":
		switch a := l.(type) {
		case string:
			b, ok := rv.(string)
			if !ok {
				return nil, errorf(`can only concatenate str (not "%s") to str`, typeName(rv))
			}
			if err := r.charge(len(a) + len(b)); err != nil {
				return nil, err
			}
			return a + b, nil
		case *list:
			b, ok := rv.(*list)
			if !ok || a.tuple != b.tuple {
				return nil, errorf(`can only concatenate %s (not "%s") to %s`, typeName(a), typeName(rv), typeName(a))
			}
			if err := r.charge(16 * (len(a.items) + len(b.items))); err != nil {
				return nil, err
			}
			items := make([]any, 0, len(a.items)+len(b.items))
			return &list{items: append(append(items, a.items...), b.items...), tuple: a.tuple}, nil
		}
	case "*":
		if s, n, ok := repeatOperands(l, rv); ok {
			return r.repeat(s, n)
		}
	case "%":
		if s, ok := l.(string); ok {
			out, err := printf(s, rv)
			if err != nil {
				return nil, err
			}
			return out, r.charge(len(out))
		}
	}
	return arith(op, l, rv)
}

// repeatOperands recognises str * int, int * str, list * int, int * list.
func repeatOperands(l, rv any) (seq any, n int64, ok bool) {
	if i, isInt := rv.(int64); isInt {
		switch l.(type) {
		case string, *list:
			return l, i, true
		}
	}
	if i, isInt := l.(int64); isInt {
		switch rv.(type) {
		case string, *list:
			return rv, i, true
		}
	}
	return nil, 0, false
}

func (r *renderer) repeat(seq any, n int64) (any, error) {
	n = max(n, 0)
	switch s := seq.(type) {
	case string:
		if n > 0 && int64(len(s)) > int64(r.limits.MaxAllocBytes)/n {
			return nil, &limitHit{limit: "alloc", max: r.limits.MaxAllocBytes}
		}
		if err := r.charge(len(s) * int(n)); err != nil {
			return nil, err
		}
		return strings.Repeat(s, int(n)), nil
	case *list:
		if n > 0 && int64(len(s.items)) > int64(r.limits.MaxAllocBytes)/16/n {
			return nil, &limitHit{limit: "alloc", max: r.limits.MaxAllocBytes}
		}
		if err := r.charge(16 * len(s.items) * int(n)); err != nil {
			return nil, err
		}
		items := make([]any, 0, len(s.items)*int(n))
		for range n {
			items = append(items, s.items...)
		}
		return &list{items: items, tuple: s.tuple}, nil
	}
	return nil, errorf("can't multiply sequence")
}

// arith is numeric arithmetic: int op int stays int (except /), anything
// with a float is float, bool counts as int.
func arith(op string, l, rv any) (any, error) {
	if !isNumber(l) || !isNumber(rv) {
		return nil, errorf("unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(l), typeName(rv))
	}
	a, aInt := toInt(l)
	b, bInt := toInt(rv)
	if aInt && bInt && op != "/" {
		return intArith(op, a, b)
	}
	x, _ := toFloat(l)
	y, _ := toFloat(rv)
	switch op {
	case "+":
		return x + y, nil
	case "-":
		return x - y, nil
	case "*":
		return x * y, nil
	case "/":
		if y == 0 {
			return nil, errorf("division by zero")
		}
		return x / y, nil
	case "//":
		if y == 0 {
			return nil, errorf("float floor division by zero")
		}
		return math.Floor(x / y), nil
	case "%":
		if y == 0 {
			return nil, errorf("float modulo")
		}
		m := math.Mod(x, y)
		if m != 0 && (m < 0) != (y < 0) {
			m += y
		}
		return m, nil
	case "**":
		if x == 0 && y < 0 {
			return nil, errorf("0.0 cannot be raised to a negative power")
		}
		return math.Pow(x, y), nil
	}
	return nil, errorf("unknown operator %s", op)
}

func intArith(op string, a, b int64) (any, error) {
	overflow := errorf("integer overflow in %d %s %d", a, op, b)
	switch op {
	case "+":
		c := a + b
		if (c > a) != (b > 0) {
			return nil, overflow
		}
		return c, nil
	case "-":
		c := a - b
		if (c < a) != (b > 0) {
			return nil, overflow
		}
		return c, nil
	case "*":
		if a != 0 && b != 0 {
			c := a * b
			if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
				return nil, overflow
			}
			return c, nil
		}
		return int64(0), nil
	case "//":
		if b == 0 {
			return nil, errorf("integer division or modulo by zero")
		}
		if a == math.MinInt64 && b == -1 {
			return nil, overflow
		}
		q := a / b
		if (a%b != 0) && ((a < 0) != (b < 0)) {
			q--
		}
		return q, nil
	case "%":
		if b == 0 {
			return nil, errorf("integer division or modulo by zero")
		}
		if b == -1 {
			return int64(0), nil
		}
		m := a % b
		if m != 0 && (m < 0) != (b < 0) {
			m += b
		}
		return m, nil
	case "**":
		if b < 0 {
			if a == 0 {
				return nil, errorf("0.0 cannot be raised to a negative power")
			}
			return math.Pow(float64(a), float64(b)), nil
		}
		result := int64(1)
		for base := a; b > 0; b >>= 1 {
			if b&1 == 1 {
				v, err := intArith("*", result, base)
				if err != nil {
					return nil, err
				}
				result = v.(int64)
			}
			if b > 1 {
				v, err := intArith("*", base, base)
				if err != nil {
					return nil, err
				}
				base = v.(int64)
			}
		}
		return result, nil
	}
	return nil, errorf("unknown operator %s", op)
}

func negate(x any) (any, error) {
	switch v := x.(type) {
	case int64:
		if v == math.MinInt64 {
			return nil, errorf("integer overflow")
		}
		return -v, nil
	case float64:
		return -v, nil
	case bool:
		if v {
			return int64(-1), nil
		}
		return int64(0), nil
	case undefined:
		return nil, errorf("%s", v.hint)
	}
	return nil, errorf("bad operand type for unary -: '%s'", typeName(x))
}

// equal is Python's ==.
func equal(a, b any) bool { return equalAt(a, b, 0) }

func equalAt(a, b any, depth int) bool {
	if depth > maxValueDepth {
		return false
	}
	if isNumber(a) && isNumber(b) {
		x, _ := toFloat(a)
		y, _ := toFloat(b)
		ai, aInt := toInt(a)
		bi, bInt := toInt(b)
		if aInt && bInt {
			return ai == bi
		}
		return x == y
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case undefined:
		_, ok := b.(undefined)
		return ok
	case *list:
		y, ok := b.(*list)
		if !ok || x.tuple != y.tuple || len(x.items) != len(y.items) {
			return false
		}
		for i := range x.items {
			if !equalAt(x.items[i], y.items[i], depth+1) {
				return false
			}
		}
		return true
	case *dict:
		y, ok := b.(*dict)
		if !ok || x.len() != y.len() {
			return false
		}
		for i := range x.keys {
			k, v := x.at(i)
			w, ok := y.get(k)
			if !ok || !equalAt(v, w, depth+1) {
				return false
			}
		}
		return true
	}
	return a == b
}

// compare evaluates one comparison of a chain.
func compare(op string, a, b any) (bool, error) {
	switch op {
	case "==":
		return equal(a, b), nil
	case "!=":
		return !equal(a, b), nil
	case "in":
		return containsValue(b, a)
	case "notin":
		ok, err := containsValue(b, a)
		return !ok, err
	}
	c, err := order(a, b)
	if err != nil {
		return false, errorf("'%s' not supported between instances of '%s' and '%s'", op, typeName(a), typeName(b))
	}
	switch op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, errorf("unknown comparison %s", op)
}

// order compares for <, sorting, min and max: numbers, strings, and
// sequences of those.
func order(a, b any) (int, error) { return orderAt(a, b, 0) }

func orderAt(a, b any, depth int) (int, error) {
	if depth > maxValueDepth {
		return 0, errorf("values nested too deeply to compare")
	}
	if isNumber(a) && isNumber(b) {
		ai, aInt := toInt(a)
		bi, bInt := toInt(b)
		if aInt && bInt {
			return cmp3(ai, bi), nil
		}
		x, _ := toFloat(a)
		y, _ := toFloat(b)
		return cmp3(x, y), nil
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case *list:
		if y, ok := b.(*list); ok {
			for i := 0; i < len(x.items) && i < len(y.items); i++ {
				if equalAt(x.items[i], y.items[i], depth+1) {
					continue
				}
				return orderAt(x.items[i], y.items[i], depth+1)
			}
			return cmp3(len(x.items), len(y.items)), nil
		}
	}
	return 0, errorf("cannot order %s and %s", typeName(a), typeName(b))
}

func cmp3[T int | int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// containsValue is Python's `needle in container`.
func containsValue(container, needle any) (bool, error) {
	switch c := container.(type) {
	case string:
		n, ok := needle.(string)
		if !ok {
			return false, errorf("'in <string>' requires string as left operand, not %s", typeName(needle))
		}
		return strings.Contains(c, n), nil
	case *list:
		for _, it := range c.items {
			if equal(it, needle) {
				return true, nil
			}
		}
		return false, nil
	case *dict:
		if !hashable(needle) {
			return false, errorf("unhashable type: '%s'", typeName(needle))
		}
		_, ok := c.get(needle)
		return ok, nil
	case undefined:
		return false, nil
	}
	return false, errorf("argument of type '%s' is not iterable", typeName(container))
}

// iterate lists the items a for loop visits: list items, dict keys, the
// characters of a string; nothing for undefined.
func iterate(v any) ([]any, error) {
	switch x := v.(type) {
	case *list:
		return x.items, nil
	case *dict:
		return x.keys, nil
	case string:
		items := make([]any, 0, utf8.RuneCountInString(x))
		for _, c := range x {
			items = append(items, string(c))
		}
		return items, nil
	case undefined:
		return nil, nil
	case *namespace:
		return nil, errorf("'Namespace' object is not iterable")
	}
	return nil, errorf("'%s' object is not iterable", typeName(v))
}

// getItem is Jinja's subscript: obj[key], falling back to an attribute of
// that name; a missing item is undefined.
func getItem(obj, key any) (any, error) {
	switch o := obj.(type) {
	case undefined:
		return nil, errorf("%s", o.hint)
	case *dict:
		if v, ok := o.get(key); ok {
			return v, nil
		}
	case *list:
		if i, ok := toInt(key); ok {
			if i < 0 {
				i += int64(len(o.items))
			}
			if i >= 0 && i < int64(len(o.items)) {
				return o.items[i], nil
			}
			return undefined{hint: typeName(o) + " object has no element " + str(key)}, nil
		}
	case string:
		if i, ok := toInt(key); ok {
			runes := []rune(o)
			if i < 0 {
				i += int64(len(runes))
			}
			if i >= 0 && i < int64(len(runes)) {
				return string(runes[i]), nil
			}
			return undefined{hint: "str object has no element " + str(key)}, nil
		}
	}
	if name, ok := key.(string); ok {
		return getAttr(obj, name)
	}
	return undefined{hint: "'" + typeName(obj) + " object' has no attribute " + repr(key)}, nil
}

// slice is obj[lo:hi:step] for lists, tuples and strings.
func slice(obj, lo, hi, step any) (any, error) {
	var n int
	var runes []rune
	switch o := obj.(type) {
	case *list:
		n = len(o.items)
	case string:
		runes = []rune(o)
		n = len(runes)
	case undefined:
		return nil, errorf("%s", o.hint)
	default:
		return nil, errorf("'%s' object is not subscriptable", typeName(obj))
	}
	idx, err := sliceIndices(n, lo, hi, step)
	if err != nil {
		return nil, err
	}
	if l, ok := obj.(*list); ok {
		items := make([]any, len(idx))
		for i, j := range idx {
			items[i] = l.items[j]
		}
		return &list{items: items, tuple: l.tuple}, nil
	}
	out := make([]rune, len(idx))
	for i, j := range idx {
		out[i] = runes[j]
	}
	return string(out), nil
}

// sliceIndices is Python's slice.indices, expanded.
func sliceIndices(n int, lo, hi, step any) ([]int, error) {
	bound := func(v any, name string) (int, bool, error) {
		if v == nil {
			return 0, false, nil
		}
		if _, ok := v.(undefined); ok {
			return 0, false, nil
		}
		i, ok := toInt(v)
		if !ok {
			return 0, false, errorf("slice indices must be integers or None, not %s", typeName(v))
		}
		return int(max(min(i, int64(n)+1), -int64(n)-1)), true, nil
	}
	st, hasStep, err := bound(step, "step")
	if err != nil {
		return nil, err
	}
	if !hasStep {
		st = 1
	}
	if st == 0 {
		return nil, errorf("slice step cannot be zero")
	}
	start, hasStart, err := bound(lo, "start")
	if err != nil {
		return nil, err
	}
	stop, hasStop, err := bound(hi, "stop")
	if err != nil {
		return nil, err
	}
	clamp := func(i, lower, upper int) int {
		if i < 0 {
			i += n
			if i < lower {
				i = lower
			}
		} else if i > upper {
			i = upper
		}
		return i
	}
	var idx []int
	if st > 0 {
		if !hasStart {
			start = 0
		}
		if !hasStop {
			stop = n
		}
		start, stop = clamp(start, 0, n), clamp(stop, 0, n)
		for i := start; i < stop; i += st {
			idx = append(idx, i)
		}
	} else {
		if !hasStart {
			start = n - 1
		} else {
			start = clamp(start, -1, n-1)
		}
		if !hasStop {
			stop = -1
		} else {
			stop = clamp(stop, -1, n-1)
		}
		for i := start; i > stop; i += st {
			idx = append(idx, i)
		}
	}
	return idx, nil
}
