package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// printRoundTrip prints loaded, checks each key's source comment, reads the output back as a
// config file and returns what it reads.
func printRoundTrip(t *testing.T, loaded *Loaded) Config {
	t.Helper()
	var out bytes.Buffer
	if err := loaded.Print(&out); err != nil {
		t.Fatalf("Print: %v", err)
	}
	checkSourceComments(t, out.Bytes(), loaded.Sources)
	back := mustResolve(t, layers{file: out.String()})
	return back.Config
}

// checkSourceComments parses printed YAML and checks that every key carries its source as a
// comment, on the key's line or its value's.
func checkSourceComments(t *testing.T, printed []byte, sources map[string]Source) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(printed, &doc); err != nil {
		t.Fatalf("printed config is not YAML: %v\n%s", err, printed)
	}
	root := doc.Content[0]
	seen := map[string]bool{}
	for i := 0; i < len(root.Content); i += 2 {
		key, value := root.Content[i], root.Content[i+1]
		seen[key.Value] = true
		comment := key.LineComment + value.LineComment
		if want := "# " + string(sources[key.Value]); comment != want {
			t.Errorf("key %s: comment %q, want %q", key.Value, comment, want)
		}
	}
	for _, k := range Keys() {
		if !seen[k.Key] {
			t.Errorf("key %s is not printed", k.Key)
		}
	}
}

// TestPrintRoundTrip prints configurations built from every layer, with values that are
// awkward to write in YAML, and reads them back unchanged.
func TestPrintRoundTrip(t *testing.T) {
	const fileYAML = `
listen: "[::1]:0"
models:
  - name: "true"
    ref: ./models/a=b
    task: embeddings
    pooling: cls
    chat_template: "{% if x %}'quoted' \"double\" # not a comment\n{% endif %}"
    max_context: 128
    pinned: true
    keep_alive: -1
    max_batch_size: 4
    max_batch_tokens: 1024
    preload: true
  - name: plain
    ref: org/plain@v1
  - ref: "x=org/odd"
  - "@org/odd"
  - name: gone-fast
    ref: org/fast
    keep_alive: 0
model_dirs: ["/with space", "/with#hash", "/with: colon", "-dash"]
data_dir: "  leading spaces"
max_memory: 8589934592
`
	scenarios := []layers{
		{},
		{file: fileYAML},
		{file: fileYAML, env: []string{"HFSERVE_MAX_MEMORY=12.5%", "HFSERVE_KEEP_ALIVE=-1", "HFSERVE_LOG_FORMAT=json"},
			args: []string{"--max-request-body-bytes=1000", "--enable-caching=false", "--model-load-timeout=1h30m"}},
		{args: []string{"--model=org/a", "--model=b=org/b", "--model-dir=/m", "--write-timeout=250ms", "--max-memory=512MB"}},
	}
	for i, l := range scenarios {
		loaded := mustResolve(t, l)
		back := printRoundTrip(t, loaded)
		if !reflect.DeepEqual(back, loaded.Config) {
			t.Errorf("scenario %d: printed config reads back as\n%+v\nwant\n%+v", i, back, loaded.Config)
		}
	}
}

// TestPrintNamesFile checks the header names the config file, for people reading the output.
func TestPrintNamesFile(t *testing.T) {
	loaded := mustResolve(t, layers{file: "preload: true\n"})
	var out bytes.Buffer
	if err := loaded.Print(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "# Config file: "+loaded.File) {
		t.Errorf("output does not name %s:\n%s", loaded.File, out.String())
	}
	if !strings.Contains(out.String(), "preload: true # file:"+loaded.File) {
		t.Errorf("preload line lacks its source:\n%s", out.String())
	}
}

// TestPrintHidesSecrets checks that admin_key, set from any layer, never reaches the printed
// configuration, while the output still loads.
func TestPrintHidesSecrets(t *testing.T) {
	const secret = "s3cret-admin-key-0123456789abcdefghij"
	for name, l := range map[string]layers{
		"env":  {env: []string{"HFSERVE_ADMIN_KEY=" + secret}},
		"flag": {args: []string{"--admin-key=" + secret}},
		"file": {file: "admin_key: " + secret + "\n"},
	} {
		loaded := mustResolve(t, l)
		if loaded.Config.AdminKey != secret {
			t.Fatalf("%s: admin_key %q not loaded", name, loaded.Config.AdminKey)
		}
		var out bytes.Buffer
		if err := loaded.Print(&out); err != nil {
			t.Fatalf("%s: Print: %v", name, err)
		}
		if strings.Contains(out.String(), secret) {
			t.Errorf("%s: printed configuration contains the admin key:\n%s", name, out.String())
		}
		if !strings.Contains(out.String(), "secret, not printed") {
			t.Errorf("%s: printed configuration does not say the secret was left out", name)
		}
		if back := mustResolve(t, layers{file: out.String()}); back.Config.AdminKey != "" {
			t.Errorf("%s: printed configuration reads back with admin_key %q", name, back.Config.AdminKey)
		}
	}
}
