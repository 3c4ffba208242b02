// Package tensor holds the numeric kernels of hfserve's inference engine: matrix
// products in the layouts transformers need, matrix-vector products for decoding,
// normalisations, softmax, activations, rotary position embeddings, dtype
// conversion and the worker pool that runs them in parallel.
//
// Contract shared by every function here:
//   - Data are row-major flat []float32 slices; weights may stay 16-bit (F16 or
//     BF16 bits in []uint16) and are widened to float32 inside the kernels.
//   - Callers own all buffers. Kernels write only to their destination and keep no
//     state between calls, so they are safe for concurrent use on disjoint outputs.
//   - Arithmetic is float32 like PyTorch's CPU kernels; reductions may be done in a
//     different order (blocked, vectorised) and therefore differ in the last bits.
//   - Shapes are the caller's responsibility: a slice shorter than its declared
//     shape is a programming error and panics with a message naming the kernel.
//     Longer slices are allowed; only the declared prefix is read or written.
//
// Kernel selection: on amd64 the hot loops have Go assembly versions for AVX2+FMA
// (with F16C) and AVX-512. The set is chosen once, on first use, from the CPU's
// features and a self-check against the portable set (see activeKernels); that
// choice is the package's only global and is read-only afterwards. The portable
// pure-Go set is always compiled in, is what other architectures (and the purego
// build tag) use, and the tests run every set the machine supports against
// float64 references and against each other.
package tensor
