package gpt2

import (
	"fmt"

	"hfserve/internal/models"
)

// Config is what GPT-2 reads from config.json, with transformers' defaults.
type Config struct {
	// Architecture is architectures[0] (GPT2LMHeadModel when absent) and
	// Head what it carries.
	Architecture string
	Head         models.Head

	VocabSize, HiddenSize, NumLayers, NumHeads, InnerSize int
	// MaxPositions is n_positions.
	MaxPositions int
	LayerNormEps float32
	// Act is activation_function.
	Act string
	// ScaleAttn divides scores by sqrt(head_dim); ScaleByLayer further
	// divides layer i's by i+1.
	ScaleAttn, ScaleByLayer bool
	TieEmbeddings           bool

	BOSTokenID, PadTokenID int
	EOSTokenIDs            []int
}

// ParseConfig reads a GPT-2 config, reporting every problem at once.
func ParseConfig(c *models.Config) (*Config, error) {
	if mt := c.String("model_type", ""); mt != "gpt2" {
		return nil, fmt.Errorf("gpt2: model_type %q is not gpt2: %w", mt, models.ErrUnsupported)
	}
	cfg := &Config{Architecture: "GPT2LMHeadModel"}
	if archs := c.Strings("architectures"); len(archs) > 0 {
		cfg.Architecture = archs[0]
	}
	switch cfg.Architecture {
	case "GPT2LMHeadModel":
		cfg.Head = models.HeadCausalLM
	case "GPT2Model":
		cfg.Head = models.HeadBase
	default:
		c.Failf("architectures", "%s is not supported (want GPT2LMHeadModel or GPT2Model)", cfg.Architecture)
	}
	cfg.VocabSize = c.Dim("vocab_size")
	cfg.HiddenSize = c.Dim("n_embd")
	cfg.NumLayers = c.Layers("n_layer")
	cfg.NumHeads = c.Dim("n_head")
	cfg.InnerSize = c.DimOr("n_inner", 4*cfg.HiddenSize)
	cfg.MaxPositions = c.Dim("n_positions")
	cfg.LayerNormEps = float32(c.Float("layer_norm_epsilon", 1e-5))
	if cfg.LayerNormEps <= 0 {
		c.Failf("layer_norm_epsilon", "%v must be positive", cfg.LayerNormEps)
	}
	cfg.Act = c.String("activation_function", "gelu_new")
	if _, err := models.ParseActivation(cfg.Act); err != nil {
		c.Failf("activation_function", "%v", err)
	}
	cfg.ScaleAttn = c.Bool("scale_attn_weights", true)
	cfg.ScaleByLayer = c.Bool("scale_attn_by_inverse_layer_idx", false)
	cfg.TieEmbeddings = c.Bool("tie_word_embeddings", true)
	if cfg.NumHeads > 0 && cfg.HiddenSize%cfg.NumHeads != 0 {
		c.Failf("n_head", "%d does not divide n_embd %d", cfg.NumHeads, cfg.HiddenSize)
	}
	cfg.BOSTokenID = c.TokenID("bos_token_id")
	cfg.PadTokenID = c.TokenID("pad_token_id")
	cfg.EOSTokenIDs = c.TokenIDs("eos_token_id")
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("gpt2: %w", err)
	}
	return cfg, nil
}
