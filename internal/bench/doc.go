// Package bench defines the workloads of hfserve's engine speed benchmarks
// and the measurements around them, so that the engine and its peers
// (llama.cpp, PyTorch, ONNX Runtime, driven by tools/peers) run exactly the
// same work and the results can be reported as ratios run side by side.
//
// The workloads (shared with tools/peers/llamabench.c and the Python and
// ONNX drivers, which implement the same formulas):
//
//   - Prefill: one sequence of PrefillTokens prompt tokens in one forward
//     pass, logits for the last token only.
//   - Decode: each of S sequences gets a DecodeWarmTokens-token prompt
//     (untimed), then DecodeSteps steps of one token per sequence, all S in
//     one batch, logits for every new token.
//   - Encode: EncodeBatch sentences of EncodeMinLen..EncodeMaxLen tokens,
//     padded to the longest with an attention mask, one forward pass.
//   - Token ids come from PromptToken, a fixed formula, so no engine gets an
//     easier input than another.
//
// The benchmarks themselves live in this package's tests and read the model
// folders from the environment (see bench_test.go); ReadBandwidth gives the
// machine's memory read bandwidth for the decode bandwidth bound.
package bench
