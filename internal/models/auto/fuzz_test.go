package auto

import (
	"os"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/bert"
	"hfserve/internal/models/gpt2"
	"hfserve/internal/models/llama"
)

// FuzzParseConfig feeds arbitrary config.json bytes to every family's
// config parser: each must return a config or an error, never panic.
func FuzzParseConfig(f *testing.F) {
	for _, fx := range fixtures {
		if data, err := os.ReadFile(fx.dir + "/config.json"); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"model_type":"llama","rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":8192}}`))
	f.Add([]byte(`{"model_type":"qwen2","use_sliding_window":true,"sliding_window":-1,"eos_token_id":[1,"2"]}`))
	f.Add([]byte(`{"model_type":"bert","id2label":{"0":"a","2":"b"},"hidden_size":1e400}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		parse := []func(*models.Config) error{
			func(c *models.Config) error { _, err := llama.ParseConfig(c); return err },
			func(c *models.Config) error { _, err := gpt2.ParseConfig(c); return err },
			func(c *models.Config) error { _, err := bert.ParseConfig(c); return err },
		}
		for _, p := range parse {
			c, err := models.ParseConfig(data)
			if err != nil {
				return
			}
			_ = p(c)
		}
	})
}
