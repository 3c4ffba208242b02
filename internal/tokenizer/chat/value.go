package chat

// Values are plain Go values of a closed set of types, chosen to mirror the
// Python objects Jinja works on:
//
//	nil        None
//	bool       bool
//	int64      int (out-of-range results are errors, not big integers)
//	float64    float
//	string     str
//	*list      list, tuple (tuple set), or a named tuple (fields set)
//	*dict      dict, keeping insertion order as Python does
//	*namespace namespace()
//	*function  builtins, bound methods, macros, caller
//	undefined  Undefined
//	*loopInfo, *cycler  the loop variable and cycler()
//
// Values built from a render's input are never shared between renders, and
// the sandbox forbids mutating lists and dicts, so a template is safe to
// render from many goroutines at once.

// undefined is Jinja's default Undefined: falsy, printed as "", iterated as
// empty, and an error as soon as anything is asked of it (attribute, call,
// arithmetic). hint is the message that error carries.
type undefined struct{ hint string }

// list is a Python list or tuple.
type list struct {
	items  []any
	tuple  bool
	fields []string // for named tuples (groupby's grouper/list)
}

// dict is a Python dict: insertion-ordered, keys are hashable values
// (strings in practice; int64, float64, bool and nil allowed).
type dict struct {
	keys []any
	m    map[any]any
}

// namespace is the mutable object namespace() returns; the only value a
// template may assign attributes on.
type namespace struct{ attrs *dict }

// function is anything callable from a template.
type function struct {
	name string
	call func(r *renderer, args []any, kwargs *dict) (any, error)
}

// cycler is the object cycler(...) returns.
type cycler struct {
	items []any
	pos   int
}

func newList(items []any) *list   { return &list{items: items} }
func newTuple(items ...any) *list { return &list{items: items, tuple: true} }

func newDict(n int) *dict { return &dict{keys: make([]any, 0, n), m: make(map[any]any, n)} }

// set inserts or replaces key; a new key goes last, a replaced one keeps its place.
// The caller checks hashable(key) first.
func (d *dict) set(key, val any) {
	k := dictKey(key)
	if _, ok := d.m[k]; !ok {
		d.keys = append(d.keys, key)
	}
	d.m[k] = val
}

func (d *dict) get(key any) (any, bool) {
	if d == nil || !hashable(key) {
		return nil, false
	}
	v, ok := d.m[dictKey(key)]
	return v, ok
}

// at returns the i-th entry in insertion order.
func (d *dict) at(i int) (key, val any) {
	k := d.keys[i]
	return k, d.m[dictKey(k)]
}

func (d *dict) len() int {
	if d == nil {
		return 0
	}
	return len(d.keys)
}

// hashable reports whether v may be a dict key (Python: immutable scalars).
func hashable(v any) bool {
	switch v.(type) {
	case nil, bool, int64, float64, string:
		return true
	}
	return false
}

// dictKey normalises a key so that 1, 1.0 and True find the same entry, as
// they do in Python.
func dictKey(v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	}
	return v
}

// truthy is Python's bool(v).
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case undefined:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case *list:
		return len(x.items) > 0
	case *dict:
		return x.len() > 0
	}
	return true
}

// typeName is Python's type(v).__name__, for error messages.
func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case undefined:
		return "Undefined"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case *list:
		if x.tuple {
			return "tuple"
		}
		return "list"
	case *dict:
		return "dict"
	case *namespace:
		return "Namespace"
	case *function:
		return "function"
	case *loopInfo:
		return "LoopContext"
	case *cycler:
		return "Cycler"
	}
	return "object"
}

// isNumber reports int, float or bool (a Python int subclass).
func isNumber(v any) bool {
	switch v.(type) {
	case int64, float64, bool:
		return true
	}
	return false
}

// toFloat converts a number (bool, int, float) to float64.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// toInt converts bool or int to int64.
func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
