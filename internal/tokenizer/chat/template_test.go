package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// FIXTURES.md documents what every decoder fixture's template renders for
// one user turn; encoders have no template.
func TestFixtureTemplatesRenderAsDocumented(t *testing.T) {
	const want = "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n"
	dirs, err := filepath.Glob("../../../testdata/models/tiny/*")
	if err != nil {
		t.Fatal(err)
	}
	decoders := 0
	for _, dir := range dirs {
		cfg, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
		if err != nil {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			tmpl, _, err := FromTokenizerConfig(dir, "")
			if !strings.Contains(string(cfg), `"chat_template"`) {
				if !errors.Is(err, ErrNoChatTemplate) {
					t.Fatalf("encoder without a template: error = %v, want ErrNoChatTemplate", err)
				}
				return
			}
			decoders++
			if err != nil {
				t.Fatal(err)
			}
			in := Input{Messages: []any{json.RawMessage(`{"role":"user","content":"Hi there"}`)}, AddGenerationPrompt: true}
			got, err := tmpl.Render(context.Background(), in, SpecialTokens{})
			if err != nil || got != want {
				t.Fatalf("got %q, %v; want %q", got, err, want)
			}
		})
	}
	if decoders == 0 {
		t.Fatal("no decoder fixture with a chat template found")
	}
}

func TestNoChatTemplate(t *testing.T) {
	tests := []struct {
		dir, name, mention string
	}{
		{"testdata/configs/notemplate", "", "no chat_template"},
		{"testdata/configs/named", "nonesuch", "default, rag, tool_use"},
		{"testdata/configs/jsonfile", "tool_use", "no template named"},
		{"testdata/configs/jinjafile", "tool_use", "no template named"},
		{"testdata/configs/does-not-exist", "", "no chat_template"},
		{"../../../testdata/tokenizers/bert-uncased-minilm", "", "no chat_template"},
	}
	for _, tt := range tests {
		_, _, err := FromTokenizerConfig(tt.dir, tt.name)
		if !errors.Is(err, ErrNoChatTemplate) {
			t.Errorf("%s %q: error = %v, want ErrNoChatTemplate", tt.dir, tt.name, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%s %q: error %q should mention %q", tt.dir, tt.name, err, tt.mention)
		}
	}
}

func TestBadConfigs(t *testing.T) {
	for name, cfg := range map[string]string{
		"not json":          `{"chat_template": `,
		"template a number": `{"chat_template": 5}`,
		"token a number":    `{"bos_token": 5, "chat_template": "x"}`,
		"token object":      `{"bos_token": {"special": true}, "chat_template": "x"}`,
		"additional":        `{"additional_special_tokens": "x", "chat_template": "x"}`,
		"bad template":      `{"chat_template": "{% if %}"}`,
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := FromTokenizerConfig(dir, ""); err == nil || errors.Is(err, ErrNoChatTemplate) {
			t.Errorf("%s: error = %v, want a parse error", name, err)
		}
	}
}

func render(t *testing.T, src string, in Input) (string, error) {
	t.Helper()
	tmpl, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl.Render(context.Background(), in, SpecialTokens{})
}

// Templates print tools with tojson, so the key order the template sees is
// part of the prompt: JSON keeps the client's order, structs their field
// order, Go maps are sorted.
func TestInputKeyOrder(t *testing.T) {
	const src = "{% for m in messages %}{{ m | tojson }}\n{% endfor %}{{ tools | tojson }}"
	type call struct {
		Zeta  string `json:"zeta"`
		Alpha int    `json:"alpha"`
	}
	in := Input{
		Messages: []any{
			json.RawMessage(`{"role":"user","z":1,"a":{"y":2,"b":3},"content":"x"}`),
			map[string]any{"role": "assistant", "content": "y", "b": 1, "a": 2},
			Message{Role: "assistant", Content: nil, ToolCalls: []any{call{"z", 1}}, Extra: map[string]any{"b": 1, "a": 2}},
			Message{Role: "tool", Content: []any{map[string]any{"type": "text", "text": "t"}}, Name: "f", ToolCallID: "c1", ReasoningContent: "r"},
		},
		Tools: []any{json.RawMessage(`{"type":"function","function":{"name":"f","parameters":{}}}`)},
	}
	got, err := render(t, src, in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"role": "user", "z": 1, "a": {"y": 2, "b": 3}, "content": "x"}
{"a": 2, "b": 1, "content": "y", "role": "assistant"}
{"role": "assistant", "content": null, "tool_calls": [{"zeta": "z", "alpha": 1}], "a": 2, "b": 1}
{"role": "tool", "content": [{"text": "t", "type": "text"}], "name": "f", "tool_call_id": "c1", "reasoning_content": "r"}
[{"type": "function", "function": {"name": "f", "parameters": {}}}]`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// transformers passes tools=None and documents=None when there are none,
// so `tools is none` holds, while an empty list is a (falsy) list.
func TestToolsNoneVersusEmpty(t *testing.T) {
	const src = "{{ tools is none }} {{ documents is none }} {{ tools is defined }}"
	for _, tt := range []struct {
		in   Input
		want string
	}{
		{Input{}, "True True True"},
		{Input{Tools: []any{}, Documents: []any{}}, "False False True"},
	} {
		if got, err := render(t, src, tt.in); err != nil || got != tt.want {
			t.Errorf("got %q, %v; want %q", got, err, tt.want)
		}
	}
}

func TestInputErrors(t *testing.T) {
	tmpl, err := Parse("x")
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]Input{
		"reserved extra":    {Extra: map[string]any{"messages": 1}},
		"unmarshalable":     {Messages: []any{make(chan int)}},
		"bad raw json":      {Messages: []any{json.RawMessage(`{"role":`)}},
		"duplicate message": {Messages: []any{Message{Role: "user", Extra: map[string]any{"role": "x"}}}},
	} {
		if _, err := tmpl.Render(context.Background(), in, SpecialTokens{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestSpecialTokensInContext(t *testing.T) {
	const src = "[{{ bos_token }}|{{ eos_token }}|{{ unk_token }}|{{ pad_token }}|{{ sep_token }}|{{ additional_special_tokens | join(',') }}|{{ pad_token is defined }}]"
	tmpl, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render(context.Background(), Input{}, SpecialTokens{BOS: "<s>", EOS: "</s>", UNK: "<unk>", Extra: map[string]string{"sep_token": "<sep>"}, Additional: []string{"<a>", "<b>"}})
	want := "[<s>|</s>|<unk>||<sep>|<a>,<b>|False]"
	if err != nil || got != want {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	// Keyword arguments override special tokens, as in apply_chat_template.
	got, err = tmpl.Render(context.Background(), Input{Extra: map[string]any{"bos_token": "<B>"}}, SpecialTokens{BOS: "<s>"})
	if err != nil || !strings.HasPrefix(got, "[<B>|") {
		t.Errorf("Extra should override bos_token: got %q, %v", got, err)
	}
}

func TestRuntimeErrorsCarryTheirLine(t *testing.T) {
	tests := []struct {
		src  string
		line int
	}{
		{"a\n{{ 'x' + 1 }}", 2},
		{"a\nb\n{% for m in messages %}\n{{ m.nope.deeper }}\n{% endfor %}", 4},
		{"{% if true %}\n\n{{ none_thing() }}{% endif %}", 3},
		{"a\n\n\n\n{{ [1] | nosuchfilter }}", 5},
		{"{% set x = [] %}\n{{ x.append(1) }}", 2},
	}
	for _, tt := range tests {
		_, err := render(t, tt.src, userHi)
		var re *RenderError
		if !errors.As(err, &re) || re.Line != tt.line {
			t.Errorf("%q: error = %v, want a *RenderError on line %d", tt.src, err, tt.line)
		}
	}
	_, err := render(t, "a\nb\n{{ raise_exception('Roles must alternate ' ~ messages | length) }}", userHi)
	var ra *RaiseError
	if !errors.As(err, &ra) || ra.Line != 3 || ra.Message != "Roles must alternate 1" {
		t.Errorf("raise_exception: error = %#v, want *RaiseError on line 3 with the template's message", err)
	}
}

func TestStrftimeNow(t *testing.T) {
	for _, layout := range [][2]string{{"%d %b %Y", "02 Jan 2006"}, {"%Y-%m-%d", "2006-01-02"}, {"%A %B %%", "Monday January %"}} {
		before := time.Now().Format(layout[1])
		got, err := render(t, "{{ strftime_now('"+layout[0]+"') }}", Input{})
		after := time.Now().Format(layout[1])
		if err != nil || (got != before && got != after) {
			t.Errorf("strftime_now(%q) = %q, %v; want %q", layout[0], got, err, before)
		}
	}
}

func TestConcurrentRenders(t *testing.T) {
	tmpl, _, err := FromTokenizerConfig("../../../testdata/tokenizers/qwen3", "")
	if err != nil {
		t.Fatal(err)
	}
	input := func(i int) Input {
		return Input{Messages: []any{
			json.RawMessage(fmt.Sprintf(`{"role":"system","content":"s%d"}`, i)),
			json.RawMessage(fmt.Sprintf(`{"role":"user","content":"u%d"}`, i)),
		}, AddGenerationPrompt: i%2 == 0, Extra: map[string]any{"enable_thinking": i%3 == 0}}
	}
	want := make([]string, 8)
	for i := range want {
		if want[i], err = tmpl.Render(context.Background(), input(i), SpecialTokens{}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 50 {
				i := (g + n) % len(want)
				got, err := tmpl.Render(context.Background(), input(i), SpecialTokens{})
				if err != nil || got != want[i] {
					t.Errorf("concurrent render %d differs: %q, %v", i, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
