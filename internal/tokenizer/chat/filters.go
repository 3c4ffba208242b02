package chat

import (
	"html"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// filterFn implements one filter: v is the value left of the |.
type filterFn func(r *renderer, v any, args []any, kw *dict) (any, error)

// filters maps Jinja's builtin filter names, plus transformers' tojson, to
// their implementations. Filters Jinja has but chat templates have no use
// for (urlize, xmlattr, random, filesizeformat, ...) are left out and fail
// as unknown.
var filters map[string]filterFn

func init() {
	filters = map[string]filterFn{
		"abs":         absFilter,
		"attr":        attrFilter,
		"batch":       batchFilter,
		"capitalize":  stringFilter(pyCapitalize),
		"center":      centerFilter,
		"count":       lengthFilter,
		"d":           defaultFilter,
		"default":     defaultFilter,
		"dictsort":    dictsortFilter,
		"e":           escapeFilter,
		"escape":      escapeFilter,
		"first":       firstFilter,
		"float":       floatFilter,
		"forceescape": escapeFilter,
		"format":      formatFilter,
		"groupby":     groupbyFilter,
		"indent":      indentFilter,
		"int":         intFilter,
		"items":       itemsFilter,
		"join":        joinFilter,
		"last":        lastFilter,
		"length":      lengthFilter,
		"list":        listFilter,
		"lower":       stringFilter(strings.ToLower),
		"map":         mapFilter,
		"max":         minMaxFilter(1),
		"min":         minMaxFilter(-1),
		"pprint":      func(r *renderer, v any, args []any, kw *dict) (any, error) { return repr(v), nil },
		"reject":      selectFilter(false, false),
		"rejectattr":  selectFilter(false, true),
		"replace":     replaceFilter,
		"reverse":     reverseFilter,
		"round":       roundFilter,
		"safe":        func(r *renderer, v any, args []any, kw *dict) (any, error) { return v, nil },
		"select":      selectFilter(true, false),
		"selectattr":  selectFilter(true, true),
		"slice":       sliceFilter,
		"sort":        sortFilter,
		"string":      func(r *renderer, v any, args []any, kw *dict) (any, error) { return str(v), nil },
		"striptags":   striptagsFilter,
		"sum":         sumFilter,
		"title":       stringFilter(jinjaTitle),
		"tojson":      tojsonFilter,
		"trim":        trimFilter,
		"truncate":    truncateFilter,
		"unique":      uniqueFilter,
		"upper":       stringFilter(strings.ToUpper),
		"wordcount":   wordcountFilter,
		"wordwrap":    wordwrapFilter,
	}
}

// applyFilter evaluates a filter's arguments and applies it to base.
func (r *renderer) applyFilter(f *filterExpr, base any, sc *scope) (any, error) {
	fn := filters[f.name]
	if fn == nil {
		return nil, errorf("no filter named '%s'", f.name)
	}
	args, kw, err := r.evalArgs(sc, f.args, f.kwargs, nil, nil)
	if err != nil {
		return nil, err
	}
	return fn(r, base, args, kw)
}

func stringFilter(f func(string) string) filterFn {
	return func(r *renderer, v any, args []any, kw *dict) (any, error) {
		out := f(str(v))
		return out, r.charge(len(out))
	}
}

func absFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	switch x := v.(type) {
	case int64:
		if x == math.MinInt64 {
			return nil, errorf("integer overflow")
		}
		if x < 0 {
			return -x, nil
		}
		return x, nil
	case float64:
		return math.Abs(x), nil
	case bool:
		n, _ := toInt(x)
		return n, nil
	}
	return nil, errorf("bad operand type for abs(): '%s'", typeName(v))
}

// attrFilter is obj|attr(name): attributes only, never items.
func attrFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("attr", args, kw, []string{"name"}, 1, nil)
	if err != nil {
		return nil, err
	}
	name, ok := a[0].(string)
	if !ok {
		return nil, errorf("attribute name must be a string")
	}
	miss := undefined{hint: "'" + typeName(v) + " object' has no attribute '" + name + "'"}
	switch o := v.(type) {
	case *dict:
		if m := dictMethod(o, name); m != nil {
			return m, nil
		}
		return miss, nil
	case string, *list, *namespace, *loopInfo, *cycler:
		return getAttr(o, name)
	}
	return miss, nil
}

func centerFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("center", args, kw, []string{"width"}, 0, []any{int64(80)})
	if err != nil {
		return nil, err
	}
	w, err := widthArg(r, "center", a[0])
	if err != nil {
		return nil, err
	}
	return pad(str(v), w, " ", "center"), nil
}

func defaultFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("default", args, kw, []string{"default_value", "boolean"}, 0, []any{"", false})
	if err != nil {
		return nil, err
	}
	if _, isUndef := v.(undefined); isUndef || (truthy(a[1]) && !truthy(v)) {
		return a[0], nil
	}
	return v, nil
}

func escapeFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	out := html.EscapeString(str(v)) // &amp; &lt; &gt; &#34; &#39;, as markupsafe
	return out, r.charge(len(out))
}

func floatFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("float", args, kw, []string{"default"}, 0, []any{0.0})
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64, bool:
		f, _ := toFloat(x)
		return f, nil
	case string:
		if f, ok := parsePyFloat(x); ok {
			return f, nil
		}
	}
	return a[0], nil
}

// parsePyFloat is Python's float(str): surrounding whitespace, underscores
// between digits, inf and nan allowed.
func parsePyFloat(s string) (float64, bool) {
	s = strings.TrimFunc(s, isSpace)
	if strings.Contains(s, "__") || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") {
		return 0, false
	}
	s = strings.ReplaceAll(s, "_", "")
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "inf", "infinity", "nan":
	default:
		if strings.ContainsAny(strings.ToLower(s), "xpn") {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !strings.Contains(err.Error(), "range") {
		return 0, false
	}
	return f, true
}

func intFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("int", args, kw, []string{"default", "base"}, 0, []any{int64(0), int64(10)})
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case int64:
		return x, nil
	case bool:
		n, _ := toInt(x)
		return n, nil
	case float64:
		if !math.IsInf(x, 0) && !math.IsNaN(x) && math.Abs(x) < 9.2e18 {
			return int64(x), nil
		}
	case string:
		base, _ := toInt(a[1])
		if n, ok := parsePyInt(x, int(base)); ok {
			return n, nil
		}
		if f, ok := parsePyFloat(x); ok && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) < 9.2e18 {
			return int64(f), nil
		}
	}
	return a[0], nil
}

// parsePyInt is Python's int(str, base), base 0 reading a 0x/0o/0b prefix.
func parsePyInt(s string, base int) (int64, bool) {
	s = strings.TrimFunc(s, isSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	lower := strings.ToLower(s)
	prefixes := map[string]int{"0x": 16, "0o": 8, "0b": 2}
	if len(lower) > 2 {
		if b, ok := prefixes[lower[:2]]; ok && (base == 0 || base == b) {
			s, base = s[2:], b
		}
	}
	if base == 0 {
		base = 10
	}
	if s == "" || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") || strings.Contains(s, "__") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), base, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

func formatFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	if len(args) > 0 && kw.len() > 0 {
		return nil, errorf("can't handle positional and keyword arguments at the same time")
	}
	var out string
	var err error
	if kw.len() > 0 {
		out, err = printf(str(v), kw)
	} else {
		out, err = printf(str(v), newTuple(args...))
	}
	if err != nil {
		return nil, err
	}
	return out, r.charge(len(out))
}

func indentFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("indent", args, kw, []string{"width", "first", "blank"}, 0, []any{int64(4), false, false})
	if err != nil {
		return nil, err
	}
	var ind string
	switch w := a[0].(type) {
	case string:
		ind = w
	default:
		n, err := widthArg(r, "indent", w)
		if err != nil {
			return nil, err
		}
		ind = strings.Repeat(" ", max(n, 0))
	}
	lines := splitLines(str(v) + "\n")
	if err := r.charge(len(ind) * len(lines)); err != nil {
		return nil, err
	}
	var out string
	if truthy(a[2]) {
		out = strings.Join(lines, "\n"+ind)
	} else {
		var b strings.Builder
		b.WriteString(lines[0])
		for _, l := range lines[1:] {
			b.WriteByte('\n')
			if l != "" {
				b.WriteString(ind)
			}
			b.WriteString(l)
		}
		out = b.String()
	}
	if truthy(a[1]) {
		out = ind + out
	}
	return out, r.charge(len(out))
}

func replaceFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("replace", args, kw, []string{"old", "new", "count"}, 2, []any{nil})
	if err != nil {
		return nil, err
	}
	n := int64(-1)
	if a[2] != nil {
		var ok bool
		if n, ok = toInt(a[2]); !ok {
			return nil, errorf("replace() count must be an integer")
		}
	}
	return r.replace(str(v), str(a[0]), str(a[1]), int(n))
}

func roundFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("round", args, kw, []string{"precision", "method"}, 0, []any{int64(0), "common"})
	if err != nil {
		return nil, err
	}
	prec, ok := toInt(a[0])
	if !ok {
		return nil, errorf("round() precision must be an integer")
	}
	prec = max(min(prec, 300), -300)
	f, ok := toFloat(v)
	if !ok {
		return nil, errorf("type %s doesn't define __round__ method", typeName(v))
	}
	switch a[1] {
	case "common":
		if n, isInt := v.(int64); isInt && prec >= 0 {
			return n, nil
		}
		return pyRound(f, int(prec)), nil
	case "ceil", "floor":
		p := math.Pow(10, float64(prec))
		if a[1] == "ceil" {
			return math.Ceil(f*p) / p, nil
		}
		return math.Floor(f*p) / p, nil
	}
	return nil, errorf("method must be 'common', 'ceil' or 'floor'")
}

// pyRound is Python's round(float, n): exact decimal value, ties to even.
func pyRound(f float64, n int) float64 {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	if n < 0 {
		p := math.Pow(10, float64(-n))
		return math.RoundToEven(f/p) * p
	}
	out, err := strconv.ParseFloat(strconv.FormatFloat(f, 'f', n, 64), 64)
	if err != nil {
		return f
	}
	return out
}

var tagRe = regexp.MustCompile(`(?s)<!--.*?-->|<[^>]*>`)

func striptagsFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	s := tagRe.ReplaceAllString(str(v), "")
	return html.UnescapeString(strings.Join(strings.Fields(s), " ")), nil
}

// jinjaTitle is Jinja's title filter, which (unlike str.title) starts a word
// only after whitespace, "-", or an opening bracket.
func jinjaTitle(s string) string {
	var b strings.Builder
	start := true
	for _, c := range s {
		if start {
			b.WriteString(strings.ToUpper(string(c)))
		} else {
			b.WriteString(strings.ToLower(string(c)))
		}
		start = isSpace(c) || strings.ContainsRune("-({[<", c)
	}
	return b.String()
}

func tojsonFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("tojson", args, kw, []string{"ensure_ascii", "indent", "separators", "sort_keys"}, 0, []any{false, nil, nil, false})
	if err != nil {
		return nil, err
	}
	opts := jsonOptions{ensureASCII: truthy(a[0]), sortKeys: truthy(a[3]), maxBytes: max(r.limits.MaxAllocBytes-r.alloc, 0)}
	switch ind := a[1].(type) {
	case nil:
	case string:
		opts.indent, opts.hasIndent = ind, true
	default:
		n, ok := toInt(ind)
		if !ok {
			return nil, errorf("indent must be an int or a string")
		}
		if n > 1<<10 {
			return nil, errorf("indent too large")
		}
		opts.indent, opts.hasIndent = strings.Repeat(" ", int(max(n, 0))), true
	}
	if a[2] != nil {
		seps, err := unpack(a[2], 2)
		if err != nil {
			return nil, err
		}
		item, ok1 := seps[0].(string)
		key, ok2 := seps[1].(string)
		if !ok1 || !ok2 {
			return nil, errorf("separators must be a pair of strings")
		}
		opts.itemSep, opts.keySep = item, key
	}
	if _, isUndef := v.(undefined); isUndef {
		return nil, errorf("Object of type Undefined is not JSON serializable")
	}
	out, err := toJSON(v, opts)
	if err != nil {
		return nil, err
	}
	return out, r.charge(len(out))
}

func trimFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("trim", args, kw, []string{"chars"}, 0, nil)
	if err != nil {
		return nil, err
	}
	pred, err := stripChars("trim", a[0])
	if err != nil {
		return nil, err
	}
	return strings.TrimFunc(str(v), pred), nil
}

func truncateFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("truncate", args, kw, []string{"length", "killwords", "end", "leeway"}, 0, []any{int64(255), false, "...", int64(5)})
	if err != nil {
		return nil, err
	}
	length, ok1 := toInt(a[0])
	leeway, ok2 := toInt(a[3])
	end := str(a[2])
	if !ok1 || !ok2 || length < int64(utf8.RuneCountInString(end)) || leeway < 0 {
		return nil, errorf("truncate: bad length, end or leeway")
	}
	s := []rune(str(v))
	if int64(len(s)) <= length+leeway {
		return string(s), nil
	}
	cut := string(s[:length-int64(utf8.RuneCountInString(end))])
	if truthy(a[1]) {
		return cut + end, nil
	}
	if i := strings.LastIndexByte(cut, ' '); i >= 0 {
		cut = cut[:i]
	}
	return cut + end, nil
}

var wordRe = regexp.MustCompile(`[\p{L}\p{N}_]+`)

func wordcountFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	return int64(len(wordRe.FindAllStringIndex(str(v), -1))), nil
}

// wordwrapFilter wraps each line of text at width, breaking at whitespace
// (and inside words longer than width), as textwrap.wrap does for plain
// prose. Hyphenated words are not split at their hyphens.
func wordwrapFilter(r *renderer, v any, args []any, kw *dict) (any, error) {
	a, err := bindArgs("wordwrap", args, kw, []string{"width", "break_long_words", "wrapstring", "break_on_hyphens"}, 0, []any{int64(79), true, nil, true})
	if err != nil {
		return nil, err
	}
	width, ok := toInt(a[0])
	if !ok || width <= 0 {
		return nil, errorf("invalid width %s (must be > 0)", str(a[0]))
	}
	wrap := "\n"
	if a[2] != nil {
		wrap = str(a[2])
	}
	var out []string
	for _, line := range splitLines(str(v)) {
		out = append(out, strings.Join(wrapLine(line, int(width), truthy(a[1])), wrap))
	}
	s := strings.Join(out, wrap)
	return s, r.charge(len(s))
}

func wrapLine(line string, width int, breakLong bool) []string {
	var lines []string
	var cur []rune
	for _, word := range strings.FieldsFunc(line, isSpace) {
		w := []rune(word)
		for breakLong && len(w) > width {
			room := width - len(cur)
			if len(cur) > 0 {
				room--
			}
			if room <= 0 {
				lines = append(lines, string(cur))
				cur = nil
				continue
			}
			if len(cur) > 0 {
				cur = append(cur, ' ')
			}
			cur = append(cur, w[:room]...)
			lines = append(lines, string(cur))
			cur, w = nil, w[room:]
		}
		switch {
		case len(cur) == 0:
			cur = append(cur, w...)
		case len(cur)+1+len(w) <= width:
			cur = append(append(cur, ' '), w...)
		default:
			lines = append(lines, string(cur))
			cur = append([]rune(nil), w...)
		}
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}
