// Package models is the contract between hfserve's engine and its
// transformer architectures, plus the pieces every architecture shares.
//
// The contract:
//
//   - A loaded model is a [Model]: an [Encoder] (bert, roberta, xlm-roberta,
//     distilbert) or a [Decoder] (llama, mistral, qwen2, qwen3, gpt2).
//     Architectures live in one package per family under internal/models/;
//     internal/models/auto picks one from config.json and loads it.
//   - Loading validates everything up front: every config field the model
//     needs (an unsupported value is an error naming the field) and every
//     tensor's presence, dtype and shape (an error naming the tensor). A model
//     that loads never fails at request time for reasons of its own weights.
//   - Weights stay where safetensors mapped them: F32 is used in place, F16
//     and BF16 stay 16-bit and are widened inside the kernels. Only small
//     vectors (norm weights, biases) are widened once at load.
//   - [Decoder.Forward] runs a ragged batch: each sequence brings its own new
//     tokens (a prefill chunk or one decode token) and its own [KVCache];
//     there is no padding. A sequence's results do not depend on what else
//     is in the batch beyond float rounding of the shared matrix products.
//   - [Encoder.Encode] runs a padded batch with an attention mask, with
//     Hugging Face's semantics (padded keys are masked; padded query rows are
//     still computed).
//   - Forward passes check their context between layers: a cancelled request
//     stops within one layer's work and leaves its caches as they were.
//   - Compute is float32 throughout, matching the reference goldens.
//
// Nothing here knows about HTTP, scheduling or tokenizers.
package models
