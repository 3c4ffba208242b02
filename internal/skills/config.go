package skills

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// modelConfig is what hfserve reads from a config.json: the keys that decide
// the model's skills, and the numeric keys `hfserve show` reports. Keys that
// are absent or null are simply missing; keys with the wrong JSON type are
// errors naming the key.
type modelConfig struct {
	Architectures []string
	ModelType     string
	DType         string   // "dtype" (newer transformers) or "torch_dtype", as written
	NumLabels     int      // as transformers derives it: len(id2label), else num_labels, else 2
	Labels        []string // id2label in id order; nil when absent
	ints          map[string]int
	bools         map[string]bool
}

// intKeys are the numeric config keys hfserve reads, under every name the
// supported families use for them.
var intKeys = [...]string{
	"vocab_size", "hidden_size", "n_embd", "dim", "d_model",
	"num_hidden_layers", "n_layer", "n_layers",
	"num_attention_heads", "n_head", "n_heads", "num_key_value_heads", "head_dim",
	"intermediate_size", "n_inner", "hidden_dim",
	"max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "n_ctx", "max_sequence_length",
	"type_vocab_size", "num_labels",
}

// signedKeys may be negative (-1 means "none" in some configs).
var signedKeys = [...]string{"pad_token_id"}

// boolKeys are the boolean config keys hfserve reads.
var boolKeys = [...]string{"tie_word_embeddings"}

// maxLabels bounds id2label; classifiers have a handful, NER a few dozen.
const maxLabels = 1 << 16

// parseConfig decodes a config.json. It never panics on hostile input.
func parseConfig(data []byte) (*modelConfig, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	if raw == nil {
		return nil, fmt.Errorf("config.json: want a JSON object, got null")
	}
	cfg := &modelConfig{ints: map[string]int{}, bools: map[string]bool{}}
	var err error
	if cfg.Architectures, err = stringList(raw, "architectures"); err != nil {
		return nil, err
	}
	if cfg.ModelType, err = stringKey(raw, "model_type"); err != nil {
		return nil, err
	}
	if cfg.DType, err = stringKey(raw, "dtype"); err != nil {
		return nil, err
	}
	if cfg.DType == "" {
		if cfg.DType, err = stringKey(raw, "torch_dtype"); err != nil {
			return nil, err
		}
	}
	for _, k := range intKeys {
		if err := cfg.readInt(raw, k, 0); err != nil {
			return nil, err
		}
	}
	for _, k := range signedKeys {
		if err := cfg.readInt(raw, k, math.MinInt32); err != nil {
			return nil, err
		}
	}
	for _, k := range boolKeys {
		if err := cfg.readBool(raw, k); err != nil {
			return nil, err
		}
	}
	if cfg.Labels, err = labels(raw); err != nil {
		return nil, err
	}
	cfg.NumLabels = numLabels(cfg)
	if cfg.NumLabels > maxLabels {
		return nil, fmt.Errorf("config.json: \"num_labels\": %d labels (at most %d)", cfg.NumLabels, maxLabels)
	}
	return cfg, nil
}

// numLabels follows transformers' PretrainedConfig: id2label wins, then
// num_labels, then the default of 2.
func numLabels(cfg *modelConfig) int {
	if cfg.Labels != nil {
		return len(cfg.Labels)
	}
	if n, ok := cfg.ints["num_labels"]; ok {
		return n
	}
	return 2
}

// intOr returns the first of keys present in the config, or def.
func (c *modelConfig) intOr(def int, keys ...string) int {
	for _, k := range keys {
		if v, ok := c.ints[k]; ok {
			return v
		}
	}
	return def
}

func (c *modelConfig) readInt(raw map[string]json.RawMessage, key string, min int64) error {
	v, ok, err := number(raw, key)
	if err != nil || !ok {
		return err
	}
	if v != math.Trunc(v) || v < float64(min) || v > math.MaxInt32 {
		return fmt.Errorf("config.json: %q: %v is not a whole number in [%d, %d]", key, v, min, math.MaxInt32)
	}
	c.ints[key] = int(v)
	return nil
}

func (c *modelConfig) readBool(raw map[string]json.RawMessage, key string) error {
	msg, ok := present(raw, key)
	if !ok {
		return nil
	}
	var b bool
	if err := json.Unmarshal(msg, &b); err != nil {
		return fmt.Errorf("config.json: %q: want true or false, got %s", key, clip(msg))
	}
	c.bools[key] = b
	return nil
}

// present returns a key's raw value unless it is absent or null.
func present(raw map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	msg, ok := raw[key]
	if !ok || string(msg) == "null" {
		return nil, false
	}
	return msg, true
}

func number(raw map[string]json.RawMessage, key string) (float64, bool, error) {
	msg, ok := present(raw, key)
	if !ok {
		return 0, false, nil
	}
	var v float64
	if err := json.Unmarshal(msg, &v); err != nil {
		return 0, false, fmt.Errorf("config.json: %q: want a number, got %s", key, clip(msg))
	}
	return v, true, nil
}

func stringKey(raw map[string]json.RawMessage, key string) (string, error) {
	msg, ok := present(raw, key)
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(msg, &s); err != nil {
		return "", fmt.Errorf("config.json: %q: want a string, got %s", key, clip(msg))
	}
	return s, nil
}

func stringList(raw map[string]json.RawMessage, key string) ([]string, error) {
	msg, ok := present(raw, key)
	if !ok {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(msg, &list); err != nil {
		return nil, fmt.Errorf("config.json: %q: want a list of strings, got %s", key, clip(msg))
	}
	return list, nil
}

// labels reads id2label ({"0": "negative", ...}) into a slice indexed by id.
// The ids must be exactly 0..n-1, as transformers writes them.
func labels(raw map[string]json.RawMessage) ([]string, error) {
	msg, ok := present(raw, "id2label")
	if !ok {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal(msg, &m); err != nil {
		return nil, fmt.Errorf("config.json: \"id2label\": want an object of label names, got %s", clip(msg))
	}
	if len(m) > maxLabels {
		return nil, fmt.Errorf("config.json: \"id2label\": %d labels (at most %d)", len(m), maxLabels)
	}
	out := make([]string, len(m))
	seen := make([]bool, len(m))
	for k, v := range m {
		id, err := strconv.Atoi(strings.TrimSpace(k))
		if err != nil || id < 0 || id >= len(m) || seen[id] {
			return nil, fmt.Errorf("config.json: \"id2label\": key %q: the ids of %d labels must be 0..%d", k, len(m), len(m)-1)
		}
		out[id], seen[id] = v, true
	}
	return out, nil
}

// clip shortens a raw JSON value for an error message.
func clip(msg json.RawMessage) string {
	const maxLen = 40
	if len(msg) <= maxLen {
		return string(msg)
	}
	return string(msg[:maxLen]) + "..."
}
