// Command randmodel writes a random-weight checkpoint in the exact layout
// of a Hugging Face model folder (config.json, model.safetensors with the
// Hugging Face tensor names, generation_config.json, a minimal
// tokenizer.json and tokenizer_config.json), in the shapes of a real model.
// Such folders are the yardsticks of the speed benchmarks: the engine and
// its peers (llama.cpp, PyTorch, ONNX Runtime) run the same weights.
//
// Usage:
//
//	go run ./tools/randmodel -preset qwen2.5-0.5b -dtype bf16 -out /tmp/qwen05-bf16
//	go run ./tools/randmodel -list
//
// The contract:
//
//   - The output is a deterministic function of (preset, dtype, seed): each
//     tensor draws from its own PCG stream seeded by the seed and the
//     tensor's name, so the bytes do not depend on the order tensors are
//     written in.
//   - Linear and embedding weights are N(0, 0.02²) (Hugging Face's
//     initializer_range), norm weights are 1, LayerNorm and dense biases
//     0, attention q/k/v biases N(0, 0.02²) so the bias path is exercised:
//     activations stay finite through every layer.
//   - Weights are written in the chosen dtype (f32, bf16 rounded to
//     nearest even, or f16), every tensor alike, as transformers'
//     save_pretrained does for a model cast with .to(dtype).
//   - The tokenizer is a stand-in: byte-level BPE without merges for
//     decoders, a character WordPiece for BERT. It lets a server start and
//     count tokens; it is not the real model's vocabulary.
package main
