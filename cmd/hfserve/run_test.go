package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"hfserve/internal/tokenizer"
)

// runCLIWithInput is runCLI with stdin.
func runCLIWithInput(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	home := t.TempDir()
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, environ: []string{"HOME=" + home}, homeDir: home}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// goldenStory is the reference greedy continuation of "Once upon a time"
// by stories260K (testdata/models/stories260K/golden.json, from
// transformers), decoded with the model's tokenizer.
func goldenStory(t *testing.T) string {
	t.Helper()
	var g struct {
		Greedy [][]int32 `json:"greedy"`
	}
	data, err := os.ReadFile("../../testdata/models/stories260K/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.LoadDir("../../testdata/models/stories260K")
	if err != nil {
		t.Fatal(err)
	}
	text, err := tok.Decode(g.Greedy[0], true)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestRunOneShotTellsTheGoldenStory(t *testing.T) {
	story := goldenStory(t)
	code, out, stderr := runCLIWithInput(t, "", "run", "stories260k", "Once upon a time", "--temperature", "0", "--max-tokens", "24",
		"--data-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The built-in model is served with a chat template that renders the
	// message as plain text, so its answer is the story's continuation.
	want := story
	if strings.TrimRight(out, "\n") != want {
		t.Fatalf("run printed %q, want %q", out, want)
	}
}

func TestRunInteractive(t *testing.T) {
	code, out, stderr := runCLIWithInput(t, "Once upon a time,\n\n/clear\nLily went\n/bye\nnever read\n", "run", "builtin",
		"--temperature", "0", "--max-tokens", "10", "--data-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(out, ">>> ") != 5 || !strings.Contains(out, "(conversation cleared)") || strings.Contains(out, "never read") {
		t.Fatalf("interactive transcript:\n%s", out)
	}
	if !strings.Contains(out, ">>>  there was a little girl") {
		t.Fatalf("the answer does not continue the story:\n%s", out)
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"run"},
		{"run", "a", "b", "c"},
		{"run", "builtin", "x", "--max-tokens", "-1"},
		{"run", "builtin", "x", "--top-p", "2"},
	} {
		code, _, stderr := runCLIWithInput(t, "", args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
	// A model that does not generate text is a failure, not a usage error.
	code, _, stderr := runCLIWithInput(t, "", "run", "../../testdata/models/tiny/bert", "hello", "--data-dir", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "does not generate text") {
		t.Errorf("encoder model: exit %d, stderr %q", code, stderr)
	}
}
