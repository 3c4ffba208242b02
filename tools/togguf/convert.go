package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"hfserve/internal/safetensors"
)

// hfConfig holds the config.json fields the conversion needs.
type hfConfig struct {
	ModelType     string   `json:"model_type"`
	Hidden        int      `json:"hidden_size"`
	Layers        int      `json:"num_hidden_layers"`
	Heads         int      `json:"num_attention_heads"`
	KVHeads       int      `json:"num_key_value_heads"`
	HeadDim       int      `json:"head_dim"`
	FFN           int      `json:"intermediate_size"`
	Vocab         int      `json:"vocab_size"`
	MaxPositions  int      `json:"max_position_embeddings"`
	RopeTheta     float64  `json:"rope_theta"`
	RMSNormEps    float64  `json:"rms_norm_eps"`
	Tied          bool     `json:"tie_word_embeddings"`
	BOS           *int     `json:"bos_token_id"`
	EOS           any      `json:"eos_token_id"`
	RopeScaling   any      `json:"rope_scaling"`
	Architectures []string `json:"architectures"`
}

// readConfig reads and checks dir/config.json.
func readConfig(dir string) (*hfConfig, error) {
	path := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &hfConfig{RopeTheta: 10000, RMSNormEps: 1e-6}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if c.ModelType != "qwen2" && c.ModelType != "llama" {
		return nil, fmt.Errorf("%s: model_type %q: only qwen2 and llama are supported", path, c.ModelType)
	}
	if c.RopeScaling != nil {
		return nil, fmt.Errorf("%s: rope_scaling is not supported", path)
	}
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.Vocab <= 0 || c.Layers <= 0 || c.FFN <= 0 || c.MaxPositions <= 0 || c.KVHeads < 0 {
		return nil, fmt.Errorf("%s: vocab_size, num_hidden_layers, intermediate_size, max_position_embeddings and num_key_value_heads must be positive", path)
	}
	if c.Hidden <= 0 || c.Heads <= 0 || c.Hidden%c.Heads != 0 || c.Heads%c.KVHeads != 0 {
		return nil, fmt.Errorf("%s: inconsistent hidden_size %d / heads %d / kv heads %d", path, c.Hidden, c.Heads, c.KVHeads)
	}
	if c.HeadDim != 0 && c.HeadDim != c.Hidden/c.Heads {
		return nil, fmt.Errorf("%s: head_dim %d != hidden_size/heads is not supported", path, c.HeadDim)
	}
	c.HeadDim = c.Hidden / c.Heads
	return c, nil
}

// eosID is the first of config.json's eos_token_id (a number or a list).
func (c *hfConfig) eosID() (int, bool) {
	switch v := c.EOS.(type) {
	case float64:
		return int(v), true
	case []any:
		if len(v) > 0 {
			if f, ok := v[0].(float64); ok {
				return int(f), true
			}
		}
	}
	return 0, false
}

// vocabulary is tokenizer.json's BPE model, laid out by id.
type vocabulary struct {
	tokens []string
	types  []int32
	merges []string
}

// llama.cpp token types.
const (
	tokNormal  = 1
	tokControl = 3
	tokUnused  = 5
)

// readVocab reads a BPE tokenizer.json (or .json.gz) and pads it to n ids.
func readVocab(path string, n int) (*vocabulary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		r = gz
	}
	var tj struct {
		Model struct {
			Type   string            `json:"type"`
			Vocab  map[string]int    `json:"vocab"`
			Merges []json.RawMessage `json:"merges"`
		} `json:"model"`
		Added []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
	}
	if err := json.NewDecoder(r).Decode(&tj); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if tj.Model.Type != "BPE" {
		return nil, fmt.Errorf("%s: tokenizer model %q: only BPE is supported", path, tj.Model.Type)
	}
	v := &vocabulary{tokens: make([]string, n), types: make([]int32, n)}
	set := func(id int, s string, typ int32) error {
		if id < 0 || id >= n {
			return fmt.Errorf("%s: token %q has id %d outside vocab_size %d", path, s, id, n)
		}
		v.tokens[id], v.types[id] = s, typ
		return nil
	}
	for s, id := range tj.Model.Vocab {
		if err := set(id, s, tokNormal); err != nil {
			return nil, err
		}
	}
	for _, a := range tj.Added {
		typ := int32(tokNormal)
		if a.Special {
			typ = tokControl
		}
		if err := set(a.ID, a.Content, typ); err != nil {
			return nil, err
		}
	}
	for id := range v.tokens {
		if v.types[id] == 0 {
			v.tokens[id], v.types[id] = fmt.Sprintf("[PAD%d]", id), tokUnused
		}
	}
	for i, m := range tj.Model.Merges {
		var s string
		var pair []string
		switch {
		case json.Unmarshal(m, &s) == nil:
		case json.Unmarshal(m, &pair) == nil && len(pair) == 2:
			s = pair[0] + " " + pair[1]
		default:
			return nil, fmt.Errorf("%s: merge %d is neither \"a b\" nor [a, b]", path, i)
		}
		v.merges = append(v.merges, s)
	}
	return v, nil
}

// fileType is general.file_type for the matrices' dtype.
func fileType(d safetensors.DType) uint32 {
	switch d {
	case safetensors.BF16:
		return 32
	case safetensors.F16:
		return 1
	}
	return 0
}

// metadata is the GGUF key-value section for c and v.
func metadata(c *hfConfig, v *vocabulary, d safetensors.DType, name string) []kv {
	a := c.ModelType
	pre := "default"
	if a == "qwen2" {
		pre = "qwen2"
	}
	kvs := []kv{
		{"general.architecture", a},
		{"general.name", name},
		{"general.file_type", fileType(d)},
		{"general.alignment", uint32(ggufAlignment)},
		{a + ".vocab_size", uint32(c.Vocab)},
		{a + ".context_length", uint32(c.MaxPositions)},
		{a + ".embedding_length", uint32(c.Hidden)},
		{a + ".block_count", uint32(c.Layers)},
		{a + ".feed_forward_length", uint32(c.FFN)},
		{a + ".attention.head_count", uint32(c.Heads)},
		{a + ".attention.head_count_kv", uint32(c.KVHeads)},
		{a + ".rope.dimension_count", uint32(c.HeadDim)},
		{a + ".rope.freq_base", float32(c.RopeTheta)},
		{a + ".attention.layer_norm_rms_epsilon", float32(c.RMSNormEps)},
		{"tokenizer.ggml.model", "gpt2"},
		{"tokenizer.ggml.pre", pre},
		{"tokenizer.ggml.tokens", v.tokens},
		{"tokenizer.ggml.token_type", v.types},
		{"tokenizer.ggml.merges", append([]string{}, v.merges...)},
		{"tokenizer.ggml.add_bos_token", false},
	}
	if c.BOS != nil {
		kvs = append(kvs, kv{"tokenizer.ggml.bos_token_id", uint32(*c.BOS)})
	}
	if eos, ok := c.eosID(); ok {
		kvs = append(kvs, kv{"tokenizer.ggml.eos_token_id", uint32(eos)})
	}
	return kvs
}

// ggufName maps a Hugging Face tensor name to llama.cpp's.
func ggufName(hf string) (string, bool) {
	switch hf {
	case "model.embed_tokens.weight":
		return "token_embd.weight", true
	case "model.norm.weight":
		return "output_norm.weight", true
	case "lm_head.weight":
		return "output.weight", true
	}
	var layer int
	var rest string
	if n, _ := fmt.Sscanf(hf, "model.layers.%d.%s", &layer, &rest); n != 2 {
		return "", false
	}
	parts := map[string]string{
		"input_layernorm.weight":          "attn_norm.weight",
		"post_attention_layernorm.weight": "ffn_norm.weight",
		"self_attn.q_proj.weight":         "attn_q.weight",
		"self_attn.q_proj.bias":           "attn_q.bias",
		"self_attn.k_proj.weight":         "attn_k.weight",
		"self_attn.k_proj.bias":           "attn_k.bias",
		"self_attn.v_proj.weight":         "attn_v.weight",
		"self_attn.v_proj.bias":           "attn_v.bias",
		"self_attn.o_proj.weight":         "attn_output.weight",
		"mlp.gate_proj.weight":            "ffn_gate.weight",
		"mlp.up_proj.weight":              "ffn_up.weight",
		"mlp.down_proj.weight":            "ffn_down.weight",
	}
	p, ok := parts[rest]
	if !ok {
		return "", false
	}
	return fmt.Sprintf("blk.%d.%s", layer, p), true
}
