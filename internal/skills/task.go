package skills

// Task is something a served model can do; the API routes requests by it.
type Task string

// The tasks hfserve serves.
const (
	TaskTextGeneration      Task = "text-generation"      // completions, TGI /generate
	TaskChat                Task = "chat"                 // chat completions through the chat template
	TaskEmbeddings          Task = "embeddings"           // OpenAI /v1/embeddings, TEI /embed
	TaskClassification      Task = "classification"       // TEI /predict
	TaskRerank              Task = "rerank"               // TEI /rerank: a one-label cross-encoder
	TaskTokenClassification Task = "token-classification" // per-token labels (NER)
	TaskFillMask            Task = "fill-mask"            // masked-token prediction
)

// Families: the engine package that implements a model_type.
const (
	FamilyLlama = "llama" // llama, mistral, qwen2, qwen3
	FamilyGPT2  = "gpt2"
	FamilyBERT  = "bert" // bert, roberta, xlm-roberta, distilbert
)

// Heads: what sits on top of the base model, from the architecture's name.
const (
	HeadCausalLM               = "causal-lm"
	HeadSequenceClassification = "sequence-classification"
	HeadTokenClassification    = "token-classification"
	HeadMaskedLM               = "masked-lm"
	HeadBase                   = "base"
)

// Pooling modes for embeddings, named as sentence-transformers names them.
const (
	PoolingCLS       = "cls"
	PoolingMean      = "mean"
	PoolingMax       = "max"
	PoolingLastToken = "lasttoken"
)

// familyOf maps each supported model_type to its family. It is a table,
// never written to.
var familyOf = map[string]string{
	"llama":       FamilyLlama,
	"mistral":     FamilyLlama,
	"qwen2":       FamilyLlama,
	"qwen3":       FamilyLlama,
	"gpt2":        FamilyGPT2,
	"bert":        FamilyBERT,
	"roberta":     FamilyBERT,
	"xlm-roberta": FamilyBERT,
	"distilbert":  FamilyBERT,
}

// supportedTypes lists familyOf's keys in a fixed order for messages.
const supportedTypes = "llama, mistral, qwen2, qwen3, gpt2, bert, roberta, xlm-roberta, distilbert"

// isDecoder reports whether a family is a causal (left-to-right) model.
func isDecoder(family string) bool { return family == FamilyLlama || family == FamilyGPT2 }
