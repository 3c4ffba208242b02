package generate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
)

// maxGenerationConfigSize bounds generation_config.json: real ones are a
// few hundred bytes.
const maxGenerationConfigSize = 1 << 20

// GenerationConfig is what a model folder's generation_config.json says
// about generation. Pointer fields are nil when the file does not set them,
// so a server can tell a default from an explicit value; applying them to
// requests is the server's policy.
type GenerationConfig struct {
	// BOSTokenID and PadTokenID are nil when absent or null.
	BOSTokenID, PadTokenID *int32
	// EOSTokenIDs is eos_token_id, a number or a list.
	EOSTokenIDs []int32
	// DoSample is do_sample: false means greedy decoding.
	DoSample *bool
	// Temperature, TopP, MinP and RepetitionPenalty are the sampling
	// defaults the model's authors suggest.
	Temperature, TopP, MinP, RepetitionPenalty *float64
	// TopK is top_k.
	TopK *int
	// MaxNewTokens and MaxLength bound generation (new tokens; prompt and
	// new tokens together).
	MaxNewTokens, MaxLength *int
}

// LoadGenerationConfig reads dir/generation_config.json. A folder without
// one has an empty config, not an error.
func LoadGenerationConfig(dir string) (*GenerationConfig, error) {
	path := filepath.Join(dir, "generation_config.json")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &GenerationConfig{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxGenerationConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("generate: %s: %w", path, err)
	}
	if len(data) > maxGenerationConfigSize {
		return nil, fmt.Errorf("generate: %s: larger than %d bytes", path, maxGenerationConfigSize)
	}
	g, err := ParseGenerationConfig(data)
	if err != nil {
		return nil, fmt.Errorf("generate: %s: %w", path, err)
	}
	return g, nil
}

// ParseGenerationConfig parses the bytes of a generation_config.json.
// Unknown keys are ignored (the file has dozens transformers uses for beam
// search and the like); known keys of the wrong type are errors naming
// them.
func ParseGenerationConfig(data []byte) (*GenerationConfig, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	g := &GenerationConfig{}
	var errs []error
	field := func(key string, parse func(json.RawMessage) error) {
		v, ok := raw[key]
		if !ok || bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return
		}
		if err := parse(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	field("bos_token_id", func(v json.RawMessage) (err error) { g.BOSTokenID, err = tokenID(v); return })
	field("pad_token_id", func(v json.RawMessage) (err error) { g.PadTokenID, err = tokenID(v); return })
	field("eos_token_id", func(v json.RawMessage) (err error) { g.EOSTokenIDs, err = tokenIDs(v); return })
	field("do_sample", func(v json.RawMessage) error {
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			return fmt.Errorf("want true or false: %w", err)
		}
		g.DoSample = &b
		return nil
	})
	field("temperature", func(v json.RawMessage) (err error) { g.Temperature, err = number(v); return })
	field("top_p", func(v json.RawMessage) (err error) { g.TopP, err = number(v); return })
	field("min_p", func(v json.RawMessage) (err error) { g.MinP, err = number(v); return })
	field("repetition_penalty", func(v json.RawMessage) (err error) { g.RepetitionPenalty, err = number(v); return })
	field("top_k", func(v json.RawMessage) (err error) { g.TopK, err = count(v); return })
	field("max_new_tokens", func(v json.RawMessage) (err error) { g.MaxNewTokens, err = count(v); return })
	field("max_length", func(v json.RawMessage) (err error) { g.MaxLength, err = count(v); return })
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return g, nil
}

// integer parses a JSON number with an integral value (2 or 2.0, as Python
// writes either) in [0, limit].
func integer(v json.RawMessage, limit int64) (int64, error) {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return 0, fmt.Errorf("want a number: %w", err)
	}
	if f != math.Trunc(f) || f < 0 || f > float64(limit) {
		return 0, fmt.Errorf("%v is not an integer in [0, %d]", f, limit)
	}
	return int64(f), nil
}

// tokenID parses one token id.
func tokenID(v json.RawMessage) (*int32, error) {
	n, err := integer(v, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	id := int32(n)
	return &id, nil
}

// tokenIDs parses a token id or a list of them.
func tokenIDs(v json.RawMessage) ([]int32, error) {
	if t := bytes.TrimSpace(v); len(t) > 0 && t[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(t, &items); err != nil {
			return nil, fmt.Errorf("want a token id or a list of them: %w", err)
		}
		ids := make([]int32, 0, len(items))
		for i, item := range items {
			id, err := tokenID(item)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			ids = append(ids, *id)
		}
		return ids, nil
	}
	id, err := tokenID(v)
	if err != nil {
		return nil, err
	}
	return []int32{*id}, nil
}

// number parses a finite JSON number.
func number(v json.RawMessage) (*float64, error) {
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return nil, fmt.Errorf("want a number: %w", err)
	}
	return &f, nil
}

// count parses a non-negative integer.
func count(v json.RawMessage) (*int, error) {
	n, err := integer(v, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	c := int(n)
	return &c, nil
}
