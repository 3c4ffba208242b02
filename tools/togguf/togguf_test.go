package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"hfserve/internal/safetensors"
)

// ggufFile is what the test reader takes back out of a written file.
type ggufFile struct {
	kv      map[string]any
	tensors map[string]ggufTensor
}

type ggufTensor struct {
	dims []uint64
	typ  uint32
	data []byte
}

// readGGUF parses the subset of GGUF that writeGGUF produces, following the
// specification's layout independently of the writer's code.
func readGGUF(t *testing.T, b []byte) *ggufFile {
	t.Helper()
	r := bytes.NewReader(b)
	rd := func(v any) {
		if err := binary.Read(r, binary.LittleEndian, v); err != nil {
			t.Fatalf("gguf: %v", err)
		}
	}
	str := func() string {
		var n uint64
		rd(&n)
		s := make([]byte, n)
		rd(s)
		return string(s)
	}
	var magic [4]byte
	var version uint32
	var nt, nkv uint64
	rd(&magic)
	rd(&version)
	rd(&nt)
	rd(&nkv)
	if string(magic[:]) != "GGUF" || version != 3 {
		t.Fatalf("magic %q version %d", magic, version)
	}
	f := &ggufFile{kv: map[string]any{}, tensors: map[string]ggufTensor{}}
	var value func(typ uint32) any
	value = func(typ uint32) any {
		switch typ {
		case ggufUint32, ggufInt32:
			var v uint32
			rd(&v)
			return v
		case ggufFloat32:
			var v float32
			rd(&v)
			return v
		case ggufBool:
			var v uint8
			rd(&v)
			return v == 1
		case ggufString:
			return str()
		case ggufArray:
			var et uint32
			var n uint64
			rd(&et)
			rd(&n)
			out := make([]any, n)
			for i := range out {
				out[i] = value(et)
			}
			return out
		}
		t.Fatalf("unknown value type %d", typ)
		return nil
	}
	for range nkv {
		k := str()
		var typ uint32
		rd(&typ)
		f.kv[k] = value(typ)
	}
	type info struct {
		name string
		ggufTensor
		off uint64
	}
	var infos []info
	for range nt {
		in := info{name: str()}
		var nd uint32
		rd(&nd)
		in.dims = make([]uint64, nd)
		rd(in.dims)
		rd(&in.typ)
		rd(&in.off)
		infos = append(infos, in)
	}
	pos := uint64(len(b) - r.Len())
	data := (pos + 31) / 32 * 32
	for _, in := range infos {
		if in.off%32 != 0 {
			t.Errorf("%s: offset %d not aligned", in.name, in.off)
		}
		n := uint64(4)
		if in.typ != ggmlF32 {
			n = 2
		}
		for _, d := range in.dims {
			n *= d
		}
		in.data = b[data+in.off : data+in.off+n]
		f.tensors[in.name] = in.ggufTensor
	}
	return f
}

func TestConvertFixtures(t *testing.T) {
	for _, fx := range []string{"qwen2", "llama", "llama-tied"} {
		t.Run(fx, func(t *testing.T) {
			dir := filepath.Join("..", "..", "testdata", "models", "tiny", fx)
			out := filepath.Join(t.TempDir(), "m.gguf")
			if err := Convert(dir, filepath.Join(dir, "tokenizer.json"), out, false); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			g := readGGUF(t, b)
			c, err := readConfig(dir)
			if err != nil {
				t.Fatal(err)
			}
			a := c.ModelType
			for k, want := range map[string]any{
				"general.architecture":                  a,
				a + ".embedding_length":                 uint32(c.Hidden),
				a + ".block_count":                      uint32(c.Layers),
				a + ".feed_forward_length":              uint32(c.FFN),
				a + ".attention.head_count":             uint32(c.Heads),
				a + ".attention.head_count_kv":          uint32(c.KVHeads),
				a + ".rope.freq_base":                   float32(c.RopeTheta),
				a + ".attention.layer_norm_rms_epsilon": float32(c.RMSNormEps),
			} {
				if got := g.kv[k]; got != want {
					t.Errorf("%s = %v (%T), want %v", k, got, got, want)
				}
			}
			if toks, _ := g.kv["tokenizer.ggml.tokens"].([]any); len(toks) != c.Vocab {
				t.Errorf("%d tokens, want vocab_size %d", len(toks), c.Vocab)
			}
			m, err := safetensors.OpenModel(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if len(g.tensors) != len(m.Names()) {
				t.Errorf("%d tensors, want %d", len(g.tensors), len(m.Names()))
			}
			for _, name := range m.Names() {
				src, _ := m.Tensor(name)
				gname, _ := ggufName(name)
				got, ok := g.tensors[gname]
				if !ok {
					t.Errorf("%s (%s) missing", gname, name)
					continue
				}
				rev := slices.Clone(src.Info.Shape)
				slices.Reverse(rev)
				if fmt.Sprint(got.dims) != fmt.Sprint(rev) {
					t.Errorf("%s: dims %v, want %v", gname, got.dims, rev)
				}
				want := src.Data
				if len(src.Info.Shape) == 1 {
					f := make([]float32, src.Info.Shape[0])
					if err := src.ToFloat32(f); err != nil {
						t.Fatal(err)
					}
					want = nil
					for _, x := range f {
						want = binary.LittleEndian.AppendUint32(want, math.Float32bits(x))
					}
				} else if a == "llama" && (slices.Contains([]string{"q_proj", "k_proj"}, projOf(name))) {
					want = unpermuteCheck(t, got.data, src)
				}
				if !bytes.Equal(got.data, want) {
					t.Errorf("%s: data differs from %s", gname, name)
				}
			}
		})
	}
}

// projOf returns "q_proj" for "...self_attn.q_proj.weight" and so on.
func projOf(name string) string {
	for _, p := range []string{"q_proj", "k_proj"} {
		if bytes.Contains([]byte(name), []byte("self_attn."+p+".weight")) {
			return p
		}
	}
	return ""
}

// unpermuteCheck verifies that each row of the written llama q/k matrix is
// some row of the source (a pure permutation) and returns the written data
// when so; the exact order is checked by TestPermuteRoPE.
func unpermuteCheck(t *testing.T, got []byte, src safetensors.Tensor) []byte {
	t.Helper()
	rows := int(src.Info.Shape[0])
	rb := len(src.Data) / rows
	used := make([]bool, rows)
	for r := range rows {
		found := false
		for s := range rows {
			if !used[s] && bytes.Equal(got[r*rb:(r+1)*rb], src.Data[s*rb:(s+1)*rb]) {
				used[s], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("%s: written row %d is no source row", src.Info.Name, r)
			return src.Data
		}
	}
	return got
}

// TestPermuteRoPE checks the row order against llama.cpp's documented
// permutation, reshape(heads, 2, hd/2, in).swapaxes(1, 2), worked out by
// hand for two heads of dimension 4: per head, rows (0, 1, 2, 3) become
// (0, 2, 1, 3).
func TestPermuteRoPE(t *testing.T) {
	data := []byte{0, 1, 2, 3, 4, 5, 6, 7}
	got := permuteRoPE(data, 8, 2)
	want := []byte{0, 2, 1, 3, 4, 6, 5, 7}
	if !bytes.Equal(got, want) {
		t.Errorf("permuteRoPE = %v, want %v", got, want)
	}
}

func TestRejects(t *testing.T) {
	for _, fx := range []string{"bert", "gpt2", "mistral"} {
		dir := filepath.Join("..", "..", "testdata", "models", "tiny", fx)
		if err := Convert(dir, filepath.Join(dir, "tokenizer.json"), filepath.Join(t.TempDir(), "x.gguf"), false); err == nil {
			t.Errorf("%s: converted an unsupported architecture", fx)
		}
	}
}
