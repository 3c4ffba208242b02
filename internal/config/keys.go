package config

import (
	"fmt"
	"reflect"
	"strings"
)

// EnvPrefix starts every environment variable hfserve reads.
const EnvPrefix = "HFSERVE_"

// KeyDoc describes one key in all its spellings, for `serve --help` and the docs.
type KeyDoc struct {
	Key     string // YAML key, e.g. max_loaded_models
	Flag    string // flag with its dashes, e.g. --max-loaded-models
	Env     string // environment variable, e.g. HFSERVE_MAX_LOADED_MODELS
	Type    string // value type: string, int, bool, duration, size, memory, list or models
	Default string // the default as it would be written in the YAML file
	Help    string // one line of documentation
}

// field is one key of Config: its spellings and where it lives in the struct.
type field struct {
	KeyDoc
	index    int    // index of the struct field in Config
	arg      string // placeholder in flag help, e.g. HOST:PORT
	pathList bool   // the environment variable is a path list, not comma-separated
	secret   bool   // the value is never printed
}

// Keys documents every key, in the order of the Config struct.
func Keys() []KeyDoc {
	fields := configFields()
	docs := make([]KeyDoc, len(fields))
	for i, f := range fields {
		docs[i] = f.KeyDoc
	}
	return docs
}

// ReservedEnv lists the HFSERVE_* variables that are not keys but are still legitimate:
// HFSERVE_CONFIG names the config file.
func ReservedEnv() []string { return []string{EnvPrefix + "CONFIG"} }

// configFields derives every key from the Config struct tags. A field without a key tag or of
// a type this package cannot read is a programming error that every test would hit at once,
// so it panics rather than returning an error callers could do nothing about.
func configFields() []field {
	t := reflect.TypeFor[Config]()
	def := defaults(func(name string) (string, bool) { return "", false })
	defValue := reflect.ValueOf(def)
	fields := make([]field, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		key := sf.Tag.Get("key")
		if key == "" || sf.Tag.Get("help") == "" {
			panic(fmt.Sprintf("config: field Config.%s needs key and help tags", sf.Name))
		}
		kind := kindOf(sf.Type)
		if kind == "" {
			panic(fmt.Sprintf("config: field Config.%s has unsupported type %s", sf.Name, sf.Type))
		}
		defaultText := sf.Tag.Get("defaultdoc")
		if defaultText == "" {
			defaultText = formatText(defValue.Field(i))
		}
		arg := sf.Tag.Get("arg")
		if arg == "" {
			arg = kind
		}
		fields = append(fields, field{
			KeyDoc: KeyDoc{
				Key:     key,
				Flag:    "--" + flagName(key, sf.Type.Kind() == reflect.Slice),
				Env:     envName(key),
				Type:    kind,
				Default: defaultText,
				Help:    sf.Tag.Get("help"),
			},
			index:    i,
			arg:      arg,
			pathList: sf.Tag.Get("envsep") == "path",
			secret:   sf.Tag.Get("secret") == "true",
		})
	}
	return fields
}

// flagName derives a flag name from a key: dashes for underscores, and the singular for a
// list, whose flag is repeated once per element (models: --model).
func flagName(key string, list bool) string {
	if list {
		key = strings.TrimSuffix(key, "s")
	}
	return strings.ReplaceAll(key, "_", "-")
}

// envName derives the environment variable of a key.
func envName(key string) string { return EnvPrefix + strings.ToUpper(key) }

// fieldByKey finds a key's field, or false.
func fieldByKey(fields []field, key string) (field, bool) {
	for _, f := range fields {
		if f.Key == key {
			return f, true
		}
	}
	return field{}, false
}

// keyNames lists the keys of fields, for suggestions.
func keyNames(fields []field) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Key
	}
	return names
}
