package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// configJSON is config.json for p in dtype d, with the fields and values
// the real model's config.json has for its architecture.
func configJSON(p Preset, d DType) map[string]any {
	c := map[string]any{
		"model_type":              string(p.Arch),
		"hidden_size":             p.Hidden,
		"num_hidden_layers":       p.Layers,
		"num_attention_heads":     p.Heads,
		"intermediate_size":       p.FFN,
		"vocab_size":              p.Vocab,
		"max_position_embeddings": p.MaxPositions,
		"initializer_range":       initStd,
		"torch_dtype":             d.torchName(),
		"transformers_version":    "4.51.3",
		"_randmodel":              map[string]any{"preset": p.Name, "shape_of": p.Like},
	}
	switch p.Arch {
	case ArchQwen2, ArchLlama:
		c["num_key_value_heads"] = p.KVHeads
		c["hidden_act"] = "silu"
		c["rms_norm_eps"] = p.NormEps
		c["rope_theta"] = p.RopeTheta
		c["rope_scaling"] = nil
		c["tie_word_embeddings"] = p.Tied
		c["bos_token_id"] = p.BOS
		c["eos_token_id"] = p.EOS
		c["attention_dropout"] = 0.0
		c["use_cache"] = true
		if p.Arch == ArchQwen2 {
			c["architectures"] = []string{"Qwen2ForCausalLM"}
			c["use_sliding_window"] = false
			c["sliding_window"] = p.MaxPositions
			c["max_window_layers"] = p.Layers
		} else {
			c["architectures"] = []string{"LlamaForCausalLM"}
			c["attention_bias"] = false
			c["mlp_bias"] = false
			c["head_dim"] = p.HeadDim()
			c["pretraining_tp"] = 1
		}
	case ArchGPT2:
		// GPT-2 names its dimensions differently; the generic keys above
		// are replaced by its own.
		for _, k := range []string{"hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings"} {
			delete(c, k)
		}
		c["architectures"] = []string{"GPT2LMHeadModel"}
		c["n_embd"], c["n_layer"], c["n_head"] = p.Hidden, p.Layers, p.Heads
		c["n_inner"], c["n_positions"], c["n_ctx"] = nil, p.MaxPositions, p.MaxPositions
		c["activation_function"] = "gelu_new"
		c["layer_norm_epsilon"] = p.NormEps
		c["bos_token_id"], c["eos_token_id"] = p.BOS, p.EOS
		c["scale_attn_weights"] = true
		c["scale_attn_by_inverse_layer_idx"] = false
		c["reorder_and_upcast_attn"] = false
		c["use_cache"] = true
		c["attn_pdrop"], c["embd_pdrop"], c["resid_pdrop"] = 0.1, 0.1, 0.1
		// The sequence-summary head's settings (unused by the LM head,
		// present in every GPT-2 config.json).
		c["summary_activation"], c["summary_first_dropout"], c["summary_type"] = nil, 0.1, "cls_index"
		c["summary_proj_to_labels"], c["summary_use_proj"] = true, true
	case ArchBERT:
		c["architectures"] = []string{"BertModel"}
		c["hidden_act"] = "gelu"
		c["layer_norm_eps"] = p.NormEps
		c["type_vocab_size"] = 2
		c["pad_token_id"] = 0
		c["position_embedding_type"] = "absolute"
		c["hidden_dropout_prob"] = 0.1
		c["attention_probs_dropout_prob"] = 0.1
		c["classifier_dropout"] = nil
		c["use_cache"] = true
	}
	return c
}

// writeJSON writes v, indented, to dir/name.
func writeJSON(dir, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
