// Package llama implements the Llama family of decoders with the exact
// semantics of Hugging Face transformers' modeling code: llama (Llama 2/3,
// SmolLM, TinyLlama), mistral (sliding-window attention), qwen2 (q/k/v
// biases, sliding window on the upper layers when enabled) and qwen3
// (per-head RMSNorm of queries and keys before RoPE, explicit head_dim).
//
// All four share one block: pre-RMSNorm, grouped-query attention with
// rotary position embeddings (rotate-half layout; default, linear, dynamic
// NTK and llama3 scaling), a gated MLP act(gate)·up → down, and a final
// RMSNorm. The heads are the causal LM (tied or untied lm_head) and the base
// model, whose final hidden states serve embeddings.
//
// [Load] validates config.json and every tensor up front; a [Model] then
// runs ragged batches (see models.Decoder) and is safe for concurrent use
// with disjoint caches.
package llama
