// Command togguf converts a Hugging Face decoder checkpoint (config.json,
// model.safetensors, tokenizer.json) of a llama or qwen2 model into one
// GGUF file, so that llama.cpp can run the same weights as hfserve in the
// peer benchmarks (tools/peers).
//
// Usage:
//
//	go run ./tools/togguf -in /tmp/qwen05-bf16 -out /tmp/qwen05-bf16.gguf
//
// The contract:
//
//   - Matrices keep their dtype (F32, F16 or BF16), byte for byte; 1-D
//     tensors (norms, biases) are widened to F32, as llama.cpp's own
//     converter does. Nothing is quantized.
//   - Tensor names and metadata keys follow llama.cpp's naming for the
//     architecture (token_embd, blk.N.attn_q, qwen2.embedding_length, ...).
//     Llama's q and k rows are permuted from Hugging Face's rotate-half
//     RoPE layout to llama.cpp's interleaved one; Qwen2 uses the same
//     (NeoX) layout in both and is copied as is.
//   - The vocabulary is tokenizer.json's BPE vocab and merges; ids the
//     tokenizer does not use, up to the model's vocab_size, become unused
//     placeholder tokens, so the GGUF vocabulary matches the embedding.
//
// It is a benchmarking aid, not a general converter: other architectures,
// sharded checkpoints and non-BPE tokenizers are refused.
package main
