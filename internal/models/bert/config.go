package bert

import (
	"fmt"

	"hfserve/internal/models"
)

// Config is what a BERT-family model reads from config.json, with
// transformers' defaults applied.
type Config struct {
	// ModelType is bert, roberta, xlm-roberta or distilbert.
	ModelType string
	// Architecture is architectures[0] (the base class when absent) and
	// Head what it carries.
	Architecture string
	Head         models.Head

	VocabSize, HiddenSize, IntermediateSize, NumLayers, NumHeads int
	// MaxPositionEmbeddings is the size of the position table; RoBERTa's
	// first padding_idx+1 rows are never used by real tokens.
	MaxPositionEmbeddings int
	// TypeVocabSize is the number of token types (0 for DistilBERT).
	TypeVocabSize int
	LayerNormEps  float32
	// Act is hidden_act (DistilBERT: activation).
	Act string
	// PadTokenID is pad_token_id; RoBERTa counts positions from it.
	PadTokenID int
	// TieEmbeddings: the masked-LM decoder reuses the word embeddings.
	TieEmbeddings bool
	// Labels names the classification outputs (nil for other heads).
	Labels []string

	BOSTokenID  int
	EOSTokenIDs []int
}

// roberta reports whether positions follow RoBERTa's padding_idx rule.
func (c *Config) roberta() bool { return c.ModelType == "roberta" || c.ModelType == "xlm-roberta" }

// MaxPositions is the longest sequence the model accepts.
func (c *Config) MaxPositions() int {
	if c.roberta() {
		return c.MaxPositionEmbeddings - c.PadTokenID - 1
	}
	return c.MaxPositionEmbeddings
}

// classPrefix is each model_type's class name prefix.
var classPrefix = map[string]string{
	"bert":        "Bert",
	"roberta":     "Roberta",
	"xlm-roberta": "XLMRoberta",
	"distilbert":  "DistilBert",
}

// headSuffixes map a class name's suffix to its head.
var headSuffixes = []struct {
	suffix string
	head   models.Head
}{
	{"Model", models.HeadBase},
	{"ForSequenceClassification", models.HeadSequenceClassification},
	{"ForTokenClassification", models.HeadTokenClassification},
	{"ForMaskedLM", models.HeadMaskedLM},
}

// ParseConfig reads a BERT-family config, reporting every problem at once.
func ParseConfig(c *models.Config) (*Config, error) {
	cfg := &Config{ModelType: c.String("model_type", "")}
	prefix, ok := classPrefix[cfg.ModelType]
	if !ok {
		return nil, fmt.Errorf("bert: model_type %q is not bert, roberta, xlm-roberta or distilbert: %w", cfg.ModelType, models.ErrUnsupported)
	}
	cfg.Architecture = prefix + "Model"
	if archs := c.Strings("architectures"); len(archs) > 0 {
		cfg.Architecture = archs[0]
	}
	for _, h := range headSuffixes {
		if cfg.Architecture == prefix+h.suffix {
			cfg.Head = h.head
		}
	}
	if cfg.Head == "" {
		c.Failf("architectures", "%s is not supported for model_type %s (want %sModel, %sForSequenceClassification, %sForTokenClassification or %sForMaskedLM)",
			cfg.Architecture, cfg.ModelType, prefix, prefix, prefix, prefix)
	}
	if cfg.ModelType == "distilbert" {
		cfg.readDistilBERT(c)
	} else {
		cfg.readBERT(c)
	}
	cfg.MaxPositionEmbeddings = c.Dim("max_position_embeddings")
	cfg.VocabSize = c.Dim("vocab_size")
	if _, err := models.ParseActivation(cfg.Act); err != nil {
		key := "hidden_act"
		if cfg.ModelType == "distilbert" {
			key = "activation"
		}
		c.Failf(key, "%v", err)
	}
	if cfg.NumHeads > 0 && cfg.HiddenSize%cfg.NumHeads != 0 {
		c.Failf("num_attention_heads", "%d does not divide the hidden size %d", cfg.NumHeads, cfg.HiddenSize)
	}
	if cfg.roberta() && cfg.MaxPositions() < 1 {
		c.Failf("max_position_embeddings", "%d leaves no positions after padding_idx %d", cfg.MaxPositionEmbeddings, cfg.PadTokenID)
	}
	cfg.TieEmbeddings = c.Bool("tie_word_embeddings", true)
	if cfg.Head == models.HeadSequenceClassification || cfg.Head == models.HeadTokenClassification {
		cfg.Labels = c.LabelNames()
		if len(cfg.Labels) == 0 {
			c.Failf("id2label", "a classification head needs at least one label")
		}
	}
	cfg.BOSTokenID = c.TokenID("bos_token_id")
	cfg.EOSTokenIDs = c.TokenIDs("eos_token_id")
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("bert: %w", err)
	}
	return cfg, nil
}

// readBERT reads the BertConfig / RobertaConfig / XLMRobertaConfig keys.
func (cfg *Config) readBERT(c *models.Config) {
	cfg.HiddenSize = c.Dim("hidden_size")
	cfg.NumLayers = c.Layers("num_hidden_layers")
	cfg.NumHeads = c.Dim("num_attention_heads")
	cfg.IntermediateSize = c.Dim("intermediate_size")
	cfg.Act = c.String("hidden_act", "gelu")
	cfg.TypeVocabSize = c.DimOr("type_vocab_size", 2)
	cfg.LayerNormEps = float32(c.Float("layer_norm_eps", 1e-12))
	if cfg.LayerNormEps <= 0 {
		c.Failf("layer_norm_eps", "%v must be positive", cfg.LayerNormEps)
	}
	defPad := 0
	if cfg.roberta() {
		defPad = 1
	}
	cfg.PadTokenID = c.Int("pad_token_id", defPad, 0, 1<<24)
	if pe := c.String("position_embedding_type", "absolute"); pe != "absolute" {
		c.Failf("position_embedding_type", "%q is not supported (only absolute)", pe)
	}
}

// readDistilBERT reads DistilBertConfig's own key names. Its LayerNorm eps
// is not configurable: transformers hard-codes 1e-12.
func (cfg *Config) readDistilBERT(c *models.Config) {
	cfg.HiddenSize = c.Dim("dim")
	cfg.NumLayers = c.Layers("n_layers")
	cfg.NumHeads = c.Dim("n_heads")
	cfg.IntermediateSize = c.Dim("hidden_dim")
	cfg.Act = c.String("activation", "gelu")
	cfg.LayerNormEps = 1e-12
	cfg.PadTokenID = c.Int("pad_token_id", 0, 0, 1<<24)
}
