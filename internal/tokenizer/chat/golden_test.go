package chat

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A golden file is written by testdata/gen (see its README): the inputs,
// the rendering by @huggingface/jinja, and where Python jinja2 set up as
// transformers sets it up disagrees, the Python result, which wins.
type goldenFile struct {
	Suite        string                     `json:"suite"`
	Config       string                     `json:"config"`
	TemplateName string                     `json:"template_name"`
	Template     string                     `json:"template"`
	Special      map[string]json.RawMessage `json:"special"`
	Context      json.RawMessage            `json:"context"` // snippets only
	Cases        []goldenCase               `json:"cases"`
}

type goldenCase struct {
	Name                string                     `json:"name"`
	Template            string                     `json:"template"` // snippets only
	Vars                json.RawMessage            `json:"vars"`     // snippets only
	Messages            []json.RawMessage          `json:"messages"`
	Tools               []json.RawMessage          `json:"tools"`
	Documents           []json.RawMessage          `json:"documents"`
	AddGenerationPrompt bool                       `json:"add_generation_prompt"`
	Extra               map[string]json.RawMessage `json:"extra"`
	Raised              bool                       `json:"raised"`
	outcome
	Python *outcome `json:"python"`
}

type outcome struct {
	Output *string `json:"output"`
	Error  *string `json:"error"`
}

func (c goldenCase) want() outcome {
	if c.Python != nil {
		return *c.Python
	}
	return c.outcome
}

func loadGoldens(t *testing.T) []goldenFile {
	t.Helper()
	paths, err := filepath.Glob("testdata/golden/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	var out []goldenFile
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var g goldenFile
		if err := json.Unmarshal(data, &g); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, g)
	}
	return out
}

func rawList(items []json.RawMessage) []any {
	if items == nil {
		return nil
	}
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

// specialFromGolden maps template variable names back to SpecialTokens.
func specialFromGolden(t *testing.T, m map[string]json.RawMessage) SpecialTokens {
	t.Helper()
	var st SpecialTokens
	for k, raw := range m {
		if k == "additional_special_tokens" {
			if err := json.Unmarshal(raw, &st.Additional); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		switch k {
		case "bos_token":
			st.BOS = s
		case "eos_token":
			st.EOS = s
		case "unk_token":
			st.UNK = s
		case "pad_token":
			st.PAD = s
		default:
			if st.Extra == nil {
				st.Extra = map[string]string{}
			}
			st.Extra[k] = s
		}
	}
	return st
}

func checkOutcome(t *testing.T, want outcome, raised bool, got string, err error) {
	t.Helper()
	switch {
	case want.Output != nil:
		if err != nil {
			t.Fatalf("render error: %v\nwant: %q", err, *want.Output)
		}
		if got != *want.Output {
			t.Fatalf("render mismatch\n got: %q\nwant: %q", got, *want.Output)
		}
	case want.Error != nil:
		if err == nil {
			t.Fatalf("rendered %q, want an error (%s)", got, *want.Error)
		}
		var re *RaiseError
		isRaise := errors.As(err, &re)
		if raised != isRaise {
			t.Fatalf("error %v: raised by template = %v, want %v", err, isRaise, raised)
		}
		if raised && re.Message != *want.Error {
			t.Fatalf("raise_exception message %q, want %q", re.Message, *want.Error)
		}
	default:
		t.Fatal("golden case has neither output nor error")
	}
}

func TestGoldens(t *testing.T) {
	for _, g := range loadGoldens(t) {
		t.Run(g.Suite, func(t *testing.T) {
			if g.Suite == "snippets" {
				testSnippets(t, g)
				return
			}
			var tmpl *Template
			var special SpecialTokens
			if g.Config != "" {
				dir := filepath.Join("testdata", g.Config)
				if _, err := os.Stat(dir); err != nil && strings.Contains(g.Config, "shared") {
					t.Skipf("%s not present (licensed fixture outside the repo)", dir)
				}
				var err error
				tmpl, special, err = FromTokenizerConfig(dir, g.TemplateName)
				if err != nil {
					t.Fatal(err)
				}
				if want := specialFromGolden(t, g.Special); !reflect.DeepEqual(special, want) {
					t.Fatalf("special tokens %+v, want %+v", special, want)
				}
			} else {
				src, err := os.ReadFile(filepath.Join("testdata", g.Template))
				if err != nil {
					t.Fatal(err)
				}
				if tmpl, err = Parse(string(src)); err != nil {
					t.Fatal(err)
				}
				special = specialFromGolden(t, g.Special)
			}
			for _, c := range g.Cases {
				t.Run(c.Name, func(t *testing.T) {
					in := Input{
						Messages:            rawList(c.Messages),
						Tools:               rawList(c.Tools),
						Documents:           rawList(c.Documents),
						AddGenerationPrompt: c.AddGenerationPrompt,
					}
					if c.Extra != nil {
						in.Extra = map[string]any{}
						for k, v := range c.Extra {
							in.Extra[k] = v
						}
					}
					got, err := tmpl.Render(context.Background(), in, special)
					checkOutcome(t, c.want(), c.Raised, got, err)
				})
			}
		})
	}
}

// testSnippets renders the one-feature templates of snippets.json with the
// shared context, through the public API.
func testSnippets(t *testing.T, g goldenFile) {
	for _, c := range g.Cases {
		t.Run(c.Name, func(t *testing.T) {
			in, special := snippetInput(t, g.Context, c.Vars)
			tmpl, err := Parse(c.Template)
			if err != nil {
				w := c.want()
				if w.Error == nil {
					t.Fatalf("parse error %v, want output %q", err, *w.Output)
				}
				return
			}
			got, err := tmpl.Render(context.Background(), in, special)
			checkOutcome(t, c.want(), c.Raised, got, err)
		})
	}
}

func snippetInput(t *testing.T, context, vars json.RawMessage) (Input, SpecialTokens) {
	t.Helper()
	var ctx map[string]json.RawMessage
	if err := json.Unmarshal(context, &ctx); err != nil {
		t.Fatal(err)
	}
	if len(vars) > 0 {
		var extra map[string]json.RawMessage
		if err := json.Unmarshal(vars, &extra); err != nil {
			t.Fatal(err)
		}
		for k, v := range extra {
			ctx[k] = v
		}
	}
	in := Input{Extra: map[string]any{}}
	var special SpecialTokens
	for k, v := range ctx {
		switch k {
		case "messages", "tools", "documents":
			var items []json.RawMessage
			if err := json.Unmarshal(v, &items); err != nil {
				t.Fatal(err)
			}
			switch k {
			case "messages":
				in.Messages = rawList(items)
			case "tools":
				in.Tools = rawList(items)
			default:
				in.Documents = rawList(items)
			}
		case "add_generation_prompt":
			if err := json.Unmarshal(v, &in.AddGenerationPrompt); err != nil {
				t.Fatal(err)
			}
		case "bos_token", "eos_token":
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				t.Fatal(err)
			}
			if k == "bos_token" {
				special.BOS = s
			} else {
				special.EOS = s
			}
		default:
			in.Extra[k] = v
		}
	}
	return in, special
}
