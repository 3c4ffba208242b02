package auto

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
)

const tiny = "../../../testdata/models/tiny/"

// fixtures lists every model folder with its kind.
var fixtures = []struct {
	dir     string
	decoder bool
}{
	{tiny + "llama", true}, {tiny + "llama-tied", true}, {tiny + "mistral", true},
	{tiny + "qwen2", true}, {tiny + "qwen3", true}, {tiny + "gpt2", true},
	{"../../../testdata/models/stories260K", true},
	{tiny + "bert", false}, {tiny + "bert-cls", false}, {tiny + "roberta", false},
	{tiny + "xlm-roberta", false}, {tiny + "distilbert", false},
}

func mustLoad(t *testing.T, dir string) models.Model {
	t.Helper()
	m, err := Load(context.Background(), goldentest.ModelDir(t, dir), models.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// TestLoadPicksFamily loads every fixture and checks the result's kind and
// that it reproduces the golden outputs through the interfaces.
func TestLoadPicksFamily(t *testing.T) {
	for _, f := range fixtures {
		t.Run(filepath.Base(f.dir), func(t *testing.T) {
			m := mustLoad(t, f.dir)
			g := goldentest.Read(t, f.dir)
			switch mm := m.(type) {
			case models.Decoder:
				if !f.decoder {
					t.Fatalf("%T is a decoder, want an encoder", m)
				}
				goldentest.Decoder(t, mm, g)
			case models.Encoder:
				if f.decoder {
					t.Fatalf("%T is an encoder, want a decoder", m)
				}
				goldentest.Encoder(t, mm, g)
			default:
				t.Fatalf("%T is neither encoder nor decoder", m)
			}
		})
	}
}

// TestLoadErrors breaks configs and weights and checks that loading fails
// with a message naming the field or tensor.
func TestLoadErrors(t *testing.T) {
	del := func(name string) func(map[string]*goldentest.Entry) {
		return func(e map[string]*goldentest.Entry) { delete(e, name) }
	}
	reshape := func(name string, shape ...int64) func(map[string]*goldentest.Entry) {
		return func(e map[string]*goldentest.Entry) { e[name].Shape = shape }
	}
	set := func(key string, v any) func(map[string]any) {
		return func(c map[string]any) { c[key] = v }
	}
	tests := []struct {
		name    string
		dir     string
		config  func(map[string]any)
		weights func(map[string]*goldentest.Entry)
		want    []string
		is      error
	}{
		{"missing tensor", "llama", nil, del("model.layers.1.mlp.up_proj.weight"),
			[]string{`"model.layers.1.mlp.up_proj.weight"`, "missing"}, nil},
		{"missing untied lm_head", "llama", nil, del("lm_head.weight"), []string{`"lm_head.weight"`, "missing"}, nil},
		{"missing qwen2 bias", "qwen2", nil, del("model.layers.0.self_attn.k_proj.bias"), []string{"k_proj.bias"}, nil},
		{"missing qwen3 q_norm", "qwen3", nil, del("model.layers.0.self_attn.q_norm.weight"), []string{"q_norm.weight"}, nil},
		{"missing gpt2 wpe", "gpt2", nil, del("transformer.wpe.weight"), []string{"transformer.wpe.weight"}, nil},
		{"missing bert classifier", "bert-cls", nil, del("classifier.weight"), []string{`"classifier.weight"`}, nil},
		{"missing distilbert norm", "distilbert", nil, del("transformer.layer.1.sa_layer_norm.bias"), []string{"sa_layer_norm.bias"}, nil},
		{"wrong shape", "llama", nil, reshape("model.layers.0.self_attn.k_proj.weight", 64, 32),
			[]string{`"model.layers.0.self_attn.k_proj.weight"`, "shape [64 32]", "want [32 64]"}, nil},
		{"wrong shape gpt2 conv1d", "gpt2", nil, reshape("transformer.h.0.attn.c_attn.weight", 192, 64),
			[]string{"c_attn.weight", "shape [192 64]"}, nil},
		{"wrong shape encoder", "xlm-roberta", nil, reshape("embeddings.word_embeddings.weight", 600, 32, 2),
			[]string{"word_embeddings.weight", "shape"}, nil},
		{"two problems at once", "llama", nil, func(e map[string]*goldentest.Entry) {
			delete(e, "model.norm.weight")
			e["model.embed_tokens.weight"].Shape = []int64{256, 128}
		}, []string{`"model.norm.weight"`, `"model.embed_tokens.weight"`}, nil},
		{"unsupported dtype", "llama", nil, func(e map[string]*goldentest.Entry) {
			e["model.norm.weight"].DType = "I32"
		}, []string{`"model.norm.weight"`, "I32"}, nil},
		{"unknown model_type", "llama", set("model_type", "falcon"), nil,
			[]string{`model_type "falcon"`, "supported", "qwen3"}, models.ErrUnsupported},
		{"no model_type", "bert", func(c map[string]any) { delete(c, "model_type") }, nil,
			[]string{`model_type ""`}, models.ErrUnsupported},
		{"unknown architecture", "llama", set("architectures", []string{"LlamaForQuestionAnswering"}), nil,
			[]string{"architectures", "LlamaForQuestionAnswering"}, models.ErrUnsupported},
		{"unknown rope_scaling type", "llama", set("rope_scaling", map[string]any{"rope_type": "yarn", "factor": 4.0}), nil,
			[]string{"rope_scaling.rope_type", `"yarn"`}, models.ErrUnsupported},
		{"rope_scaling without factor", "qwen2", set("rope_scaling", map[string]any{"type": "linear"}), nil,
			[]string{"rope_scaling.factor", "missing"}, models.ErrUnsupported},
		{"llama3 rope without its keys", "llama", set("rope_scaling", map[string]any{"rope_type": "llama3", "factor": 8.0}), nil,
			[]string{"low_freq_factor", "original_max_position_embeddings"}, models.ErrUnsupported},
		{"unknown activation", "llama-tied", set("hidden_act", "mish"), nil, []string{"hidden_act", `"mish"`}, models.ErrUnsupported},
		{"unknown gpt2 activation", "gpt2", set("activation_function", "swiglu"), nil, []string{"activation_function"}, models.ErrUnsupported},
		{"bad head grouping", "mistral", set("num_key_value_heads", 3), nil, []string{"num_key_value_heads", "does not divide"}, models.ErrUnsupported},
		{"wrong type", "bert", set("hidden_size", "64"), nil, []string{`"hidden_size"`, "want a number"}, nil},
		{"missing dimension", "qwen3", func(c map[string]any) { delete(c, "num_hidden_layers") }, nil,
			[]string{`"num_hidden_layers"`, "missing"}, nil},
		{"fractional dimension", "gpt2", set("n_embd", 64.5), nil, []string{`"n_embd"`, "whole number"}, nil},
		{"relative positions", "roberta", set("position_embedding_type", "relative_key"), nil,
			[]string{"position_embedding_type"}, models.ErrUnsupported},
		{"partial rotary", "llama", set("partial_rotary_factor", 0.5), nil, []string{"partial_rotary_factor"}, models.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := goldentest.Rewrite(t, tiny+tt.dir, tt.config, tt.weights)
			m, err := Load(context.Background(), dir, models.LoadOptions{})
			if err == nil {
				_ = m.Close()
				t.Fatal("loaded, want an error")
			}
			if m != nil {
				t.Errorf("got a model (%T) with the error", m)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
		})
	}
}

func TestLoadMissingFolder(t *testing.T) {
	if _, err := Load(context.Background(), filepath.Join(t.TempDir(), "nope"), models.LoadOptions{}); err == nil {
		t.Fatal("loaded a folder that does not exist")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, tiny+"llama", models.LoadOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("load with a cancelled context: %v, want context.Canceled", err)
	}
}
