package skills

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseConfigErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, "config.json"},
		{`null`, "null"},
		{`[]`, "config.json"},
		{`{"model_type": "llama",}`, "config.json"},
		{`{"model_type": 7}`, `"model_type": want a string`},
		{`{"architectures": "LlamaForCausalLM"}`, `"architectures": want a list of strings`},
		{`{"architectures": [1]}`, `"architectures"`},
		{`{"torch_dtype": ["float16"]}`, `"torch_dtype"`},
		{`{"dtype": 16}`, `"dtype"`},
		{`{"hidden_size": "64"}`, `"hidden_size": want a number`},
		{`{"hidden_size": 64.5}`, `"hidden_size": 64.5 is not a whole number`},
		{`{"num_hidden_layers": -1}`, `"num_hidden_layers"`},
		{`{"max_position_embeddings": 1e30}`, `"max_position_embeddings"`},
		{`{"pad_token_id": 1e12}`, `"pad_token_id"`},
		{`{"tie_word_embeddings": "yes"}`, `"tie_word_embeddings": want true or false`},
		{`{"id2label": ["a", "b"]}`, `"id2label": want an object`},
		{`{"id2label": {"0": 1}}`, `"id2label"`},
		{`{"id2label": {"a": "x"}}`, `key "a"`},
		{`{"id2label": {"0": "x", "2": "y"}}`, `key "2"`},
		{`{"id2label": {"0": "x", "00": "y"}}`, `"id2label"`},
		{`{"id2label": {"-1": "x"}}`, `key "-1"`},
		{`{"num_labels": 100000000}`, `"num_labels"`},
	}
	for _, tt := range tests {
		_, err := parseConfig([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseConfig(%s) = %v, want an error mentioning %q", tt.in, err, tt.want)
		}
	}
}

func TestParseConfigValues(t *testing.T) {
	cfg, err := parseConfig([]byte(`{
		"architectures": ["BertForSequenceClassification", "Other"], "model_type": "bert",
		"torch_dtype": "float16", "hidden_size": 64.0, "n_inner": null, "pad_token_id": -1,
		"id2label": {"1": "pos", "0": "neg"}, "num_labels": 5, "tie_word_embeddings": false,
		"unknown_key": {"nested": [1, 2, {"x": null}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Architectures[0] != "BertForSequenceClassification" || cfg.ModelType != "bert" || cfg.DType != "float16" {
		t.Errorf("got %+v", cfg)
	}
	if cfg.ints["hidden_size"] != 64 || cfg.ints["pad_token_id"] != -1 {
		t.Errorf("ints %v", cfg.ints)
	}
	if _, ok := cfg.ints["n_inner"]; ok {
		t.Error("null n_inner read as present")
	}
	if tied, ok := cfg.bools["tie_word_embeddings"]; !ok || tied {
		t.Errorf("tie_word_embeddings = %v, %v", tied, ok)
	}
	if !slices.Equal(cfg.Labels, []string{"neg", "pos"}) || cfg.NumLabels != 2 {
		t.Errorf("labels %v, num %d (id2label wins over num_labels)", cfg.Labels, cfg.NumLabels)
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, name := range tinyFixtures {
		if b, err := os.ReadFile(filepath.Join(tinyDir, name, "config.json")); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, `{"id2label": {"0": "a", "1": "b"}}`, `{"id2label": {"99999999999": "a"}}`,
		`{"num_labels": 1, "architectures": ["XForSequenceClassification"], "model_type": "bert"}`,
		`{"hidden_size": 1e308, "n_positions": -0}`, `{"model_type": "llama", "architectures": []}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := parseConfig(data)
		if err != nil {
			return
		}
		for k, v := range cfg.ints {
			if v < 0 && k != "pad_token_id" {
				t.Fatalf("%s = %d accepted", k, v)
			}
		}
		if cfg.NumLabels < 0 || (cfg.Labels != nil && len(cfg.Labels) != cfg.NumLabels) {
			t.Fatalf("labels %v, num %d", cfg.Labels, cfg.NumLabels)
		}
		// Whatever parses must be judged without panicking.
		d := detect(cfg, sentenceTransformers{}, true)
		if d.Supported == (d.Reason != "") || (d.Supported && len(d.Tasks) == 0) {
			t.Fatalf("inconsistent detection %+v", d)
		}
		if d.Supported && (d.Head == HeadSequenceClassification || d.Head == HeadTokenClassification) && len(d.Labels) != d.NumLabels {
			t.Fatalf("labels %v for %d labels", d.Labels, d.NumLabels)
		}
	})
}
