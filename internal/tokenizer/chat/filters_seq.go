package chat

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// attrPath follows a dotted attribute path such as "function.name" or
// "items.0", as Jinja's attribute= arguments do (item lookup first).
func attrPath(v any, path string) (any, error) {
	for _, part := range strings.Split(path, ".") {
		var key any = part
		if n, err := strconv.ParseInt(part, 10, 64); err == nil {
			key = n
		}
		var err error
		if v, err = getItem(v, key); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// keyFunc builds the sort/group key: an optional attribute, lower-cased
// when not case sensitive.
func keyFunc(attribute any, caseSensitive bool) func(any) (any, error) {
	return func(v any) (any, error) {
		if attribute != nil {
			var err error
			if v, err = attrPath(v, str(attribute)); err != nil {
				return nil, err
			}
		}
		if s, ok := v.(string); ok && !caseSensitive {
			return strings.ToLower(s), nil
		}
		return v, nil
	}
}

func lengthFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	switch x := v.(type) {
	case string:
		return int64(utf8.RuneCountInString(x)), nil
	case *list:
		return int64(len(x.items)), nil
	case *dict:
		return int64(x.len()), nil
	case undefined:
		return int64(0), nil
	case *namespace:
		return int64(x.attrs.len()), nil
	}
	return nil, errorf("object of type '%s' has no len()", typeName(v))
}

func batchFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("batch", args, kw, []string{"linecount", "fill_with"}, 1, []any{nil})
	if err != nil {
		return nil, err
	}
	n, ok := toInt(a[0])
	if !ok || n <= 0 {
		return nil, errorf("batch size must be a positive integer")
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	fill := a[1] != nil
	var out []any
	for i := 0; i < len(items); i += int(n) {
		end := min(i+int(n), len(items))
		chunk := append([]any(nil), items[i:end]...)
		for fill && len(chunk) < int(n) {
			chunk = append(chunk, a[1])
		}
		out = append(out, newList(chunk))
	}
	return newList(out), r.charge(16 * (len(items) + len(out)))
}

func sliceFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("slice", args, kw, []string{"slices", "fill_with"}, 1, []any{nil})
	if err != nil {
		return nil, err
	}
	n, ok := toInt(a[0])
	if !ok || n <= 0 || n > 1<<20 {
		return nil, errorf("slice count must be a positive integer")
	}
	fill := a[1] != nil
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	per, extra := len(items)/int(n), len(items)%int(n)
	offset := 0
	var out []any
	for i := range int(n) {
		start := offset + i*per
		if i < extra {
			offset++
		}
		end := offset + (i+1)*per
		chunk := append([]any(nil), items[start:end]...)
		if fill && i >= extra {
			chunk = append(chunk, a[1])
		}
		out = append(out, newList(chunk))
	}
	return newList(out), r.charge(16 * (len(items) + len(out)))
}

func dictsortFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("dictsort", args, kw, []string{"case_sensitive", "by", "reverse"}, 0, []any{false, "key", false})
	if err != nil {
		return nil, err
	}
	d, ok := v.(*dict)
	if !ok {
		return nil, errorf("dictsort expects a mapping, got %s", typeName(v))
	}
	pos := 0
	switch a[1] {
	case "key":
	case "value":
		pos = 1
	default:
		return nil, errorf("You can only sort by either 'key' or 'value'")
	}
	pairs := dictItems(d).items
	key := keyFunc(nil, truthy(a[0]))
	if err := sortBy(pairs, func(p any) (any, error) { return key(p.(*list).items[pos]) }, truthy(a[2])); err != nil {
		return nil, err
	}
	return newList(pairs), r.charge(48 * len(pairs))
}

// sortBy sorts items stably by key, as Python's sorted(key=...).
func sortBy(items []any, key func(any) (any, error), reverse bool) error {
	keys := make([]any, len(items))
	for i, it := range items {
		k, err := key(it)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var sortErr error
	slices.SortStableFunc(idx, func(i, j int) int {
		c, err := order(keys[i], keys[j])
		if err != nil && sortErr == nil {
			sortErr = errorf("'<' not supported between instances of '%s' and '%s'", typeName(keys[i]), typeName(keys[j]))
		}
		if reverse {
			return -c
		}
		return c
	})
	if sortErr != nil {
		return sortErr
	}
	sorted := make([]any, len(items))
	for i, j := range idx {
		sorted[i] = items[j]
	}
	copy(items, sorted)
	return nil
}

func sortFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("sort", args, kw, []string{"reverse", "case_sensitive", "attribute"}, 0, []any{false, false, nil})
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	items = append([]any(nil), items...)
	if err := sortBy(items, keyFunc(a[2], truthy(a[1])), truthy(a[0])); err != nil {
		return nil, err
	}
	return newList(items), r.charge(16 * len(items))
}

func firstFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return undefined{hint: "No first item, sequence was empty."}, nil
	}
	return items[0], nil
}

func lastFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return undefined{hint: "No last item, sequence was empty."}, nil
	}
	return items[len(items)-1], nil
}

func listFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	return newList(append([]any(nil), items...)), r.charge(16 * len(items))
}

func itemsFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	switch d := v.(type) {
	case undefined:
		return newList(nil), nil
	case *dict:
		return dictItems(d), r.charge(48 * d.len())
	}
	return nil, errorf("Can only get item pairs from a mapping.")
}

func reverseFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	if s, ok := v.(string); ok {
		runes := []rune(s)
		slices.Reverse(runes)
		return string(runes), nil
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	out := append([]any(nil), items...)
	slices.Reverse(out)
	return newList(out), r.charge(16 * len(out))
}

func joinFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("join", args, kw, []string{"d", "attribute"}, 0, []any{"", nil})
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(items))
	for i, it := range items {
		if a[1] != nil {
			if it, err = attrPath(it, str(a[1])); err != nil {
				return nil, err
			}
		}
		parts[i] = str(it)
	}
	return r.join(parts, str(a[0]))
}

func sumFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("sum", args, kw, []string{"attribute", "start"}, 0, []any{nil, int64(0)})
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	total := a[1]
	for _, it := range items {
		if a[0] != nil {
			if it, err = attrPath(it, str(a[0])); err != nil {
				return nil, err
			}
		}
		if total, err = r.binary("+", total, it); err != nil {
			return nil, err
		}
	}
	return total, nil
}

func minMaxFilter(sign int) filterFn {
	name := map[int]string{1: "max", -1: "min"}[sign]
	return func(r *renderer, v any, args []any, kw *dict) (any, error) {
		a, err := bindArgs(name, args, kw, []string{"case_sensitive", "attribute"}, 0, []any{false, nil})
		if err != nil {
			return nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return undefined{hint: "No aggregated item, sequence was empty."}, nil
		}
		key := keyFunc(a[1], truthy(a[0]))
		best, bestKey := items[0], any(nil)
		if bestKey, err = key(best); err != nil {
			return nil, err
		}
		for _, it := range items[1:] {
			k, err := key(it)
			if err != nil {
				return nil, err
			}
			c, err := order(k, bestKey)
			if err != nil {
				return nil, errorf("'<' not supported between instances of '%s' and '%s'", typeName(k), typeName(bestKey))
			}
			if c*sign > 0 {
				best, bestKey = it, k
			}
		}
		return best, nil
	}
}

func uniqueFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("unique", args, kw, []string{"case_sensitive", "attribute"}, 0, []any{false, nil})
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	key := keyFunc(a[1], truthy(a[0]))
	var out, seen []any
	for _, it := range items {
		k, err := key(it)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(seen, func(s any) bool { return equal(s, k) }) {
			continue
		}
		seen = append(seen, k)
		out = append(out, it)
		if err := r.step(); err != nil {
			return nil, err
		}
	}
	return newList(out), r.charge(16 * len(out))
}

func groupbyFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("groupby", args, kw, []string{"attribute", "default", "case_sensitive"}, 1, []any{nil, false})
	if err != nil {
		return nil, err
	}
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	hasDefault := len(args) > 1
	if _, ok := kw.get("default"); ok {
		hasDefault = true
	}
	keyOf := func(it any) (any, error) {
		k, err := attrPath(it, str(a[0]))
		if err != nil {
			return nil, err
		}
		if _, isUndef := k.(undefined); isUndef && hasDefault {
			k = a[1]
		}
		if s, ok := k.(string); ok && !truthy(a[2]) {
			k = strings.ToLower(s)
		}
		return k, nil
	}
	sorted := append([]any(nil), items...)
	if err := sortBy(sorted, keyOf, false); err != nil {
		return nil, err
	}
	var groups []any
	var cur *list
	var curKey any
	for _, it := range sorted {
		k, _ := keyOf(it)
		if cur == nil || !equal(k, curKey) {
			cur = newList(nil)
			curKey = k
			groups = append(groups, &list{items: []any{k, cur}, tuple: true, fields: []string{"grouper", "list"}})
		}
		cur.items = append(cur.items, it)
	}
	return newList(groups), r.charge(16 * (len(items) + 3*len(groups)))
}

// mapFilter is map(filter_name, *args) or map(attribute=name, default=d).
func mapFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(items))
	if attr, ok := kw.get("attribute"); ok && len(args) == 0 {
		def, hasDefault := kw.get("default")
		for i, it := range items {
			x, err := attrPath(it, str(attr))
			if err != nil {
				return nil, err
			}
			if _, isUndef := x.(undefined); isUndef && hasDefault {
				x = def
			}
			out[i] = x
		}
		return newList(out), r.charge(16 * len(out))
	}
	if len(args) == 0 {
		return nil, errorf("map requires a filter argument")
	}
	name, ok := args[0].(string)
	fn := filters[name]
	if !ok || fn == nil {
		return nil, errorf("no filter named '%s'", str(args[0]))
	}
	for i, it := range items {
		if out[i], err = fn(r, it, args[1:], kw); err != nil {
			return nil, err
		}
		if err := r.step(); err != nil {
			return nil, err
		}
	}
	return newList(out), r.charge(16 * len(out))
}

// selectFilter implements select, reject, selectattr and rejectattr.
func selectFilter(keep, byAttr bool) filterFn {
	return func(r *renderer, v any, args []any, kw *dict) (any, error) {
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		var attr string
		if byAttr {
			if len(args) == 0 {
				return nil, errorf("Missing parameter for attribute name")
			}
			attr, args = str(args[0]), args[1:]
		}
		var test testFn
		var testArgs []any
		if len(args) > 0 {
			name, ok := args[0].(string)
			if test = tests[name]; !ok || test == nil {
				return nil, errorf("no test named '%s'", str(args[0]))
			}
			testArgs = args[1:]
		}
		var out []any
		for _, it := range items {
			x := it
			if byAttr {
				if x, err = attrPath(it, attr); err != nil {
					return nil, err
				}
			}
			ok := truthy(x)
			if test != nil {
				if ok, err = test(r, x, testArgs); err != nil {
					return nil, err
				}
			}
			if ok == keep {
				out = append(out, it)
			}
			if err := r.step(); err != nil {
				return nil, err
			}
		}
		return newList(out), r.charge(16 * len(out))
	}
}
