package chat

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// printf is Python's "format" % args, used by the % operator and the format
// filter: %s %r %d %i %u %f %F %e %E %g %G %x %X %o %c %%, with flags,
// width, precision and %(name)s keys.
func printf(format string, args any) (string, error) {
	var positional []any
	var mapping *dict
	switch a := args.(type) {
	case *list:
		if a.tuple {
			positional = a.items
		} else {
			positional = []any{a}
		}
	case *dict:
		mapping = a
		positional = []any{a}
	default:
		positional = []any{a}
	}
	next := 0
	usedMapping := false
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return "", errorf("incomplete format")
		}
		var arg any
		haveArg := false
		if format[i] == '(' {
			end := strings.IndexByte(format[i:], ')')
			if end < 0 || mapping == nil {
				return "", errorf("format requires a mapping")
			}
			key := format[i+1 : i+end]
			v, ok := mapping.get(key)
			if !ok {
				return "", errorf("KeyError: %s", stringRepr(key))
			}
			arg, haveArg, usedMapping = v, true, true
			i += end + 1
		}
		start := i
		for i < len(format) && strings.IndexByte("-+ #0", format[i]) >= 0 {
			i++
		}
		flags := format[start:i]
		start = i
		for i < len(format) && format[i] >= '0' && format[i] <= '9' {
			i++
		}
		width := format[start:i]
		prec := ""
		if i < len(format) && format[i] == '.' {
			start = i
			i++
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			prec = format[start:i]
		}
		if i >= len(format) {
			return "", errorf("incomplete format")
		}
		verb := format[i]
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		if !haveArg {
			if next >= len(positional) {
				return "", errorf("not enough arguments for format string")
			}
			arg = positional[next]
			next++
		}
		s, err := formatOne(verb, flags, width, prec, arg)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	if !usedMapping && next < len(positional) && mapping == nil {
		return "", errorf("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

func formatOne(verb byte, flags, width, prec string, arg any) (string, error) {
	if w, _ := strconv.Atoi(width); w > 1<<20 {
		return "", errorf("format width too large")
	}
	if p, _ := strconv.Atoi(strings.TrimPrefix(prec, ".")); p > 1<<10 {
		return "", errorf("format precision too large")
	}
	spec := "%" + flags + width + prec
	switch verb {
	case 's', 'r', 'a':
		s := str(arg)
		if verb != 's' {
			s = repr(arg)
		}
		return fmt.Sprintf(strings.ReplaceAll(spec, "0", "")+"s", s), nil
	case 'd', 'i', 'u':
		n, ok := toInt(arg)
		if f, isFloat := arg.(float64); isFloat {
			n, ok = int64(f), true
		}
		if !ok {
			return "", errorf("%%%c format: a real number is required, not %s", verb, typeName(arg))
		}
		return fmt.Sprintf(spec+"d", n), nil
	case 'f', 'F', 'e', 'E', 'g', 'G':
		f, ok := toFloat(arg)
		if !ok {
			return "", errorf("must be real number, not %s", typeName(arg))
		}
		if prec == "" {
			spec += ".6"
		}
		return fmt.Sprintf(spec+string(verb), f), nil
	case 'x', 'X', 'o':
		n, ok := toInt(arg)
		if !ok {
			return "", errorf("%%%c format: an integer is required, not %s", verb, typeName(arg))
		}
		s := fmt.Sprintf(strings.ReplaceAll(spec, "#", "")+string(verb), n)
		if strings.Contains(flags, "#") {
			s = "0" + map[byte]string{'x': "x", 'X': "X", 'o': "o"}[verb] + s
		}
		return s, nil
	case 'c':
		switch v := arg.(type) {
		case string:
			if utf8.RuneCountInString(v) == 1 {
				return v, nil
			}
		case int64:
			if utf8.ValidRune(rune(v)) {
				return string(rune(v)), nil
			}
		}
		return "", errorf("%%c requires an int or a unicode character")
	}
	return "", errorf("unsupported format character '%c'", verb)
}

// formatMethod is str.format with {} {0} {name} fields, an optional !r / !s
// conversion, and a format spec of [[fill]align][sign][0][width][.prec][type].
func formatMethod(r *renderer, s string, args []any, kw *dict) (any, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '}' {
			if i+1 < len(s) && s[i+1] == '}' {
				i++
			}
			b.WriteByte('}')
			continue
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, errorf("Single '{' encountered in format string")
		}
		field := s[i+1 : i+end]
		i += end
		field, spec, _ := strings.Cut(field, ":")
		field, conv, _ := strings.Cut(field, "!")
		var v any
		switch n, err := strconv.Atoi(field); {
		case field == "":
			if auto >= len(args) {
				return nil, errorf("Replacement index %d out of range for positional args tuple", auto)
			}
			v = args[auto]
			auto++
		case err == nil:
			if n < 0 || n >= len(args) {
				return nil, errorf("Replacement index %d out of range for positional args tuple", n)
			}
			v = args[n]
		default:
			val, ok := kw.get(field)
			if !ok {
				return nil, errorf("KeyError: %s", stringRepr(field))
			}
			v = val
		}
		text, err := formatSpec(v, conv, spec)
		if err != nil {
			return nil, err
		}
		b.WriteString(text)
	}
	return b.String(), nil
}

func formatSpec(v any, conv, spec string) (string, error) {
	switch conv {
	case "r":
		v = repr(v)
	case "s":
		v = str(v)
	}
	if spec == "" {
		return str(v), nil
	}
	// [[fill]align][sign][#][0][width][,|_][.precision][type]
	fill, align := " ", byte(0)
	if r, size := utf8.DecodeRuneInString(spec); size < len(spec) && strings.IndexByte("<>^=", spec[size]) >= 0 {
		fill, align, spec = string(r), spec[size], spec[size+1:]
	} else if spec != "" && strings.IndexByte("<>^=", spec[0]) >= 0 {
		align, spec = spec[0], spec[1:]
	}
	sign := ""
	if spec != "" && strings.IndexByte("+- ", spec[0]) >= 0 {
		sign, spec = spec[:1], spec[1:]
	}
	alt := strings.HasPrefix(spec, "#")
	spec = strings.TrimPrefix(spec, "#")
	if strings.HasPrefix(spec, "0") && align == 0 {
		fill, align = "0", '='
	}
	i := 0
	for i < len(spec) && spec[i] >= '0' && spec[i] <= '9' {
		i++
	}
	width, _ := strconv.Atoi(spec[:i])
	spec = strings.TrimLeft(spec[i:], ",_")
	prec := ""
	if strings.HasPrefix(spec, ".") {
		j := 1
		for j < len(spec) && spec[j] >= '0' && spec[j] <= '9' {
			j++
		}
		prec, spec = spec[:j], spec[j:]
	}
	if width > 1<<20 || len(prec) > 5 {
		return "", errorf("format width or precision too large")
	}
	verb := byte('s')
	if isNumber(v) {
		verb = 'd'
		if _, ok := v.(float64); ok {
			verb = 'g'
		}
	}
	if len(spec) == 1 {
		verb = spec[0]
	} else if spec != "" {
		return "", errorf("Invalid format specifier")
	}
	text, err := formatField(v, verb, sign, prec, alt)
	if err != nil {
		return "", err
	}
	if align == 0 {
		align = '<'
		if isNumber(v) {
			align = '>'
		}
	}
	n := utf8.RuneCountInString(text)
	if n >= width {
		return text, nil
	}
	padding := strings.Repeat(fill, width-n)
	switch align {
	case '>':
		return padding + text, nil
	case '^':
		left := (width - n) / 2
		return strings.Repeat(fill, left) + text + strings.Repeat(fill, width-n-left), nil
	case '=':
		if text != "" && strings.IndexByte("+- ", text[0]) >= 0 {
			return text[:1] + padding + text[1:], nil
		}
		return padding + text, nil
	}
	return text + padding, nil
}

// formatField formats one value for a str.format spec, before padding.
func formatField(v any, verb byte, sign, prec string, alt bool) (string, error) {
	switch verb {
	case 's':
		if isNumber(v) {
			return "", errorf("Unknown format code 's' for object of type '%s'", typeName(v))
		}
		text := str(v)
		if prec != "" {
			n, _ := strconv.Atoi(prec[1:])
			if runes := []rune(text); n < len(runes) {
				text = string(runes[:n])
			}
		}
		return text, nil
	case '%':
		f, ok := toFloat(v)
		if !ok {
			return "", errorf("Unknown format code '%%' for object of type '%s'", typeName(v))
		}
		if prec == "" {
			prec = ".6"
		}
		return fmt.Sprintf("%"+sign+prec+"f%%", f*100), nil
	}
	flags := sign
	if alt {
		flags += "#"
	}
	return formatOne(verb, flags, "", prec, v)
}
