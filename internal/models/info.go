package models

// Head is what sits on top of the base model. The names match
// internal/skills' head constants.
type Head string

// The heads the engine implements.
const (
	HeadCausalLM               Head = "causal-lm"
	HeadSequenceClassification Head = "sequence-classification"
	HeadTokenClassification    Head = "token-classification"
	HeadMaskedLM               Head = "masked-lm"
	HeadBase                   Head = "base"
)

// Info describes a loaded model.
type Info struct {
	// Architecture is config.json's architectures[0] (or the family's
	// default class when the list is absent).
	Architecture string
	// ModelType is config.json's model_type.
	ModelType string
	// Family is the package that implements it: "llama", "gpt2" or "bert".
	Family string
	// Head is the head the architecture carries.
	Head Head
	// WeightsDType is the dtype of the bulk of the weights ("F32", "BF16",
	// "F16").
	WeightsDType string
	// VocabSize, HiddenSize and NumLayers are the model's dimensions.
	VocabSize, HiddenSize, NumLayers int
	// MaxPositions is the longest sequence the model accepts, in tokens.
	MaxPositions int
	// Labels names the classification head's outputs in id order (nil for
	// other heads).
	Labels []string
	// PadTokenID is config.json's pad_token_id, or -1 when it has none.
	PadTokenID int
	// BOSTokenID is config.json's bos_token_id, or -1 when it has none.
	BOSTokenID int
	// EOSTokenIDs lists config.json's eos_token_id (a number or a list).
	EOSTokenIDs []int
	// WeightBytes is the size of the weights as stored.
	WeightBytes int64
	// KVBytesPerToken is what one token costs in a decoder's KV cache
	// (0 for encoders).
	KVBytesPerToken int64
}

// OutputDim is the width of one row of a decoder's Forward result: the
// vocabulary for logits, the hidden size for hidden states.
func (i Info) OutputDim(hidden bool) int {
	if hidden {
		return i.HiddenSize
	}
	return i.VocabSize
}
