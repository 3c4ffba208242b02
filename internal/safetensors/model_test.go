package safetensors

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeIndex writes a model.safetensors.index.json the way transformers
// does, with encoding/json.
func writeIndex(t *testing.T, dir string, weightMap map[string]string) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 123}, "weight_map": weightMap})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, IndexFileName, b)
}

// shardedDir writes a two-shard model: a and b in the first shard, c (BF16)
// in the second.
func shardedDir(t *testing.T) string {
	dir := t.TempDir()
	writeFile(t, dir, "model-00001-of-00002.safetensors", buildFile(t, map[string]string{"format": "pt"}, 0,
		f32Spec("a", []int64{2, 3}, 1, 2, 3, 4, 5, 6),
		f32Spec("b", []int64{1}, -1),
	))
	writeFile(t, dir, "model-00002-of-00002.safetensors", buildFile(t, nil, 0,
		spec{name: "c", dtype: BF16, shape: []int64{2}, data: []byte{0x80, 0x3f, 0x00, 0xc0}}, // 1, -2
	))
	writeIndex(t, dir, map[string]string{
		"a": "model-00001-of-00002.safetensors",
		"b": "model-00001-of-00002.safetensors",
		"c": "model-00002-of-00002.safetensors",
	})
	return dir
}

func TestOpenModelSharded(t *testing.T) {
	dir := shardedDir(t)
	m, err := OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Names(); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("Names = %v", got)
	}
	if len(m.Files()) != 2 || m.Dir() != dir {
		t.Errorf("%d files, dir %q", len(m.Files()), m.Dir())
	}
	info, ok := m.Lookup("a")
	if !ok || !reflect.DeepEqual(info.Shape, []int64{2, 3}) || info.DType != F32 {
		t.Errorf("Lookup(a) = %+v, %v", info, ok)
	}
	if _, ok := m.Lookup("zz"); ok {
		t.Error("Lookup(zz) succeeded")
	}
	a, err := m.Tensor("a")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := a.Float32s(); err != nil || !equalF32(v, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("a = %v, %v", v, err)
	}
	c, err := m.Tensor("c")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 2)
	if err := c.ToFloat32(got); err != nil || !equalF32(got, []float32{1, -2}) {
		t.Errorf("c = %v, %v", got, err)
	}
	if _, err := m.Tensor("zz"); !errors.Is(err, ErrTensorNotFound) {
		t.Errorf("Tensor(zz): %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := m.Tensor("a"); !errors.Is(err, ErrClosed) {
		t.Errorf("Tensor after Close: %v", err)
	}

	mf, err := ReadModelHeaders(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !mf.Sharded || len(mf.Files) != 2 {
		t.Fatalf("ModelFiles = %+v", mf)
	}
	if n := mf.ParamCount(); n != 6+1+2 {
		t.Errorf("ParamCount = %d, want 9", n)
	}
	if d := mf.DTypeCounts(); !reflect.DeepEqual(d, map[DType]int64{F32: 7, BF16: 2}) {
		t.Errorf("DTypeCounts = %v", d)
	}
	var size int64
	for _, f := range mf.Files {
		st, err := os.Stat(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		size += st.Size()
		if st.Size() != f.Size {
			t.Errorf("%s: Size %d, stat says %d", f.Path, f.Size, st.Size())
		}
	}
	if mf.TotalBytes() != size {
		t.Errorf("TotalBytes = %d, want %d", mf.TotalBytes(), size)
	}
	if mf.TensorBytes() != 7*4+2*2 {
		t.Errorf("TensorBytes = %d, want 32", mf.TensorBytes())
	}
}

func TestOpenModelLayouts(t *testing.T) {
	one := buildFile(t, nil, 0, f32Spec("x", []int64{1}, 7))
	other := buildFile(t, nil, 0, f32Spec("y", []int64{1}, 8))
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string // names in the model
	}{
		{"single file", func(t *testing.T, dir string) { writeFile(t, dir, SingleFileName, one) }, []string{"x"}},
		{"single file wins over index", func(t *testing.T, dir string) {
			writeFile(t, dir, SingleFileName, one)
			writeFile(t, dir, "s.safetensors", other)
			writeIndex(t, dir, map[string]string{"y": "s.safetensors"})
		}, []string{"x"}},
		{"lone file of another name", func(t *testing.T, dir string) { writeFile(t, dir, "weights.safetensors", other) }, []string{"y"}},
		{"shard in a subfolder", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, "sub/s.safetensors", other)
			writeIndex(t, dir, map[string]string{"y": "sub/s.safetensors"})
		}, []string{"y"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(t, dir)
			m, err := OpenModel(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if !reflect.DeepEqual(m.Names(), c.want) {
				t.Errorf("Names = %v, want %v", m.Names(), c.want)
			}
			mf, err := ReadModelHeaders(dir)
			if err != nil {
				t.Fatal(err)
			}
			if mf.ParamCount() != 1 {
				t.Errorf("ParamCount = %d", mf.ParamCount())
			}
		})
	}
}

func TestOpenModelRejects(t *testing.T) {
	good := buildFile(t, nil, 0, f32Spec("x", []int64{1}, 7))
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string
		is    error
	}{
		{"empty folder", func(*testing.T, string) {}, []string{SingleFileName, IndexFileName, "*.safetensors"}, ErrNoWeights},
		{"two lone files", func(t *testing.T, dir string) {
			writeFile(t, dir, "a.safetensors", good)
			writeFile(t, dir, "b.safetensors", good)
		}, []string{"a.safetensors, b.safetensors", "cannot tell"}, nil},
		{"missing shard", func(t *testing.T, dir string) {
			writeIndex(t, dir, map[string]string{"x": "gone.safetensors"})
		}, []string{IndexFileName, `tensor "x"`, "gone.safetensors", "no such file"}, os.ErrNotExist},
		{"tensor not in its shard", func(t *testing.T, dir string) {
			writeFile(t, dir, "s1.safetensors", good)
			writeIndex(t, dir, map[string]string{"x": "s1.safetensors", "w": "s1.safetensors"})
		}, []string{`tensor "w"`, "s1.safetensors", "no such tensor"}, nil},
		{"tensor in the other shard", func(t *testing.T, dir string) {
			writeFile(t, dir, "s1.safetensors", good)
			writeFile(t, dir, "s2.safetensors", buildFile(t, nil, 0, f32Spec("y", []int64{1}, 1)))
			writeIndex(t, dir, map[string]string{"x": "s2.safetensors", "y": "s2.safetensors"})
		}, []string{`tensor "x"`, "s2.safetensors"}, nil},
		{"shard escapes folder", func(t *testing.T, dir string) {
			writeIndex(t, dir, map[string]string{"x": "../x.safetensors"})
		}, []string{`tensor "x"`, "not a file name inside"}, nil},
		{"absolute shard path", func(t *testing.T, dir string) {
			writeIndex(t, dir, map[string]string{"x": "/etc/passwd"})
		}, []string{"not a file name inside"}, nil},
		{"shard is a folder", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "s.safetensors"), 0o755); err != nil {
				t.Fatal(err)
			}
			writeIndex(t, dir, map[string]string{"x": "s.safetensors"})
		}, []string{"not a regular file"}, nil},
		{"broken shard", func(t *testing.T, dir string) {
			writeFile(t, dir, "s.safetensors", []byte("garbage!garbage!"))
			writeIndex(t, dir, map[string]string{"x": "s.safetensors"})
		}, []string{"s.safetensors", "header length"}, nil},
		{"broken single file", func(t *testing.T, dir string) {
			writeFile(t, dir, SingleFileName, good[:len(good)-1])
		}, []string{SingleFileName, `tensor "x"`}, nil},
		{"index not json", func(t *testing.T, dir string) { writeFile(t, dir, IndexFileName, []byte("{")) }, []string{IndexFileName}, nil},
		{"index without weight_map", func(t *testing.T, dir string) {
			writeFile(t, dir, IndexFileName, []byte(`{"metadata": {"total_size": 4}}`))
		}, []string{IndexFileName, `no "weight_map"`}, nil},
		{"empty weight_map", func(t *testing.T, dir string) { writeIndex(t, dir, map[string]string{}) }, []string{"weight_map is empty"}, ErrNoWeights},
		{"weight_map not object", func(t *testing.T, dir string) {
			writeFile(t, dir, IndexFileName, []byte(`{"weight_map": ["x"]}`))
		}, []string{"weight_map", "want an object of strings"}, nil},
		{"weight_map number value", func(t *testing.T, dir string) {
			writeFile(t, dir, IndexFileName, []byte(`{"weight_map": {"x": 1}}`))
		}, []string{`key "x"`, "want a string"}, nil},
		{"weight_map duplicate", func(t *testing.T, dir string) {
			writeFile(t, dir, "s1.safetensors", good)
			writeFile(t, dir, IndexFileName, []byte(`{"weight_map": {"x": "s1.safetensors", "x": "s2.safetensors"}}`))
		}, []string{`duplicate key "x"`}, nil},
		{"duplicate weight_map", func(t *testing.T, dir string) {
			writeFile(t, dir, IndexFileName, []byte(`{"weight_map": {}, "weight_map": {}}`))
		}, []string{`duplicate key "weight_map"`}, nil},
		{"index trailing garbage", func(t *testing.T, dir string) {
			writeFile(t, dir, IndexFileName, []byte(`{"weight_map": {"x": "s"}} !`))
		}, []string{IndexFileName, "after the object"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(t, dir)
			for fn, open := range map[string]func(string) error{
				"OpenModel":        func(d string) error { m, err := OpenModel(d); closeIf(m); return err },
				"ReadModelHeaders": func(d string) error { _, err := ReadModelHeaders(d); return err },
			} {
				err := open(dir)
				if err == nil {
					t.Fatalf("%s succeeded", fn)
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: error %q does not mention %q", fn, err, w)
					}
				}
				if c.is != nil && !errors.Is(err, c.is) {
					t.Errorf("%s: error %q is not %v", fn, err, c.is)
				}
			}
		})
	}

	t.Run("not a folder", func(t *testing.T) {
		p := writeFile(t, t.TempDir(), SingleFileName, good)
		if _, err := OpenModel(p); err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("missing folder", func(t *testing.T) {
		if _, err := OpenModel(filepath.Join(t.TempDir(), "nope")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v", err)
		}
	})
}

func closeIf(m *Model) {
	if m != nil {
		m.Close()
	}
}

// TestFixtureModels opens every tiny fixture folder as a model and checks
// the header totals against sums over an independent parse.
func TestFixtureModels(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/models/tiny/*/" + SingleFileName)
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		dir := filepath.Dir(f)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			ref, _ := refRead(t, filepath.Join(dir, SingleFileName))
			var params int64
			counts := map[DType]int64{}
			for _, e := range ref {
				n := int64(1)
				for _, d := range e.Shape {
					n *= d
				}
				params += n
				counts[DType(e.DType)] += n
			}
			mf, err := ReadModelHeaders(dir)
			if err != nil {
				t.Fatal(err)
			}
			if mf.ParamCount() != params || !reflect.DeepEqual(mf.DTypeCounts(), counts) {
				t.Errorf("ParamCount %d, DTypeCounts %v; reference %d, %v", mf.ParamCount(), mf.DTypeCounts(), params, counts)
			}
			m, err := OpenModel(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if len(m.Names()) != len(ref) {
				t.Errorf("%d names, reference %d", len(m.Names()), len(ref))
			}
		})
	}
}

// TestLlamaParamCountFromConfig derives the llama fixture's parameter count
// from its config.json with the Llama architecture's formula, a reference
// that shares nothing with the safetensors header.
func TestLlamaParamCountFromConfig(t *testing.T) {
	const dir = "../../testdata/models/tiny/llama"
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Vocab    int64 `json:"vocab_size"`
		Hidden   int64 `json:"hidden_size"`
		Inter    int64 `json:"intermediate_size"`
		Layers   int64 `json:"num_hidden_layers"`
		Heads    int64 `json:"num_attention_heads"`
		KVHeads  int64 `json:"num_key_value_heads"`
		HeadDim  int64 `json:"head_dim"`
		Tied     bool  `json:"tie_word_embeddings"`
		AttnBias bool  `json:"attention_bias"`
		MLPBias  bool  `json:"mlp_bias"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.HeadDim == 0 {
		cfg.HeadDim = cfg.Hidden / cfg.Heads
	}
	if cfg.AttnBias || cfg.MLPBias {
		t.Skip("formula below assumes no biases")
	}
	h, q, kv := cfg.Hidden, cfg.Heads*cfg.HeadDim, cfg.KVHeads*cfg.HeadDim
	perLayer := h*q + 2*h*kv + q*h + // q, k, v, o projections
		3*h*cfg.Inter + // gate, up, down
		2*h // two RMSNorm weights
	want := cfg.Vocab*h + cfg.Layers*perLayer + h // embeddings, layers, final norm
	if !cfg.Tied {
		want += cfg.Vocab * h // separate lm_head
	}
	mf, err := ReadModelHeaders(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := mf.ParamCount(); got != want {
		t.Errorf("ParamCount = %d, config.json implies %d", got, want)
	}
	if got := mf.DTypeCounts(); len(got) != 1 || got[F32] != want {
		t.Errorf("DTypeCounts = %v, want all %d in F32", got, want)
	}
}
