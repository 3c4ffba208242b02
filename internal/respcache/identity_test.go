package respcache

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// modelFolder writes a minimal model folder and returns it.
func modelFolder(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// safetensors builds a file with the given header and data bytes.
func safetensors(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

func baseFiles() map[string][]byte {
	return map[string][]byte{
		"config.json":              []byte(`{"model_type":"llama"}`),
		"tokenizer.json":           []byte(`{"model":{}}`),
		"model.safetensors":        safetensors(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{1, 2, 3, 4}),
		"1_Pooling/config.json":    []byte(`{"pooling_mode_mean_tokens":true}`),
		".cache/huggingface/x.txt": []byte("hidden"),
	}
}

func identityOf(t *testing.T, files map[string][]byte, commit string, overrides string) string {
	t.Helper()
	id, err := ModelIdentity(modelFolder(t, files), commit, []byte(overrides))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestModelIdentity(t *testing.T) {
	base := identityOf(t, baseFiles(), "", "")
	if again := identityOf(t, baseFiles(), "", ""); again != base {
		t.Fatal("the same content in another folder has another identity")
	}
	same := map[string]func(map[string][]byte){
		"weight data rewritten with the same header": func(f map[string][]byte) {
			f["model.safetensors"] = safetensors(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{9, 9, 9, 9})
		},
		"hidden file changed": func(f map[string][]byte) { f[".cache/huggingface/x.txt"] = []byte("other") },
	}
	for name, change := range same {
		f := baseFiles()
		change(f)
		if id := identityOf(t, f, "", ""); id != base {
			t.Errorf("%s: identity changed", name)
		}
	}
	differ := map[string]func(map[string][]byte){
		"config.json": func(f map[string][]byte) { f["config.json"] = []byte(`{"model_type":"llama" }`) },
		"tokenizer":   func(f map[string][]byte) { f["tokenizer.json"] = []byte(`{"model":{"x":1}}`) },
		"safetensors header": func(f map[string][]byte) {
			f["model.safetensors"] = safetensors(`{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, []byte{1, 2, 3, 4})
		},
		"pooling config":      func(f map[string][]byte) { f["1_Pooling/config.json"] = []byte(`{"pooling_mode_cls_token":true}`) },
		"a new template file": func(f map[string][]byte) { f["chat_template.jinja"] = []byte("{{ messages }}") },
		"a file renamed":      func(f map[string][]byte) { f["tokenizer2.json"] = f["tokenizer.json"]; delete(f, "tokenizer.json") },
		"weights of another size": func(f map[string][]byte) {
			f["model.safetensors"] = safetensors(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, []byte{1, 2, 3, 4, 5})
		},
	}
	for name, change := range differ {
		f := baseFiles()
		change(f)
		if id := identityOf(t, f, "", ""); id == base {
			t.Errorf("%s changed, identity did not", name)
		}
	}
	if id := identityOf(t, baseFiles(), "", `{"pooling":"cls"}`); id == base {
		t.Error("overrides did not change the identity")
	}
	c1 := identityOf(t, baseFiles(), "abc123", "")
	if c1 == base || identityOf(t, map[string][]byte{"config.json": []byte("{}")}, "abc123", "") != c1 {
		t.Error("a commit's identity should be the commit's alone")
	}
	if identityOf(t, baseFiles(), "def456", "") == c1 {
		t.Error("two commits share an identity")
	}
}

func TestModelIdentityMissingFolder(t *testing.T) {
	if _, err := ModelIdentity(filepath.Join(t.TempDir(), "nope"), "", nil); err == nil {
		t.Fatal("a missing folder has an identity")
	}
}

func TestModelIdentityFixture(t *testing.T) {
	dir := "../../testdata/models/tiny/llama"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("fixture missing:", err)
	}
	a, err := ModelIdentity(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ModelIdentity(dir, "", nil)
	if err != nil || a != b {
		t.Fatalf("identity not stable: %q %q %v", a, b, err)
	}
}
