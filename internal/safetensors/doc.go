// Package safetensors reads Hugging Face .safetensors weight files.
//
// A file is an 8-byte little-endian length N, N bytes of JSON header naming
// every tensor (dtype, shape, byte range in the data section) plus an optional
// "__metadata__" string map, and then the data section itself.
//
// The contract:
//
//   - Every header is validated as strictly as the reference Rust library
//     does: the header is at most MaxHeaderSize bytes of UTF-8 JSON object, names
//     are unique, dtypes are known, every tensor's byte length equals the product
//     of its shape times its dtype size, and the tensors tile the data section
//     exactly (no overlaps, no holes, nothing left over). A file that passes
//     ParseHeader can be sliced without further bounds checks.
//   - Hostile input never panics and never makes the reader allocate more than
//     the input's own size: every problem is an error that names the file and,
//     where there is one, the tensor.
//   - Open memory-maps a file read-only (on unix; other systems read it into
//     memory). Tensor data aliases the mapping: it is valid until Close and must
//     never be written to.
//   - Model opens a model folder's weights, single file or sharded with a
//     model.safetensors.index.json; ReadModelHeaders reads only the headers, for
//     inspection without mapping any data.
//
// The package knows nothing of models or serving; it only turns bytes into
// named, typed, shaped views.
package safetensors
