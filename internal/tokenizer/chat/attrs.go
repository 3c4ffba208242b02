package chat

import "slices"

// getAttr is Jinja's obj.name: a Python attribute (methods of str, dict and
// list) first, then the item of that name; a missing one is undefined. As
// in transformers' ImmutableSandboxedEnvironment, methods that would change
// a list or dict are not reachable.
func getAttr(obj any, name string) (any, error) {
	switch o := obj.(type) {
	case undefined:
		return nil, errorf("%s", o.hint)
	case *dict:
		if m := dictMethod(o, name); m != nil {
			return m, nil
		}
		if v, ok := o.get(name); ok {
			return v, nil
		}
		if unsafeDictMethods[name] {
			return undefined{hint: "access to attribute '" + name + "' of 'dict' object is unsafe."}, nil
		}
	case string:
		if m := stringMethod(o, name); m != nil {
			return m, nil
		}
	case *list:
		for i, f := range o.fields {
			if f == name && i < len(o.items) {
				return o.items[i], nil
			}
		}
		if m := listMethod(o, name); m != nil {
			return m, nil
		}
		if unsafeListMethods[name] {
			return undefined{hint: "access to attribute '" + name + "' of '" + typeName(o) + "' object is unsafe."}, nil
		}
	case *namespace:
		if v, ok := o.attrs.get(name); ok {
			return v, nil
		}
	case *loopInfo:
		return loopAttr(o, name), nil
	case *cycler:
		return cyclerAttr(o, name), nil
	case int64, float64, bool:
		switch name {
		case "real":
			return o, nil
		case "imag":
			if _, ok := o.(float64); ok {
				return 0.0, nil
			}
			return int64(0), nil
		}
	}
	return undefined{hint: "'" + typeName(obj) + " object' has no attribute '" + name + "'"}, nil
}

var (
	unsafeDictMethods = map[string]bool{"clear": true, "pop": true, "popitem": true, "setdefault": true, "update": true}
	unsafeListMethods = map[string]bool{"append": true, "clear": true, "extend": true, "insert": true, "pop": true, "remove": true, "reverse": true, "sort": true}
)

func method(name string, fn func(r *renderer, args []any, kw *dict) (any, error)) *function {
	return &function{name: name, call: fn}
}

func dictMethod(d *dict, name string) *function {
	switch name {
	case "items":
		return method("dict.items", func(r *renderer, args []any, kw *dict) (any, error) {
			return dictItems(d), r.charge(48 * d.len())
		})
	case "keys":
		return method("dict.keys", func(r *renderer, args []any, kw *dict) (any, error) {
			return newList(append([]any(nil), d.keys...)), r.charge(16 * d.len())
		})
	case "values":
		return method("dict.values", func(r *renderer, args []any, kw *dict) (any, error) {
			vals := make([]any, d.len())
			for i := range d.keys {
				_, vals[i] = d.at(i)
			}
			return newList(vals), r.charge(16 * d.len())
		})
	case "get":
		return method("dict.get", func(r *renderer, args []any, kw *dict) (any, error) {
			a, err := bindArgs("get", args, kw, []string{"key", "default"}, 1, nil)
			if err != nil {
				return nil, err
			}
			if v, ok := d.get(a[0]); ok {
				return v, nil
			}
			return a[1], nil
		})
	case "copy":
		return method("dict.copy", func(r *renderer, args []any, kw *dict) (any, error) {
			c := newDict(d.len())
			for i := range d.keys {
				c.set(d.at(i))
			}
			return c, r.charge(32 * d.len())
		})
	}
	return nil
}

// dictItems is d.items() as a list of (key, value) tuples.
func dictItems(d *dict) *list {
	items := make([]any, d.len())
	for i := range d.keys {
		k, v := d.at(i)
		items[i] = newTuple(k, v)
	}
	return newList(items)
}

func listMethod(l *list, name string) *function {
	switch name {
	case "index":
		return method("list.index", func(r *renderer, args []any, kw *dict) (any, error) {
			a, err := bindArgs("index", args, kw, []string{"value"}, 1, nil)
			if err != nil {
				return nil, err
			}
			for i, it := range l.items {
				if equal(it, a[0]) {
					return int64(i), nil
				}
			}
			return nil, errorf("%s is not in list", repr(a[0]))
		})
	case "count":
		return method("list.count", func(r *renderer, args []any, kw *dict) (any, error) {
			a, err := bindArgs("count", args, kw, []string{"value"}, 1, nil)
			if err != nil {
				return nil, err
			}
			n := int64(0)
			for _, it := range l.items {
				if equal(it, a[0]) {
					n++
				}
			}
			return n, nil
		})
	case "copy":
		return method("list.copy", func(r *renderer, args []any, kw *dict) (any, error) {
			return &list{items: append([]any(nil), l.items...), tuple: l.tuple}, r.charge(16 * len(l.items))
		})
	}
	return nil
}

// bindArgs matches positional and keyword arguments to names, Python style.
// The first required names must be given; the others take defaults (nil
// when defaults is short). Unknown keywords are errors.
func bindArgs(fn string, args []any, kw *dict, names []string, required int, defaults []any) ([]any, error) {
	if len(args) > len(names) {
		return nil, errorf("%s() takes at most %d arguments (%d given)", fn, len(names), len(args))
	}
	out := make([]any, len(names))
	set := make([]bool, len(names))
	for i, a := range args {
		out[i], set[i] = a, true
	}
	if kw != nil {
		for i := range kw.keys {
			k, v := kw.at(i)
			j := slices.Index(names, k.(string))
			if j < 0 {
				return nil, errorf("%s() got an unexpected keyword argument '%s'", fn, k)
			}
			if set[j] {
				return nil, errorf("%s() got multiple values for argument '%s'", fn, k)
			}
			out[j], set[j] = v, true
		}
	}
	for i := range names {
		if set[i] {
			continue
		}
		if i < required {
			return nil, errorf("%s() missing required argument '%s'", fn, names[i])
		}
		if j := i - required; j < len(defaults) {
			out[i] = defaults[j]
		}
	}
	return out, nil
}
