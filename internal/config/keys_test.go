package config

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// TestEveryFieldIsAKey guards the one-place rule: each Config field is a documented key of a
// supported type, and each key is a distinct field.
func TestEveryFieldIsAKey(t *testing.T) {
	typ := reflect.TypeFor[Config]()
	keys := Keys()
	if len(keys) != typ.NumField() {
		t.Fatalf("Keys() has %d entries, Config has %d fields", len(keys), typ.NumField())
	}
	seen := map[string]bool{}
	for i := range typ.NumField() {
		sf := typ.Field(i)
		k := keys[i]
		if k.Key != sf.Tag.Get("key") {
			t.Errorf("Keys()[%d].Key = %q, field %s has key tag %q", i, k.Key, sf.Name, sf.Tag.Get("key"))
		}
		if k.Help == "" || k.Type == "" || k.Default == "" {
			t.Errorf("key %s is missing help, type or default: %+v", k.Key, k)
		}
		if seen[k.Key] {
			t.Errorf("key %s is used twice", k.Key)
		}
		seen[k.Key] = true
	}
}

// TestModelSpecFieldsAreKeys checks the per-model keys the same way.
func TestModelSpecFieldsAreKeys(t *testing.T) {
	typ := reflect.TypeFor[ModelSpec]()
	seen := map[string]bool{}
	for i := range typ.NumField() {
		sf := typ.Field(i)
		key := sf.Tag.Get("key")
		if key == "" || sf.Tag.Get("help") == "" || kindOf(sf.Type) == "" {
			t.Errorf("ModelSpec.%s needs a key tag, a help tag and a supported type", sf.Name)
		}
		if seen[key] {
			t.Errorf("model key %s is used twice", key)
		}
		seen[key] = true
	}
}

// TestSpellingsAreDerived checks every key's flag and environment spelling against the rule,
// written out here independently of the package's own derivation.
func TestSpellingsAreDerived(t *testing.T) {
	for _, k := range Keys() {
		if strings.IndexFunc(k.Key, func(r rune) bool { return !unicode.IsLower(r) && r != '_' && !unicode.IsDigit(r) }) >= 0 {
			t.Errorf("key %q is not lower_snake_case", k.Key)
		}
		wantFlag := "--" + strings.Map(func(r rune) rune {
			if r == '_' {
				return '-'
			}
			return r
		}, k.Key)
		if k.Type == "list" || k.Type == "models" {
			wantFlag = wantFlag[:len(wantFlag)-1] // a list's flag is its singular, repeated
		}
		if k.Flag != wantFlag {
			t.Errorf("key %s: flag %s, want %s", k.Key, k.Flag, wantFlag)
		}
		if want := "HFSERVE_" + strings.ToUpper(k.Key); k.Env != want {
			t.Errorf("key %s: env %s, want %s", k.Key, k.Env, want)
		}
	}
}

// TestStableSpellings pins the spellings issue 2 promises to docs and scripts.
func TestStableSpellings(t *testing.T) {
	want := map[string][2]string{
		"listen":            {"--listen", "HFSERVE_LISTEN"},
		"models":            {"--model", "HFSERVE_MODELS"},
		"model_dirs":        {"--model-dir", "HFSERVE_MODEL_DIRS"},
		"max_loaded_models": {"--max-loaded-models", "HFSERVE_MAX_LOADED_MODELS"},
	}
	// The seed's knobs keep their names.
	for _, key := range []string{"max_loaded_models", "model_load_timeout", "enable_batching",
		"max_batch_size", "max_batch_wait_ms", "enable_caching", "cache_max_size",
		"cache_ttl_seconds", "enable_circuit_breaker", "circuit_failure_threshold",
		"circuit_timeout_seconds"} {
		if _, ok := want[key]; !ok {
			want[key] = [2]string{}
		}
	}
	docs := map[string]KeyDoc{}
	for _, k := range Keys() {
		docs[k.Key] = k
	}
	for key, spell := range want {
		k, ok := docs[key]
		if !ok {
			t.Errorf("key %s is missing", key)
			continue
		}
		if spell[0] != "" && (k.Flag != spell[0] || k.Env != spell[1]) {
			t.Errorf("key %s: %s %s, want %s %s", key, k.Flag, k.Env, spell[0], spell[1])
		}
	}
}

// TestBindRegistersEveryKey checks that each documented flag exists, with its environment
// variable in the help text, and that --config does too.
func TestBindRegistersEveryKey(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Bind(fs)
	for _, k := range Keys() {
		f := fs.Lookup(strings.TrimPrefix(k.Flag, "--"))
		if f == nil {
			t.Errorf("flag %s is not registered", k.Flag)
			continue
		}
		if !strings.Contains(f.Usage, k.Env) || !strings.Contains(f.Usage, k.Help) {
			t.Errorf("flag %s: usage %q lacks the help or %s", k.Flag, f.Usage, k.Env)
		}
	}
	if fs.Lookup("config") == nil {
		t.Error("--config is not registered")
	}
}

// TestDefaultsMatchDocs checks that each key's documented default is what Default() holds,
// by resolving the documented default text as a flag value.
func TestDefaultsMatchDocs(t *testing.T) {
	def := reflect.ValueOf(testDefaults())
	for i, k := range Keys() {
		if k.Key == "data_dir" || k.Type == "list" || k.Type == "models" {
			continue // machine-dependent, or documented as []
		}
		text := k.Default
		if k.Type == "string" && text == `""` {
			text = "" // formatText writes an empty string so that it shows
		}
		v, err := parseText(def.Field(i).Type(), text)
		if err != nil {
			t.Errorf("key %s: documented default %q does not parse: %v", k.Key, k.Default, err)
			continue
		}
		if !reflect.DeepEqual(v.Interface(), def.Field(i).Interface()) {
			t.Errorf("key %s: documented default %q is %v, Default() holds %v", k.Key, k.Default, v, def.Field(i))
		}
	}
}

// TestDefaultDataDir follows the XDG rules.
func TestDefaultDataDir(t *testing.T) {
	if isWindows() {
		t.Skip("XDG rules are for Unix")
	}
	tests := []struct {
		env  []string
		want string
	}{
		{[]string{"HOME=/h"}, "/h/.local/share/hfserve"},
		{[]string{"HOME=/h", "XDG_DATA_HOME=/x"}, "/x/hfserve"},
		{[]string{"HOME=/h", "XDG_DATA_HOME=relative"}, "/h/.local/share/hfserve"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := defaultDataDir(lookupEnviron(tt.env)); got != tt.want {
			t.Errorf("env %q: data dir %q, want %q", tt.env, got, tt.want)
		}
	}
}
