// Package skills decides what a Hugging Face model folder is and what it can
// serve, from its files alone and without loading weights.
//
// [Detect] reads config.json (architectures[0] and model_type), the
// sentence-transformers files (modules.json, 1_Pooling/config.json, a
// Normalize module) and the chat template, and returns a [Detection]: the
// model family hfserve's engine implements it with, the head on top of the
// base model, and the [Task]s it can serve. Models hfserve cannot serve are
// reported with Supported=false and a reason that names the architecture,
// never dropped silently.
//
// [Inspect] adds everything `hfserve show` prints: dtype, parameter count and
// bytes (from the safetensors headers), context length, dimensions and the
// tokenizer's kind (from a streaming read of tokenizer.json).
//
// The rules, in order:
//
//   - model_type must be one of the supported types (llama, mistral, qwen2,
//     qwen3, gpt2, bert, roberta, xlm-roberta, distilbert);
//   - the head comes from the architecture's class name: *ForCausalLM and
//     *LMHeadModel → causal-lm, *ForSequenceClassification, *ForTokenClassification,
//     *ForMaskedLM, and the bare *Model → base;
//   - causal-lm → text-generation, plus chat when a chat template exists
//     (tokenizer_config.json's chat_template, a string or a list of named
//     templates, or a chat_template.jinja file);
//   - sequence classification → classification, plus rerank when the model
//     has exactly one label; token classification → token-classification;
//     masked-lm → fill-mask;
//   - base models and sentence-transformers folders → embeddings, pooled as
//     1_Pooling/config.json says (cls, mean, max or lasttoken) and normalised
//     when a Normalize module is listed; without those files, mean pooling
//     (encoders) or last-token pooling (decoders, whose last token is the only
//     one that sees the whole input). A decoder checkpoint packaged for
//     sentence-transformers is an embedding model and serves embeddings only.
//
// A per-model override in the server's configuration wins over all of this;
// that happens in the serving layer, not here. Everything here is a pure
// function of the folder's files; nothing is cached between calls.
package skills
