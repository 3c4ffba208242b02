package config

import (
	"fmt"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// valueKind is one of the value types a key may have. Each has one text form (environment
// and flags), one YAML form, and one printed form that reads back to the same value.
type valueKind int

const (
	kindUnsupported valueKind = iota
	kindString
	kindInt
	kindBool
	kindFloat
	kindDuration
	kindDurationPtr // optional per-model duration: nil inherits the global one
	kindSize
	kindMemory
	kindList
	kindModels
	kindModel // one element of kindModels
)

// kindOfType classifies t; named types are checked before their underlying kinds.
func kindOfType(t reflect.Type) valueKind {
	switch t {
	case reflect.TypeFor[time.Duration]():
		return kindDuration
	case reflect.TypeFor[*time.Duration]():
		return kindDurationPtr
	case reflect.TypeFor[ByteSize]():
		return kindSize
	case reflect.TypeFor[MemoryBudget]():
		return kindMemory
	case reflect.TypeFor[[]string]():
		return kindList
	case reflect.TypeFor[[]ModelSpec]():
		return kindModels
	case reflect.TypeFor[ModelSpec]():
		return kindModel
	}
	switch t.Kind() {
	case reflect.String:
		return kindString
	case reflect.Int:
		return kindInt
	case reflect.Bool:
		return kindBool
	case reflect.Float64:
		return kindFloat
	}
	return kindUnsupported
}

// kindOf names the value type of t as KeyDoc.Type does, or "" for a type no key may have.
func kindOf(t reflect.Type) string {
	switch kindOfType(t) {
	case kindString:
		return "string"
	case kindInt:
		return "int"
	case kindBool:
		return "bool"
	case kindFloat:
		return "float"
	case kindDuration, kindDurationPtr:
		return "duration"
	case kindSize:
		return "size"
	case kindMemory:
		return "memory"
	case kindList:
		return "list"
	case kindModels:
		return "models"
	}
	return ""
}

// parseText reads one value of type t (or, for a list type, one element) from its text form.
func parseText(t reflect.Type, text string) (reflect.Value, error) {
	switch kindOfType(t) {
	case kindDuration:
		d, err := parseDuration(text)
		return reflect.ValueOf(d), err
	case kindSize:
		size, err := ParseByteSize(text)
		return reflect.ValueOf(size), err
	case kindMemory:
		budget, err := ParseMemoryBudget(text)
		return reflect.ValueOf(budget), err
	case kindList:
		return reflect.ValueOf(text), nil
	case kindModels:
		spec, err := ParseModelRef(text)
		return reflect.ValueOf(spec), err
	case kindString:
		return reflect.ValueOf(text).Convert(t), nil
	case kindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, strconv.IntSize)
		if err != nil {
			return reflect.Value{}, fmt.Errorf("%q is not an integer", text)
		}
		return reflect.ValueOf(int(n)).Convert(t), nil
	case kindBool:
		b, err := strconv.ParseBool(strings.TrimSpace(text))
		if err != nil {
			return reflect.Value{}, fmt.Errorf("%q is not a boolean (want true or false)", text)
		}
		return reflect.ValueOf(b).Convert(t), nil
	case kindFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return reflect.Value{}, fmt.Errorf("%q is not a number", text)
		}
		return reflect.ValueOf(f).Convert(t), nil
	}
	return reflect.Value{}, fmt.Errorf("unsupported type %s", t)
}

// parseEnvText reads a whole value of type t from an environment variable: lists are split
// on commas, or on the OS path-list separator when pathList is set. An empty variable is an
// empty list.
func parseEnvText(t reflect.Type, text string, pathList bool) (reflect.Value, error) {
	if t.Kind() != reflect.Slice {
		return parseText(t, text)
	}
	list := reflect.Zero(t)
	if text == "" {
		return list, nil
	}
	sep := ","
	if pathList {
		sep = string(os.PathListSeparator)
	}
	for i, item := range strings.Split(text, sep) {
		if strings.TrimSpace(item) == "" {
			return reflect.Value{}, fmt.Errorf("entry %d is empty", i+1)
		}
		elem, err := parseText(t, item)
		if err != nil {
			return reflect.Value{}, fmt.Errorf("entry %d: %w", i+1, err)
		}
		list = reflect.Append(list, elem)
	}
	return list, nil
}

// formatText writes v for documentation: the scalar as it would be typed, a list in YAML
// flow style.
func formatText(v reflect.Value) string {
	switch kindOfType(v.Type()) {
	case kindDuration:
		return formatDuration(time.Duration(v.Int()))
	case kindSize:
		return ByteSize(v.Int()).String()
	case kindMemory:
		return v.Interface().(MemoryBudget).String()
	case kindList, kindModels:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = formatText(v.Index(i))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case kindModel:
		spec := v.Interface().(ModelSpec)
		if text, ok := formatModelRef(spec); ok {
			return text
		}
		return fmt.Sprintf("%+v", spec)
	case kindString:
		if v.String() == "" {
			return `""`
		}
		return v.String()
	case kindInt:
		return strconv.FormatInt(v.Int(), 10)
	case kindBool:
		return strconv.FormatBool(v.Bool())
	case kindFloat:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}
