// Package gpt2 implements GPT-2 with the semantics of Hugging Face
// transformers' modeling_gpt2: learned absolute positions (wpe), pre-block
// LayerNorm with bias, a fused c_attn projection split into q|k|v, Conv1D
// weights stored [in, out] (transposed once at load so the forward pass
// uses the same Linear kernel as every other model), the configured GELU
// (gelu_new by default), and an LM head tied to wte unless the config
// unties it.
//
// [Load] validates config.json and every tensor up front; a [Model] runs
// ragged batches (see models.Decoder) and is safe for concurrent use with
// disjoint caches.
package gpt2
