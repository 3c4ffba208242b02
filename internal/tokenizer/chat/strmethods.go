package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// stringMethod returns the Python str method name bound to s, or nil.
func stringMethod(s, name string) *function {
	fn := strMethods[name]
	if fn == nil {
		return nil
	}
	return method("str."+name, func(r *renderer, args []any, kw *dict) (any, error) {
		v, err := fn(r, s, args, kw)
		if err != nil {
			return nil, err
		}
		if out, ok := v.(string); ok && out != s {
			return out, r.charge(len(out))
		}
		return v, nil
	})
}

type strMethod func(r *renderer, s string, args []any, kw *dict) (any, error)

// strMethods is the table of Python str methods templates use.
var strMethods = map[string]strMethod{
	"strip":        stripMethod("strip", strings.TrimFunc),
	"lstrip":       stripMethod("lstrip", strings.TrimLeftFunc),
	"rstrip":       stripMethod("rstrip", strings.TrimRightFunc),
	"upper":        noArgs("upper", strings.ToUpper),
	"lower":        noArgs("lower", strings.ToLower),
	"casefold":     noArgs("casefold", strings.ToLower),
	"title":        noArgs("title", pyTitle),
	"capitalize":   noArgs("capitalize", pyCapitalize),
	"swapcase":     noArgs("swapcase", swapCase),
	"split":        splitMethod(false),
	"rsplit":       splitMethod(true),
	"splitlines":   func(r *renderer, s string, args []any, kw *dict) (any, error) { return strList(splitLines(s)), nil },
	"startswith":   affixMethod("startswith", strings.HasPrefix),
	"endswith":     affixMethod("endswith", strings.HasSuffix),
	"replace":      replaceMethod,
	"find":         findMethod("find", false, false),
	"rfind":        findMethod("rfind", true, false),
	"index":        findMethod("index", false, true),
	"rindex":       findMethod("rindex", true, true),
	"count":        countMethod,
	"join":         joinMethod,
	"isdigit":      isMethod(func(r rune) bool { return unicode.IsDigit(r) }),
	"isdecimal":    isMethod(func(r rune) bool { return unicode.IsDigit(r) }),
	"isnumeric":    isMethod(unicode.IsNumber),
	"isalpha":      isMethod(unicode.IsLetter),
	"isalnum":      isMethod(func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }),
	"isspace":      isMethod(isSpace),
	"islower":      caseMethod(unicode.IsLower, unicode.IsUpper),
	"isupper":      caseMethod(unicode.IsUpper, unicode.IsLower),
	"zfill":        zfillMethod,
	"center":       padMethod("center"),
	"ljust":        padMethod("ljust"),
	"rjust":        padMethod("rjust"),
	"removeprefix": trimAffixMethod("removeprefix", strings.TrimPrefix),
	"removesuffix": trimAffixMethod("removesuffix", strings.TrimSuffix),
	"format":       formatMethod,
}

func strList(parts []string) *list {
	items := make([]any, len(parts))
	for i, p := range parts {
		items[i] = p
	}
	return newList(items)
}

func noArgs(name string, f func(string) string) strMethod {
	return func(r *renderer, s string, args []any, kw *dict) (any, error) {
		if len(args) > 0 || kw.len() > 0 {
			return nil, errorf("%s() takes no arguments", name)
		}
		return f(s), nil
	}
}

// stripChars returns the predicate for Python's strip(chars): whitespace
// when chars is None.
func stripChars(name string, chars any) (func(rune) bool, error) {
	switch c := chars.(type) {
	case nil, undefined:
		return isSpace, nil
	case string:
		return func(r rune) bool { return strings.ContainsRune(c, r) }, nil
	}
	return nil, errorf("%s arg must be None or str", name)
}

func stripMethod(name string, trim func(string, func(rune) bool) string) strMethod {
	return func(r *renderer, s string, args []any, kw *dict) (any, error) {
		a, err := bindArgs(name, args, kw, []string{"chars"}, 0, nil)
		if err != nil {
			return nil, err
		}
		pred, err := stripChars(name, a[0])
		if err != nil {
			return nil, err
		}
		return trim(s, pred), nil
	}
}

// pyTitle is Python's str.title: a cased character after an uncased one is
// title-cased, every other cased character lower-cased.
func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range s {
		if prevCased {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToTitle(r))
		}
		prevCased = isCased(r)
	}
	return b.String()
}

func isCased(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) }

// pyCapitalize is Python's str.capitalize.
func pyCapitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToTitle(r)) + strings.ToLower(s[size:])
}

func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsUpper(r) {
			return unicode.ToLower(r)
		}
		return unicode.ToUpper(r)
	}, s)
}

func splitMethod(fromRight bool) strMethod {
	name := "split"
	if fromRight {
		name = "rsplit"
	}
	return func(r *renderer, s string, args []any, kw *dict) (any, error) {
		a, err := bindArgs(name, args, kw, []string{"sep", "maxsplit"}, 0, []any{nil, int64(-1)})
		if err != nil {
			return nil, err
		}
		maxSplit, ok := toInt(a[1])
		if !ok {
			return nil, errorf("%s() maxsplit must be an integer", name)
		}
		var parts []string
		switch sep := a[0].(type) {
		case nil:
			parts = splitWhitespace(s, int(maxSplit), fromRight)
		case string:
			if sep == "" {
				return nil, errorf("empty separator")
			}
			parts = splitSep(s, sep, int(maxSplit), fromRight)
		default:
			return nil, errorf("must be str or None, not %s", typeName(a[0]))
		}
		return strList(parts), r.charge(len(s) + 16*len(parts))
	}
}

func splitSep(s, sep string, maxSplit int, fromRight bool) []string {
	if maxSplit < 0 {
		return strings.Split(s, sep)
	}
	if !fromRight {
		return strings.SplitN(s, sep, maxSplit+1)
	}
	var parts []string
	for range maxSplit {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		parts = append(parts, s[i+len(sep):])
		s = s[:i]
	}
	parts = append(parts, s)
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return parts
}

// splitWhitespace is str.split() without a separator: runs of whitespace
// separate, and no empty strings come out.
func splitWhitespace(s string, maxSplit int, fromRight bool) []string {
	if maxSplit < 0 {
		return strings.FieldsFunc(s, isSpace)
	}
	var parts []string
	if !fromRight {
		rest := strings.TrimLeftFunc(s, isSpace)
		for len(parts) < maxSplit && rest != "" {
			i := strings.IndexFunc(rest, isSpace)
			if i < 0 {
				break
			}
			parts = append(parts, rest[:i])
			rest = strings.TrimLeftFunc(rest[i:], isSpace)
		}
		if rest != "" {
			parts = append(parts, rest)
		}
		return parts
	}
	rest := strings.TrimRightFunc(s, isSpace)
	for len(parts) < maxSplit && rest != "" {
		i := strings.LastIndexFunc(rest, isSpace)
		if i < 0 {
			break
		}
		_, size := utf8.DecodeRuneInString(rest[i:])
		parts = append(parts, rest[i+size:])
		rest = strings.TrimRightFunc(rest[:i], isSpace)
	}
	if rest != "" {
		parts = append(parts, rest)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return parts
}

// splitLines is str.splitlines(): every Python line boundary, no trailing
// empty line.
func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			lines = append(lines, s[start:i])
			start = i + size
		case '\r':
			lines = append(lines, s[start:i])
			if i+1 < len(s) && s[i+1] == '\n' {
				size++
			}
			start = i + size
		}
		i += size
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

func affixMethod(name string, has func(string, string) bool) strMethod {
	return func(r *renderer, s string, args []any, kw *dict) (any, error) {
		a, err := bindArgs(name, args, kw, []string{"prefix"}, 1, nil)
		if err != nil {
			return nil, err
		}
		switch p := a[0].(type) {
		case string:
			return has(s, p), nil
		case *list:
			for _, it := range p.items {
				ps, ok := it.(string)
				if !ok {
					return nil, errorf("tuple for %s must only contain str, not %s", name, typeName(it))
				}
				if has(s, ps) {
					return true, nil
				}
			}
			return false, nil
		}
		return nil, errorf("%s first arg must be str or a tuple of str, not %s", name, typeName(a[0]))
	}
}

func trimAffixMethod(name string, trim func(string, string) string) strMethod {
	return func(r *renderer, s string, args []any, kw *dict) (any, error) {
		a, err := bindArgs(name, args, kw, []string{"affix"}, 1, nil)
		if err != nil {
			return nil, err
		}
		p, ok := a[0].(string)
		if !ok {
			return nil, errorf("%s() argument must be str, not %s", name, typeName(a[0]))
		}
		return trim(s, p), nil
	}
}

func replaceMethod(r *renderer, s string, args []any, kw *dict) (any, error) {
	a, err := bindArgs("replace", args, kw, []string{"old", "new", "count"}, 2, []any{int64(-1)})
	if err != nil {
		return nil, err
	}
	old, ok1 := a[0].(string)
	repl, ok2 := a[1].(string)
	n, ok3 := toInt(a[2])
	if !ok1 || !ok2 || !ok3 {
		return nil, errorf("replace() arguments must be str, str and int")
	}
	return r.replace(s, old, repl, int(n))
}

// replace is str.replace with the result's size checked before it is built.
func (r *renderer) replace(s, old, repl string, n int) (string, error) {
	count := strings.Count(s, old)
	if n >= 0 && n < count {
		count = n
	}
	if size := len(s) + count*(len(repl)-len(old)); size > 0 {
		if err := r.charge(size); err != nil {
			return "", err
		}
	}
	return strings.Replace(s, old, repl, n), nil
}

func findMethod(name string, fromRight, mustFind bool) strMethod {
	return func(r *renderer, s string, args []any, kw *dict) (any, error) {
		a, err := bindArgs(name, args, kw, []string{"sub"}, 1, nil)
		if err != nil {
			return nil, err
		}
		sub, ok := a[0].(string)
		if !ok {
			return nil, errorf("must be str, not %s", typeName(a[0]))
		}
		i := strings.Index(s, sub)
		if fromRight {
			i = strings.LastIndex(s, sub)
		}
		if i < 0 {
			if mustFind {
				return nil, errorf("substring not found")
			}
			return int64(-1), nil
		}
		return int64(utf8.RuneCountInString(s[:i])), nil
	}
}

func countMethod(r *renderer, s string, args []any, kw *dict) (any, error) {
	a, err := bindArgs("count", args, kw, []string{"sub"}, 1, nil)
	if err != nil {
		return nil, err
	}
	sub, ok := a[0].(string)
	if !ok {
		return nil, errorf("must be str, not %s", typeName(a[0]))
	}
	if sub == "" {
		return int64(utf8.RuneCountInString(s) + 1), nil
	}
	return int64(strings.Count(s, sub)), nil
}

func joinMethod(r *renderer, s string, args []any, kw *dict) (any, error) {
	a, err := bindArgs("join", args, kw, []string{"iterable"}, 1, nil)
	if err != nil {
		return nil, err
	}
	items, err := iterate(a[0])
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(items))
	for i, it := range items {
		p, ok := it.(string)
		if !ok {
			return nil, errorf("sequence item %d: expected str instance, %s found", i, typeName(it))
		}
		parts[i] = p
	}
	return r.join(parts, s)
}

// join is strings.Join with the result's size charged first.
func (r *renderer) join(parts []string, sep string) (string, error) {
	n := len(sep) * max(len(parts)-1, 0)
	for _, p := range parts {
		n += len(p)
	}
	if err := r.charge(n); err != nil {
		return "", err
	}
	return strings.Join(parts, sep), nil
}

func isMethod(pred func(rune) bool) strMethod {
	return func(r *renderer, s string, args []any, kw *dict) (any, error) {
		if s == "" {
			return false, nil
		}
		for _, c := range s {
			if !pred(c) {
				return false, nil
			}
		}
		return true, nil
	}
}

// caseMethod is islower/isupper: at least one cased character, none of the
// other case.
func caseMethod(want, other func(rune) bool) strMethod {
	return func(r *renderer, s string, args []any, kw *dict) (any, error) {
		found := false
		for _, c := range s {
			if other(c) || unicode.IsTitle(c) {
				return false, nil
			}
			found = found || want(c)
		}
		return found, nil
	}
}

func widthArg(r *renderer, name string, v any) (int, error) {
	w, ok := toInt(v)
	if !ok {
		return 0, errorf("%s() width must be an integer", name)
	}
	if w > int64(r.limits.MaxAllocBytes) {
		return 0, &limitHit{limit: "alloc", max: r.limits.MaxAllocBytes}
	}
	return int(w), r.charge(int(max(w, 0)))
}

func zfillMethod(r *renderer, s string, args []any, kw *dict) (any, error) {
	a, err := bindArgs("zfill", args, kw, []string{"width"}, 1, nil)
	if err != nil {
		return nil, err
	}
	w, err := widthArg(r, "zfill", a[0])
	if err != nil {
		return nil, err
	}
	n := utf8.RuneCountInString(s)
	if n >= w {
		return s, nil
	}
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	return sign + strings.Repeat("0", w-n) + s, nil
}

func padMethod(name string) strMethod {
	return func(r *renderer, s string, args []any, kw *dict) (any, error) {
		a, err := bindArgs(name, args, kw, []string{"width", "fillchar"}, 1, []any{" "})
		if err != nil {
			return nil, err
		}
		w, err := widthArg(r, name, a[0])
		if err != nil {
			return nil, err
		}
		fill, ok := a[1].(string)
		if !ok || utf8.RuneCountInString(fill) != 1 {
			return nil, errorf("The fill character must be exactly one character long")
		}
		return pad(s, w, fill, name), nil
	}
}

// pad is Python's center/ljust/rjust.
func pad(s string, width int, fill, how string) string {
	n := utf8.RuneCountInString(s)
	if n >= width {
		return s
	}
	total := width - n
	left := 0
	switch how {
	case "rjust":
		left = total
	case "center":
		// Python puts the odd extra character on the left when the
		// width is odd.
		left = total / 2
		if total%2 == 1 && width%2 == 1 {
			left++
		}
	}
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, total-left)
}
