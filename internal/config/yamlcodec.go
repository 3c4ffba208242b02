package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decodeNode reads a value of type t from YAML. key names the value in errors.
func decodeNode(t reflect.Type, n *yaml.Node, key string) (reflect.Value, *Error) {
	n = resolveAlias(n)
	fail := func(format string, args ...any) (reflect.Value, *Error) {
		return reflect.Value{}, &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
	}
	if t.Kind() == reflect.Slice {
		return decodeList(t, n, key)
	}
	if n.Kind != yaml.ScalarNode {
		return fail("must be a single %s, not %s", kindOf(t), nodeKindName(n))
	}
	tag := n.ShortTag()
	switch kind := kindOfType(t); kind {
	case kindDuration, kindDurationPtr:
		if tag != "!!int" && tag != "!!str" {
			return fail("must be a duration such as 30s or 5m, or a number of seconds")
		}
		d, err := parseDuration(n.Value)
		if err != nil {
			return fail("%v", err)
		}
		if kind == kindDurationPtr {
			return reflect.ValueOf(&d), nil
		}
		return reflect.ValueOf(d), nil
	case kindSize, kindMemory:
		if tag != "!!int" && tag != "!!str" {
			return fail("must be a number of bytes or a size such as 8GiB")
		}
		v, err := parseText(t, n.Value)
		if err != nil {
			return fail("%v", err)
		}
		return v, nil
	case kindString:
		if isStringLike(tag) {
			return reflect.ValueOf(n.Value).Convert(t), nil
		}
		return fail("must be a string, not %s (quote it if you mean the text %q)", tagName(tag), n.Value)
	case kindInt:
		var i int
		if tag != "!!int" || n.Decode(&i) != nil {
			return fail("must be an integer, not %s %q", tagName(tag), n.Value)
		}
		return reflect.ValueOf(i).Convert(t), nil
	case kindBool:
		var b bool
		if tag != "!!bool" || n.Decode(&b) != nil {
			return fail("must be true or false, not %s %q", tagName(tag), n.Value)
		}
		return reflect.ValueOf(b).Convert(t), nil
	case kindFloat:
		if tag != "!!float" && tag != "!!int" {
			return fail("must be a number, not %s %q", tagName(tag), n.Value)
		}
		v, err := parseText(t, n.Value)
		if err != nil {
			return fail("%v", err)
		}
		return v, nil
	}
	return fail("unsupported type %s", t)
}

// decodeList reads a YAML sequence into a list type; null is the empty list.
func decodeList(t reflect.Type, n *yaml.Node, key string) (reflect.Value, *Error) {
	list := reflect.Zero(t)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return list, nil
	}
	if n.Kind != yaml.SequenceNode {
		return reflect.Value{}, &Error{Key: key, Line: n.Line, Msg: "must be a list, not " + nodeKindName(n)}
	}
	for i, item := range n.Content {
		itemKey := fmt.Sprintf("%s[%d]", key, i)
		item = resolveAlias(item)
		var elem reflect.Value
		var err *Error
		switch {
		case kindOfType(t) == kindModels && item.Kind == yaml.MappingNode:
			elem, err = decodeModel(item, itemKey)
		case item.Kind == yaml.ScalarNode && isStringLike(item.ShortTag()):
			var perr error
			if elem, perr = parseText(t, item.Value); perr != nil {
				err = &Error{Key: itemKey, Line: item.Line, Msg: perr.Error()}
			}
		default:
			what := "a string"
			if kindOfType(t) == kindModels {
				what = "a model reference or a mapping"
			}
			err = &Error{Key: itemKey, Line: item.Line, Msg: "must be " + what + ", not " + nodeKindName(item)}
		}
		if err != nil {
			return reflect.Value{}, err
		}
		list = reflect.Append(list, elem)
	}
	return list, nil
}

// decodeModel reads one models entry written as a mapping; its keys are ModelSpec's tags.
func decodeModel(n *yaml.Node, key string) (reflect.Value, *Error) {
	t := reflect.TypeFor[ModelSpec]()
	spec := reflect.New(t).Elem()
	var known []string
	byKey := map[string]int{}
	for i := range t.NumField() {
		k := t.Field(i).Tag.Get("key")
		known = append(known, k)
		byKey[k] = i
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		keyNode, valueNode := resolveAlias(n.Content[i]), n.Content[i+1]
		name := keyNode.Value
		fieldKey := key + "." + name
		index, ok := byKey[name]
		if keyNode.Kind != yaml.ScalarNode || !ok {
			return reflect.Value{}, &Error{Key: fieldKey, Line: keyNode.Line, Msg: unknownKeyMsg(name, known)}
		}
		if seen[name] {
			return reflect.Value{}, &Error{Key: fieldKey, Line: keyNode.Line, Msg: "set twice"}
		}
		seen[name] = true
		v, err := decodeNode(t.Field(index).Type, valueNode, fieldKey)
		if err != nil {
			return reflect.Value{}, err
		}
		spec.Field(index).Set(v)
	}
	return spec, nil
}

// encodeNode writes v as a YAML node that decodeNode reads back to the same value.
func encodeNode(v reflect.Value) *yaml.Node {
	scalar := func(tag, value string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	}
	switch kindOfType(v.Type()) {
	case kindDuration:
		return scalar("!!str", formatDuration(time.Duration(v.Int())))
	case kindDurationPtr:
		return encodeNode(v.Elem())
	case kindSize:
		return scalar("!!str", ByteSize(v.Int()).String())
	case kindMemory:
		return scalar("!!str", v.Interface().(MemoryBudget).String())
	case kindList, kindModels:
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		if v.Len() == 0 {
			seq.Style = yaml.FlowStyle
		}
		for i := range v.Len() {
			seq.Content = append(seq.Content, encodeNode(v.Index(i)))
		}
		return seq
	case kindModel:
		return encodeModel(v.Interface().(ModelSpec))
	case kindString:
		return scalar("!!str", v.String())
	case kindInt:
		return scalar("!!int", strconv.FormatInt(v.Int(), 10))
	case kindBool:
		return scalar("!!bool", strconv.FormatBool(v.Bool()))
	case kindFloat:
		text := strconv.FormatFloat(v.Float(), 'g', -1, 64)
		if !strings.ContainsAny(text, ".e") {
			text += ".0" // so that YAML reads a float without an explicit tag
		}
		return scalar("!!float", text)
	}
	return scalar("!!str", fmt.Sprint(v.Interface()))
}

// encodeModel writes a models entry as REF or alias=REF when that says everything, else as a
// mapping of its non-zero fields.
func encodeModel(spec ModelSpec) *yaml.Node {
	if text, ok := formatModelRef(spec); ok {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: text}
	}
	m := &yaml.Node{Kind: yaml.MappingNode}
	v := reflect.ValueOf(spec)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			continue
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Value: v.Type().Field(i).Tag.Get("key")}
		m.Content = append(m.Content, key, encodeNode(v.Field(i)))
	}
	return m
}

// resolveAlias follows a YAML alias (*name) to its anchored node.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isStringLike says whether a scalar with this tag may stand for a string key's value: text
// that YAML reads as a number or a date is still meant literally (a model named 7 or a folder
// named 2024-01-01), but true, false and null almost never are.
func isStringLike(tag string) bool {
	switch tag {
	case "!!str", "!!int", "!!float", "!!timestamp":
		return true
	}
	return false
}

// nodeKindName says what a YAML node is, with its article, for errors.
func nodeKindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return tagName(n.ShortTag())
	}
	return "an empty value"
}

// tagName turns a YAML tag into words for errors.
func tagName(tag string) string {
	switch tag {
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number with a fraction"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "an empty value"
	}
	return "a value tagged " + tag
}
