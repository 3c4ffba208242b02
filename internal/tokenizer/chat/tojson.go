package chat

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonOptions are the arguments of transformers' tojson filter, which
// replaces Jinja's own: json.dumps(x, ensure_ascii=False, indent=indent,
// separators=separators, sort_keys=sort_keys).
type jsonOptions struct {
	ensureASCII bool
	indent      string // "" with hasIndent false: everything on one line
	hasIndent   bool
	itemSep     string
	keySep      string
	sortKeys    bool
	maxBytes    int // stop early instead of building a huge string
}

// toJSON renders v as Python's json.dumps does with opts.
func toJSON(v any, opts jsonOptions) (string, error) {
	if opts.itemSep == "" && opts.keySep == "" {
		opts.itemSep, opts.keySep = ", ", ": "
		if opts.hasIndent {
			opts.itemSep = ","
		}
	}
	var b strings.Builder
	if err := writeJSON(&b, v, &opts, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeJSON(b *strings.Builder, v any, o *jsonOptions, depth int) error {
	if b.Len() > o.maxBytes {
		return &limitHit{limit: "alloc", max: o.maxBytes}
	}
	if depth > maxValueDepth {
		return errorf("value nested too deeply to encode as JSON")
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(jsonFloat(x))
	case string:
		writeJSONString(b, x, o.ensureASCII)
	case *list:
		if len(x.items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, it := range x.items {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			o.newline(b, depth+1)
			if err := writeJSON(b, it, o, depth+1); err != nil {
				return err
			}
		}
		o.newline(b, depth)
		b.WriteByte(']')
	case *dict:
		if x.len() == 0 {
			b.WriteString("{}")
			return nil
		}
		type entry struct {
			key string
			val any
		}
		entries := make([]entry, 0, x.len())
		for i := range x.keys {
			k, val := x.at(i)
			ks, err := jsonKey(k)
			if err != nil {
				return err
			}
			entries = append(entries, entry{ks, val})
		}
		if o.sortKeys {
			slices.SortStableFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
		}
		b.WriteByte('{')
		for i, e := range entries {
			if i > 0 {
				b.WriteString(o.itemSep)
			}
			o.newline(b, depth+1)
			writeJSONString(b, e.key, o.ensureASCII)
			b.WriteString(o.keySep)
			if err := writeJSON(b, e.val, o, depth+1); err != nil {
				return err
			}
		}
		o.newline(b, depth)
		b.WriteByte('}')
	default:
		return errorf("Object of type %s is not JSON serializable", typeName(v))
	}
	return nil
}

func (o *jsonOptions) newline(b *strings.Builder, depth int) {
	if !o.hasIndent {
		return
	}
	b.WriteByte('\n')
	for range depth {
		b.WriteString(o.indent)
	}
}

// jsonKey converts a dict key as json.dumps does (True -> "true", 1 -> "1").
func jsonKey(k any) (string, error) {
	switch x := k.(type) {
	case string:
		return x, nil
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return jsonFloat(x), nil
	}
	return "", errorf("keys must be str, int, float, bool or None, not %s", typeName(k))
}

// jsonFloat is float.__repr__ with JSON's names for the non-finite values.
func jsonFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	return floatRepr(f)
}

func writeJSONString(b *strings.Builder, s string, ensureASCII bool) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		case ensureASCII && r > 0x7e:
			if r > 0xffff {
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
