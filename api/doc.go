// Package api holds hfserve's public wire types: the JSON bodies its HTTP API
// sends and accepts.
//
//   - The OpenAI routes (/v1/...) follow the OpenAI API reference
//     (https://platform.openai.com/docs/api-reference) field by field, so
//     OpenAI clients and SDKs work against hfserve unchanged.
//   - The Hugging Face routes follow text-generation-inference (TGI:
//     /generate, /generate_stream, /info) and text-embeddings-inference
//     (TEI: /embed, /rerank, /predict, /tokenize, /decode) as their OpenAPI
//     documents and routers define them, plus a top-level "model" field that
//     picks among the models served.
//   - The admin routes (/admin/...) are hfserve's own.
//
// Request fields that JSON lets a client leave out or set to null are
// pointers (nil for both) unless the API gives null its own meaning, in
// which case the type says so. Fields that accept several JSON shapes (a
// string or a list, say) are small union types with their own UnmarshalJSON
// and MarshalJSON; a shape they do not accept is a *json.UnmarshalTypeError,
// whose Type has an ExpectedJSON method naming the shapes accepted.
//
// The package has no behaviour beyond encoding and decoding, and imports
// nothing from the rest of hfserve, so clients (including the hfserve CLI)
// can depend on it alone.
package api
