package config

import (
	"bytes"
	"os"
	"reflect"
	"testing"
)

// FuzzLoadYAML feeds arbitrary bytes to the config file reader. It must never panic, and a
// file it accepts and validates must print to a file that reads back to the same Config.
func FuzzLoadYAML(f *testing.F) {
	if example, err := os.ReadFile("example.yaml"); err == nil {
		f.Add(example)
	}
	for _, seed := range []string{
		"",
		"listen: :0\nmax_batch_size: 4\n",
		"models:\n  - a=org/b@main\n  - {name: x, ref: ./m, keep_alive: -1, pinned: true}\n",
		"models: [*a]\n",
		"a: &a b\nmodels: [*a]\n",
		"max_memory: 50%\nmax_request_body_bytes: 1KiB\nkeep_alive: 90\n",
		"- 1\n- 2\n",
		"listen: :1\n---\nlisten: :2\n",
		"models:\n  - name: \"true\"\n    chat_template: \"a\\nb # c\"\n    ref: ./x=y\n",
		"model_dirs: [\"\", ~, 3]\n",
		"{{{",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := loadYAML(data)
		if err != nil || cfg.Validate() != nil {
			return
		}
		var out bytes.Buffer
		loaded := &Loaded{Config: cfg, Sources: map[string]Source{}}
		if err := loaded.Print(&out); err != nil {
			t.Fatalf("Print of an accepted config failed: %v", err)
		}
		back, err := loadYAML(out.Bytes())
		if err != nil {
			t.Fatalf("printed config does not load: %v\n%s", err, out.Bytes())
		}
		if !reflect.DeepEqual(back, cfg) {
			t.Fatalf("printed config reads back as\n%+v\nwant\n%+v\nprinted:\n%s", back, cfg, out.Bytes())
		}
	})
}

// FuzzTextValues feeds arbitrary text to every key's environment/flag parser. It must never
// panic, and a scalar value it accepts must format to text that parses back to itself.
func FuzzTextValues(f *testing.F) {
	for _, seed := range []string{"", "0", "-1", "8MiB", "75%", "1h30m", "a=org/b", "true", "1.5GB", "x,y", "9999999999999999999"} {
		f.Add(seed)
	}
	fields := configFields()
	typ := reflect.TypeFor[Config]()
	f.Fuzz(func(t *testing.T, text string) {
		for _, fl := range fields {
			ft := typ.Field(fl.index).Type
			if _, err := parseEnvText(ft, text, fl.pathList); err != nil || ft.Kind() == reflect.Slice {
				continue
			}
			v, _ := parseText(ft, text)
			formatted := formatText(v)
			if v.Kind() == reflect.String && v.String() == "" {
				formatted = "" // formatText quotes the empty string for documentation
			}
			back, err := parseText(ft, formatted)
			if err != nil || !reflect.DeepEqual(back.Interface(), v.Interface()) {
				t.Fatalf("key %s: %q parses to %v, formats as %q, which parses to %v, %v", fl.Key, text, v, formatted, back, err)
			}
		}
	})
}
