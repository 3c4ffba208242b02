package hub

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// globCases are fnmatch patterns and names; the expected answers come from
// Python's fnmatch.fnmatchcase (TestGlobMatchesPython), not from this table.
var globCases = []struct{ pattern, name string }{
	{"*.json", "config.json"},
	{"*.json", "1_Pooling/config.json"}, // '*' crosses '/'
	{"*.safetensors", "model-00001-of-00002.safetensors"},
	{"model-?????-of-*.safetensors", "model-00001-of-00002.safetensors"},
	{"onnx/*", "onnx/model.onnx"},
	{"onnx/*", "onnx"},
	{"*.bin", "pytorch_model.bin.index.json"},
	{"*.bin*", "pytorch_model.bin.index.json"},
	{"[abc]*.txt", "a.txt"},
	{"[!abc]*.txt", "a.txt"},
	{"[!abc]*.txt", "d.txt"},
	{"[a-c]x", "bx"},
	{"[a-c]x", "-x"},
	{"[]]x", "]x"},
	{"[!]]x", "ax"},
	{"[x", "[x"},
	{"a[", "a["},
	{"[]", "[]"},
	{"[!]", "a"},
	{"a.b", "axb"},
	{"a+b(c)", "a+b(c)"},
	{"\\*", "\\x"},
	{"[\\]x", "\\x"},
	{"[^a]", "^"},
	{"[^a]", "b"},
	{"**", ""},
	{"?", "/"},
	{"*.JSON", "config.json"},
	{"README*", "README.md"},
	{"a\nb", "a\nb"},
	{"[z-a]x", "zx"},
	{"[!z-a]x", "zx"},
	{"[a-]x", "-x"},
	{"[-a]x", "-x"},
	{"[a-c-e]", "-"},
	{"[a-c-e]", "d"},
	{"[é-ü]", "ö"},
}

func TestGlobMatchesPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: it is the reference for fnmatch")
	}
	script := `import json, sys, fnmatch
cases = json.load(sys.stdin)
print(json.dumps([fnmatch.fnmatchcase(c["Name"], c["Pattern"]) for c in cases]))`
	cases := make([]struct{ Pattern, Name string }, len(globCases))
	for i, c := range globCases {
		cases[i].Pattern, cases[i].Name = c.pattern, c.name
	}
	in, _ := json.Marshal(cases)
	cmd := exec.Command(python, "-c", script)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var want []bool
	if err := json.Unmarshal(out, &want); err != nil || len(want) != len(globCases) {
		t.Fatalf("python3 answered %q: %v", out, err)
	}
	for i, c := range globCases {
		g, err := CompileGlob(c.pattern)
		if err != nil {
			t.Errorf("CompileGlob(%q): %v", c.pattern, err)
			continue
		}
		if got := g.MatchString(c.name); got != want[i] {
			t.Errorf("fnmatch(%q, %q) = %v, Python says %v", c.name, c.pattern, got, want[i])
		}
	}
}

func TestSelectDefault(t *testing.T) {
	info := RepoInfo{Commit: commitA}
	for _, p := range []string{
		"config.json", "generation_config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
		"model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "special_tokens_map.json",
		"chat_template.jinja", "README.md", "LICENSE", "modules.json", "1_Pooling/config.json",
		"pytorch_model-00001-of-00002.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack",
		"onnx/model.onnx", "onnx/config.json", "model.gguf", "original/consolidated.00.pth", "original/params.json",
		"openvino/openvino_model.xml", "rust_model.ot", "training_args.bin",
	} {
		info.Files = append(info.Files, RepoFile{Path: p, Size: 1})
	}
	got, err := Selection{}.Select(info, "org/m")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range got {
		names = append(names, f.Path)
	}
	want := "config.json generation_config.json model-00001-of-00002.safetensors model-00002-of-00002.safetensors " +
		"model.safetensors.index.json tokenizer.json tokenizer_config.json tokenizer.model special_tokens_map.json " +
		"chat_template.jinja README.md LICENSE modules.json 1_Pooling/config.json"
	if strings.Join(names, " ") != want {
		t.Errorf("default selection\n got %s\nwant %s", strings.Join(names, " "), want)
	}
	if _, err := (Selection{Include: []string{strings.Repeat("*", maxGlobLen+1)}}).Select(info, "org/m"); err == nil || !strings.Contains(err.Error(), "--include") {
		t.Errorf("bad pattern: %v", err)
	}
}
