package chat

// builtinGlobals returns the functions every template sees: Jinja's range,
// dict, namespace, cycler and joiner, and transformers' raise_exception and
// strftime_now. A fresh set per render keeps renders independent.
func builtinGlobals() map[string]any {
	return map[string]any{
		"range":           &function{name: "range", call: rangeFn},
		"dict":            &function{name: "dict", call: dictFn},
		"namespace":       &function{name: "namespace", call: namespaceFn},
		"cycler":          &function{name: "cycler", call: cyclerFn},
		"joiner":          &function{name: "joiner", call: joinerFn},
		"raise_exception": &function{name: "raise_exception", call: raiseFn},
		"strftime_now":    &function{name: "strftime_now", call: strftimeNowFn},
	}
}

func rangeFn(r *renderer, args []any, kw *dict) (any, error) {
	if kw.len() > 0 {
		return nil, errorf("range() takes no keyword arguments")
	}
	ints := make([]int64, len(args))
	for i, a := range args {
		n, ok := toInt(a)
		if !ok {
			return nil, errorf("'%s' object cannot be interpreted as an integer", typeName(a))
		}
		ints[i] = n
	}
	var start, stop, step int64 = 0, 0, 1
	switch len(ints) {
	case 1:
		stop = ints[0]
	case 2:
		start, stop = ints[0], ints[1]
	case 3:
		start, stop, step = ints[0], ints[1], ints[2]
	default:
		return nil, errorf("range expected 1 to 3 arguments, got %d", len(args))
	}
	if step == 0 {
		return nil, errorf("range() arg 3 must not be zero")
	}
	// The length, in unsigned arithmetic so that ranges spanning all of
	// int64 do not overflow.
	var n uint64
	switch {
	case step > 0 && stop > start:
		diff, s := uint64(stop)-uint64(start), uint64(step)
		n = diff / s
		if diff%s != 0 {
			n++
		}
	case step < 0 && stop < start:
		diff, s := uint64(start)-uint64(stop), uint64(-(step+1))+1
		n = diff / s
		if diff%s != 0 {
			n++
		}
	}
	// A range is built as a list; the budget check comes first so that
	// range(10**12) fails instead of allocating.
	if n > uint64(r.limits.MaxAllocBytes/16) {
		return nil, &limitHit{limit: "alloc", max: r.limits.MaxAllocBytes}
	}
	if err := r.charge(16 * int(n)); err != nil {
		return nil, err
	}
	items := make([]any, n)
	for i := range items {
		// Wrapping arithmetic gives the exact value, which is in range.
		items[i] = start + int64(i)*step
	}
	return newList(items), nil
}

// dictFn is dict(mapping_or_pairs, **kwargs).
func dictFn(r *renderer, args []any, kw *dict) (any, error) {
	if len(args) > 1 {
		return nil, errorf("dict expected at most 1 argument, got %d", len(args))
	}
	d := newDict(kw.len())
	if len(args) == 1 {
		if err := updateDict(d, args[0]); err != nil {
			return nil, err
		}
	}
	for i := range kw.len() {
		d.set(kw.at(i))
	}
	return d, r.charge(32 * d.len())
}

// updateDict copies a mapping, or a sequence of pairs, into d.
func updateDict(d *dict, src any) error {
	switch s := src.(type) {
	case *dict:
		for i := range s.keys {
			d.set(s.at(i))
		}
		return nil
	case *namespace:
		return updateDict(d, s.attrs)
	}
	items, err := iterate(src)
	if err != nil {
		return err
	}
	for _, it := range items {
		kv, err := unpack(it, 2)
		if err != nil {
			return errorf("dictionary update sequence element has wrong length")
		}
		if !hashable(kv[0]) {
			return errorf("unhashable type: '%s'", typeName(kv[0]))
		}
		d.set(kv[0], kv[1])
	}
	return nil
}

func namespaceFn(r *renderer, args []any, kw *dict) (any, error) {
	ns := &namespace{attrs: newDict(kw.len())}
	for _, a := range args {
		if err := updateDict(ns.attrs, a); err != nil {
			return nil, err
		}
	}
	for i := range kw.len() {
		ns.attrs.set(kw.at(i))
	}
	return ns, r.charge(32 * ns.attrs.len())
}

func cyclerFn(r *renderer, args []any, kw *dict) (any, error) {
	if len(args) == 0 {
		return nil, errorf("at least one item has to be provided")
	}
	return &cycler{items: args}, nil
}

func cyclerAttr(c *cycler, name string) any {
	switch name {
	case "current":
		return c.items[c.pos]
	case "next":
		return method("cycler.next", func(r *renderer, args []any, kw *dict) (any, error) {
			v := c.items[c.pos]
			c.pos = (c.pos + 1) % len(c.items)
			return v, nil
		})
	case "reset":
		return method("cycler.reset", func(r *renderer, args []any, kw *dict) (any, error) {
			c.pos = 0
			return nil, nil
		})
	}
	return undefined{hint: "'Cycler' object has no attribute '" + name + "'"}
}

// joinerFn is joiner(sep): a function returning "" the first time and sep
// after that.
func joinerFn(r *renderer, args []any, kw *dict) (any, error) {
	a, err := bindArgs("joiner", args, kw, []string{"sep"}, 0, []any{", "})
	if err != nil {
		return nil, err
	}
	used := false
	return &function{name: "joiner", call: func(r *renderer, args []any, kw *dict) (any, error) {
		if !used {
			used = true
			return "", nil
		}
		return a[0], nil
	}}, nil
}

// raiseFn is transformers' raise_exception(message): the template refuses
// the conversation.
func raiseFn(r *renderer, args []any, kw *dict) (any, error) {
	a, err := bindArgs("raise_exception", args, kw, []string{"message"}, 1, nil)
	if err != nil {
		return nil, err
	}
	return nil, &raised{msg: str(a[0])}
}

// strftimeNowFn is transformers' strftime_now(format): the local time now,
// formatted by Python's strftime rules.
func strftimeNowFn(r *renderer, args []any, kw *dict) (any, error) {
	a, err := bindArgs("strftime_now", args, kw, []string{"format"}, 1, nil)
	if err != nil {
		return nil, err
	}
	f, ok := a[0].(string)
	if !ok {
		return nil, errorf("strftime() argument 1 must be str, not %s", typeName(a[0]))
	}
	return strftime(r.now(), f), nil
}
