package config

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// testHome makes data_dir's default the same on every machine.
const testHome = "/home/test"

// layers is one configuration scenario: a config file (none when empty), environment
// variables besides HOME, and command-line arguments.
type layers struct {
	file string
	env  []string
	args []string
}

// resolve runs the whole pipeline (Bind, Parse, ResolveEnviron) over l.
func resolve(t *testing.T, l layers) (*Loaded, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	b := Bind(fs)
	args := l.args
	if l.file != "" {
		path := writeFile(t, "hfserve.yaml", l.file)
		args = append([]string{"--config", path}, args...)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return b.ResolveEnviron(append([]string{"HOME=" + testHome}, l.env...))
}

// mustResolve is resolve for scenarios that must succeed.
func mustResolve(t *testing.T, l layers) *Loaded {
	t.Helper()
	loaded, err := resolve(t, l)
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	return loaded
}

// writeFile writes content to a new file in the test's temporary folder.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testDefaults is Default() as seen with the test environment.
func testDefaults() Config {
	return defaults(lookupEnviron([]string{"HOME=" + testHome}))
}

// asConfigError unwraps err (possibly joined) to its first *Error.
func asConfigError(t *testing.T, err error) *Error {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) is not a *config.Error", err, err)
	}
	return ce
}

// loadYAML applies a YAML document over the test defaults, as a config file would.
func loadYAML(data []byte) (Config, error) {
	cfg := testDefaults()
	sources := map[string]Source{}
	if err := applyYAML(&cfg, sources, data, "file:test.yaml"); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// isWindows says whether path rules are Windows ones.
func isWindows() bool { return filepath.Separator == '\\' }
