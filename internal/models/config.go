package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// maxConfigSize bounds config.json: real ones are a few kilobytes.
const maxConfigSize = 4 << 20

// maxDim bounds every size read from a config so that a hostile file cannot
// make a loader allocate absurd buffers before the weights are checked.
const maxDim = 1 << 24

// MaxLayers bounds a config's layer count: the deepest real models have a
// few hundred, and the bound keeps a hostile config from making a loader
// allocate per-layer bookkeeping before the weights are checked.
const MaxLayers = 4096

// Config is a parsed config.json with typed, validating accessors. Each
// accessor records a problem (a key of the wrong type, a value out of range)
// instead of returning it, so that a loader reads every field and then
// reports every problem at once from Err, each naming its field.
type Config struct {
	raw  map[string]json.RawMessage
	path string // the key path of a nested object, "" at the top
	errs *[]error
}

// ReadConfig reads and parses dir/config.json.
func ReadConfig(dir string) (*Config, error) {
	path := filepath.Join(dir, "config.json")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("models: %s: larger than %d bytes", path, maxConfigSize)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses the bytes of a config.json, which must be a JSON
// object.
func ParseConfig(data []byte) (*Config, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	if raw == nil {
		return nil, errors.New("config.json: want a JSON object, got null")
	}
	if dec.More() {
		return nil, errors.New("config.json: data after the top-level object")
	}
	return &Config{raw: raw, errs: new([]error)}, nil
}

// Err joins every problem recorded so far; nil when there were none.
func (c *Config) Err() error {
	if len(*c.errs) == 0 {
		return nil
	}
	return fmt.Errorf("config.json: %w", errors.Join(*c.errs...))
}

// Failf records a problem with key (a value the architecture does not
// accept, say), wrapping ErrUnsupported.
func (c *Config) Failf(key, format string, args ...any) {
	*c.errs = append(*c.errs, fmt.Errorf("%q: %s: %w", c.name(key), fmt.Sprintf(format, args...), ErrUnsupported))
}

func (c *Config) name(key string) string {
	if c.path == "" {
		return key
	}
	return c.path + "." + key
}

func (c *Config) fail(key string, err error) {
	*c.errs = append(*c.errs, fmt.Errorf("%q: %w", c.name(key), err))
}

// Has reports whether key is present and not null.
func (c *Config) Has(key string) bool {
	v, ok := c.raw[key]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// Float returns key as a number, or def when it is absent or null.
func (c *Config) Float(key string, def float64) float64 {
	if !c.Has(key) {
		return def
	}
	n, ok := number(c.raw[key])
	if !ok {
		c.fail(key, fmt.Errorf("want a number, got %s", clip(c.raw[key])))
		return def
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		c.fail(key, fmt.Errorf("%s is not a finite number", n))
		return def
	}
	return f
}

// Int returns key as a whole number in [lo, hi], or def when it is absent
// or null. Integral floats (4096.0) are accepted, as Python writes them.
func (c *Config) Int(key string, def, lo, hi int) int {
	if !c.Has(key) {
		return def
	}
	f := c.Float(key, math.NaN())
	if math.IsNaN(f) {
		return def
	}
	if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		c.fail(key, fmt.Errorf("%v is not a whole number in [%d, %d]", f, lo, hi))
		return def
	}
	return int(f)
}

// Dim returns a required positive size (hidden_size, num_heads, ...),
// recording an error when it is missing.
func (c *Config) Dim(key string) int {
	if !c.Has(key) {
		c.fail(key, errors.New("missing"))
		return 0
	}
	return c.Int(key, 0, 1, maxDim)
}

// Layers returns a required layer count in [1, MaxLayers].
func (c *Config) Layers(key string) int {
	if !c.Has(key) {
		c.fail(key, errors.New("missing"))
		return 0
	}
	return c.Int(key, 0, 1, MaxLayers)
}

// DimOr returns an optional positive size, or def when absent or null.
func (c *Config) DimOr(key string, def int) int { return c.Int(key, def, 1, maxDim) }

// Bool returns key as a boolean, or def when it is absent or null.
func (c *Config) Bool(key string, def bool) bool {
	if !c.Has(key) {
		return def
	}
	var b bool
	if err := json.Unmarshal(c.raw[key], &b); err != nil {
		c.fail(key, fmt.Errorf("want true or false, got %s", clip(c.raw[key])))
		return def
	}
	return b
}

// String returns key as a string, or def when it is absent or null.
func (c *Config) String(key, def string) string {
	if !c.Has(key) {
		return def
	}
	var s string
	if err := json.Unmarshal(c.raw[key], &s); err != nil {
		c.fail(key, fmt.Errorf("want a string, got %s", clip(c.raw[key])))
		return def
	}
	return s
}

// Strings returns key as a list of strings; nil when absent or null.
func (c *Config) Strings(key string) []string {
	if !c.Has(key) {
		return nil
	}
	var s []string
	if err := json.Unmarshal(c.raw[key], &s); err != nil {
		c.fail(key, fmt.Errorf("want a list of strings, got %s", clip(c.raw[key])))
		return nil
	}
	return s
}

// TokenIDs returns key as token ids: one number or a list of them (as
// eos_token_id may be); nil when absent or null.
func (c *Config) TokenIDs(key string) []int {
	if !c.Has(key) {
		return nil
	}
	if _, ok := number(c.raw[key]); ok {
		if id := c.Int(key, -1, math.MinInt32, math.MaxInt32); id >= 0 {
			return []int{id}
		}
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(c.raw[key], &list); err != nil {
		c.fail(key, fmt.Errorf("want a token id or a list of them, got %s", clip(c.raw[key])))
		return nil
	}
	ids := make([]int, 0, len(list))
	for _, raw := range list {
		n, ok := number(raw)
		id, err := strconv.ParseInt(string(n), 10, 32)
		if !ok || err != nil || id < 0 {
			c.fail(key, fmt.Errorf("%s is not a token id", clip(raw)))
			return nil
		}
		ids = append(ids, int(id))
	}
	return ids
}

// TokenID returns a single token id (pad_token_id, bos_token_id), or -1
// when it is absent, null or negative (some configs write -1 for none).
func (c *Config) TokenID(key string) int {
	return c.Int(key, -1, math.MinInt32, math.MaxInt32)
}

// Object returns the nested object key (rope_scaling, say) sharing this
// config's error list; nil when absent or null.
func (c *Config) Object(key string) *Config {
	if !c.Has(key) {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(c.raw[key], &raw); err != nil {
		c.fail(key, fmt.Errorf("want an object, got %s", clip(c.raw[key])))
		return nil
	}
	return &Config{raw: raw, path: c.name(key), errs: c.errs}
}

// Labels returns id2label in id order (nil when absent). The ids must be
// exactly 0..n-1, as transformers writes them.
func (c *Config) Labels() []string {
	if !c.Has("id2label") {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(c.raw["id2label"], &m); err != nil {
		c.fail("id2label", fmt.Errorf("want an object of id to name, got %s", clip(c.raw["id2label"])))
		return nil
	}
	labels := make([]string, len(m))
	ids := make([]int, 0, len(m))
	for k, name := range m {
		id, err := strconv.Atoi(k)
		if err != nil || id < 0 || id >= len(m) {
			c.fail("id2label", fmt.Errorf("key %q is not an id in [0, %d)", k, len(m)))
			return nil
		}
		labels[id] = name
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for i, id := range ids {
		if i != id {
			c.fail("id2label", fmt.Errorf("ids are not 0..%d", len(m)-1))
			return nil
		}
	}
	return labels
}

// LabelNames returns id2label in id order or, without it, transformers'
// default names LABEL_0..LABEL_{num_labels-1} (num_labels defaults to 2).
func (c *Config) LabelNames() []string {
	if c.Has("id2label") {
		return c.Labels()
	}
	n := c.Int("num_labels", 2, 1, 1<<16)
	names := make([]string, n)
	for i := range names {
		names[i] = "LABEL_" + strconv.Itoa(i)
	}
	return names
}

// number returns raw as a JSON number; ok is false for anything else,
// including a string that spells a number (json.Number would accept it).
func number(raw json.RawMessage) (json.Number, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return "", false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return "", false
	}
	return n, true
}

// clip shortens a raw JSON value for an error message.
func clip(v json.RawMessage) string {
	const limit = 40
	if len(v) > limit {
		return string(v[:limit]) + "..."
	}
	return string(v)
}
