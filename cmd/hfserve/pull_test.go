package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hfserve/internal/hub"
	"hfserve/internal/hub/hubtest"
)

// fakeHub serves the tiny llama fixture as org/tiny-llama (and a gated
// copy as org/gated) and returns the Hub and the commit of main.
func fakeHub(t *testing.T) (*hubtest.Hub, string) {
	t.Helper()
	h := hubtest.New()
	t.Cleanup(h.Close)
	commit, err := h.AddFolder("org/tiny-llama", "../../testdata/models/tiny/llama")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.AddFolder("org/gated", "../../testdata/models/tiny/llama"); err != nil {
		t.Fatal(err)
	}
	h.SetGated("org/gated", "hf_granted")
	return h, commit
}

func TestPullLsRm(t *testing.T) {
	h, commit := fakeHub(t)
	cache := t.TempDir()
	env := []string{"HF_ENDPOINT=" + h.URL, "HF_HUB_CACHE=" + cache}
	code, stdout, stderr := runCLI(t, env, "pull", "org/tiny-llama")
	if code != 0 {
		t.Fatalf("pull: %d %s", code, stderr)
	}
	snapDir := filepath.Join(cache, "models--org--tiny-llama", "snapshots", commit)
	for _, want := range []string{"pulling org/tiny-llama: commit " + commit[:12], "model.safetensors", "(downloaded)",
		"pulled org/tiny-llama (commit " + commit + ") into " + snapDir} {
		if !strings.Contains(stdout, want) {
			t.Errorf("pull output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b") {
		t.Errorf("terminal escapes written to a non-terminal:\n%q", stdout)
	}

	code, stdout, stderr = runCLI(t, env, "ls", "--json")
	var rows []listedModel
	if code != 0 || json.Unmarshal([]byte(stdout), &rows) != nil {
		t.Fatalf("ls: %d %s %s", code, stdout, stderr)
	}
	if len(rows) != 1 || rows[0].Name != "org/tiny-llama" || rows[0].Architecture != "LlamaForCausalLM" || !rows[0].Supported ||
		rows[0].Dir != snapDir || strings.Join(rows[0].Revisions, ",") != "main" {
		t.Errorf("ls after pull: %+v", rows)
	}

	code, stdout, _ = runCLI(t, env, "pull", "org/tiny-llama")
	if code != 0 || !strings.Contains(stdout, "already cached") || strings.Contains(stdout, "(downloaded)") {
		t.Errorf("second pull: %d\n%s", code, stdout)
	}

	code, stdout, stderr = runCLI(t, env, "rm", "org/tiny-llama@main")
	if code != 0 || !strings.Contains(stdout, "removed org/tiny-llama@main: 1 snapshot(s) ("+commit[:12]+"), refs main") {
		t.Fatalf("rm: %d %q %s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(cache, "models--org--tiny-llama")); !os.IsNotExist(err) {
		t.Errorf("rm of the only revision left the repo folder: %v", err)
	}
	code, stdout, _ = runCLI(t, env, "ls", "--json")
	if code != 0 || strings.TrimSpace(stdout) != "[]" {
		t.Errorf("ls after rm: %d %s", code, stdout)
	}
	code, _, stderr = runCLI(t, env, "rm", "org/tiny-llama")
	if code != 1 || !strings.Contains(stderr, "not in the Hugging Face cache") {
		t.Errorf("rm of a missing model: %d %s", code, stderr)
	}
}

func TestPullErrorsCLI(t *testing.T) {
	h, _ := fakeHub(t)
	hfHome := t.TempDir()
	if err := os.WriteFile(filepath.Join(hfHome, "token"), []byte("hf_granted\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		want     string
	}{
		{"no model", nil, []string{"pull"}, 2, "exactly one MODEL"},
		{"two models", nil, []string{"pull", "a/b", "c/d"}, 2, "exactly one MODEL"},
		{"not a repo id", nil, []string{"pull", "./some/folder"}, 2, "not a Hub model id"},
		{"bad revision", nil, []string{"pull", "org/x@a b"}, 2, "revision"},
		{"bad concurrency", nil, []string{"pull", "org/x", "--concurrency", "0"}, 2, "--concurrency"},
		{"bad pattern", nil, []string{"pull", "org/x", "--include", strings.Repeat("a", 2000)}, 2, "pattern"},
		{"unknown repo", nil, []string{"pull", "org/missing"}, 1, `"org/missing" does not exist`},
		{"gated without token", nil, []string{"pull", "org/gated"}, 1, "huggingface-cli login"},
		{"offline", []string{"HF_HUB_OFFLINE=1"}, []string{"pull", "org/tiny-llama"}, 1, "HF_HUB_OFFLINE"},
		{"rm without model", nil, []string{"rm"}, 2, "exactly one MODEL"},
		{"rm missing revision", nil, []string{"rm", "org/x@v1"}, 1, "not in the Hugging Face cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := append([]string{"HF_ENDPOINT=" + h.URL, "HF_HUB_CACHE=" + t.TempDir(), "HF_HOME=" + t.TempDir()}, tt.env...)
			code, _, stderr := runCLI(t, env, tt.args...)
			if code != tt.wantCode || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("code %d (want %d), stderr %q (want one line with %q)", code, tt.wantCode, stderr, tt.want)
			}
		})
	}
	// The token file `huggingface-cli login` writes opens the gated repo.
	env := []string{"HF_ENDPOINT=" + h.URL, "HF_HUB_CACHE=" + t.TempDir(), "HF_HOME=" + hfHome}
	if code, _, stderr := runCLI(t, env, "pull", "org/gated", "--include", "*.json", "--include", "*.safetensors"); code != 0 {
		t.Errorf("gated pull with the token file: %d %s", code, stderr)
	}
}

// fakeClock is a progressView clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// pullEvents is a pull of two files as the hub reports it.
func pullEvents() []hub.PullEvent {
	base := hub.PullEvent{Repo: "org/m", Revision: "main", Commit: strings.Repeat("a", 40), Files: 2, Total: 3000}
	at := func(kind hub.EventKind, f hub.FileProgress, done int64, filesDone int) hub.PullEvent {
		ev := base
		ev.Kind, ev.File, ev.Done, ev.FilesDone, ev.Rate = kind, f, done, filesDone, 100
		return ev
	}
	return []hub.PullEvent{
		at(hub.EventResolved, hub.FileProgress{}, 0, 0),
		at(hub.EventFileStart, hub.FileProgress{Name: "config.json", Size: 1000}, 0, 0),
		at(hub.EventFileDone, hub.FileProgress{Name: "config.json", Size: 1000, Done: 1000, Cached: true}, 1000, 1),
		at(hub.EventFileStart, hub.FileProgress{Name: "model.safetensors", Size: 2000, Done: 500, Resumed: 500}, 1500, 1),
		at(hub.EventProgress, hub.FileProgress{Name: "model.safetensors", Size: 2000, Done: 1500, Rate: 100}, 2500, 1),
		at(hub.EventProgress, hub.FileProgress{Name: "model.safetensors", Size: 2000, Done: 1800, Rate: 100}, 2800, 1),
		at(hub.EventFileDone, hub.FileProgress{Name: "model.safetensors", Size: 2000, Done: 2000, Resumed: 500}, 3000, 2),
		at(hub.EventDone, hub.FileProgress{}, 3000, 2),
	}
}

func TestProgressViewPlain(t *testing.T) {
	var out bytes.Buffer
	v := newProgressView(&out, false)
	clock := &fakeClock{t: time.Unix(1000, 0)}
	v.now = clock.now
	for _, ev := range pullEvents() {
		clock.t = clock.t.Add(3 * time.Second) // a total line at most every 5 s
		v.handle(ev)
	}
	v.finish()
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	want := []string{"pulling org/m: commit aaaaaaaaaaaa, 2 files, ", "  config.json ", "(already cached)",
		"  total: 1/2 files", "  model.safetensors ", "(resumed from 500 B)"}
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 4 (header, two files, one total line):\n%s", len(lines), out.String())
	}
	text := out.String()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Errorf("escape codes in plain output: %q", text)
	}
}

func TestProgressViewTerminal(t *testing.T) {
	var out bytes.Buffer
	v := newProgressView(&out, true)
	clock := &fakeClock{t: time.Unix(1000, 0)}
	v.now = clock.now
	for _, ev := range pullEvents() {
		clock.t = clock.t.Add(time.Second)
		v.handle(ev)
	}
	v.finish()
	text := out.String()
	for _, w := range []string{"\x1b[2K", "\x1b[1A", "model.safetensors", "ETA 2s", "(resumed from 500 B)", "total: 1/2 files"} {
		if !strings.Contains(text, w) {
			t.Errorf("terminal output lacks %q:\n%q", w, text)
		}
	}
	// Replaying the output on a model screen leaves the permanent lines
	// and no live block.
	screen := replay(text)
	if len(screen) != 3 || !strings.HasPrefix(screen[0], "pulling org/m") || !strings.Contains(screen[1], "config.json") ||
		!strings.Contains(screen[2], "model.safetensors") {
		t.Errorf("final screen:\n%s", strings.Join(screen, "\n"))
	}
}

// replay runs the escape sequences the view uses (cursor up n, erase line,
// carriage return, newline) on a screen of lines and returns its non-empty
// lines.
func replay(s string) []string {
	var screen []string
	row := 0
	line := func() *string {
		for len(screen) <= row {
			screen = append(screen, "")
		}
		return &screen[row]
	}
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "\x1b[2K"):
			*line() = ""
			i += 3
		case strings.HasPrefix(s[i:], "\x1b["):
			j := strings.IndexByte(s[i:], 'A')
			var n int
			json.Unmarshal([]byte(s[i+2:i+j]), &n)
			row -= n
			i += j
		case s[i] == '\r':
		case s[i] == '\n':
			row++
		default:
			*line() += string(s[i])
		}
	}
	var out []string
	for _, l := range screen {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
