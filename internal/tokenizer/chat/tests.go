package chat

import "strings"

// testFn implements one `is` test.
type testFn func(r *renderer, v any, args []any) (bool, error)

// tests maps Jinja's builtin test names to their implementations.
var tests map[string]testFn

func init() {
	tests = map[string]testFn{
		"defined":     func(r *renderer, v any, args []any) (bool, error) { _, u := v.(undefined); return !u, nil },
		"undefined":   func(r *renderer, v any, args []any) (bool, error) { _, u := v.(undefined); return u, nil },
		"none":        func(r *renderer, v any, args []any) (bool, error) { return v == nil, nil },
		"boolean":     func(r *renderer, v any, args []any) (bool, error) { _, ok := v.(bool); return ok, nil },
		"true":        func(r *renderer, v any, args []any) (bool, error) { b, ok := v.(bool); return ok && b, nil },
		"false":       func(r *renderer, v any, args []any) (bool, error) { b, ok := v.(bool); return ok && !b, nil },
		"integer":     func(r *renderer, v any, args []any) (bool, error) { _, ok := v.(int64); return ok, nil },
		"float":       func(r *renderer, v any, args []any) (bool, error) { _, ok := v.(float64); return ok, nil },
		"number":      func(r *renderer, v any, args []any) (bool, error) { return isNumber(v), nil },
		"string":      func(r *renderer, v any, args []any) (bool, error) { _, ok := v.(string); return ok, nil },
		"mapping":     func(r *renderer, v any, args []any) (bool, error) { _, ok := v.(*dict); return ok, nil },
		"iterable":    iterableTest,
		"sequence":    sequenceTest,
		"callable":    callableTest,
		"odd":         parityTest(1),
		"even":        parityTest(0),
		"divisibleby": divisibleTest,
		"eq":          compareTest("=="),
		"equalto":     compareTest("=="),
		"==":          compareTest("=="),
		"ne":          compareTest("!="),
		"!=":          compareTest("!="),
		"lt":          compareTest("<"),
		"lessthan":    compareTest("<"),
		"<":           compareTest("<"),
		"le":          compareTest("<="),
		"<=":          compareTest("<="),
		"gt":          compareTest(">"),
		"greaterthan": compareTest(">"),
		">":           compareTest(">"),
		"ge":          compareTest(">="),
		">=":          compareTest(">="),
		"in":          inTest,
		"sameas":      sameasTest,
		"lower":       caseTest(strings.ToLower),
		"upper":       caseTest(strings.ToUpper),
		"escaped":     func(r *renderer, v any, args []any) (bool, error) { return false, nil },
		"filter":      nameTest(func(n string) bool { return filters[n] != nil }),
		"test":        nameTest(func(n string) bool { return tests[n] != nil }),
	}
}

func (r *renderer) evalTest(e *testExpr, sc *scope) (any, error) {
	fn := tests[e.name]
	if fn == nil {
		return nil, errorf("no test named '%s'", e.name)
	}
	v, err := r.eval(e.base, sc)
	if err != nil {
		return nil, err
	}
	args, _, err := r.evalArgs(sc, e.args, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	ok, err := fn(r, v, args)
	if err != nil {
		return nil, err
	}
	return ok != e.negated, nil
}

func oneArg(name string, args []any) (any, error) {
	if len(args) != 1 {
		return nil, errorf("test '%s' takes exactly one argument", name)
	}
	return args[0], nil
}

func iterableTest(r *renderer, v any, args []any) (bool, error) {
	switch v.(type) {
	case string, *list, *dict, undefined, *loopInfo:
		return true, nil
	}
	return false, nil
}

// sequenceTest is true for values with len() and indexing: strings, lists
// and dicts (as in Jinja).
func sequenceTest(r *renderer, v any, args []any) (bool, error) {
	switch v.(type) {
	case string, *list, *dict:
		return true, nil
	}
	return false, nil
}

func callableTest(r *renderer, v any, args []any) (bool, error) {
	switch v.(type) {
	case *function, *loopInfo:
		return true, nil
	}
	return false, nil
}

func parityTest(want int64) testFn {
	return func(r *renderer, v any, args []any) (bool, error) {
		m, err := arith("%", v, int64(2))
		if err != nil {
			return false, err
		}
		return equal(m, want), nil
	}
}

func divisibleTest(r *renderer, v any, args []any) (bool, error) {
	n, err := oneArg("divisibleby", args)
	if err != nil {
		return false, err
	}
	m, err := arith("%", v, n)
	if err != nil {
		return false, err
	}
	return equal(m, int64(0)), nil
}

func compareTest(op string) testFn {
	return func(r *renderer, v any, args []any) (bool, error) {
		other, err := oneArg(op, args)
		if err != nil {
			return false, err
		}
		return compare(op, v, other)
	}
}

func inTest(r *renderer, v any, args []any) (bool, error) {
	seq, err := oneArg("in", args)
	if err != nil {
		return false, err
	}
	return containsValue(seq, v)
}

// sameasTest is Python's `is`: identity for containers, equality of type
// and value for scalars.
func sameasTest(r *renderer, v any, args []any) (bool, error) {
	other, err := oneArg("sameas", args)
	if err != nil {
		return false, err
	}
	switch v.(type) {
	case nil, bool, int64, float64, string:
		return typeName(v) == typeName(other) && equal(v, other), nil
	case undefined:
		return false, nil
	}
	return v == other, nil
}

func caseTest(conv func(string) string) testFn {
	return func(r *renderer, v any, args []any) (bool, error) {
		s := str(v)
		return conv(s) == s && strings.ToLower(s) != strings.ToUpper(s), nil
	}
}

func nameTest(known func(string) bool) testFn {
	return func(r *renderer, v any, args []any) (bool, error) {
		s, ok := v.(string)
		return ok && known(s), nil
	}
}
