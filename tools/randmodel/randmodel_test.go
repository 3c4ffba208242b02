package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/auto"
	"hfserve/internal/safetensors"
	"hfserve/internal/tensor"
	"hfserve/internal/tokenizer"
)

// writeTiny writes preset name in dtype d to a fresh folder.
func writeTiny(t *testing.T, name string, d DType, seed uint64) string {
	t.Helper()
	p, err := findPreset(name, "")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Write(dir, p, d, seed); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestMatchesHuggingFaceLayout compares the tensor names, shapes and dtypes
// and the config keys with checkpoints saved by transformers itself (the
// tiny fixtures, which have the same dimensions as the tiny presets).
func TestMatchesHuggingFaceLayout(t *testing.T) {
	for _, tc := range []struct{ preset, fixture string }{
		{"tiny-qwen2", "qwen2"},
		{"tiny-llama", "llama"},
		{"tiny-bert", "bert"},
		{"tiny-gpt2", "gpt2"},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			ref := filepath.Join("..", "..", "testdata", "models", "tiny", tc.fixture)
			refH, err := safetensors.ReadHeaderFile(filepath.Join(ref, "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			d := DType(refH.Tensors[0].DType)
			dir := writeTiny(t, tc.preset, d, 1)
			gotH, err := safetensors.ReadHeaderFile(filepath.Join(dir, "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gotH.Names(), refH.Names()) {
				t.Fatalf("tensor names differ:\n got %v\nwant %v", gotH.Names(), refH.Names())
			}
			for _, name := range refH.Names() {
				w, _ := refH.Lookup(name)
				g, _ := gotH.Lookup(name)
				if !slices.Equal(g.Shape, w.Shape) || g.DType != w.DType {
					t.Errorf("%s: got %s%v, want %s%v", name, g.DType, g.Shape, w.DType, w.Shape)
				}
			}
			refCfg, gotCfg := readJSON(t, filepath.Join(ref, "config.json")), readJSON(t, filepath.Join(dir, "config.json"))
			for k, v := range refCfg {
				g, ok := gotCfg[k]
				if !ok {
					t.Errorf("config.json lacks %q", k)
					continue
				}
				if k == "torch_dtype" || k == "transformers_version" || k == "bos_token_id" ||
					k == "eos_token_id" || k == "sliding_window" || k == "max_window_layers" ||
					k == "use_sliding_window" || k == "classifier_dropout" || k == "pretraining_tp" {
					continue // values that do not change the computation
				}
				if gj, vj := mustJSON(t, g), mustJSON(t, v); gj != vj {
					t.Errorf("config.json %q = %s, want %s", k, gj, vj)
				}
			}
		})
	}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLoadsAndRuns loads each tiny preset in each dtype with the engine
// and runs one forward pass: the outputs must be finite and not constant.
func TestLoadsAndRuns(t *testing.T) {
	pool := tensor.NewPool(2)
	defer pool.Close()
	for _, name := range []string{"tiny-qwen2", "tiny-llama", "tiny-bert", "tiny-gpt2"} {
		for _, d := range []DType{F32, BF16, F16} {
			t.Run(name+"/"+string(d), func(t *testing.T) {
				dir := writeTiny(t, name, d, 7)
				m, err := auto.Load(context.Background(), dir, models.LoadOptions{Pool: pool})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if got := m.Info().WeightsDType; got != string(d) {
					t.Errorf("WeightsDType = %s, want %s", got, d)
				}
				ids := make([]int32, 16)
				for i := range ids {
					ids[i] = int32(3 + 17*i%m.Info().VocabSize)
				}
				var out []float32
				switch mm := m.(type) {
				case models.Decoder:
					c, err := mm.NewCache(len(ids))
					if err != nil {
						t.Fatal(err)
					}
					out, err = mm.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: ids, Cache: c}}})
					if err != nil {
						t.Fatal(err)
					}
				case models.Encoder:
					o, err := mm.Encode(context.Background(), &models.EncoderBatch{InputIDs: [][]int32{ids}})
					if err != nil {
						t.Fatal(err)
					}
					out = o.Hidden
				default:
					t.Fatalf("model is %T", m)
				}
				checkFiniteVaried(t, out)
			})
		}
	}
}

func checkFiniteVaried(t *testing.T, v []float32) {
	t.Helper()
	if len(v) == 0 {
		t.Fatal("empty output")
	}
	lo, hi := v[0], v[0]
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("output[%d] = %v", i, x)
		}
		lo, hi = min(lo, x), max(hi, x)
	}
	if lo == hi {
		t.Fatalf("output is constant %v", lo)
	}
}

// TestDeterministic: the same seed writes the same bytes, another seed
// other bytes.
func TestDeterministic(t *testing.T) {
	read := func(dir string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := read(writeTiny(t, "tiny-qwen2", BF16, 5)), read(writeTiny(t, "tiny-qwen2", BF16, 5)), read(writeTiny(t, "tiny-qwen2", BF16, 6))
	if !bytes.Equal(a, b) {
		t.Error("same seed wrote different bytes")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds wrote the same bytes")
	}
}

// TestWeightStatistics checks the distribution of each kind of tensor.
func TestWeightStatistics(t *testing.T) {
	dir := writeTiny(t, "tiny-bert", F32, 3)
	m, err := safetensors.OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, tc := range []struct {
		name      string
		mean, std float64
		tol       float64
	}{
		{"embeddings.word_embeddings.weight", 0, initStd, 0.03}, // 25600 draws: ~0.5% sampling error
		{"encoder.layer.0.intermediate.dense.weight", 0, initStd, 0.05},
		{"embeddings.LayerNorm.weight", 1, 0, 1e-9},
		{"encoder.layer.1.output.dense.bias", 0, 0, 1e-9},
	} {
		ten, err := m.Tensor(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ten.Float32s()
		if err != nil {
			t.Fatal(err)
		}
		var s, s2 float64
		for _, x := range v {
			s += float64(x)
		}
		mean := s / float64(len(v))
		for _, x := range v {
			s2 += (float64(x) - mean) * (float64(x) - mean)
		}
		std := math.Sqrt(s2 / float64(len(v)))
		if math.Abs(mean-tc.mean) > tc.tol*max(tc.std, 1e-3)+1e-9 || math.Abs(std-tc.std) > tc.tol*max(tc.std, 1e-9)+1e-9 {
			t.Errorf("%s: mean %g std %g, want %g and %g", tc.name, mean, std, tc.mean, tc.std)
		}
	}
}

// TestNarrowing checks toBF16 and toF16 against the exact widenings in
// internal/safetensors: every 16-bit value survives a round trip, and any
// float32 narrows to the nearer of its two neighbours (ties to even).
func TestNarrowing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		narrow func(float32) uint16
		widen  func([]float32, []byte)
	}{
		{"bf16", toBF16, safetensors.BF16ToF32},
		{"f16", toF16, safetensors.F16ToF32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := func(h uint16) float32 {
				var f [1]float32
				tc.widen(f[:], []byte{byte(h), byte(h >> 8)})
				return f[0]
			}
			for h := range 1 << 16 {
				x := w(uint16(h))
				if math.IsNaN(float64(x)) {
					if !math.IsNaN(float64(w(tc.narrow(x)))) {
						t.Fatalf("NaN %#04x does not stay NaN", h)
					}
					continue
				}
				if got := tc.narrow(x); got != uint16(h) {
					t.Fatalf("narrow(widen(%#04x)) = %#04x", h, got)
				}
			}
			r := rand.New(rand.NewPCG(1, 2))
			for range 200000 {
				x := math.Float32frombits(r.Uint32())
				if math.IsNaN(float64(x)) {
					continue
				}
				h := tc.narrow(x)
				got := float64(w(h))
				if math.IsInf(got, 0) {
					// Overflow: IEEE rounds to infinity from half an ulp
					// above the largest finite value.
					top, prev := math.Abs(float64(w(h-1))), math.Abs(float64(w(h-2)))
					if math.Abs(float64(x)) < top+(top-prev)/2 {
						t.Fatalf("narrow(%g) overflows, but %g is finite", x, top)
					}
					continue
				}
				err := math.Abs(got - float64(x))
				for _, nb := range []uint16{h + 1, h - 1} {
					y := float64(w(nb))
					if math.IsNaN(y) || math.IsInf(y, 0) {
						continue
					}
					if e := math.Abs(y - float64(x)); e < err || (e == err && h&1 == 1) {
						t.Fatalf("narrow(%g) = %g (%#04x), but %g (%#04x) is nearer or an even tie", x, got, h, y, nb)
					}
				}
			}
		})
	}
}

// TestTokenizers loads the stand-in tokenizers with hfserve's tokenizer:
// byte-level text must round-trip, and WordPiece must split into the
// characters of the vocabulary.
func TestTokenizers(t *testing.T) {
	dir := writeTiny(t, "tiny-qwen2", F32, 1)
	tok, err := tokenizer.LoadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	text := "Hello, wörld!\n\t<|endoftext|> 1+1=2"
	enc, err := tok.Encode(text, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(text) - len("<|endoftext|>") + 1; enc.Len() != want {
		t.Errorf("encoded %d tokens, want %d (one per byte plus the special token)", enc.Len(), want)
	}
	if got, err := tok.Decode(enc.IDs, false); err != nil || got != text {
		t.Errorf("round trip = %q, %v; want %q", got, err, text)
	}
	for _, id := range enc.IDs {
		if id < 0 || int(id) >= 512 {
			t.Errorf("id %d outside the vocab", id)
		}
	}

	dir = writeTiny(t, "tiny-bert", F32, 1)
	tok, err = tokenizer.LoadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	enc, err = tok.Encode("Hi there", true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"[CLS]", "h", "##i", "t", "##h", "##e", "##r", "##e", "[SEP]"}
	var got []string
	for _, id := range enc.IDs {
		s, _ := tok.IDToToken(id)
		got = append(got, s)
	}
	if !slices.Equal(got, want) {
		t.Errorf("tokens = %v, want %v", got, want)
	}
}
