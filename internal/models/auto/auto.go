// Package auto loads any model hfserve implements from a Hugging Face model
// folder, as transformers' AutoModel does: config.json's model_type picks
// the family package (llama, gpt2 or bert), architectures[0] picks the head,
// and the family validates the config and every tensor before returning.
// An unknown model_type is an error that lists the supported ones.
package auto

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"hfserve/internal/models"
	"hfserve/internal/models/bert"
	"hfserve/internal/models/gpt2"
	"hfserve/internal/models/llama"
)

// loader loads one family from a folder and its parsed config.
type loader func(dir string, c *models.Config, opts models.LoadOptions) (models.Model, error)

// families maps each supported model_type to its loader; never written to.
var families = map[string]loader{
	"llama":       loadLlama,
	"mistral":     loadLlama,
	"qwen2":       loadLlama,
	"qwen3":       loadLlama,
	"gpt2":        loadGPT2,
	"bert":        loadBERT,
	"roberta":     loadBERT,
	"xlm-roberta": loadBERT,
	"distilbert":  loadBERT,
}

func loadLlama(dir string, c *models.Config, opts models.LoadOptions) (models.Model, error) {
	m, err := llama.Load(dir, c, opts)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return m, nil
}

func loadGPT2(dir string, c *models.Config, opts models.LoadOptions) (models.Model, error) {
	m, err := gpt2.Load(dir, c, opts)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return m, nil
}

func loadBERT(dir string, c *models.Config, opts models.LoadOptions) (models.Model, error) {
	m, err := bert.Load(dir, c, opts)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return m, nil
}

// ModelTypes lists the supported model_type values, sorted.
func ModelTypes() []string {
	types := make([]string, 0, len(families))
	for t := range families {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// Load loads the model in dir. The result is a models.Decoder or a
// models.Encoder; errors name the folder and the field or tensor at fault.
func Load(ctx context.Context, dir string, opts models.LoadOptions) (models.Model, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("models: load %s: %w", dir, err)
	}
	c, err := models.ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	mt := c.String("model_type", "")
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("models: %s: %w", dir, err)
	}
	load, ok := families[mt]
	if !ok {
		return nil, fmt.Errorf("models: %s: config.json: model_type %q is not supported (supported: %s): %w",
			dir, mt, strings.Join(ModelTypes(), ", "), models.ErrUnsupported)
	}
	m, err := load(dir, c, opts)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", dir, err)
	}
	if err := ctx.Err(); err != nil {
		_ = m.Close()
		return nil, fmt.Errorf("models: load %s: %w", dir, err)
	}
	return m, nil
}
