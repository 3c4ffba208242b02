package llama

import (
	"fmt"
	"strings"

	"hfserve/internal/models"
	"hfserve/internal/tensor"
)

// Config is what a Llama-family model reads from config.json, with
// transformers' defaults and per-model_type rules applied.
type Config struct {
	// ModelType is llama, mistral, qwen2 or qwen3.
	ModelType string
	// Architecture is architectures[0] (the family's causal LM class when
	// absent) and Head what it carries.
	Architecture string
	Head         models.Head

	VocabSize, HiddenSize, IntermediateSize  int
	NumLayers, NumHeads, NumKVHeads, HeadDim int
	// MaxPositions is max_position_embeddings: the longest sequence served.
	MaxPositions int
	RMSNormEps   float32
	// RoPETheta and RoPEScaling configure the rotary embeddings.
	RoPETheta   float64
	RoPEScaling tensor.RoPEScaling
	// Act is hidden_act, applied to the MLP's gate.
	Act string
	// TieEmbeddings: the LM head reuses the input embeddings.
	TieEmbeddings bool
	// QKVBias and OBias say which attention projections have a bias;
	// MLPBias covers gate, up and down.
	QKVBias, OBias, MLPBias bool
	// QKNorm: Qwen3's per-head RMSNorm of queries and keys.
	QKNorm bool
	// SlidingWindow is the window of the layers that use one (0: none);
	// SlidingFrom is the first such layer (Qwen2/3 max_window_layers).
	SlidingWindow, SlidingFrom int

	BOSTokenID, PadTokenID int
	EOSTokenIDs            []int
}

// classNames are each model_type's causal LM and base classes.
var classNames = map[string][2]string{
	"llama":   {"LlamaForCausalLM", "LlamaModel"},
	"mistral": {"MistralForCausalLM", "MistralModel"},
	"qwen2":   {"Qwen2ForCausalLM", "Qwen2Model"},
	"qwen3":   {"Qwen3ForCausalLM", "Qwen3Model"},
}

// ParseConfig reads a Llama-family config. Every problem is reported at
// once, each naming its field.
func ParseConfig(c *models.Config) (*Config, error) {
	cfg := &Config{ModelType: c.String("model_type", "")}
	names, ok := classNames[cfg.ModelType]
	if !ok {
		return nil, fmt.Errorf("llama: model_type %q is not llama, mistral, qwen2 or qwen3: %w", cfg.ModelType, models.ErrUnsupported)
	}
	cfg.Architecture = names[0]
	if archs := c.Strings("architectures"); len(archs) > 0 {
		cfg.Architecture = archs[0]
	}
	switch cfg.Architecture {
	case names[0]:
		cfg.Head = models.HeadCausalLM
	case names[1]:
		cfg.Head = models.HeadBase
	default:
		c.Failf("architectures", "%s is not supported for model_type %s (want %s or %s)", cfg.Architecture, cfg.ModelType, names[0], names[1])
	}
	cfg.VocabSize = c.Dim("vocab_size")
	cfg.HiddenSize = c.Dim("hidden_size")
	cfg.IntermediateSize = c.Dim("intermediate_size")
	cfg.NumLayers = c.Layers("num_hidden_layers")
	cfg.NumHeads = c.Dim("num_attention_heads")
	cfg.NumKVHeads = c.DimOr("num_key_value_heads", cfg.NumHeads)
	cfg.readHeadDim(c)
	cfg.MaxPositions = c.Dim("max_position_embeddings")
	cfg.RMSNormEps = float32(c.Float("rms_norm_eps", 1e-6))
	if cfg.RMSNormEps <= 0 {
		c.Failf("rms_norm_eps", "%v must be positive", cfg.RMSNormEps)
	}
	cfg.Act = c.String("hidden_act", "silu")
	if _, err := models.ParseActivation(cfg.Act); err != nil {
		c.Failf("hidden_act", "%v", err)
	}
	cfg.TieEmbeddings = c.Bool("tie_word_embeddings", false)
	cfg.readBiases(c)
	cfg.readSliding(c)
	cfg.RoPETheta, cfg.RoPEScaling = readRoPE(c, cfg.MaxPositions)
	if f := c.Float("partial_rotary_factor", 1); f != 1 {
		c.Failf("partial_rotary_factor", "%v: only full rotary embeddings (1.0) are supported", f)
	}
	cfg.BOSTokenID = c.TokenID("bos_token_id")
	cfg.PadTokenID = c.TokenID("pad_token_id")
	cfg.EOSTokenIDs = c.TokenIDs("eos_token_id")
	if cfg.NumKVHeads > 0 && cfg.NumHeads%cfg.NumKVHeads != 0 {
		c.Failf("num_key_value_heads", "%d does not divide num_attention_heads %d", cfg.NumKVHeads, cfg.NumHeads)
	}
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("llama: %w", err)
	}
	return cfg, nil
}

// readHeadDim applies each class's rule: an explicit head_dim wins
// (Mistral and Llama may write null), else hidden/heads; Qwen3Config's
// default is 128.
func (cfg *Config) readHeadDim(c *models.Config) {
	def := 0
	if cfg.NumHeads > 0 {
		def = cfg.HiddenSize / cfg.NumHeads
	}
	if cfg.ModelType == "qwen3" {
		def = 128
	}
	cfg.HeadDim = c.DimOr("head_dim", def)
	if !c.Has("head_dim") && cfg.ModelType != "qwen3" && cfg.NumHeads > 0 && cfg.HiddenSize%cfg.NumHeads != 0 {
		c.Failf("num_attention_heads", "%d does not divide hidden_size %d and there is no head_dim", cfg.NumHeads, cfg.HiddenSize)
	}
	if cfg.HeadDim%2 != 0 {
		c.Failf("head_dim", "%d must be even for rotary embeddings", cfg.HeadDim)
	}
}

// readBiases applies each class's bias rule.
func (cfg *Config) readBiases(c *models.Config) {
	switch cfg.ModelType {
	case "llama", "qwen3":
		b := c.Bool("attention_bias", false)
		cfg.QKVBias, cfg.OBias = b, b
		cfg.QKNorm = cfg.ModelType == "qwen3"
	case "qwen2":
		cfg.QKVBias = true // hard-wired in Qwen2Attention
	}
	if cfg.ModelType == "llama" {
		cfg.MLPBias = c.Bool("mlp_bias", false)
	}
}

// readSliding applies the sliding-window rules: Mistral windows every layer
// when sliding_window is set; Qwen2/3 only when use_sliding_window is true,
// and then only the layers from max_window_layers on.
func (cfg *Config) readSliding(c *models.Config) {
	switch cfg.ModelType {
	case "mistral":
		cfg.SlidingWindow = c.DimOr("sliding_window", 0)
	case "qwen2", "qwen3":
		if c.Bool("use_sliding_window", false) {
			cfg.SlidingWindow = c.DimOr("sliding_window", 0)
			cfg.SlidingFrom = c.Int("max_window_layers", 0, 0, 1<<20)
		}
	}
}

// readRoPE reads rope_theta and rope_scaling, or the newer rope_parameters
// object that holds both.
func readRoPE(c *models.Config, maxPos int) (float64, tensor.RoPEScaling) {
	theta := c.Float("rope_theta", 10000)
	rs := c.Object("rope_scaling")
	if p := c.Object("rope_parameters"); p != nil {
		theta = p.Float("rope_theta", theta)
		rs = p
	}
	if theta <= 0 {
		c.Failf("rope_theta", "%v must be positive", theta)
	}
	if rs == nil {
		return theta, tensor.RoPEScaling{}
	}
	typ := rs.String("rope_type", rs.String("type", "default"))
	s := tensor.RoPEScaling{Type: typ}
	factor := func() float64 {
		if !rs.Has("factor") {
			rs.Failf("factor", "missing for rope type %q", typ)
			return 1
		}
		f := rs.Float("factor", 1)
		if f < 1 {
			rs.Failf("factor", "%v must be at least 1", f)
		}
		return f
	}
	switch strings.ToLower(typ) {
	case "default":
		s.Type = ""
	case "linear":
		s.Type = "linear"
		s.Factor = factor()
	case "dynamic":
		// transformers' dynamic NTK rescales against max_position_embeddings,
		// whatever rope_scaling says.
		s.Type = "dynamic"
		s.Factor = factor()
		s.OriginalMaxPositions = maxPos
	case "llama3":
		s.Type = "llama3"
		s.Factor = factor()
		for _, k := range []string{"low_freq_factor", "high_freq_factor", "original_max_position_embeddings"} {
			if !rs.Has(k) {
				rs.Failf(k, "missing for rope type llama3")
			}
		}
		s.LowFreqFactor = rs.Float("low_freq_factor", 1)
		s.HighFreqFactor = rs.Float("high_freq_factor", 4)
		if s.HighFreqFactor <= s.LowFreqFactor {
			rs.Failf("high_freq_factor", "%v must exceed low_freq_factor %v", s.HighFreqFactor, s.LowFreqFactor)
		}
		s.OriginalMaxPositions = rs.DimOr("original_max_position_embeddings", 8192)
	default:
		rs.Failf("rope_type", "%q is not supported (want default, linear, dynamic or llama3)", typ)
	}
	return theta, s
}
