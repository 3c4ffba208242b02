package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"hfserve/internal/tokenizer"
)

// tokGolden is the part of a tokenizer golden line (made with the Rust
// tokenizers library, see testdata/FIXTURES-README.md) the command shows.
type tokGolden struct {
	Text               string   `json:"text"`
	Pair               *string  `json:"pair"`
	AddSpecial         *bool    `json:"add_special_tokens"` // absent: true
	IDs                []int32  `json:"ids"`
	Tokens             []string `json:"tokens"`
	Offsets            [][2]int `json:"offsets"`
	Error              *string  `json:"error"`
	IDsNoSpecial       []int32  `json:"ids_no_special"`
	Decoded            *string  `json:"decoded"`
	DecodedSkipSpecial *string  `json:"decoded_skip_special"`
}

func readTokGoldens(t *testing.T, path string) []tokGolden {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []tokGolden
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var g tokGolden
		if err := json.Unmarshal(line, &g); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if g.Pair == nil && g.Error == nil && (g.AddSpecial == nil || *g.AddSpecial) {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no usable golden lines", path)
	}
	return out
}

// writeLines writes one JSON value per line into a temporary input file.
func writeLines(t *testing.T, values []any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, v := range values {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "input.jsonl")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// outputLines runs the command and splits stdout into lines.
func outputLines(t *testing.T, want int, args ...string) []string {
	t.Helper()
	code, stdout, stderr := runCLI(t, nil, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != want {
		t.Fatalf("%v: %d output lines, want %d", args, len(lines), want)
	}
	return lines
}

func TestTokenizeMatchesRustGoldens(t *testing.T) {
	dirs := []string{
		"../../testdata/tokenizers/qwen3",
		"../../testdata/tokenizers/gpt2",
		"../../testdata/tokenizers/mistral-32k",
		"../../testdata/tokenizers/bert-uncased-minilm",
		"../../testdata/tokenizers/stories260K-tok512",
		"../../internal/tokenizer/testdata/golden/spm-xlmr-unigram",
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			golden := readTokGoldens(t, filepath.Join(dir, "golden.jsonl"))
			var texts, ids, idsNoSpecial []any
			for _, g := range golden {
				texts = append(texts, g.Text)
				ids = append(ids, g.IDs)
				idsNoSpecial = append(idsNoSpecial, g.IDsNoSpecial)
			}
			textFile := writeLines(t, texts)

			for i, line := range outputLines(t, len(golden), "tokenize", "--input", textFile, dir) {
				var got encodedLine
				if err := json.Unmarshal([]byte(line), &got); err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				g := golden[i]
				want := encodedLine{IDs: g.IDs, Tokens: g.Tokens, Offsets: g.Offsets}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%q:\n got %s\nwant %+v", g.Text, line, want)
				}
			}
			for i, line := range outputLines(t, len(golden), "tokenize", "--no-special", "--input", textFile, dir) {
				var got encodedLine
				if err := json.Unmarshal([]byte(line), &got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(nonNil(got.IDs), nonNil(golden[i].IDsNoSpecial)) {
					t.Errorf("--no-special %q: got %v, want %v", golden[i].Text, got.IDs, golden[i].IDsNoSpecial)
				}
			}
			check := func(args []string, want func(tokGolden) *string) {
				for i, line := range outputLines(t, len(golden), args...) {
					var got string
					if err := json.Unmarshal([]byte(line), &got); err != nil {
						t.Fatal(err)
					}
					if w := want(golden[i]); w != nil && got != *w {
						t.Errorf("%v %q: got %q, want %q", args[:len(args)-3], golden[i].Text, got, *w)
					}
				}
			}
			check([]string{"tokenize", "--decode", "--input", writeLines(t, idsNoSpecial), dir},
				func(g tokGolden) *string { return g.Decoded })
			check([]string{"tokenize", "--decode", "--skip-special", "--input", writeLines(t, ids), dir},
				func(g tokGolden) *string { return g.DecodedSkipSpecial })
		})
	}
}

// chatGolden is one case of the chat template goldens (made with Python's
// jinja2 through transformers' settings, see internal/tokenizer/chat).
type chatGolden struct {
	Name                string                     `json:"name"`
	Messages            json.RawMessage            `json:"messages"`
	Tools               json.RawMessage            `json:"tools"`
	AddGenerationPrompt bool                       `json:"add_generation_prompt"`
	Extra               map[string]json.RawMessage `json:"extra"`
	Output              *string                    `json:"output"`
}

func TestTokenizeChatMatchesGoldens(t *testing.T) {
	data, err := os.ReadFile("../../internal/tokenizer/chat/testdata/golden/qwen3.json")
	if err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Cases []chatGolden `json:"cases"`
	}
	if err := json.Unmarshal(data, &suite); err != nil {
		t.Fatal(err)
	}
	var objects, bare []any
	var want, wantBare []string
	for _, c := range suite.Cases {
		if c.Output == nil {
			continue // template errors are covered below
		}
		obj := map[string]json.RawMessage{"messages": c.Messages}
		if c.Tools != nil {
			obj["tools"] = c.Tools
		}
		obj["add_generation_prompt"], _ = json.Marshal(c.AddGenerationPrompt)
		for k, v := range c.Extra {
			obj[k] = v
		}
		objects = append(objects, obj)
		want = append(want, *c.Output)
		if c.Tools == nil && c.Extra == nil && c.AddGenerationPrompt {
			bare = append(bare, c.Messages)
			wantBare = append(wantBare, *c.Output)
		}
	}
	if len(want) < 20 || len(wantBare) < 3 {
		t.Fatalf("only %d cases (%d bare)", len(want), len(wantBare))
	}
	dir := "../../testdata/tokenizers/qwen3"
	for name, run := range map[string]struct {
		in   []any
		want []string
	}{"objects": {objects, want}, "bare arrays": {bare, wantBare}} {
		for i, line := range outputLines(t, len(run.want), "tokenize", "--chat", "--input", writeLines(t, run.in), dir) {
			var got string
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatal(err)
			}
			if got != run.want[i] {
				t.Errorf("%s %d:\n got %q\nwant %q", name, i, got, run.want[i])
			}
		}
	}
}

func TestTokenizeErrors(t *testing.T) {
	qwen := "../../testdata/tokenizers/qwen3"
	bert := "../../testdata/models/tiny/bert"
	input := func(s string) string {
		p := filepath.Join(t.TempDir(), "in")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
		wantOut  int // output lines written before the failure
	}{
		{"no model", []string{"tokenize"}, 2, "exactly one MODEL_OR_DIR", 0},
		{"decode and chat", []string{"tokenize", "--decode", "--chat", qwen}, 2, "exclude", 0},
		{"skip without decode", []string{"tokenize", "--skip-special", qwen}, 2, "--skip-special", 0},
		{"no-special with chat", []string{"tokenize", "--no-special", "--chat", qwen}, 2, "--no-special", 0},
		{"bad ref", []string{"tokenize", "not a ref!"}, 2, "not a ref!", 0},
		{"missing repo", []string{"tokenize", "org/missing"}, 1, "org/missing", 0},
		{"folder without tokenizer", []string{"tokenize", "--input", input(`"x"`), "."}, 1, "no tokenizer.json", 0},
		{"missing input", []string{"tokenize", "--input", "/nonexistent/in.jsonl", bert}, 1, "/nonexistent/in.jsonl", 0},
		{"number line", []string{"tokenize", "--input", input("\"ok\"\n\n42\n\"never\"\n"), bert}, 1, "line 3: want a JSON string", 1},
		{"broken JSON", []string{"tokenize", "--input", input("\"ok\"\n\"open\n"), bert}, 1, "line 2", 1},
		{"invalid UTF-8", []string{"tokenize", "--input", input("\"a\xff\"\n"), bert}, 1, "line 1", 0},
		{"ids not array", []string{"tokenize", "--decode", "--input", input("\"text\"\n"), bert}, 1, "array of token ids", 0},
		{"id out of vocab", []string{"tokenize", "--decode", "--input", input("[1, 2]\n[99999999]\n"), bert}, 1, "line 2: token id 99999999", 1},
		{"negative id", []string{"tokenize", "--decode", "--input", input("[-1]\n"), bert}, 1, "token id -1", 0},
		{"fractional id", []string{"tokenize", "--decode", "--input", input("[1.5]\n"), bert}, 1, "line 1", 0},
		{"chat without template", []string{"tokenize", "--chat", "--input", input(`[{"role":"user","content":"hi"}]`), bert}, 1, "no chat template", 0},
		{"chat without messages", []string{"tokenize", "--chat", "--input", input(`{"tools":[]}`), qwen}, 1, `no "messages"`, 0},
		{"chat bad prompt flag", []string{"tokenize", "--chat", "--input", input(`{"messages":[],"add_generation_prompt":"yes"}`), qwen}, 1, "add_generation_prompt", 0},
		{"chat string", []string{"tokenize", "--chat", "--input", input(`"hi"`), qwen}, 1, "array of messages", 0},
		// A tool call without its "function" wrapper: an error in the golden too.
		{"template error", []string{"tokenize", "--chat", "--input", input(`[{"role":"user","content":"Add"},{"role":"assistant","content":null,"tool_calls":[{"name":"add","arguments":{"a":1}}]}]`), qwen}, 1, "line 1", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, c.args...)
			if code != c.wantCode {
				t.Fatalf("exit code %d, want %d; stderr %q", code, c.wantCode, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "hfserve: ") || !strings.Contains(stderr, c.wantErr) {
				t.Fatalf("stderr %q: want one line mentioning %q", stderr, c.wantErr)
			}
			if n := strings.Count(stdout, "\n"); n != c.wantOut {
				t.Fatalf("%d output lines before the error, want %d: %q", n, c.wantOut, stdout)
			}
		})
	}
}

// TestTokenizeLongLines feeds a 1 MB line and CRLF line ends.
func TestTokenizeLongLines(t *testing.T) {
	long := strings.Repeat("Hello world, this is a long line. ", 1<<20/34)
	p := filepath.Join(t.TempDir(), "in")
	data, _ := json.Marshal(long)
	if err := os.WriteFile(p, append(data, "\r\n\"a\"\r\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := outputLines(t, 2, "tokenize", "--no-special", "--input", p, "../../testdata/tokenizers/gpt2")
	var got encodedLine
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	// "Hello world, this is a long line. " is 9 GPT-2 tokens (its trailing
	// space starts the next "ĠHello"), plus the final space alone.
	if n := len(got.IDs); n != 9*(1<<20/34)+1 || got.Tokens[n-1] != "Ġ" {
		t.Fatalf("%d tokens for %d repetitions, last %q", n, 1<<20/34, got.Tokens[n-1])
	}
	if last := got.Offsets[len(got.Offsets)-1]; last[1] != len(long) {
		t.Fatalf("last offset %v, text has %d characters", last, len(long))
	}
}

// TestReadLineBound checks the line-length bound without writing 64 MiB:
// readLine must refuse a line over maxTokenizeLine.
func TestReadLineBound(t *testing.T) {
	r := bufio.NewReaderSize(strings.NewReader(strings.Repeat("x", maxTokenizeLine+10)+"\n"), 1<<16)
	if _, err := readLine(r); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("got %v", err)
	}
}

// FuzzTokenizeLine feeds arbitrary lines to the three line readers: an
// error or a value, never a panic.
func FuzzTokenizeLine(f *testing.F) {
	tk, err := tokenizer.LoadDir("../../testdata/models/tiny/qwen3")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{`"Hello"`, `[1, 2, 509]`, `[{"role":"user","content":"hi"}]`,
		`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"add_generation_prompt":true}`,
		`{"messages":null}`, `[-1]`, `[1e99]`, `"\ud800"`, `{}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		_, _ = encodeLine(tk, line, true)
		_, _ = decodeLine(tk, line, true)
		_, _ = chatLine(t.Context(), tk, line)
	})
}
